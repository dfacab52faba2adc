"""Reads text files (one sentence per line, blank line between documents) in chunks of whole
documents, and turns a chunk into token ids.

A file is cut into chunks of whole documents of about `chunk_bytes` each, by its content only, so
the chunks (and everything drawn from them) do not depend on how many processes work on them. A
tokenized chunk is one flat int32 array of token ids with sentence and document offsets, so a run
of consecutive sentences is a slice, and memory is about 4 bytes per token.
"""

import dataclasses

import numpy as np

from bert_tf.errors import DataError


@dataclasses.dataclass
class TextChunk:
    """Whole documents of one input file.

    Attributes:
      lines: the non-empty lines, stripped.
      document_ids: list of int, the document of each line (a new one after each blank line).
      num_lines: lines read, blank ones included.
      num_bad_lines: lines that were not valid UTF-8 (bad bytes became U+FFFD, which the
        tokenizer drops like the original's _clean_text).
      num_bytes: bytes read.
    """

    lines: list
    document_ids: list
    num_lines: int = 0
    num_bad_lines: int = 0
    num_bytes: int = 0


@dataclasses.dataclass
class TokenizedChunk:
    """Token ids of a TextChunk; documents and lines without tokens are dropped, as the original.

    Attributes:
      tokens: int32 array [num_tokens], all sentences back to back.
      sentence_starts: int64 array [num_sentences + 1], offsets of sentences in `tokens`.
      document_starts: int64 array [num_documents + 1], offsets of documents in sentences.
    """

    tokens: np.ndarray
    sentence_starts: np.ndarray
    document_starts: np.ndarray

    @property
    def num_documents(self):
        return len(self.document_starts) - 1


def read_chunks(path, chunk_bytes):
    """Yields the TextChunks of the file at `path`; a chunk ends at the first blank line after
    `chunk_bytes` bytes (so a file without blank lines is one chunk)."""
    chunk = TextChunk([], [])
    document_id = 0
    with open(path, "rb") as f:
        for raw in f:
            chunk.num_lines += 1
            chunk.num_bytes += len(raw)
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                line = raw.decode("utf-8", errors="replace")
                chunk.num_bad_lines += 1
            line = line.strip()
            if line:
                chunk.lines.append(line)
                chunk.document_ids.append(document_id)
            else:
                document_id += 1
                if chunk.num_bytes >= chunk_bytes:
                    yield chunk
                    chunk = TextChunk([], [])
    if chunk.num_lines:
        yield chunk


def tokenize_chunk(chunk, tokenize_lines):
    """TextChunk -> TokenizedChunk.

    Args:
      chunk: TextChunk.
      tokenize_lines: function list of str -> (int32 array [num_tokens] of all lines' token ids,
        int array [num_lines] of tokens per line).
    """
    tokens, lengths = tokenize_lines(chunk.lines)
    keep = lengths > 0  # the original skips lines that tokenize to nothing
    lengths = lengths[keep]
    document_ids = np.asarray(chunk.document_ids, np.int64)[keep]
    sentence_starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    # A document starts at every sentence whose document id differs from the previous one.
    first = np.flatnonzero(np.diff(document_ids, prepend=-1) != 0)
    document_starts = np.concatenate([first, [len(lengths)]]).astype(np.int64)
    return TokenizedChunk(np.asarray(tokens, np.int32), sentence_starts, document_starts)


def count_lines_not_utf8(path, block_bytes=1 << 24):
    """(lines, lines that are not valid UTF-8) of the file at `path`, counted as read_chunks
    counts them; a block that decodes whole is not split into lines."""
    num_lines = num_bad_lines = 0
    rest = b""
    with open(path, "rb") as f:
        while True:
            block = f.read(block_bytes)
            data = rest + block
            if block:  # the last line of a block is counted with the next one
                end = data.rfind(b"\n") + 1
                data, rest = data[:end], data[end:]
            lines = data.split(b"\n")
            if not lines[-1]:
                lines.pop()
            num_lines += len(lines)
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                num_bad_lines += sum(not _is_utf8(line) for line in lines)
            if not block:
                return num_lines, num_bad_lines


def _is_utf8(data):
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def check_text_files(paths):
    """Refuses a file of which more than half of the lines are not valid UTF-8: a binary file
    (an archive, a TFRecord, a model) given as text would otherwise become a vocabulary or
    records of noise. A few bad lines in a real corpus are kept (their bad bytes replaced).

    Raises:
      DataError naming the file and the count.
    """
    for path in paths:
        num_lines, num_bad_lines = count_lines_not_utf8(path)
        if 2 * num_bad_lines > num_lines:
            raise DataError(
                f"{path}: {num_bad_lines} of its {num_lines} lines are not valid "
                "UTF-8; it is not a text file"
            )
