"""Runs of run_pretraining in subprocesses: mirrored, multi-worker, kill and restart, SIGTERM."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from bert_tf.errors import PREEMPTED_EXIT_STATUS
from tests.training.records import structured_examples, tiny_config, write_records
from tests.training.test_pretraining import _scalars

# Script runs in subprocesses: `make test` runs them, `make test-fast` does not.
pytestmark = pytest.mark.slow

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _command(tmp_path, output_dir, **flags):
    values = dict(
        bert_config_file=tiny_config(tmp_path / "bert_config.json"),
        input_file=str(tmp_path / "*.tfrecord"),
        output_dir=str(output_dir),
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
    return [sys.executable, "-m", "tests.training.pretrain_main"] + [
        f"--{k}={v}" for k, v in values.items()
    ]


def _run(command, num_cpus=1, env=None, **kwargs):
    env = dict(os.environ, NUM_LOGICAL_CPUS=str(num_cpus), **(env or {}))
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )


def _finish(process, timeout=120):
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output[-3000:]
    return output


def _checkpoint_steps(output_dir):
    return sorted(
        int(p.split("ckpt-")[1].split(".")[0])
        for p in tf.io.gfile.glob(os.path.join(str(output_dir), "ckpt-*.index"))
    )


def _losses(output_dir):
    return np.array(
        [value for _, value in _scalars(os.path.join(str(output_dir), "train"))["loss"]]
    )


def test_mirrored_on_two_devices_follows_the_one_device_loss_trajectory(tmp_path):
    write_records(tmp_path / "a.tfrecord", structured_examples(64, seed=1))
    single = _run(_command(tmp_path, tmp_path / "one"))
    mirrored = _run(
        _command(tmp_path, tmp_path / "two", distribution_strategy="mirrored"), num_cpus=2
    )
    _finish(single)
    _finish(mirrored)
    np.testing.assert_allclose(_losses(tmp_path / "two"), _losses(tmp_path / "one"), rtol=1e-4)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_workers_train_together_and_the_chief_writes_one_checkpoint(tmp_path):
    write_records(tmp_path / "a.tfrecord", structured_examples(64, seed=1))
    cluster = {"worker": [f"127.0.0.1:{_free_port()}", f"127.0.0.1:{_free_port()}"]}
    workers = [
        _run(
            _command(
                tmp_path,
                tmp_path / "out",
                distribution_strategy="multi_worker_mirrored",
                num_train_steps=10,
            ),
            env={
                "TF_CONFIG": json.dumps(
                    {"cluster": cluster, "task": {"type": "worker", "index": i}}
                )
            },
        )
        for i in range(2)
    ]
    for worker in workers:
        _finish(worker, timeout=180)
    assert _checkpoint_steps(tmp_path / "out") == [10]
    assert not [p for p in os.listdir(tmp_path / "out") if p.startswith(".tmp_worker")]


def _wait_for_checkpoint(output_dir, process, timeout=120):
    """Waits until the `checkpoint` state file names a checkpoint (written after its files)."""
    deadline = time.time() + timeout
    while not tf.train.latest_checkpoint(str(output_dir)):
        assert process.poll() is None, process.stdout.read()[-3000:]
        assert time.time() < deadline
        time.sleep(0.2)


@pytest.mark.long
def test_a_killed_run_resumes_from_its_last_checkpoint(tmp_path):
    write_records(tmp_path / "a.tfrecord", structured_examples(64, seed=1))
    command = _command(
        tmp_path,
        tmp_path / "out",
        num_train_steps=400,
        steps_per_loop=1,
        save_checkpoints_steps=20,
        log_steps=20,
    )
    process = _run(command)
    _wait_for_checkpoint(tmp_path / "out", process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    saved = int(tf.train.latest_checkpoint(str(tmp_path / "out")).rsplit("-", 1)[1])
    assert 0 < saved < 400
    output = _finish(_run(command))
    assert "Resumed from" in output and f"at step {saved}" in output
    assert _checkpoint_steps(tmp_path / "out")[-1] == 400


def test_sigterm_saves_a_checkpoint_before_exiting(tmp_path):
    write_records(tmp_path / "a.tfrecord", structured_examples(64, seed=1))
    command = _command(
        tmp_path,
        tmp_path / "out",
        num_train_steps=100000,
        steps_per_loop=1,
        save_checkpoints_steps=10,
        log_steps=10,
    )
    process = _run(command)
    _wait_for_checkpoint(tmp_path / "out", process)
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == PREEMPTED_EXIT_STATUS == 42, output[-3000:]
    last = output.strip().splitlines()[-1]
    match = re.fullmatch(r"saved ckpt-(\d+) at step (\d+); run the same command to resume", last)
    assert match and match[1] == match[2], output[-3000:]
    steps = _checkpoint_steps(tmp_path / "out")
    assert steps[-1] == int(match[1])
    # The preemption save comes between the regular ones (every 10 steps).
    assert steps[-1] % 10 != 0 or len(steps) >= 2, steps
    assert not [
        name for name in os.listdir(tmp_path / "out") if "_temp" in name or name.startswith(".")
    ]
