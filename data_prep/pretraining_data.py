"""Writes masked LM / next sentence prediction TFRecords from raw text.

Records have exactly the features of the original create_pretraining_data.py (all int64 but
masked_lm_weights): input_ids, input_mask, segment_ids [max_seq_length]; masked_lm_positions,
masked_lm_ids, masked_lm_weights [max_predictions_per_seq]; next_sentence_labels [1] (1 = B is
a random next segment).

Layout: each input file is cut into chunks of whole documents of about `input_chunk_bytes`
(documents.read_chunks), by content alone. Each dupe pass over a chunk is one unit of work with
its own random generators seeded from (random_seed, file index, chunk index, pass), so the output
depends only on the seed, the list of files and the chunk size, never on the number of workers.
Instances are shuffled within a pass over a chunk (the original shuffles them all at once, which
needs the whole corpus in memory); the passes are concatenated in (file, chunk, pass) order and
the resulting stream is dealt round-robin across the output files, as the original does. Every
output is written under a temporary name and renamed when complete.

Work: this process tokenizes (TensorFlow, on threads) and writes; the passes (numpy) run on
worker threads, or on worker processes that load no TensorFlow.

Memory: a few chunks' token ids and the records of their passes, so it is bounded by the chunk
size (and the longest document), not by the corpus or the number of input files.
"""

import collections
import dataclasses
import glob
import multiprocessing
import multiprocessing.pool
import os

import numpy as np
from absl import logging

from bert_tf.data_prep import documents, instances
from bert_tf.errors import ConfigError, DataError, InputError
from bert_tf.options import FRACTION, POSITIVE, TextOptions, option
from bert_tf.progress import progress_bar

MIN_MAX_SEQ_LENGTH = 8


@dataclasses.dataclass(kw_only=True)
class Options(TextOptions):
    """The original create_pretraining_data.py's flags (with the tokenizer and length of
    TextOptions), plus input_chunk_bytes. run_pretraining's --input_format=text holds them too."""

    do_whole_word_mask: bool = option(False, "Mask whole words instead of word pieces.")
    max_predictions_per_seq: int = option(
        20, "Masked positions per sequence; pretraining from records: must match them.", POSITIVE
    )
    random_seed: int = option(12345, "Random seed for data generation.")
    dupe_factor: int = option(
        10, "Times to duplicate the input data (with different masks).", POSITIVE
    )
    masked_lm_prob: float = option(0.15, "Masked LM probability.", FRACTION)
    short_seq_prob: float = option(
        0.1, "Probability of creating sequences shorter than the maximum length.", FRACTION
    )
    input_chunk_bytes: int = option(
        4 << 20,
        "Size of the chunks of whole documents a file is cut into (the random next "
        "segment comes from the same chunk).",
        POSITIVE,
    )

    def __post_init__(self):
        super().__post_init__()
        # Fine-tuning takes shorter sequences; a pretraining pair needs [CLS] a [SEP] b [SEP]
        # and room for a masked token or more in each segment.
        if self.max_seq_length < MIN_MAX_SEQ_LENGTH:
            raise ConfigError(
                f"max_seq_length={self.max_seq_length}: pretraining data needs "
                f"{MIN_MAX_SEQ_LENGTH} or more ([CLS] A [SEP] B [SEP] and the "
                "masked tokens)"
            )


@dataclasses.dataclass
class Summary:
    """Counts over a run, and the peak resident memory of the processes that made records."""

    files: int = 0
    lines: int = 0
    bad_utf8_lines: int = 0
    documents: int = 0
    instances: int = 0
    tokens: int = 0
    masked: int = 0
    random_next: int = 0
    peak_worker_rss_mib: float = 0.0

    def describe(self):
        per_instance = lambda n: n / max(self.instances, 1)
        return (
            f"{self.files} input files, {self.lines} lines ({self.bad_utf8_lines} not valid UTF-8, "
            f"bad bytes replaced), {self.documents} documents -> {self.instances} instances, "
            f"{self.tokens} tokens ({per_instance(self.tokens):.1f} per instance), "
            f"{per_instance(self.masked):.2f} masked per instance, "
            f"next sentence random {100 * per_instance(self.random_next):.1f}%"
        )


def expand_input_patterns(patterns):
    """Comma-separated files or globs -> sorted list of files per pattern, in pattern order."""
    files = []
    for pattern in (p.strip() for p in patterns.split(",")):
        if not pattern:
            continue
        matches = sorted(glob.glob(pattern))
        if not matches:
            raise InputError(f"input_file pattern matches no file: {pattern}")
        files.extend(matches)
    return files


def vocab_ids(tokenizer):
    """The instances.VocabIds of a bert_tf.tokenization.Tokenizer."""
    return instances.VocabIds(
        tokenizer.cls_id,
        tokenizer.sep_id,
        tokenizer.mask_id,
        tokenizer.vocab_size,
        np.array([t.startswith("##") for t in tokenizer.vocab], bool),
    )


def text_chunks(input_files, chunk_bytes, summary):
    """Yields (file_index, chunk_index, TextChunk) over all files, counting lines in `summary`."""
    for file_index, input_file in enumerate(input_files):
        bad_lines = 0
        for chunk_index, chunk in enumerate(documents.read_chunks(input_file, chunk_bytes)):
            summary.lines += chunk.num_lines
            bad_lines += chunk.num_bad_lines
            yield file_index, chunk_index, chunk
        if bad_lines:
            logging.warning(
                "%s: %d lines were not valid UTF-8; bad bytes were replaced", input_file, bad_lines
            )
        summary.bad_utf8_lines += bad_lines


