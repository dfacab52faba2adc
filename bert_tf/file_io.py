"""Atomic outputs: what a run writes appears whole under its final name, or not at all.

Every output is written under a temporary name beside its final path and renamed when
complete, so a reader (a person, TF Serving, the next script) never sees a half-written
file, and an interrupted run leaves the previous file as it was. tf.io.gfile does the I/O,
so the same code writes local paths and gs:// ones.
"""

import contextlib
import os
import uuid

import tensorflow as tf

from bert_tf.errors import ConfigError, DataError


@contextlib.contextmanager
def atomic_output(path):
    """Yields a temporary path beside `path` (a file or a directory to be written there).

    When the block succeeds the temporary path is renamed to `path`, replacing a file
    already there; when it fails, the temporary path is removed and `path` is untouched.
    """
    directory, name = os.path.split(path)
    if directory:
        tf.io.gfile.makedirs(directory)
    temp_path = os.path.join(directory, f".{name}.tmp-{uuid.uuid4().hex[:12]}")
    try:
        yield temp_path
        tf.io.gfile.rename(temp_path, path, overwrite=True)
    except BaseException:
        if tf.io.gfile.isdir(temp_path):
            tf.io.gfile.rmtree(temp_path)
        elif tf.io.gfile.exists(temp_path):
            tf.io.gfile.remove(temp_path)
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
        raise DataError(f"{path}:{line}: not UTF-8 (byte {data[error.start]:#04x} at offset "
                        f"{error.start}); save the file as UTF-8") from None
