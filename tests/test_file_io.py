import errno
import fnmatch
import os

import pytest
import tensorflow as tf

from bert_tf.errors import DataError
from bert_tf.file_io import atomic_output, no_room_error, temporary_path, write_text_atomically


def test_write_replaces_the_file_and_leaves_no_temporary(tmp_path):
    path = str(tmp_path / "out" / "results.txt")
    write_text_atomically(path, "old\n")
    write_text_atomically(path, "new = 1\r\n")
    with open(path, newline="") as f:
        assert f.read() == "new = 1\r\n"
    assert os.listdir(tmp_path / "out") == ["results.txt"]


def test_failure_midway_keeps_the_previous_file_and_removes_the_partial_one(tmp_path):
    path = str(tmp_path / "results.txt")
    write_text_atomically(path, "complete\n")
    with pytest.raises(RuntimeError):
        with atomic_output(path) as temp_path:
            with open(temp_path, "w") as f:
                f.write("half")
            raise RuntimeError("interrupted")
    assert open(path).read() == "complete\n"
    assert os.listdir(tmp_path) == ["results.txt"]


def test_a_directory_appears_only_when_complete(tmp_path):
    target = str(tmp_path / "converted")
    with pytest.raises(RuntimeError):
        with atomic_output(target) as temp_dir:
            os.makedirs(temp_dir)
            open(os.path.join(temp_dir, "part"), "w").close()
            raise RuntimeError("interrupted")
    assert os.listdir(tmp_path) == []
    with atomic_output(target) as temp_dir:
        os.makedirs(temp_dir)
        open(os.path.join(temp_dir, "model.ckpt.index"), "w").close()
    assert os.listdir(target) == ["model.ckpt.index"]


def test_a_byte_that_is_not_utf8_is_named_with_file_and_line(tmp_path):
    from bert_tf.file_io import read_text

    path = tmp_path / "train.tsv"
    path.write_bytes(b"sentence\tlabel\nfine\t1\n" + b"caf\xe9\t0\n")
    with pytest.raises(DataError, match=rf"^{path}:3: not UTF-8 \(byte 0xe9 at offset 25\)"):
        read_text(str(path))
    path.write_bytes(b"\xef\xbb\xbfsentence\n")  # a byte-order mark is not part of the text
    assert read_text(str(path)) == "sentence\n"


def test_a_full_disk_is_one_line_naming_the_output_and_leaves_no_temporary(tmp_path):
    path = str(tmp_path / "results.txt")
    with pytest.raises(OSError) as raised:
        with atomic_output(path) as temp_path:
            with open(temp_path, "w") as f:
                f.write("half")
            raise OSError(errno.ENOSPC, "No space left on device")
    assert str(raised.value) == (
        f"{path}: not written: No space left on device; free some "
        "space and run the same command again"
    )
    assert raised.value.errno == errno.ENOSPC
    assert os.listdir(tmp_path) == []


def test_tensorflow_s_words_for_a_full_disk_are_recognised_and_others_are_not():
    error = tf.errors.UnknownError(None, None, "out/ckpt-1_temp/part-0; No space left on device")
    assert "out/ckpt-1: not written: No space left on device" in str(
        no_room_error(error, "out/ckpt-1")
    )
    assert no_room_error(tf.errors.InvalidArgumentError(None, None, "bad shape"), "x") is None
    assert no_room_error(FileNotFoundError(errno.ENOENT, "gone"), "x") is None


def test_temporary_names_match_no_pattern_of_the_final_names(tmp_path):
    temp = os.path.basename(temporary_path(str(tmp_path / "part-0.tfrecord")))
    assert temp.startswith(".part-0.tfrecord.tmp-")
    assert not fnmatch.fnmatch(temp, "*.tfrecord") and not fnmatch.fnmatch(temp, "part-*")
