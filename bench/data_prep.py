"""Benchmarks create_pretraining_data: instances/s, tokens/s, CPU time and peak resident memory.

  python -m bench.data_prep --input_file=../shared/data/corpus/wiki_sentences.txt \\
      --vocab_file=../shared/data/vocab/bert_uncased_vocab.txt --max_seq_length=128 \\
      --max_predictions_per_seq=20 --dupe_factor=5 [--num_output_files=8] [--split_input=4]

Time is measured around create_pretraining_data (the Python and TensorFlow imports are not
counted; building the tokenizer and starting the workers is). CPU time adds this process and its
worker processes, so CPU seconds per instance is the figure least sensitive to other load on the
machine. --split_input=N first cuts the input into N files of whole documents, to show that
memory does not grow with the number of input files.

--whole_process also runs the script and its peer, google-research/bert's create_pretraining_data.py
(the pip package bert-tensorflow, in bench/requirements-peer.txt), as whole processes on the same
input with the same flags, one after the other: wall time from start to exit (start-up included)
and peak resident memory, of the largest process and of all the processes of each run. A process
that only imports TensorFlow and tensorflow-text is timed the same way: the start-up both share.
"""

import collections
import contextlib
import importlib.util
import os
import resource
import subprocess
import sys
import tempfile
import time

from absl import app, flags

from bert_tf import hardware
from bert_tf.data_prep import create_pretraining_data, pretraining_data

FLAGS = flags.FLAGS
# The data-prep flags are create_pretraining_data's own; only its output files are replaced.
FLAGS.set_default("dupe_factor", 5)
flags.DEFINE_integer("num_output_files", 1, "Output shards, written to a temporary directory.")
flags.DEFINE_integer("split_input", 0, "If > 0, cut the input into this many files first.")
flags.DEFINE_bool(
    "whole_process",
    False,
    "Also time this script and google-research/bert's as "
    "whole processes (needs bench/requirements-peer.txt).",
)
flags.DEFINE_integer(
    "min_input_mb",
    0,
    "If > 0, repeat the input's documents into one file of "
    "at least this many MiB first (a larger corpus from the same text).",
)


def split_documents(input_files, num_files, out_dir):
    """Writes the documents of input_files round-robin into num_files files; returns their paths."""
    paths = [os.path.join(out_dir, f"input-{i:03d}.txt") for i in range(num_files)]
    with contextlib.ExitStack() as stack:
        outputs = [stack.enter_context(open(p, "wb")) for p in paths]
        document, count = [], 0
        for input_file in input_files:
            with open(input_file, "rb") as f:
                for line in list(f) + [b"\n"]:
                    document.append(line)
                    if not line.strip():
                        outputs[count % num_files].write(b"".join(document))
                        document, count = [], count + 1
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


def _process_tree_memory(pid):
    """(peak RSS of each process, RSS of each process) in bytes, over pid and its descendants
    (Linux /proc; a process that ends meanwhile is left out)."""
    children = collections.defaultdict(list)
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children[parent].append(int(entry))
    peaks, current, todo = [], [], [pid]
    while todo:
        process = todo.pop()
        todo.extend(children[process])
        try:
            with open(f"/proc/{process}/status", encoding="ascii", errors="replace") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
            peaks.append(int(fields["VmHWM"].split()[0]) * 1024)
            current.append(int(fields["VmRSS"].split()[0]) * 1024)
        except (OSError, KeyError, ValueError):
            continue
    return peaks, current


def whole_process(argv):
    """Runs argv to its end -> (wall seconds, peak RSS MiB of its largest process, peak RSS MiB of
    all its processes together), memory sampled every 0.1 s from /proc (the rusage of a child
    counts the pages it shared with this process when it was forked)."""
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(
            argv,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        )
        largest = together = 0
        while process.poll() is None:
            peaks, current = _process_tree_memory(process.pid)
            largest, together = max([largest, *peaks]), max(together, sum(current))
            time.sleep(0.1)
        wall = time.perf_counter() - start
        if process.returncode:
            stderr.seek(0)
            tail = stderr.read().decode(errors="replace")[-3000:]
            raise RuntimeError(f"{' '.join(argv)} exited with {process.returncode}:\n{tail}")
    return wall, largest / 2**20, together / 2**20


