"""Runs every benchmark and prints one table: data prep, the training step, raw-text serving.

Needs the peers (pip install -r bench/requirements-peer.txt): google-research/bert's data
generator and keras-hub.

Each benchmark's `measure` function runs in a process of its own (the benchmarks set different
thread and precision settings, and each module defines its own command line's flags), prints
what its own command line prints, and returns its figures, which this script puts in one table.
Every row names the CPU it ran on: figures from different machines are not comparable.

    python -m bench.run_all --vocab_file=../shared/data/vocab/bert_uncased_vocab.txt \
      --corpus=../shared/data/corpus/wiki_sentences.txt
"""

import concurrent.futures
import importlib
import multiprocessing
import os

from absl import app, flags

FLAGS = flags.FLAGS


def _define_flags():
    # Defined when this is the script, not when a benchmark's process re-imports it: there the
    # benchmark's module defines flags of the same names (--bert_config_file, --vocab_file).
    flags.DEFINE_string("vocab_file", None, "Google's uncased vocab (30,522 tokens) for BERT-Base.")
    flags.DEFINE_string(
        "corpus",
        None,
        "Text, one sentence per line: input of the data-prep "
        "benchmark, and the serving benchmark's texts (lines joined).",
    )
    flags.DEFINE_string(
        "bert_config_file",
        "official_configs/bert_base_uncased.json",
        "Model of the training-step and inference benchmarks.",
    )
    flags.DEFINE_integer("train_steps", 5, "Timed training steps.")
    flags.DEFINE_float("inference_seconds", 10.0, "Seconds timed per inference batch size.")
    flags.mark_flags_as_required(["vocab_file", "corpus"])


def _call(module, function, kwargs):
    return getattr(importlib.import_module(module), function)(**kwargs)


def measure_in_own_process(module, function="measure", **kwargs):
    """`module.function(**kwargs)`, called in a new (spawned) process; returns its result."""
    with concurrent.futures.ProcessPoolExecutor(
        1, mp_context=multiprocessing.get_context("spawn")
    ) as pool:
        return pool.submit(_call, module, function, kwargs).result()


def _data_prep_options(**kwargs):
    """pretraining_data.Options in the benchmark's process (importing it here would define
    create_pretraining_data's flags beside this script's)."""
    from bert_tf.data_prep import pretraining_data

    return pretraining_data.Options(**kwargs)


def data_prep_rows(corpus, vocab_file):
    rows, peak_rss = [], {}
    for min_mb in (0, 16):  # the corpus as it is (4 MB of Wikipedia), then repeated to >= 16 MiB
        figures = measure_in_own_process(
            "bench.run_all",
            "_measure_data_prep",
            corpus=corpus,
            vocab_file=vocab_file,
            min_input_mb=min_mb,
        )
        ours = figures["whole_process"]["bert_tf"]
        peer = figures["whole_process"]["google-research/bert"]
        start_up = figures["whole_process"]["start-up alone"][0]
        mib = f"{figures['input_mib']:.1f}"
        peak_rss[mib] = f"{ours[2]:.0f}"
        rows.append(
            (
                f"data prep, whole process, {mib} MiB of text (seq 128, dupe 5)",
                f"{ours[0]:.2f} s, peak RSS {ours[2]:.0f} MiB",
                (
                    f"google-research/bert {peer[0]:.2f} s, {peer[2]:.0f} MiB: "
                    f"{peer[0] / ours[0]:.1f}x faster; start-up (import tensorflow, "
                    f"tensorflow_text) {start_up:.2f} s; in process "
                    f"{figures['instances_per_second']:,.0f} instances/s"
                ),
                figures["cpu"],
            )
        )
    rows.append(
        (
            "data prep, peak RSS by corpus size",
            " -> ".join(f"{rss} MiB at {mib} MiB" for mib, rss in peak_rss.items()),
            "all processes of a run",
            figures["cpu"],
        )
    )
    return rows


def _measure_data_prep(corpus, vocab_file, min_input_mb):
    from bench import data_prep

    options = _data_prep_options(
        vocab_file=vocab_file,
        do_lower_case=True,
        max_seq_length=128,
        max_predictions_per_seq=20,
        dupe_factor=5,
    )
    return data_prep.measure([corpus], options, min_input_mb=min_input_mb, whole_process=True)


