"""RoundRobinWriter: record i goes to file i % n; files appear only when complete."""

import numpy as np
import pytest
import tensorflow as tf

from data_prep import record_writer


def test_records_are_dealt_round_robin_across_calls(tmp_path):
    paths = [str(tmp_path / f"out-{i}.tfrecord") for i in range(3)]
    records = [bytes([i]) * (i + 1) for i in range(8)]
    with record_writer.RoundRobinWriter(paths) as writer:
        for part in (records[:5], records[5:]):  # the second call goes on where the first stopped
            writer.write(b"".join(part), np.array([len(r) for r in part]))
    for j, path in enumerate(paths):
        assert list(tf.data.TFRecordDataset(path).as_numpy_iterator()) == records[j::3]
    assert not list(tmp_path.glob("*.tmp"))


def test_failure_leaves_no_partial_files(tmp_path):
    paths = [str(tmp_path / "sub" / f"out-{i}.tfrecord") for i in range(2)]
    with pytest.raises(RuntimeError):
        with record_writer.RoundRobinWriter(paths) as writer:
            writer.write(b"abc", np.array([3]))
            raise RuntimeError("worker failed")
    assert not list((tmp_path / "sub").iterdir())
