"""Prints what the hand-written kernels of bert_tf.layers.fused buy against the plain Keras
ops they stand for, in turns in one process.

The plain form is what the layers would be without them: keras.ops.layer_normalization (what
keras.layers.LayerNormalization calls), keras.random.dropout with each site's SeedGenerator
(what keras.layers.Dropout calls) and keras.ops.softmax. It is swapped into the layers' modules
while a model is built and its functions traced, so both models run the same weights, encoder
and trainer. Each line names the CPU and its ISA; best and median of `--rounds`, and CPU
seconds (the machine may be shared).

    python -m bench.kernels --bert_config_file=official_configs/bert_base_uncased.json \
      --warmup_steps=1 --steps=3 --rounds=3
"""

import contextlib
import functools
import os
import statistics
import tempfile

import keras
import tensorflow as tf
from absl import app, flags
from keras import ops

from bert_tf import hardware
from bert_tf.config import BertConfig
from bert_tf.layers import embeddings, masked_lm_head, self_attention, transformer_block
from bert_tf.models.bert_encoder import BertEncoder

FLAGS = flags.FLAGS


def _dropout_arguments(rate, seed_generator, training):
    return (rate, seed_generator) if training and rate else (0.0, None)


def _dropout(x, rate, seed_generator):
    return keras.random.dropout(x, rate, seed=seed_generator) if rate else x


def _layer_norm(x, gamma, beta, epsilon):
    # As keras.layers.LayerNormalization: statistics in float32, the output in x's dtype.
    return ops.cast(ops.layer_normalization(x, gamma, beta, epsilon=epsilon), x.dtype)


def _layer_norm_dropout(x, gamma, beta, rate, seed, epsilon):
    return _dropout(_layer_norm(x, gamma, beta, epsilon), rate, seed)


def _dropout_add_layer_norm(x, residual, gamma, beta, rate, seed, epsilon):
    return _layer_norm(residual + _dropout(x, rate, seed), gamma, beta, epsilon)


def _softmax_dropout(scores, scale, adder, rate, seed):
    probs = ops.softmax(ops.cast(scores, "float32") * scale + adder, axis=-1)
    return _dropout(ops.cast(probs, scores.dtype), rate, seed)


PLAIN_KERAS = {
    (self_attention, "dropout_arguments"): _dropout_arguments,
    (self_attention, "softmax_dropout"): _softmax_dropout,
    (embeddings, "dropout_arguments"): _dropout_arguments,
    (embeddings, "layer_norm_dropout"): _layer_norm_dropout,
    (transformer_block, "dropout_arguments"): _dropout_arguments,
    (transformer_block, "dropout_add_layer_norm"): _dropout_add_layer_norm,
    (masked_lm_head, "layer_norm_dropout"): _layer_norm_dropout,
}


@contextlib.contextmanager
def plain_keras():
    """Within: layers built and traced use the plain Keras ops instead of the kernels."""
    kernels = {key: getattr(*key) for key in PLAIN_KERAS}
    try:
        for (module, name), plain in PLAIN_KERAS.items():
            setattr(module, name, plain)
        yield
    finally:
        for (module, name), kernel in kernels.items():
            setattr(module, name, kernel)


def compare(label, fns, rounds):
    """Runs fns {"kernels": f, "plain": f} in turns; prints and returns the kernels' speed-up
    (best, median, CPU seconds) over plain."""
    for fn in fns.values():  # untimed: the first call after building the other form runs slow
        fn()
    times = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            times[name].append(fn())
    best = {name: min(wall for wall, _ in runs) for name, runs in times.items()}
    median = {name: statistics.median(wall for wall, _ in runs) for name, runs in times.items()}
    cpu = {name: min(cpu for _, cpu in runs) for name, runs in times.items()}
    ratios = tuple(d["plain"] / d["kernels"] for d in (best, median, cpu))
    print(
        f"{hardware.describe()}  {label}: kernels {best['kernels']:.4f} best, "
        f"{median['kernels']:.4f} median; plain {best['plain']:.4f}, {median['plain']:.4f}; "
        f"the kernels {ratios[0]:.3f}x best, {ratios[1]:.3f}x median, {ratios[2]:.3f}x per "
        f"CPU-second",
        flush=True,
    )
    return ratios


def _define_flags():
    # Defined when this is the script, not on import: bench.train_step's flags
    # (--bert_config_file, --seq_length, --batch_size, --dtype, --enable_xla,
    # --max_predictions_per_seq, --warmup_steps, --steps) would collide with bert_tf's in a
    # process that imports both (the tests).
    from bench import train_step  # noqa: F401

    flags.DEFINE_integer("rounds", 3, "Rounds over the two forms; best and median count.")
    flags.DEFINE_list("modes", ["train"], "train (the training step), serve (forward, no dropout).")
    flags.DEFINE_list("serve_batch_sizes", ["1", "8"], "Batch sizes of the serving forward.")


def main(argv):
    del argv
    from bench import train_step

    config = BertConfig.from_json_file(FLAGS.bert_config_file)
    print(
        f"CPU: {hardware.describe()}  ISA features: {', '.join(hardware.isa_features())}  "
        f"config: {os.path.basename(FLAGS.bert_config_file)}  "
        f"load average: {os.getloadavg()[0]:.2f}"
    )
    forms = {"kernels": contextlib.nullcontext, "plain": plain_keras}
    if "train" in FLAGS.modes:
        data = train_step.synthetic_batch(
            config, FLAGS.batch_size, FLAGS.seq_length, FLAGS.max_predictions_per_seq
        )
        fns = {}
        with tempfile.TemporaryDirectory() as output_dir:
            for name, form in forms.items():
                with form():
                    keras.utils.set_random_seed(0)
                    run_steps = train_step.pretraining_step(
                        config, data, os.path.join(output_dir, name), FLAGS.dtype, FLAGS.enable_xla
                    )
                    run_steps(FLAGS.warmup_steps)
                fns[name] = functools.partial(train_step.seconds_per_step, run_steps, FLAGS.steps)
            compare(
                f"training step (s/step), {FLAGS.dtype}, XLA "
                f"{train_step.xla_label(FLAGS.enable_xla)}",
                fns,
                FLAGS.rounds,
            )
    if "serve" in FLAGS.modes:
        for batch_size in map(int, FLAGS.serve_batch_sizes):
            ids = tf.ones((batch_size, FLAGS.seq_length), tf.int32)
            inputs = {"input_word_ids": ids, "input_mask": ids, "input_type_ids": ids * 0}
            for jit_compile in (False, True):
                fns, weights = {}, None
                for name, form in forms.items():
                    with form():
                        encoder = BertEncoder(config)
                        encoder(inputs)
                        weights = weights or encoder.get_weights()
                        encoder.set_weights(weights)
                        forward = tf.function(
                            lambda x, encoder=encoder: encoder(x)["sequence_output"],
                            jit_compile=jit_compile,
                        )
                        forward(inputs)
                    fns[name] = functools.partial(
                        train_step.seconds_per_step, lambda _, f=forward, x=inputs: f(x).numpy(), 1
                    )
                compare(
                    f"serving forward (s/call), batch {batch_size}, jit_compile={jit_compile}",
                    fns,
                    3 * FLAGS.rounds,
                )


if __name__ == "__main__":
    _define_flags()
    app.run(main)