def training_rows(bert_config_file, steps):
    rows = []
    float32 = measure_in_own_process(
        "bench.train_step", bert_config_file=bert_config_file, steps=steps
    )
    rows.append(
        (
            "training step (seq 128, batch 8, float32)",
            (
                f"{float32['sequences_per_second']:.2f} sequences/s, "
                f"{float32['model_gflops']:.1f} GFLOP/s"
            ),
            (
                f"of a 2048^3 matmul: {float32['model_over_matmul']:.0%} wall, "
                f"{float32['cpu_second_ratio']:.0%} per CPU-second"
            ),
            float32["cpu"],
        )
    )
    peer = measure_in_own_process(
        "bench.keras_hub_peer",
        bert_config_file=bert_config_file,
        steps=steps,
        rounds=3,
        keras_hub_without_jit=False,
    )
    for name, (best, median) in peer["ratios"].items():
        rows.append(
            (
                f"training step, {name}, beside keras-hub's jit_compile step",
                f"{best:.2f}x (best), {median:.2f}x (median)",
                (
                    "in turns in one process, 3 rounds; the most any step could reach: "
                    f"{peer['most_reachable']:.2f}x"
                ),
                peer["cpu"],
            )
        )
    bfloat16 = measure_in_own_process(
        "bench.train_step", bert_config_file=bert_config_file, steps=steps, dtype="mixed_bfloat16"
    )
    rows.append(
        (
            "training step (seq 128, batch 8, mixed_bfloat16)",
            (
                f"{bfloat16['sequences_per_second']:.2f} sequences/s, "
                f"{bfloat16['sequences_per_second'] / float32['sequences_per_second']:.2f}x "
                "the float32 step"
            ),
            (
                f"of a 2048^3 bfloat16 matmul: {bfloat16['model_over_bfloat16_matmul']:.0%}; "
                f"that matmul runs {bfloat16['bfloat16_over_float32']:.2f}x the float32 one"
            ),
            bfloat16["cpu"],
        )
    )
    return rows


def serving_rows(bert_config_file, vocab_file, corpus, seconds):
    figures = measure_in_own_process(
        "bench.saved_model_inference",
        bert_config_file=bert_config_file,
        vocab_file=vocab_file,
        input_file=corpus,
        seconds=seconds,
        keras_hub=True,
    )
    rows = [
        (
            "encoder forward (seq 128) / 2048^3 float32 matmul",
            f"{figures['gflop_per_sequence']:.2f} GFLOP/sequence",
            f"matmul {figures['matmul_gflops']:.1f} GFLOP/s, same run",
            figures["cpu"],
        )
    ]
    for size, batch in figures["batches"].items():
        peer = batch["keras_hub_function"]["sequences_per_second"]
        predict = batch["keras_hub_predict"]["sequences_per_second"]
        for name, label in (
            ("ours", "SavedModel serving_default"),
            ("ours_jit", "the same, --jit_compile export"),
        ):
            ours = batch[name]
            rows.append(
                (
                    f"raw-text serving ({label}), batch {size}",
                    (
                        f"{ours['sequences_per_second']:.2f} sequences/s "
                        f"({ours['ms_per_call']:.1f} ms/call)"
                    ),
                    (
                        f"{ours['over_keras_hub_function']:.2f}x keras-hub's preprocessor + "
                        f"model in one tf.function ({peer:.2f}/s; its predict {predict:.2f}/s); "
                        f"{ours['over_forward_at_matmul_rate']:.2f}x the forward FLOPs at the "
                        "matmul rate"
                    ),
                    figures["cpu"],
                )
            )
    return rows


def format_table(rows):
    """The rows (name, figure, notes, cpu) as text, one line each under a header."""
    width = max(len(row[0]) for row in rows)
    lines = [f"{'benchmark':<{width}}  {'figure':<34}  notes  [cpu]"]
    lines += [
        f"{name:<{width}}  {figure:<34}  {notes}  [{cpu}]" for name, figure, notes, cpu in rows
    ]
    return "\n".join(lines)


def main(_):
    rows = data_prep_rows(FLAGS.corpus, FLAGS.vocab_file)
    rows += training_rows(FLAGS.bert_config_file, FLAGS.train_steps)
    rows += serving_rows(
        FLAGS.bert_config_file, FLAGS.vocab_file, FLAGS.corpus, FLAGS.inference_seconds
    )
    print(format_table(rows))
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPU cores; load average {load}")


if __name__ == "__main__":
    _define_flags()
    app.run(main)
