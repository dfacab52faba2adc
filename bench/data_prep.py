"""Benchmarks create_pretraining_data: instances/s, tokens/s, CPU time and peak resident memory.

  python bench/data_prep.py --input_file=../shared/data/corpus/wiki_sentences.txt \\
      --vocab_file=../shared/data/vocab/bert_uncased_vocab.txt --max_seq_length=128 \\
      --max_predictions_per_seq=20 --dupe_factor=5 [--num_output_files=8] [--split_input=4]

Time is measured around create_pretraining_data (the Python and TensorFlow imports are not
counted; building the tokenizer and starting the workers is). CPU time adds this process and its
worker processes, so CPU seconds per instance is the figure least sensitive to other load on the
machine. --split_input=N first cuts the input into N files of whole documents, to show that
memory does not grow with the number of input files.
"""

import os
import resource
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402

from data_prep import create_pretraining_data, pretraining_data  # noqa: E402

FLAGS = flags.FLAGS
# The data-prep flags are create_pretraining_data's own; only its output files are replaced.
FLAGS.set_default("dupe_factor", 5)
flags.DEFINE_integer("num_output_files", 1, "Output shards, written to a temporary directory.")
flags.DEFINE_integer("split_input", 0, "If > 0, cut the input into this many files first.")
flags.DEFINE_integer("min_input_mb", 0, "If > 0, repeat the input's documents into one file of "
                     "at least this many MiB first (a larger corpus from the same text).")


def split_documents(input_files, num_files, out_dir):
    """Writes the documents of input_files round-robin into num_files files; returns their paths."""
    paths = [os.path.join(out_dir, f"input-{i:03d}.txt") for i in range(num_files)]
    outputs = [open(p, "wb") for p in paths]
    document, count = [], 0
    for input_file in input_files:
        with open(input_file, "rb") as f:
            for line in list(f) + [b"\n"]:
                document.append(line)
                if not line.strip():
                    outputs[count % num_files].write(b"".join(document))
                    document, count = [], count + 1
    for output in outputs:
        output.close()
    return paths


def repeat_documents(input_files, min_mib, out_dir):
    """Writes the input files again and again into one file of at least min_mib MiB."""
    path = os.path.join(out_dir, "repeated.txt")
    with open(path, "wb") as out:
        while out.tell() < min_mib * 2**20:
            for input_file in input_files:
                with open(input_file, "rb") as f:
                    text = f.read()
                out.write(text if text.endswith(b"\n\n") else text.rstrip(b"\n") + b"\n\n")
    return [path]


def cpu_seconds():
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv):
    del argv
    # create_pretraining_data imports these itself; imported first so the timing leaves out the
    # imports. Not at the top: worker processes re-import this script and must not load TF.
    from data_prep import chunk_tokenizer, record_writer  # noqa: F401 pylint: disable=C0415

    options = create_pretraining_data.options_from_flags()
    input_files = pretraining_data.expand_input_patterns(FLAGS.input_file)
    with tempfile.TemporaryDirectory() as out_dir:
        if FLAGS.min_input_mb:
            input_files = repeat_documents(input_files, FLAGS.min_input_mb, out_dir)
        if FLAGS.split_input:
            input_files = split_documents(input_files, FLAGS.split_input, out_dir)
        input_mib = sum(os.path.getsize(p) for p in input_files) / 2**20
        outputs = [
            os.path.join(out_dir, f"bench-{i}.tfrecord") for i in range(FLAGS.num_output_files)
        ]
        load_before = os.getloadavg()[0]
        start_wall, start_cpu = time.perf_counter(), cpu_seconds()
        summary = pretraining_data.create_pretraining_data(
            input_files,
            outputs,
            options,
            num_workers=FLAGS.num_workers,
            workers=FLAGS.workers,
        )
        wall = time.perf_counter() - start_wall
        cpu = cpu_seconds() - start_cpu
        output_bytes = sum(os.path.getsize(p) for p in outputs)
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(summary.describe())
    print(
        f"{len(input_files)} input files ({input_mib:.1f} MiB) -> {len(outputs)} output files, "
        f"{output_bytes / 2**20:.1f} MiB"
    )
    print(
        f"wall {wall:.2f} s, CPU {cpu:.2f} s (this process and its workers); "
        f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
    )
    print(
        f"instances/s {summary.instances / wall:,.0f}; "
        f"CPU {1e6 * cpu / max(summary.instances, 1):.1f} us per instance"
    )
    print(f"tokens/s {summary.tokens / wall:,.0f}")
    print(
        f"peak RSS: this process {peak_self:.0f} MiB, largest process making records "
        f"{summary.peak_worker_rss_mib:.0f} MiB (this one when the workers are threads)"
    )


if __name__ == "__main__":
    flags.mark_flags_as_required(["input_file", "vocab_file"])
    app.run(main)
