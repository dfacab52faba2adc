"""Bad input to the scripts: a last line `error: ...` naming the flag or file, exit status 1, and
nothing under the output's final name. Run as a user runs them: in a fresh process, with the
environment of a shell (no TF_CPP_MIN_LOG_LEVEL), so the line must also come without
TensorFlow's start-up noise."""

import os
import subprocess
import sys

import pytest

from tests.data_prep import corpus

# Script runs in subprocesses: `make test` runs them, `make test-fast` does not.
pytestmark = pytest.mark.slow

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(*args, cwd=REPO):
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    env["PYTHONPATH"] = REPO
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def _assert_one_error_line(result, *names):
    """Exit status 1, the error as the last line of stderr, no traceback, no C++ log line."""
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr and "cudart" not in result.stderr, result.stderr
    for name in names:
        assert str(name) in lines[-1]


PRETRAINING = [
    "bert_tf.run_pretraining",
    "--bert_config_file=bert_tiny_uncased_L-2_H-128_A-2",
    "--input_file=x",
]
CLASSIFIER = [
    "bert_tf.run_classifier",
    "--bert_config_file=bert_tiny_uncased_L-2_H-128_A-2",
    "--task_name=SST-2",
    "--vocab_file=x",
]


@pytest.mark.parametrize(
    "args, message",
    [
        (PRETRAINING + ["--learning_rate=-1e-3"], "--learning_rate=-0.001: must be positive"),
        (
            PRETRAINING + ["--num_warmup_steps=50", "--num_train_steps=10"],
            "num_warmup_steps=50 exceeds num_train_steps=10",
        ),
        (CLASSIFIER + ["--num_train_epochs=0"], "--num_train_epochs=0.0: must be positive"),
        (
            CLASSIFIER + ["--train_batch_size=0"],
            "--train_batch_size=0: 0 is not a positive integer",
        ),
    ],
)
def test_a_flag_out_of_range_stops_the_script_before_any_work(tmp_path, args, message):
    result = _run("-m", *args, f"--output_dir={tmp_path / 'out'}")
    _assert_one_error_line(result, message)
    assert not os.path.exists(tmp_path / "out")


def test_a_vocab_size_with_no_room_for_learned_tokens_is_refused(tmp_path):
    text, vocab = corpus.write_corpus(tmp_path), tmp_path / "vocab.txt"
    result = _run(
        "-m",
        "bert_tf.data_prep.build_vocab",
        f"--input_file={text}",
        f"--output_file={vocab}",
        "--num_unused=-5",
    )
    _assert_one_error_line(result, "--num_unused=-5: -5 is not a non-negative integer")
    result = _run(
        "-m",
        "bert_tf.data_prep.build_vocab",
        f"--input_file={text}",
        f"--output_file={vocab}",
        "--vocab_size=3",
    )
    _assert_one_error_line(result, "vocab_size=3 leaves no room", "105 reserved and unused")
    assert not os.path.exists(vocab)


def test_an_empty_text_file_gives_no_vocab_and_no_records(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n")
    result = _run(
        "-m",
        "bert_tf.data_prep.build_vocab",
        f"--input_file={empty}",
        f"--output_file={tmp_path / 'vocab.txt'}",
    )
    _assert_one_error_line(result, f"no text to learn a vocabulary from in {empty}")
    result = _run(
        "-m",
        "bert_tf.data_prep.create_pretraining_data",
        f"--input_file={empty}",
        f"--output_file={tmp_path / 'out.tfrecord'}",
        f"--vocab_file={corpus.write_vocab(tmp_path)}",
    )
    _assert_one_error_line(result, f"no pretraining instance made from {empty}")
    assert sorted(os.listdir(tmp_path)) == ["empty.txt", "vocab.txt"]


def test_a_repeated_output_shard_is_refused_before_writing(tmp_path):
    out = tmp_path / "shard.tfrecord"
    result = _run(
        "-m",
        "bert_tf.data_prep.create_pretraining_data",
        f"--input_file={corpus.write_corpus(tmp_path)}",
        f"--output_file={out},{out}",
        f"--vocab_file={corpus.write_vocab(tmp_path)}",
    )
    _assert_one_error_line(result, f"output_files names {out} twice")
    assert not [name for name in os.listdir(tmp_path) if name.startswith("shard")]


MAIN = """
import sys
from bert_tf.cli import run_script
def main(argv):
    raise {error}("{message}\\nsecond line")
run_script(main)
"""


def test_expected_errors_are_one_line_and_bugs_keep_their_traceback():
    expected = _run("-c", MAIN.format(error="FileNotFoundError", message="data.tsv: no such file"))
    _assert_one_error_line(expected, "error: data.tsv: no such file")
    verbose = _run("-c", MAIN.format(error="FileNotFoundError", message="data.tsv"), "-v", "1")
    assert verbose.returncode == 1 and "Traceback" in verbose.stderr
    bug = _run("-c", MAIN.format(error="KeyError", message="input_mask"))
    assert bug.returncode == 1 and "Traceback" in bug.stderr and "KeyError" in bug.stderr
    # A ValueError is a bug (a Keras shape, a numpy broadcast) unless it is a UserError.
    bug = _run(
        "-c",
        "from bert_tf.errors import DataError\n"
        + MAIN.format(error="ValueError", message="shapes (2,3) and (4,) not aligned"),
    )
    assert bug.returncode == 1 and "Traceback" in bug.stderr and "ValueError" in bug.stderr
    user = _run(
        "-c",
        "from bert_tf.errors import DataError\n"
        + MAIN.format(error="DataError", message="train.tsv:3: expected 2 fields"),
    )
    _assert_one_error_line(user, "error: train.tsv:3: expected 2 fields")


def test_a_checkpoint_of_another_size_is_one_line_naming_file_variable_and_shapes(tmp_path):
    from bert_tf.checkpoints import write_checkpoint
    from bert_tf.models import BertEncoder
    from tests.keras_helpers import tiny_config

    vocab = corpus.write_vocab(tmp_path)
    num_tokens = len(corpus.vocab_tokens())
    checkpoint = write_checkpoint(
        BertEncoder(tiny_config(vocab_size=num_tokens, hidden_size=64)),
        str(tmp_path / "large" / "model.ckpt"),
    )
    config = tmp_path / "bert_config.json"
    config.write_text(tiny_config(vocab_size=num_tokens).to_json_string())
    result = _run(
        "-m",
        "bert_tf.export_saved_model",
        "--model_type=encoder",
        f"--init_checkpoint={checkpoint}",
        f"--bert_config_file={config}",
        f"--vocab_file={vocab}",
        "--max_seq_length=16",
        f"--export_dir={tmp_path / 'export'}",
    )
    _assert_one_error_line(result, f"{checkpoint}: ", "shape (64", "shape (32", "and name ")
    assert len(result.stderr.splitlines()) < 5 and not os.path.exists(tmp_path / "export")
