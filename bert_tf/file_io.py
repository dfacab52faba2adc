"""Atomic outputs: what a run writes appears whole under its final name, or not at all.

Every output is written under a temporary name beside its final path and renamed when
complete, so a reader (a person, TF Serving, the next script) never sees a half-written
file, and an interrupted run leaves the previous file as it was. tf.io.gfile does the I/O,
so the same code writes local paths and gs:// ones.
"""

import contextlib
import errno
import os
import uuid

import tensorflow as tf

from bert_tf.errors import ConfigError, DataError

# Why a write fails for want of room, as OSError and TensorFlow's C++ file system say it.
_NO_ROOM = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)
_NO_ROOM_WORDS = tuple(os.strerror(code) for code in _NO_ROOM)


def no_room_error(error, path):
    """An OSError naming `path` when `error` says a disk (or quota, or file size limit) is
    full, else None.

    TensorFlow's file writes (checkpoints, TFRecords, SavedModels) fail as a tf.errors.OpError
    whose message carries the C library's words ("No space left on device"); Python's own as
    an OSError with its errno.
    """
    code = getattr(error, "errno", None)
    if code not in _NO_ROOM:
        message = getattr(error, "message", None) or str(error)
        code = next((c for c, words in zip(_NO_ROOM, _NO_ROOM_WORDS) if words in message), None)
        if code is None:
            return None
    no_room = OSError(
        f"{path}: not written: {os.strerror(code)}; free some space and run the same command again"
    )
    no_room.errno = code  # set apart: OSError(code, message) would print "[Errno N]" first
    return no_room


def temporary_path(path):
    """A fresh temporary name beside `path`: hidden (a leading '.'), and ending in '.tmp-<hex>',
    so that neither `dir/*` (bert_tf's input lists skip hidden names) nor a pattern of the
    final name's suffix, such as `dir/*.tfrecord`, picks it up."""
    directory, name = os.path.split(path)
    return os.path.join(directory, f".{name}.tmp-{uuid.uuid4().hex[:12]}")


def remove_path(path):
    """Removes a file or a directory tree if it exists."""
    if tf.io.gfile.isdir(path):
        tf.io.gfile.rmtree(path)
    elif tf.io.gfile.exists(path):
        tf.io.gfile.remove(path)


@contextlib.contextmanager
def atomic_output(path):
    """Yields a temporary path beside `path` (a file or a directory to be written there).

    When the block succeeds the temporary path is renamed to `path`, replacing a file
    already there; when it fails, the temporary path is removed and `path` is untouched.
    A full disk is raised as an OSError naming `path` (see no_room_error).
    """
    directory = os.path.dirname(path)
    if directory:
        tf.io.gfile.makedirs(directory)
    temp_path = temporary_path(path)
    try:
        yield temp_path
        tf.io.gfile.rename(temp_path, path, overwrite=True)
    except BaseException as error:
        remove_path(temp_path)
        no_room = no_room_error(error, path)
        if no_room is not None:
            raise no_room from error
        raise


def check_output_file(path, argument):
    """Refuses, before any work, an output file path that names a directory (the rename at
    the end of the run would fail, after the work)."""
    if tf.io.gfile.isdir(path):
        raise ConfigError(f"{argument}={path} is a directory; name the file to write")


def check_output_dir(path, argument):
    """Refuses, before any work, an output directory path that names a file."""
    if tf.io.gfile.exists(path) and not tf.io.gfile.isdir(path):
        raise ConfigError(f"{argument}={path} is a file; name a directory")


def write_text_atomically(path, text):
    """Writes the str `text` (UTF-8, newlines as given) to `path` atomically."""
    with atomic_output(path) as temp_path:
        with tf.io.gfile.GFile(temp_path, "w") as f:
            f.write(text)


def read_text(path):
    """The text of a UTF-8 file (local or gs://), without a byte-order mark (MRPC has one).

    Raises:
        FileNotFoundError, or DataError naming the file and line of a byte that is not UTF-8.
    """
    try:
        with tf.io.gfile.GFile(path, "rb") as f:
            data = f.read()
    except tf.errors.NotFoundError:
        raise FileNotFoundError(f"{path}: no such file") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise DataError(
            f"{path}:{line}: not UTF-8 (byte {data[error.start]:#04x} at offset "
            f"{error.start}); save the file as UTF-8"
        ) from None
