"""Runs every benchmark and prints one table: data prep, the training step, raw-text serving.

Needs the peers (pip install -r bench/requirements-peer.txt): google-research/bert's data
generator and keras-hub.

Each benchmark runs in its own process (they set different thread and precision settings),
exactly as its own command line would; this script only gathers their figures.

    python -m bench.run_all --vocab_file=../shared/data/vocab/bert_uncased_vocab.txt \
      --corpus=../shared/data/corpus/wiki_sentences.txt
"""

import os
import re
import subprocess
import sys

from absl import app, flags

flags.DEFINE_string("vocab_file", None, "Google's uncased vocab (30,522 tokens) for BERT-Base.")
flags.DEFINE_string("corpus", None, "Text, one sentence per line: input of the data-prep "
                    "benchmark, and the serving benchmark's texts (lines joined).")
flags.DEFINE_string("bert_config_file", "official_configs/bert_base_uncased.json",
                    "Model of the training-step and inference benchmarks.")
flags.DEFINE_integer("train_steps", 5, "Timed training steps.")
flags.DEFINE_float("inference_seconds", 10.0, "Seconds timed per inference batch size.")
flags.mark_flags_as_required(["vocab_file", "corpus"])
FLAGS = flags.FLAGS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(module, *args):
    result = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, text=True,
                            capture_output=True, check=False)
    if result.returncode:
        raise RuntimeError(f"{module} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def _find(pattern, text):
    match = re.search(pattern, text)
    return match.group(1).replace(",", "") if match else "?"


def main(_):
    rows = []
    peak_rss = {}
    for min_mb in (0, 16):  # the corpus as it is (4 MB of Wikipedia), then repeated to >= 16 MiB
        out = _run("bench.data_prep", f"--input_file={FLAGS.corpus}",
                   f"--vocab_file={FLAGS.vocab_file}", "--max_seq_length=128",
                   "--max_predictions_per_seq=20", "--dupe_factor=5", f"--min_input_mb={min_mb}",
                   "--whole_process")
        mib = _find(r"\(([\d.]+) MiB\) ->", out)
        ours = re.search(r"bert_tf: wall ([\d.]+) s, peak RSS \d+ MiB .*?, (\d+) MiB", out)
        peer = re.search(r"google-research/bert: wall ([\d.]+) s, peak RSS \d+ MiB .*?, (\d+) MiB",
                         out)
        start_up = _find(r"start-up alone: wall ([\d.]+) s", out)
        in_process = _find(r"instances/s ([\d,]+)", out)
        peak_rss[mib] = ours.group(2)
        rows.append((f"data prep, whole process, {mib} MiB of text (seq 128, dupe 5)",
                     f"{ours.group(1)} s, peak RSS {ours.group(2)} MiB",
                     f"google-research/bert {peer.group(1)} s, {peer.group(2)} MiB: "
                     f"{float(peer.group(1)) / float(ours.group(1)):.1f}x faster; start-up "
                     f"(import tensorflow, tensorflow_text) {start_up} s; in process "
                     f"{in_process} instances/s"))
    rows.append(("data prep, peak RSS by corpus size", " -> ".join(
        f"{rss} MiB at {mib} MiB" for mib, rss in peak_rss.items()), "all processes of a run"))

    out = _run("bench.train_step", f"--bert_config_file={FLAGS.bert_config_file}",
               f"--steps={FLAGS.train_steps}")
    sequences, gflops = _find(r"sequences/s: ([\d.]+)", out), _find(r"model GFLOP/s: ([\d.]+)", out)
    wall_ratio, cpu_ratio = _find(r"model / matmul: (\d+%)", out), _find(r"ratio (\d+%)", out)
    rows.append(("training step (seq 128, batch 8, float32)",
                 f"{sequences} sequences/s, {gflops} GFLOP/s",
                 f"of a 2048^3 matmul: {wall_ratio} wall, {cpu_ratio} per CPU-second"))
    out = _run("bench.keras_hub_peer", f"--bert_config_file={FLAGS.bert_config_file}",
               f"--steps={FLAGS.train_steps}", "--rounds=3", "--nokeras_hub_without_jit")
    for name in ("bert_tf", "bert_tf --noenable_xla"):
        found = re.search(
            rf"\n{re.escape(name)} / keras-hub, jit_compile: ([\d.]+x) \(best\), ([\d.]+x)", out)
        best, median = found.groups() if found else ("?", "?")
        rows.append((f"training step, {name}, beside keras-hub's jit_compile step",
                     f"{best} (best), {median} (median)",
                     "in turns in one process, 3 rounds; the most any step could reach: "
                     + _find(r"the most any step could reach is ([\d.]+x)", out)))
    out = _run("bench.train_step", f"--bert_config_file={FLAGS.bert_config_file}",
               f"--steps={FLAGS.train_steps}", "--dtype=mixed_bfloat16")
    bf16_sequences = _find(r"sequences/s: ([\d.]+)", out)
    speedup = (f"{float(bf16_sequences) / float(sequences):.2f}x the float32 step"
               if "?" not in (sequences, bf16_sequences) else "?")
    bf16_ratio = _find(r"model / bfloat16 matmul: (\d+%)", out)
    bf16_matmul = _find(r"\(best of before/after; ([\d.]+x) float32", out)
    rows.append(("training step (seq 128, batch 8, mixed_bfloat16)",
                 f"{bf16_sequences} sequences/s, {speedup}",
                 f"of a 2048^3 bfloat16 matmul: {bf16_ratio}; that matmul runs {bf16_matmul} "
                 "the float32 one"))

    out = _run("bench.saved_model_inference", f"--bert_config_file={FLAGS.bert_config_file}",
               f"--vocab_file={FLAGS.vocab_file}", f"--input_file={FLAGS.corpus}",
               f"--seconds={FLAGS.inference_seconds}", "--keras_hub")
    flops, matmul = _find(r"per sequence: ([\d.]+) GFLOP", out), _find(r"matmul: ([\d.]+) GFLOP/s", out)
    rows.append(("encoder forward (seq 128) / 2048^3 float32 matmul",
                 f"{flops} GFLOP/sequence", f"matmul {matmul} GFLOP/s, same run"))
    for size in (1, 32):
        section = out[out.find(f"\nbatch {size}:\n"):]  # the summary, not the rounds' lines
        peer = _find(r"one tf.function: +([\d.]+) sequences/s", section)
        predict = _find(r"predict: +([\d.]+) sequences/s", section)
        # The ends of bench.saved_model_inference's names of our two exports.
        for name, label in (("serving_default", "SavedModel serving_default"),
                            ("with --jit_compile", "the same, --jit_compile export")):
            line = re.escape(name) + r": +([\d.]+) sequences/s, +([\d.]+) ms/call.*?([\d.]+x) keras"
            found = re.search(line, section)
            ours, ms, ratio = found.groups() if found else ("?", "?", "?")
            bound = _find(re.escape(name) + r" call / \(forward FLOPs at the matmul rate\): ([\d.]+)",
                          section)
            rows.append((f"raw-text serving ({label}), batch {size}",
                         f"{ours} sequences/s ({ms} ms/call)",
                         f"{ratio} keras-hub's preprocessor + model in one tf.function ({peer}/s; "
                         f"its predict {predict}/s); {bound}x the forward FLOPs at the matmul rate"))

    width = max(len(row[0]) for row in rows)
    print(f"{'benchmark':<{width}}  {'figure':<34}  notes")
    for name, figure, notes in rows:
        print(f"{name:<{width}}  {figure:<34}  {notes}")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPU cores; load average {load}")


if __name__ == "__main__":
    app.run(main)
