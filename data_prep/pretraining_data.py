"""Writes masked LM / next sentence prediction TFRecords from raw text, one worker per input file.

Records have exactly the features of the original create_pretraining_data.py (all int64 but
masked_lm_weights): input_ids, input_mask, segment_ids [max_seq_length]; masked_lm_positions,
masked_lm_ids, masked_lm_weights [max_predictions_per_seq]; next_sentence_labels [1] (1 = B is
a random next segment).

Mapping of files: each input file is prepared by one worker with its own random generators seeded
from (random_seed, file index), so the output depends only on the seed and the list of files,
never on the number of workers. Within each input file, instances are shuffled per dupe pass (the
original shuffles them all at once, which needs the whole corpus in memory) and dealt round-robin
across the output files, as the original does; output file j is the concatenation, in input file
order, of the records each input file dealt to it. Every output is written under a temporary name
and renamed when complete.

Memory: one input file's token ids and one pass of its instances, so it is bounded by the
largest input file, not the corpus.
"""

import dataclasses
import glob
import multiprocessing
import os
import random
import shutil

import numpy as np
import tensorflow as tf
from absl import logging

from bert_tf.tokenization import Tokenizer
from data_prep import documents, example_encoding, masking, pairing

# Instances masked and serialized per numpy batch; bounds the temporaries of one batch.
_INSTANCES_PER_BATCH = 16384


@dataclasses.dataclass(frozen=True)
class Options:
  vocab_file: str
  do_lower_case: bool = True
  do_whole_word_mask: bool = False
  max_seq_length: int = 128
  max_predictions_per_seq: int = 20
  random_seed: int = 12345
  dupe_factor: int = 10
  masked_lm_prob: float = 0.15
  short_seq_prob: float = 0.1


@dataclasses.dataclass
class Summary:
  """Counts over a run; `add` sums per-file summaries."""
  files: int = 0
  lines: int = 0
  bad_utf8_lines: int = 0
  documents: int = 0
  instances: int = 0
  tokens: int = 0
  masked: int = 0
  random_next: int = 0

  def add(self, other):
    for field in dataclasses.fields(self):
      setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))

  def describe(self):
    per_instance = lambda n: n / max(self.instances, 1)
    return (f"{self.files} input files, {self.lines} lines ({self.bad_utf8_lines} not valid UTF-8, "
            f"bad bytes replaced), {self.documents} documents -> {self.instances} instances, "
            f"{self.tokens} tokens ({per_instance(self.tokens):.1f} per instance), "
            f"{per_instance(self.masked):.2f} masked per instance, "
            f"next sentence random {100 * per_instance(self.random_next):.1f}%")


def expand_input_patterns(patterns):
  """Comma-separated files or globs -> sorted list of files per pattern, in pattern order."""
  files = []
  for pattern in (p.strip() for p in patterns.split(",")):
    if not pattern:
      continue
    matches = sorted(glob.glob(pattern))
    if not matches:
      raise FileNotFoundError(f"--input_file pattern matches no file: {pattern}")
    files.extend(matches)
  return files


def _piece_path(output_file, file_index):
  return f"{output_file}.part-{file_index:05d}.tmp"


def _rngs(random_seed, file_index):
  seed_sequence = np.random.SeedSequence([random_seed, file_index])
  python_seed = int(seed_sequence.generate_state(2, np.uint64).view(np.uint64)[0])
  return random.Random(python_seed), np.random.default_rng(seed_sequence)


def _build_inputs(shard, a_start, a_length, b_start, b_length, seq, cls_id, sep_id):
  """[CLS] A [SEP] B [SEP] padding, from slices of shard.tokens -> (input_ids, segment_ids)."""
  j = np.arange(seq)[None, :]
  la, lb = a_length[:, None], b_length[:, None]
  in_a = (j >= 1) & (j <= la)
  in_b = (j >= la + 2) & (j < la + 2 + lb)
  source = np.where(in_a, a_start[:, None] + j - 1, b_start[:, None] + j - la - 2)
  source = np.clip(source, 0, max(len(shard.tokens) - 1, 0))
  ids = np.where(in_a | in_b, shard.tokens[source], 0)
  ids = np.where((j == la + 1) | (j == la + lb + 2), sep_id, ids)
  ids[:, 0] = cls_id
  segment_ids = (j >= la + 2) & (j <= la + lb + 2)
  return ids.astype(np.int32), segment_ids.astype(np.int32)


