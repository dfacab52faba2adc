"""run_pretraining and run_classifier resume past a damaged newest checkpoint, as a user runs
them: a fresh process trains a few steps saving each, the newest checkpoint is damaged, and the
same command with more steps continues from the newest intact one, with one warning line."""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import tensorflow as tf

from tests.data_prep import corpus
from tests.training.records import structured_examples, write_records

# Script runs in subprocesses: `make test` runs them, `make test-fast` does not.
pytestmark = pytest.mark.slow

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = ".data-00000-of-00001"


def _truncate(path):
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[: len(data) // 2])


def _delete(prefix):
    for name in (prefix + DATA, prefix + ".index"):
        os.remove(name)


# Each leaves the `checkpoint` state file naming the damaged checkpoint as the latest.
DAMAGES = {
    ".data truncated": lambda prefix: _truncate(prefix + DATA),
    ".index truncated": lambda prefix: _truncate(prefix + ".index"),
    "files deleted": _delete,
}


def _config(path, vocab_size):
    path.write_text(
        json.dumps(
            dict(
                vocab_size=vocab_size,
                hidden_size=16,
                num_hidden_layers=1,
                num_attention_heads=2,
                intermediate_size=32,
                hidden_act="gelu",
                hidden_dropout_prob=0.1,
                attention_probs_dropout_prob=0.1,
                max_position_embeddings=16,
                type_vocab_size=2,
                initializer_range=0.02,
            )
        )
    )
    return str(path)


def _run(args, output_dir, **flags):
    flags = [f"--{name}={value}" for name, value in flags.items()]
    return subprocess.run(
        [sys.executable, "-m", *args, f"--output_dir={output_dir}", *flags],
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=REPO),
        capture_output=True,
        text=True,
        check=False,
    )


def _readable(prefix):
    try:
        reader = tf.train.load_checkpoint(prefix)
        for name in reader.get_variable_to_shape_map():
            reader.get_tensor(name)
        return True
    except (tf.errors.OpError, IndexError):
        return False


class Script:
    """A script's command on tiny data, run once saving every step, the last being `last_step`.

    Args:
        args: the script's module and flags.
        steps_flag: the flag that sets the run's length (`num_train_steps`, `num_train_epochs`).
        length, more: its values for the first run and for the resumed one.
        last_step: int, the first run's last step.
        directory: pathlib.Path for the first run's output and the data.
    """

    def __init__(self, args, steps_flag, length, more, last_step, directory):
        self.args, self.steps_flag, self.more = args, steps_flag, more
        self.first_run = directory / "first_run"
        result = _run(args, self.first_run, **{steps_flag: length})
        assert result.returncode == 0, result.stderr
        self.newest = str(self.first_run / f"ckpt-{last_step}")
        assert tf.train.latest_checkpoint(str(self.first_run)) == self.newest

    def resume_after(self, damage, tmp_path):
        """Damages a copy of the first run's newest checkpoint and runs on (`more`)."""
        output_dir = tmp_path / "run"
        shutil.copytree(self.first_run, output_dir)
        DAMAGES[damage](str(output_dir / os.path.basename(self.newest)))
        result = _run(
            self.args, output_dir, save_checkpoints_steps=2, **{self.steps_flag: self.more}
        )
        assert result.returncode == 0, result.stderr
        return str(output_dir), result.stderr


