"""Deals serialized records round-robin into TFRecord files, each written atomically."""

import contextlib
import os

import numpy as np
import tensorflow as tf

from bert_tf.errors import ConfigError
from bert_tf.file_io import no_room_error, remove_path, temporary_path

# What a failed TFRecord write raises: TensorFlow's error, or Python's.
_WRITE_ERRORS = (OSError, tf.errors.OpError)


class RoundRobinWriter:
    """Writes record i of the stream to output file i % len(output_files), as the original does.

    Each file is written under a hidden temporary name (bert_tf.file_io.temporary_path, which
    no input pattern picks up) and renamed when the writer is closed after success; on an
    exception inside the `with` block, or a write that fails, every temporary file is removed.
    A full disk is raised as an OSError naming the output file.

    Args:
      output_files: list of TFRecord paths.
    """

    def __init__(self, output_files):
        self._paths = list(output_files)
        real_paths = [os.path.realpath(path) for path in self._paths]
        for i, path in enumerate(real_paths):
            if path in real_paths[:i]:
                raise ConfigError(
                    f"output_files names {self._paths[i]} twice; each shard needs its own file"
                )
        for path in self._paths:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self._temp_paths = [temporary_path(path) for path in self._paths]
        self._writers = []
        try:
            for temp_path in self._temp_paths:
                self._writers.append(tf.io.TFRecordWriter(temp_path))
        except _WRITE_ERRORS as error:
            self._discard(error, self._paths[len(self._writers)])
        self._next = 0

    def write(self, data, lengths):
        """Writes records given back to back.

        Args:
          data: bytes, the records back to back.
          lengths: int array [num_records], bytes of each record.
        """
        offsets = np.concatenate([[0], np.cumsum(lengths)]).tolist()
        writers, first = self._writers, self._next
        for i in range(len(lengths)):
            index = (first + i) % len(writers)
            try:
                writers[index].write(data[offsets[i] : offsets[i + 1]])
            except _WRITE_ERRORS as error:
                self._discard(error, self._paths[index])
        self._next = (first + len(lengths)) % len(writers)

    def _discard(self, error, path):
        """Closes and removes every temporary file; raises a full disk as an OSError naming
        `path`, the output whose write failed, else `error` itself."""
        for writer in self._writers:
            with contextlib.suppress(*_WRITE_ERRORS):  # the first error is the one told
                writer.close()
        self._writers = []
        for temp_path in self._temp_paths:
            remove_path(temp_path)
        no_room = no_room_error(error, path)
        if no_room is not None:
            raise no_room from error
        raise error

    def __enter__(self):
        return self

    def __exit__(self, error_type, error, traceback):
        if error_type is not None:
            for writer in self._writers:
                with contextlib.suppress(*_WRITE_ERRORS):  # the block's error is the one told
                    writer.close()
            for temp_path in self._temp_paths:
                remove_path(temp_path)
            return
        for index, writer in enumerate(self._writers):
            try:
                writer.close()  # flushes: a full disk may show only here
            except _WRITE_ERRORS as close_error:
                self._discard(close_error, self._paths[index])
        for path, temp_path in zip(self._paths, self._temp_paths):
            os.replace(temp_path, path)
