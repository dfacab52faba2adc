"""Faults during run_pretraining, through the real script in a fresh process: a loss that turns
NaN, records with ids the config's vocab does not have, a full disk during a checkpoint save.
Each ends with exit status 1, one `error: ...` line naming the cause, and no checkpoint or
temporary file left that was saved after the fault began."""

import os
import resource
import signal
import subprocess
import sys

import numpy as np
import pytest

from tests.training.records import VOCAB_SIZE, structured_examples, tiny_config, write_records

# Script runs in subprocesses: `make test` runs them, `make test-fast` does not.
pytestmark = pytest.mark.slow

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _pretrain(tmp_path, file_size_limit=None, **flags):
    values = dict(
        bert_config_file=tiny_config(tmp_path / "bert_config.json"),
        input_file=str(tmp_path / "records" / "*"),
        output_dir=str(tmp_path / "out"),
        max_seq_length=16,
        max_predictions_per_seq=3,
        do_train=True,
        train_batch_size=8,
        learning_rate=1e-3,
        num_train_steps=20,
        num_warmup_steps=2,
        save_checkpoints_steps=10,
        steps_per_loop=5,
        log_steps=5,
        seed=0,
    )
    values.update(flags)
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}

    def limit_file_size():
        # A write past the limit fails with EFBIG, part-way, as one on a full disk does with
        # ENOSPC (SIGXFSZ ignored, so the write returns the error instead of killing).
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    return subprocess.run(
        [sys.executable, "-m", "bert_tf.run_pretraining"]
        + [f"--{k}={v}" for k, v in values.items()],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=limit_file_size if file_size_limit else None,
    )


def _error_line(result):
    assert result.returncode == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: "), result.stderr[-3000:]
    return last


def _entries(directory):
    return sorted(os.listdir(directory)) if os.path.isdir(directory) else []


def _records(tmp_path, examples):
    os.makedirs(tmp_path / "records", exist_ok=True)
    write_records(tmp_path / "records" / "a.tfrecord", examples)


def test_a_learning_rate_of_1e6_stops_at_the_nan_step_naming_no_checkpoint(tmp_path):
    _records(tmp_path, structured_examples(64, seed=1))
    line = _error_line(_pretrain(tmp_path, learning_rate=1e6))
    assert "loss is nan (not finite) at step" in line
    assert "No checkpoint was saved before it" in line and "None" not in line
    assert not [name for name in _entries(tmp_path / "out") if name.startswith("ckpt")]


def test_records_with_ids_past_the_config_vocab_size_are_named_as_such(tmp_path):
    examples = structured_examples(64, seed=1)
    for example in examples[:3]:
        example["input_ids"][4] = VOCAB_SIZE + 5
    _records(tmp_path, examples)
    line = _error_line(_pretrain(tmp_path))
    assert (
        f"records/a.tfrecord: record 1 has input_ids {VOCAB_SIZE + 5}, outside the "
        f"config's vocab_size={VOCAB_SIZE}"
    ) in line
    assert not [name for name in _entries(tmp_path / "out") if name.startswith("ckpt")]


@pytest.mark.long
def test_an_id_past_vocab_size_deep_in_the_records_is_named_when_read(tmp_path):
    examples = structured_examples(160, seed=1)
    examples[150]["masked_lm_ids"] = np.array([VOCAB_SIZE, 7, 8])  # past the records checked first
    _records(tmp_path, examples)
    line = _error_line(_pretrain(tmp_path, num_train_steps=40))
    assert (
        f"record 151 has masked_lm_ids {VOCAB_SIZE}, outside the config's vocab_size={VOCAB_SIZE}"
    ) in line


@pytest.mark.long
def test_a_full_disk_during_a_checkpoint_save_leaves_nothing_half_made(tmp_path):
    _records(tmp_path, structured_examples(64, seed=1))
    # The checkpoint's data file (weights and Adam slots, ~300 KB) outgrows the limit; the
    # event files, settings and config stay under it.
    line = _error_line(_pretrain(tmp_path, file_size_limit=100_000))
    assert f"{tmp_path / 'out' / 'ckpt-10'}: not written: File too large" in line
    assert _entries(tmp_path / "out") == [
        "bert_config.json",
        "eval",
        "model_settings.json",
        "train",
    ]
