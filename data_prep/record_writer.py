"""Deals serialized records round-robin into TFRecord files, each written atomically."""

import os

import numpy as np
import tensorflow as tf

from bert_tf.errors import ConfigError


class RoundRobinWriter:
    """Writes record i of the stream to output file i % len(output_files), as the original does.

    Each file is written under `<name>.tmp` and renamed when the writer is closed after success;
    on an exception inside the `with` block the temporary files are removed.

    Args:
      output_files: list of TFRecord paths.
    """

    def __init__(self, output_files):
        self._paths = list(output_files)
        real_paths = [os.path.realpath(path) for path in self._paths]
        for i, path in enumerate(real_paths):
            if path in real_paths[:i]:
                raise ConfigError(f"output_files names {self._paths[i]} twice; each shard needs "
                                  "its own file")
        for path in self._paths:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self._writers = [tf.io.TFRecordWriter(path + ".tmp") for path in self._paths]
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
            writers[(first + i) % len(writers)].write(data[offsets[i] : offsets[i + 1]])
        self._next = (first + len(lengths)) % len(writers)

    def __enter__(self):
        return self

    def __exit__(self, error_type, error, traceback):
        for writer in self._writers:
            writer.close()
        for path in self._paths:
            if error_type is None:
                os.replace(path + ".tmp", path)
            elif os.path.exists(path + ".tmp"):
                os.remove(path + ".tmp")
