"""RoundRobinWriter: record i goes to file i % n; files appear only when complete."""

import errno
import os

import numpy as np
import pytest
import tensorflow as tf

from bert_tf.data_prep import record_writer


def test_records_are_dealt_round_robin_across_calls(tmp_path):
    paths = [str(tmp_path / f"out-{i}.tfrecord") for i in range(3)]
    records = [bytes([i]) * (i + 1) for i in range(8)]
    with record_writer.RoundRobinWriter(paths) as writer:
        for part in (records[:5], records[5:]):  # the second call goes on where the first stopped
            writer.write(b"".join(part), np.array([len(r) for r in part]))
    for j, path in enumerate(paths):
        assert list(tf.data.TFRecordDataset(path).as_numpy_iterator()) == records[j::3]
    assert sorted(os.listdir(tmp_path)) == [f"out-{i}.tfrecord" for i in range(3)]


def test_failure_leaves_no_partial_files(tmp_path):
    paths = [str(tmp_path / "sub" / f"out-{i}.tfrecord") for i in range(2)]
    with pytest.raises(RuntimeError):
        with record_writer.RoundRobinWriter(paths) as writer:
            writer.write(b"abc", np.array([3]))
            raise RuntimeError("worker failed")
    assert not list((tmp_path / "sub").iterdir())


def test_a_full_disk_part_way_names_the_file_and_removes_every_temporary_file(
    tmp_path, monkeypatch
):
    real_writer = tf.io.TFRecordWriter
    writes = []

    class DiskFillsUp(real_writer):
        def write(self, record):
            writes.append(record)
            if len(writes) == 3:
                raise OSError(errno.ENOSPC, "No space left on device")
            super().write(record)

    monkeypatch.setattr(tf.io, "TFRecordWriter", DiskFillsUp)
    paths = [str(tmp_path / f"out-{i}.tfrecord") for i in range(2)]
    with pytest.raises(OSError) as raised:
        with record_writer.RoundRobinWriter(paths) as writer:
            writer.write(b"abcdef", np.array([2, 2, 2]))
    assert str(raised.value).startswith(f"{paths[0]}: not written: No space left on device")
    assert not os.listdir(tmp_path)