def compare_whole_processes(input_files, options, out_dir, workers="auto", num_workers=None):
    """Prints and returns {name: (wall seconds, peak RSS MiB of the largest process, of all its
    processes)} of this script, of google-research/bert's and of the start-up they share, each
    run as a whole process on input_files with `options` (pretraining_data.Options)."""
    if importlib.util.find_spec("bert") is None:
        raise app.UsageError(
            "--whole_process needs google-research/bert's generator: "
            "pip install -r bench/requirements-peer.txt"
        )
    shared = [f"--input_file={','.join(input_files)}", f"--vocab_file={options.vocab_file}"] + [
        f"--{name}={getattr(options, name)}"
        for name in (
            "do_lower_case",
            "do_whole_word_mask",
            "max_seq_length",
            "max_predictions_per_seq",
            "random_seed",
            "dupe_factor",
            "masked_lm_prob",
            "short_seq_prob",
        )
    ]
    output = f"--output_file={os.path.join(out_dir, 'whole-process.tfrecord')}"
    contenders = {
        "bert_tf": [
            "-m",
            "bert_tf.data_prep.create_pretraining_data",
            output,
            *shared,
            f"--workers={workers}",
        ]
        + ([f"--num_workers={num_workers}"] if num_workers else []),
        "google-research/bert": ["-m", "bert.create_pretraining_data", output, *shared],
        "start-up alone": ["-c", "import tensorflow, tensorflow_text"],
    }
    figures = {}
    print("whole processes, one after the other (wall time includes start-up):")
    for name, args in contenders.items():
        figures[name] = whole_process([sys.executable, *args])
        wall, largest, together = figures[name]
        print(
            f"  {name:>20}: wall {wall:.2f} s, peak RSS {largest:.0f} MiB (largest process), "
            f"{together:.0f} MiB (all its processes)",
            flush=True,
        )
    ours, original = figures["bert_tf"], figures["google-research/bert"]
    print(
        f"bert_tf / google-research/bert: {original[0] / ours[0]:.1f}x faster, "
        f"{ours[2] / original[2]:.2f}x its peak RSS (all processes)  ({hardware.describe()})"
    )
    return figures


def cpu_seconds():
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(
    input_files,
    options,
    *,
    num_output_files=1,
    split_input=0,
    min_input_mb=0,
    whole_process=False,
    workers="auto",
    num_workers=None,
):
    """Runs create_pretraining_data on input_files with `options` (pretraining_data.Options),
    prints the figures and returns them: {"cpu", "input_mib", "wall", "cpu_seconds",
    "instances_per_second", "tokens_per_second", "whole_process": compare_whole_processes'
    figures, or None}."""
    # create_pretraining_data imports these itself; imported first so the timing leaves out the
    # imports. Not at the top: worker processes re-import this script and must not load TF.
    from bert_tf.data_prep import chunk_tokenizer, record_writer  # noqa: F401

    cpu = hardware.describe()
    print(f"cpu: {cpu}")
    with tempfile.TemporaryDirectory() as out_dir:
        if min_input_mb:
            input_files = repeat_documents(input_files, min_input_mb, out_dir)
        if split_input:
            input_files = split_documents(input_files, split_input, out_dir)
        input_mib = sum(os.path.getsize(p) for p in input_files) / 2**20
        outputs = [os.path.join(out_dir, f"bench-{i}.tfrecord") for i in range(num_output_files)]
        load_before = os.getloadavg()[0]
        start_wall, start_cpu = time.perf_counter(), cpu_seconds()
        summary = pretraining_data.create_pretraining_data(
            input_files, outputs, options, num_workers=num_workers, workers=workers
        )
        wall = time.perf_counter() - start_wall
        cpu_used = cpu_seconds() - start_cpu
        output_bytes = sum(os.path.getsize(p) for p in outputs)
        peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(summary.describe())
        print(
            f"{len(input_files)} input files ({input_mib:.1f} MiB) -> {len(outputs)} output "
            f"files, {output_bytes / 2**20:.1f} MiB"
        )
        print(
            f"wall {wall:.2f} s, CPU {cpu_used:.2f} s (this process and its workers); "
            f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
        )
        print(
            f"instances/s {summary.instances / wall:,.0f}; "
            f"CPU {1e6 * cpu_used / max(summary.instances, 1):.1f} us per instance  ({cpu})"
        )
        print(f"tokens/s {summary.tokens / wall:,.0f}")
        print(
            f"peak RSS: this process {peak_self:.0f} MiB, largest process making records "
            f"{summary.peak_worker_rss_mib:.0f} MiB (this one when the workers are threads)",
            flush=True,
        )
        processes = (
            compare_whole_processes(input_files, options, out_dir, workers, num_workers)
            if whole_process
            else None
        )
    return {
        "cpu": cpu,
        "input_mib": input_mib,
        "wall": wall,
        "cpu_seconds": cpu_used,
        "instances_per_second": summary.instances / wall,
        "tokens_per_second": summary.tokens / wall,
        "whole_process": processes,
    }


def main(argv):
    del argv
    measure(
        pretraining_data.expand_input_patterns(FLAGS.input_file),
        create_pretraining_data.options_from_flags(),
        num_output_files=FLAGS.num_output_files,
        split_input=FLAGS.split_input,
        min_input_mb=FLAGS.min_input_mb,
        whole_process=FLAGS.whole_process,
        workers=FLAGS.workers,
        num_workers=FLAGS.num_workers,
    )


if __name__ == "__main__":
    flags.mark_flags_as_required(["input_file", "vocab_file"])
    app.run(main)
