"""The project's tokenizer (bert_tf.tokenization) over many lines, on several threads.

Lines go to TensorFlow in batches; the ops release the GIL, so batches tokenized on several
threads run in parallel. The ops run eagerly: on batches of thousands of lines a tf.function
saves nothing per call, and tracing one costs more than a tenth of the tokenization of 4 MB.
"""

from concurrent import futures

import numpy as np

from bert_tf.tokenization import Tokenizer

# Lines per TF call: large enough to amortize the call, small enough to bound the string batch.
_LINES_PER_BATCH = 4096


class ChunkTokenizer:
    """Tokenizes lists of lines into token ids.

    Args:
      vocab_file: the vocab file.
      do_lower_case: uncased tokenization.
      num_threads: threads tokenizing batches of lines at once.

    Attributes:
      tokenizer: the bert_tf.tokenization.Tokenizer.
    """

    def __init__(self, vocab_file, do_lower_case, num_threads=1):
        self.tokenizer = Tokenizer(vocab_file, do_lower_case=do_lower_case)
        self._executor = futures.ThreadPoolExecutor(num_threads) if num_threads > 1 else None

    def _tokenize_batch(self, lines):
        ids = self.tokenizer.tokenize_ids(lines)
        return ids.values.numpy(), np.diff(ids.row_splits.numpy())

    def __call__(self, lines):
        """list of str [num_lines] -> (int32 array [num_tokens] of the ids of all lines back to
        back, int64 array [num_lines] of tokens per line)."""
        batches = [lines[i : i + _LINES_PER_BATCH] for i in range(0, len(lines), _LINES_PER_BATCH)]
        if not batches:
            return np.zeros([0], np.int32), np.zeros([0], np.int64)
        results = (
            self._executor.map(self._tokenize_batch, batches)
            if self._executor
            else map(self._tokenize_batch, batches)
        )
        ids, lengths = zip(*results)
        return np.concatenate(ids), np.concatenate(lengths)

    def close(self):
        if self._executor:
            self._executor.shutdown()
