"""Prints the speed of an exported classifier SavedModel on raw text, as a server runs it.

It exports a BertClassifier (random weights: speed does not depend on them) with the
project's exporter, as is, with --jit_compile (the model one XLA program) and with
--dtype=mixed_bfloat16 (bfloat16 products, float32 outputs), loads them back with
tf.saved_model.load, and times their `serving_default` signature
(in-graph tokenization, packing, encoder, softmax) on
batches of texts longer than max_seq_length pieces (consecutive lines of --input_file
joined), so that every sequence is full and truncated, after one warm-up call per
batch size.

With --keras_hub it times, in the same process and in turns, keras-hub's
BertTextClassifier with its BertTextClassifierPreprocessor (same sizes, same vocab,
random weights) on the same texts, in two forms: `predict`, and the preprocessor and
the model under one tf.function, keras-hub's fastest form. A shared CPU's speed
drifts by half from minute to minute: each round times every contender once, one
after the other, and a 2048^3 float32 matmul; figures are the best round.

The reference for a batch-1 call is the encoder's forward FLOPs per sequence
(bench.train_step's formula, forward only) at the matmul's rate. The forward's own
matmuls, timed alone at their shapes, say what any implementation on TensorFlow's
matmul could reach; tokenization and packing alone say what the text costs.

    python -m bench.saved_model_inference \
      --bert_config_file=official_configs/bert_base_uncased.json \
      --vocab_file=../shared/data/vocab/bert_uncased_vocab.txt \
      --input_file=../shared/data/corpus/wiki_sentences.txt --keras_hub

It takes bench.train_step's --bert_config_file and --seq_length (the packed length, the
export's max_seq_length); --keras_hub needs keras-hub (pip install -r
bench/requirements-peer.txt).
"""

import itertools
import os
import tempfile
import time

import keras
import tensorflow as tf
from absl import app, flags

from bench import train_step
from bench.keras_hub_backbone import keras_hub_backbone
from bert_tf import hardware
from bert_tf.config import BertConfig
from bert_tf.export import model_export
from bert_tf.models import BertEncoder, build_model
from bert_tf.tokenization import Tokenizer

flags.DEFINE_string("vocab_file", None, "Vocab file matching the config's vocab_size.")
flags.DEFINE_string("input_file", "sample_data/corpus.txt", "Text, one sentence per line.")
flags.DEFINE_list("batch_sizes", ["1", "32"], "Batch sizes to time.")
flags.DEFINE_float(
    "seconds", 3.0, "Time spent per contender, batch size and round (at least one call)."
)
flags.DEFINE_integer("rounds", 3, "Rounds; each times every contender once per batch size.")
flags.DEFINE_bool("keras_hub", False, "Also time keras-hub's BertTextClassifier beside ours.")
flags.mark_flag_as_required("vocab_file")
FLAGS = flags.FLAGS

OURS = "bert_tf SavedModel serving_default"
OURS_JIT = "the same, exported with --jit_compile"
OURS_BF16 = "the same, exported with --dtype=mixed_bfloat16"
KERAS_HUB_FUNCTION = "keras-hub preprocessor + model, one tf.function"
KERAS_HUB_PREDICT = "keras-hub predict"
TEXT_ONLY = "bert_tf tokenization + packing alone"
# The contenders' keys in measure()'s figures.
KEYS = {
    OURS: "ours",
    OURS_JIT: "ours_jit",
    KERAS_HUB_FUNCTION: "keras_hub_function",
    KERAS_HUB_PREDICT: "keras_hub_predict",
    TEXT_ONLY: "text_only",
}


def long_texts(tokenizer, input_file, max_seq_length, count=64):
    """`count` texts of more than max_seq_length pieces: consecutive lines of input_file joined."""
    with open(input_file, encoding="utf-8") as f:
        lines = [line.strip() for line in f if line.strip()]
    lengths = iter(tokenizer.tokenize_ids_ragged(lines).row_lengths().numpy())
    texts, text, pieces = [], [], 0
    for line, length in zip(lines, lengths):
        text.append(line)
        pieces += length
        if pieces > max_seq_length:
            texts.append(" ".join(text))
            text, pieces = [], 0
            if len(texts) == count:
                return texts
    raise ValueError(
        f"{input_file} makes only {len(texts)} texts of more than {max_seq_length} "
        f"pieces, {count} needed"
    )


def forward_flops(config, batch_size, seq_length):
    """The encoder's forward FLOPs: a third of bench.train_step's step (no MLM predictions)."""
    return train_step.step_flops(config, batch_size, seq_length, 0) // 3