@pytest.fixture(scope="module")
def pretraining(tmp_path_factory):
    directory = tmp_path_factory.mktemp("pretraining")
    records = write_records(directory / "train.tfrecord", structured_examples(8))
    config = _config(directory / "bert_config.json", 60)
    args = [
        "bert_tf.run_pretraining",
        f"--bert_config_file={config}",
        f"--input_file={records}",
        "--do_train",
        "--train_batch_size=4",
        "--max_seq_length=16",
        "--max_predictions_per_seq=3",
        "--num_warmup_steps=1",
        "--save_checkpoints_steps=1",
        "--steps_per_loop=1",
        "--log_steps=1",
        "--noenable_xla",
        "--seed=1",
    ]
    return Script(args, "num_train_steps", 3, 5, 3, directory)


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    directory = tmp_path_factory.mktemp("classifier")
    vocab = corpus.write_vocab(directory)
    words = corpus.WORDS
    (directory / "train.tsv").write_text(
        "sentence\tlabel\n"
        + "".join(f"{words[i]} {words[i + 1]} {words[-i]} \t{i % 2}\n" for i in range(8))
    )
    (directory / "dev.tsv").write_text("sentence\tlabel\nthe cat sat \t0\nthe dog ran \t1\n")
    config = _config(directory / "bert_config.json", len(corpus.vocab_tokens()))
    args = [
        "bert_tf.run_classifier",
        "--task_name=SST-2",
        f"--data_dir={directory}",
        f"--vocab_file={vocab}",
        f"--bert_config_file={config}",
        "--do_train",
        "--do_eval",
        "--noeval_during_training",
        "--max_seq_length=16",
        "--train_batch_size=2",
        "--eval_batch_size=2",
        "--save_checkpoints_steps=1",
        "--steps_per_loop=1",
        "--log_steps=1",
        "--noenable_xla",
        "--seed=1",
    ]
    return Script(args, "num_train_epochs", 1, 1.5, 4, directory)  # 4 steps an epoch


def _assert_resumed(output_dir, log, skipped, resumed_at, last_step, listed):
    warnings = [line for line in log.splitlines() if "Not resuming from" in line]
    assert len(warnings) == 1, log
    assert f"Not resuming from {output_dir}/ckpt-{skipped}, which cannot be read (" in warnings[0]
    assert warnings[0].endswith(
        f"resuming from {output_dir}/ckpt-{resumed_at}, the newest checkpoint that can"
    )
    assert f"Resumed from {output_dir}/ckpt-{resumed_at} at step {resumed_at}\n" in log
    trained = [int(step) for step in re.findall(rf"step (\d+)/{last_step} ", log)]
    assert trained == list(range(resumed_at + 1, last_step + 1)), log
    state = tf.train.get_checkpoint_state(output_dir)
    assert state.model_checkpoint_path == f"{output_dir}/ckpt-{last_step}"
    # The first run's up to the one resumed from, then the new run's.
    assert [os.path.basename(path) for path in state.all_model_checkpoint_paths] == [
        f"ckpt-{step}" for step in listed
    ]
    assert all(_readable(path) for path in state.all_model_checkpoint_paths)


@pytest.mark.parametrize(
    "damage",
    [
        ".data truncated",
        pytest.param(".index truncated", marks=pytest.mark.long),
        pytest.param("files deleted", marks=pytest.mark.long),
    ],
)
def test_pretraining_resumes_from_the_newest_intact_checkpoint(pretraining, damage, tmp_path):
    output_dir, log = pretraining.resume_after(damage, tmp_path)
    # The damaged ckpt-3 is not saved again (every second step), so it must stay unlisted.
    _assert_resumed(output_dir, log, skipped=3, resumed_at=2, last_step=5, listed=[1, 2, 4, 5])


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(".data truncated", marks=pytest.mark.long),
        ".index truncated",
        pytest.param("files deleted", marks=pytest.mark.long),
    ],
)
def test_fine_tuning_resumes_from_the_newest_intact_checkpoint(classifier, damage, tmp_path):
    output_dir, log = classifier.resume_after(damage, tmp_path)
    # Step 4 is saved again, replacing the damaged ckpt-4.
    _assert_resumed(output_dir, log, skipped=4, resumed_at=3, last_step=6, listed=[1, 2, 3, 4, 6])
    with open(os.path.join(output_dir, "eval_results.txt")) as f:
        assert "global_step = 6\n" in f.read()
