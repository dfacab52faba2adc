"""A full disk while a script writes its output: one `error: ...` line naming the output, exit
status 1, and neither the output nor a temporary file left behind. Run as a user runs the
scripts, in a fresh process whose file size limit makes a write fail part-way (EFBIG, as a full
disk fails with ENOSPC; both are told alike)."""

import os
import resource
import signal
import subprocess
import sys

import pytest

from tests.data_prep import corpus

# Script runs in subprocesses: `make test` runs them, `make test-fast` does not.
pytestmark = pytest.mark.slow

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run_with_file_size_limit(limit, *args):
    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past it then fails, not kills
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    env["PYTHONPATH"] = REPO
    result = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=limit_file_size,
    )
    assert result.returncode == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return result.stderr.strip().splitlines()[-1]


def test_create_pretraining_data_on_a_full_disk_leaves_no_shard_and_no_temporary(tmp_path):
    text = corpus.write_corpus(tmp_path, num_documents=100)
    vocab = corpus.write_vocab(tmp_path)
    shards = [tmp_path / "records" / f"part-{i}.tfrecord" for i in range(2)]
    line = _run_with_file_size_limit(
        20_000,
        "bert_tf.data_prep.create_pretraining_data",
        f"--input_file={text}",
        f"--output_file={','.join(map(str, shards))}",
        f"--vocab_file={vocab}",
    )
    assert line.startswith(f"error: {shards[0]}: not written: File too large"), line
    assert os.listdir(tmp_path / "records") == []


def test_build_vocab_on_a_full_disk_leaves_no_vocab_and_no_temporary(tmp_path):
    text = corpus.write_corpus(tmp_path, num_documents=100)
    out = tmp_path / "out"
    out.mkdir()
    line = _run_with_file_size_limit(
        100,
        "bert_tf.data_prep.build_vocab",
        f"--input_file={text}",
        f"--output_file={out / 'vocab.txt'}",
        "--vocab_size=300",
    )
    assert line.startswith(f"error: {out / 'vocab.txt'}: not written: File too large"), line
    assert os.listdir(out) == []