class _Done:
    """A result computed in this process, with the interface of multiprocessing's AsyncResult."""

    def __init__(self, value):
        self._value = value

    def get(self):
        return self._value


def create_pretraining_data(input_files, output_files, options, num_workers=None, workers="auto"):
    """Prepares every input file and writes the records round-robin into the output files.

    This process reads and tokenizes the input chunk by chunk (on `num_workers` threads) and
    writes the records; `num_workers` workers make the records of each (chunk, dupe pass). At most
    a few chunks are in flight, so memory is bounded by the chunk size, not the corpus.

    Args:
      input_files: list of text files.
      output_files: list of TFRecord paths; instances are dealt round-robin across them.
      options: Options.
      num_workers: parallel workers; defaults to the CPU count. The output does not depend on it.
      workers: "threads" (no start-up cost, but part of a pass holds the GIL, so they scale to
        a few cores), "processes" (spawned processes that load no TensorFlow: cheap to start, and
        they scale with the cores), or "auto": threads up to 2 workers.

    Returns:
      Summary of the whole run.
    """
    if not output_files:
        raise ConfigError("output_files names no file")
    if workers not in ("auto", "threads", "processes"):
        raise ConfigError(f"workers must be auto, threads or processes, not {workers!r}")
    for path in output_files:
        if os.path.isdir(path):
            raise ConfigError(f"output_files: {path} is a directory; name the file to write")
    documents.check_text_files(input_files)
    # Imported here, not at the top: worker processes import this module (spawn re-imports the
    # main script, which imports it) and must not load TensorFlow.
    from bert_tf.data_prep import chunk_tokenizer

    num_workers = num_workers or os.cpu_count() or 1
    # Started first, so worker processes start up while the tokenizer is built.
    pool = _worker_pool(num_workers, workers)
    try:
        tokenize = chunk_tokenizer.ChunkTokenizer(
            options.vocab_file, options.do_lower_case, num_threads=num_workers
        )
        try:
            return _write_records(input_files, output_files, options, tokenize, pool, num_workers)
        finally:
            tokenize.close()
    finally:
        if pool:
            pool.terminate()


def _worker_pool(num_workers, workers):
    """A pool with apply_async, or None to work in this thread."""
    if num_workers <= 1:
        return None
    if workers == "threads" or (workers == "auto" and num_workers <= 2):
        return multiprocessing.pool.ThreadPool(num_workers)
    # spawn: TensorFlow may be loaded here, and it is not safe to fork. (A fork server would
    # start each worker for less, but this process would wait for it to start.)
    return multiprocessing.get_context("spawn").Pool(num_workers)


def _write_records(input_files, output_files, options, tokenize, pool, num_workers):
    """The loop of create_pretraining_data: tokenize a chunk here, make its passes in the pool
    (or here without one), write finished passes in order."""
    from bert_tf.data_prep import record_writer

    vocab = vocab_ids(tokenize.tokenizer)
    summary = Summary(files=len(input_files))
    # (result, input bytes done once it is written): passes in flight, oldest first. Twice the
    # passes of a chunk keeps the workers busy while the next chunk is tokenized.
    pending = collections.deque()
    max_pending = 2 * max(options.dupe_factor, num_workers)
    bar = progress_bar(
        sum(os.path.getsize(f) for f in input_files), "input", unit="B", unit_scale=True
    )

    def write_oldest(writer):
        result, bytes_done = pending.popleft()
        result = result.get()
        writer.write(result.data, result.lengths)
        summary.instances += len(result.lengths)
        summary.tokens += result.tokens
        summary.masked += result.masked
        summary.random_next += result.random_next
        summary.peak_worker_rss_mib = max(summary.peak_worker_rss_mib, result.peak_rss_mib)
        bar.update(bytes_done)

    try:
        with record_writer.RoundRobinWriter(output_files) as writer:
            for file_index, chunk_index, text in text_chunks(
                input_files, options.input_chunk_bytes, summary
            ):
                chunk = documents.tokenize_chunk(text, tokenize)
                summary.documents += chunk.num_documents
                passes = options.dupe_factor if chunk.num_documents else 0
                if not passes:
                    bar.update(text.num_bytes)
                for dupe in range(passes):
                    args = (
                        chunk,
                        (options.random_seed, file_index, chunk_index, dupe),
                        options,
                        vocab,
                    )
                    result = (
                        pool.apply_async(instances.create_pass, args)
                        if pool
                        else _Done(instances.create_pass(*args))
                    )
                    pending.append((result, text.num_bytes if dupe == passes - 1 else 0))
                while len(pending) > max_pending or (pending and _ready(pending[0][0])):
                    write_oldest(writer)
            while pending:
                write_oldest(writer)
            if not summary.instances:  # raised inside the writer: no empty file is left behind
                raise DataError(
                    f"no pretraining instance made from {', '.join(input_files)}: "
                    f"{summary.describe()}"
                )
    finally:
        bar.close()
    return summary


def _ready(result):
    return isinstance(result, _Done) or result.ready()
