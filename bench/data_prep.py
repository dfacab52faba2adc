"""Benchmarks create_pretraining_data: instances/s, tokens/s and peak resident memory.

  python bench/data_prep.py --input_file=../shared/data/corpus/wiki_sentences.txt \
      --vocab_file=../shared/data/vocab/bert_uncased_vocab.txt --max_seq_length=128 \
      --max_predictions_per_seq=20 --dupe_factor=5 [--num_output_files=4]

Time is measured around create_pretraining_data (the Python and TensorFlow imports are not
counted; building the tokenizer is). Peak memory is the larger of this process's and its worker
processes' maximum resident set size.
"""

import os
import resource
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402

from data_prep import pretraining_data  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_string("input_file", None, "Input text files (comma list or globs).")
flags.DEFINE_string("vocab_file", None, "Vocab file.")
flags.DEFINE_bool("do_lower_case", True, "Uncased.")
flags.DEFINE_bool("do_whole_word_mask", False, "Whole-word masking.")
flags.DEFINE_integer("max_seq_length", 128, "")
flags.DEFINE_integer("max_predictions_per_seq", 20, "")
flags.DEFINE_integer("dupe_factor", 5, "")
flags.DEFINE_integer("num_output_files", 1, "Output shards.")
flags.DEFINE_integer("num_workers", None, "Worker processes.")
flags.mark_flags_as_required(["input_file", "vocab_file"])


def main(argv):
  del argv
  options = pretraining_data.Options(
      vocab_file=FLAGS.vocab_file, do_lower_case=FLAGS.do_lower_case,
      do_whole_word_mask=FLAGS.do_whole_word_mask, max_seq_length=FLAGS.max_seq_length,
      max_predictions_per_seq=FLAGS.max_predictions_per_seq, dupe_factor=FLAGS.dupe_factor)
  input_files = pretraining_data.expand_input_patterns(FLAGS.input_file)
  with tempfile.TemporaryDirectory() as out_dir:
    outputs = [os.path.join(out_dir, f"bench-{i}.tfrecord") for i in range(FLAGS.num_output_files)]
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    summary = pretraining_data.create_pretraining_data(input_files, outputs, options,
                                                       num_workers=FLAGS.num_workers, progress=False)
    wall = time.perf_counter() - start_wall
    cpu = time.process_time() - start_cpu
    output_bytes = sum(os.path.getsize(p) for p in outputs)
  peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
  peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
  print(summary.describe())
  print(f"wall {wall:.2f} s (this process's CPU {cpu:.2f} s; the machine may be shared, "
        f"so compare CPU and wall)")
  print(f"instances/s {summary.instances / wall:,.0f} (per CPU second of this process "
        f"{summary.instances / max(cpu, 1e-9):,.0f})")
  print(f"tokens/s {summary.tokens / wall:,.0f}")
  print(f"output {output_bytes / 2**20:.1f} MiB in {len(outputs)} files")
  print(f"peak RSS: this process {peak_self:.0f} MiB, largest worker {peak_children:.0f} MiB")


if __name__ == "__main__":
  app.run(main)
