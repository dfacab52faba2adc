"""Reads a text shard (one sentence per line, blank line between documents) into token ids.

A shard is held as one flat int32 array of token ids with sentence and document offsets, so a
run of consecutive sentences is a slice, and memory is about 4 bytes per token.
"""

import dataclasses

import numpy as np

# Lines per TF call: large enough to amortize the call, small enough to bound the string batch.
_LINES_PER_BATCH = 8192


@dataclasses.dataclass
class TokenizedShard:
  """Token ids of one input file.

  Attributes:
    tokens: int32 array [num_tokens], all sentences back to back.
    sentence_starts: int64 array [num_sentences + 1], offsets of sentences in `tokens`.
    document_starts: int64 array [num_documents + 1], offsets of documents in sentences.
    num_lines: lines read.
    num_bad_lines: lines that were not valid UTF-8 (bad bytes became U+FFFD, which the
      tokenizer drops like the original's _clean_text).
  """
  tokens: np.ndarray
  sentence_starts: np.ndarray
  document_starts: np.ndarray
  num_lines: int
  num_bad_lines: int

  @property
  def num_documents(self):
    return len(self.document_starts) - 1


def read_shard(path, tokenizer):
  """Tokenizes the file at `path` in batches of lines; documents without tokens are dropped."""
  token_chunks, length_chunks, doc_id_chunks = [], [], []
  lines, line_doc_ids = [], []
  doc_id = 0
  num_lines = num_bad_lines = 0

  def flush():
    ids = tokenizer.tokenize_ids_ragged(lines)
    lengths = np.diff(ids.row_splits.numpy())
    token_chunks.append(ids.values.numpy())
    keep = lengths > 0  # the original skips lines that tokenize to nothing
    length_chunks.append(lengths[keep])
    doc_id_chunks.append(np.asarray(line_doc_ids, np.int64)[keep])
    lines.clear()
    line_doc_ids.clear()

  with open(path, "rb") as f:
    for raw in f:
      num_lines += 1
      try:
        line = raw.decode("utf-8")
      except UnicodeDecodeError:
        line = raw.decode("utf-8", errors="replace")
        num_bad_lines += 1
      line = line.strip()
      if not line:
        doc_id += 1
        continue
      lines.append(line)
      line_doc_ids.append(doc_id)
      if len(lines) >= _LINES_PER_BATCH:
        flush()
  if lines:
    flush()

  tokens = np.concatenate(token_chunks) if token_chunks else np.zeros([0], np.int32)
  lengths = np.concatenate(length_chunks) if length_chunks else np.zeros([0], np.int64)
  doc_ids = np.concatenate(doc_id_chunks) if doc_id_chunks else np.zeros([0], np.int64)
  sentence_starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
  # A document starts at every sentence whose document id differs from the previous one.
  first = np.flatnonzero(np.diff(doc_ids, prepend=-1) != 0)
  document_starts = np.concatenate([first, [len(lengths)]]).astype(np.int64)
  return TokenizedShard(tokens.astype(np.int32), sentence_starts, document_starts, num_lines,
                        num_bad_lines)