def forward_matmuls(config, batch_size, seq_length):
    """The forward's products of bench.train_step.step_matmuls (the first of each triple)."""
    return [
        product
        for product in train_step.step_matmuls(config, batch_size, seq_length, 0)[0::3]
        if product[-1]
    ]


def ours(config, tokenizer, max_seq_length, export_dir):
    """{name: fn(texts)} for our exported classifier, loaded back, as is, with --jit_compile
    and with --dtype=mixed_bfloat16, and its text ops alone."""
    contenders = {}
    for name, jit_compile, dtype in (
        (OURS, False, "float32"),
        (OURS_JIT, True, "float32"),
        (OURS_BF16, False, "mixed_bfloat16"),
    ):
        keras.utils.set_random_seed(0)  # the same weights in each export
        model = build_model("classifier", BertEncoder(config, dtype=dtype), num_labels=2)
        module = model_export.make_serving_module(
            "classifier", model, tokenizer, max_seq_length, num_labels=2, jit_compile=jit_compile
        )
        serve = tf.saved_model.load(model_export.export_saved_model(module, export_dir)).signatures[
            "serving_default"
        ]
        contenders[name] = lambda texts, serve=serve: serve(
            text_a=texts, text_b=tf.fill(tf.shape(texts), "")
        )["probabilities"].numpy()
    pack = tf.function(module.pack_text)
    contenders[TEXT_ONLY] = lambda texts: pack(texts, tf.fill(tf.shape(texts), ""))[
        "input_mask"
    ].numpy()
    return contenders


def keras_hub_classifier(config, vocab_file, max_seq_length):
    """{name: fn(texts)} for keras-hub's BertTextClassifier with its preprocessor, two forms."""
    import keras_hub  # an optional dependency: imported only when it is benchmarked

    backbone = keras_hub_backbone(config)
    preprocessor = keras_hub.models.BertTextClassifierPreprocessor(
        keras_hub.models.BertTokenizer(vocabulary=vocab_file, lowercase=True),
        sequence_length=max_seq_length,
    )
    classifier = keras_hub.models.BertTextClassifier(
        backbone, num_classes=2, preprocessor=preprocessor
    )
    one_function = tf.function(lambda texts: tf.nn.softmax(classifier(preprocessor(texts))))
    return {
        KERAS_HUB_FUNCTION: lambda texts: one_function(texts).numpy(),
        KERAS_HUB_PREDICT: lambda texts: classifier.predict(
            texts, batch_size=len(texts), verbose=0
        ),
    }


def seconds_per_call(fn, batches, seconds):
    """Mean wall seconds of fn(batch) over consecutive batches, for `seconds` (one call or more)."""
    calls, start = 0, time.perf_counter()
    while not calls or time.perf_counter() - start < seconds:
        fn(next(batches))
        calls += 1
    return (time.perf_counter() - start) / calls


def run(
    bert_config_file,
    vocab_file,
    input_file,
    max_seq_length,
    batch_sizes,
    seconds,
    rounds,
    keras_hub,
):
    """Returns (the BertConfig, the texts' piece lengths, {batch_size: {name: [seconds per
    call, one per round]}}, [matmul FLOP/s, one per round], {batch_size: FLOP/s of the
    forward's matmuls at their shapes})."""
    config = BertConfig.from_json_file(bert_config_file)
    tokenizer = Tokenizer(vocab_file)
    texts = long_texts(tokenizer, input_file, max_seq_length)
    lengths = tokenizer.tokenize_ids_ragged(texts).row_lengths().numpy()
    with tempfile.TemporaryDirectory() as export_dir:
        contenders = ours(config, tokenizer, max_seq_length, export_dir)
        if keras_hub:
            contenders.update(keras_hub_classifier(config, vocab_file, max_seq_length))
        batches = {
            size: itertools.cycle(
                [tf.constant(texts[i : i + size]) for i in range(0, len(texts) - size + 1, size)]
            )
            for size in batch_sizes
        }
        for size in batch_sizes:  # tracing and any compilation, untimed
            for fn in contenders.values():
                fn(next(batches[size]))
        times = {size: {name: [] for name in contenders} for size in batch_sizes}
        matmul_rates = []
        for round_index in range(rounds):
            matmul_rates.append(train_step.matmul_flops_per_second()[0])
            for size in batch_sizes:
                for name, fn in contenders.items():
                    times[size][name].append(seconds_per_call(fn, batches[size], seconds))
            print(
                f"round {round_index + 1}: matmul {matmul_rates[-1] / 1e9:.0f} GFLOP/s; "
                + "; ".join(
                    f"batch {size}: "
                    + ", ".join(
                        f"{name} {calls[-1] * 1e3:.0f} ms" for name, calls in times[size].items()
                    )
                    for size in batch_sizes
                ),
                flush=True,
            )
    shapes_rates = {
        size: train_step.matmuls_flops_per_second(forward_matmuls(config, size, max_seq_length))
        for size in batch_sizes
    }
    return config, lengths, times, matmul_rates, shapes_rates