def process_file(input_file, file_index, output_files, options, tokenizer=None):
  """Writes the instances of one input file round-robin into the piece files of `output_files`.

  Returns:
    Summary of this file.
  """
  tokenizer = tokenizer or Tokenizer(options.vocab_file, do_lower_case=options.do_lower_case)
  shard = documents.read_shard(input_file, tokenizer)
  summary = Summary(files=1, lines=shard.num_lines, bad_utf8_lines=shard.num_bad_lines,
                    documents=shard.num_documents)
  if shard.num_bad_lines:
    logging.warning("%s: %d lines were not valid UTF-8; bad bytes were replaced",
                    input_file, shard.num_bad_lines)
  py_rng, np_rng = _rngs(options.random_seed, file_index)
  is_continuation = np.array([t.startswith("##") for t in tokenizer.vocab], bool)
  seq, max_predictions = options.max_seq_length, options.max_predictions_per_seq
  writers = [tf.io.TFRecordWriter(_piece_path(f, file_index)) for f in output_files]
  written = 0
  try:
    for _ in range(options.dupe_factor if shard.num_documents else 0):
      pairs = pairing.create_segment_pairs(shard, seq, options.short_seq_prob, py_rng)
      a_start, a_length, b_start, b_length = pairing.truncate_pairs(pairs, seq - 3, np_rng)
      order = np_rng.permutation(len(a_start))
      for begin in range(0, len(order), _INSTANCES_PER_BATCH):
        batch = order[begin:begin + _INSTANCES_PER_BATCH]
        input_ids, segment_ids = _build_inputs(shard, a_start[batch], a_length[batch],
                                               b_start[batch], b_length[batch], seq,
                                               tokenizer.cls_id, tokenizer.sep_id)
        lengths = a_length[batch] + b_length[batch] + 3
        masked = masking.mask_batch(
            input_ids, lengths, [tokenizer.cls_id, tokenizer.sep_id], is_continuation,
            tokenizer.mask_id, tokenizer.vocab_size, options.masked_lm_prob, max_predictions,
            options.do_whole_word_mask, np_rng)
        next_sentence = pairs.is_random_next[batch]
        records = example_encoding.encode_examples(
            {"input_ids": masked.input_ids,
             "input_mask": np.arange(seq)[None, :] < lengths[:, None],
             "segment_ids": segment_ids,
             "masked_lm_positions": masked.masked_lm_positions,
             "masked_lm_ids": masked.masked_lm_ids,
             "next_sentence_labels": next_sentence[:, None]},
            {"masked_lm_weights": masked.masked_lm_weights})
        for record in records:
          writers[written % len(writers)].write(record)
          written += 1
        summary.instances += len(batch)
        summary.tokens += int(lengths.sum())
        summary.masked += int(masked.num_masked.sum())
        summary.random_next += int(next_sentence.sum())
  finally:
    for writer in writers:
      writer.close()
  logging.info("%s: %s", input_file, summary.describe())
  return summary


def _process_file_star(args):
  return process_file(*args)


def create_pretraining_data(input_files, output_files, options, num_workers=None, progress=True):
  """Prepares every input file (in parallel when there are several) and assembles the outputs.

  Args:
    input_files: list of text files.
    output_files: list of TFRecord paths; instances are dealt round-robin across them.
    options: Options.
    num_workers: processes; defaults to min(len(input_files), CPU count).

  Returns:
    Summary of the whole run.
  """
  if not output_files:
    raise ValueError("--output_file names no file")
  # Built here first so a bad vocab fails once, before any worker starts.
  tokenizer = Tokenizer(options.vocab_file, do_lower_case=options.do_lower_case)
  for output_file in output_files:
    os.makedirs(os.path.dirname(os.path.abspath(output_file)), exist_ok=True)
  tasks = [(f, i, output_files, options) for i, f in enumerate(input_files)]
  num_workers = min(len(tasks), num_workers or os.cpu_count() or 1)
  summary = Summary()
  bar = _progress_bar(len(tasks), progress)
  if num_workers <= 1:
    for task in tasks:
      summary.add(process_file(*task, tokenizer=tokenizer))
      bar.update(1)
  else:
    # spawn: TensorFlow is already loaded here and is not safe to fork.
    with multiprocessing.get_context("spawn").Pool(num_workers) as pool:
      for file_summary in pool.imap_unordered(_process_file_star, tasks):
        summary.add(file_summary)
        bar.update(1)
  bar.close()
  for output_file in output_files:
    pieces = [_piece_path(output_file, i) for i in range(len(input_files))]
    partial = output_file + ".tmp"
    with open(partial, "wb") as out:
      for piece in pieces:
        with open(piece, "rb") as f:
          shutil.copyfileobj(f, out, 1 << 22)
        os.remove(piece)
    os.replace(partial, output_file)
  return summary


class _NoBar:
  def update(self, n):
    del n

  def close(self):
    pass


def _progress_bar(total, enabled):
  if not enabled:
    return _NoBar()
  try:
    import tqdm  # installed with tensorflow-datasets; progress is optional
  except ImportError:
    return _NoBar()
  return tqdm.tqdm(total=total, unit="file", desc="input files")