def measure(
    bert_config_file,
    vocab_file,
    input_file,
    *,
    max_seq_length=128,
    batch_sizes=(1, 32),
    seconds=3.0,
    rounds=3,
    keras_hub=False,
):
    """Times every contender (see run), prints the figures and returns them: {"cpu",
    "gflop_per_sequence", "matmul_gflops", "batches": {batch size: {KEYS[name]:
    {"sequences_per_second", "ms_per_call", "over_keras_hub_function" (its time over ours, with
    keras_hub), "over_forward_at_matmul_rate"}}}} (the text-only contender: "ms_per_call")."""
    cpu = hardware.describe()
    print(f"cpu: {cpu}")
    config, lengths, times, matmul_rates, shapes_rates = run(
        bert_config_file,
        vocab_file,
        input_file,
        max_seq_length,
        batch_sizes,
        seconds,
        rounds,
        keras_hub,
    )
    seq = max_seq_length
    flops = forward_flops(config, 1, seq)
    matmul_rate = max(matmul_rates)
    figures = {
        "cpu": cpu,
        "gflop_per_sequence": flops / 1e9,
        "matmul_gflops": matmul_rate / 1e9,
        "batches": {},
    }
    print(
        f"raw-text classifier, {os.path.basename(bert_config_file)}, max_seq_length {seq}, "
        f"texts of {min(lengths)}-{max(lengths)} pieces (all truncated); {rounds} rounds, "
        "best round"
    )
    print(
        f"forward FLOPs per sequence: {flops / 1e9:.2f} GFLOP; 2048^3 float32 matmul: "
        f"{matmul_rate / 1e9:.1f} GFLOP/s (best round); at that rate a sequence takes "
        f"{flops / matmul_rate * 1e3:.0f} ms"
    )
    for size in batch_sizes:
        best = {name: min(calls) for name, calls in times[size].items()}
        batch_figures = figures["batches"][size] = {}
        print(f"batch {size} ({cpu}):")
        for name, call in best.items():
            batch_figures[KEYS[name]] = {"ms_per_call": call * 1e3}
            if name == TEXT_ONLY:
                print(f"  {name:>48}: {call * 1e3:8.1f} ms/call")
                continue
            batch_figures[KEYS[name]].update(
                sequences_per_second=size / call,
                over_forward_at_matmul_rate=call / (flops * size / matmul_rate),
            )
            peer = ""
            if KERAS_HUB_FUNCTION in best and name != KERAS_HUB_FUNCTION:
                over_peer = best[KERAS_HUB_FUNCTION] / call
                batch_figures[KEYS[name]]["over_keras_hub_function"] = over_peer
                peer = f", {over_peer:.2f}x keras-hub's one tf.function"
            print(
                f"  {name:>48}: {size / call:8.2f} sequences/s, {call * 1e3:8.1f} ms/call, "
                f"{flops * size / call / 1e9:5.1f} GFLOP/s{peer}"
            )
        print(
            f"  {'the forward matmuls alone, at their shapes':>48}: "
            f"{shapes_rates[size] / 1e9:5.1f} GFLOP/s, "
            f"{flops * size / shapes_rates[size] * 1e3:8.1f} ms/call "
            f"({shapes_rates[size] / matmul_rate:.0%} of the 2048^3 rate)"
        )
        for name in (OURS, OURS_JIT):
            print(
                f"  {name} call / (forward FLOPs at the matmul rate): "
                f"{batch_figures[KEYS[name]]['over_forward_at_matmul_rate']:.2f}"
            )
    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return figures


def main(_):
    measure(
        FLAGS.bert_config_file,
        FLAGS.vocab_file,
        FLAGS.input_file,
        max_seq_length=FLAGS.seq_length,
        batch_sizes=[int(size) for size in FLAGS.batch_sizes],
        seconds=FLAGS.seconds,
        rounds=FLAGS.rounds,
        keras_hub=FLAGS.keras_hub,
    )


if __name__ == "__main__":
    app.run(main)
