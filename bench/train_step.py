"""Prints the speed of BertPretrainer's pretraining step (forward + backward + AdamW).

It times the project's own training step: `Trainer.run_steps`, the compiled loop
that `run_pretraining` runs (replica step, global-norm clip, AdamW update), on
one synthetic batch repeated, after `--warmup_steps` updates that compile it.

Model FLOPs per step (multiply-add = 2 FLOPs; backward = 2 x forward, so x3):
    3 x 2 x tokens x layers x (4 x hidden^2 + 2 x hidden x intermediate)
                                                    QKV, output and FFN matmuls
  + 3 x 2 x 2 x batch x layers x seq^2 x hidden     attention scores and context
  + 3 x 2 x batch x predictions x hidden x (hidden + vocab)
                                                    MLM transform and logits
where tokens = batch x seq (BERT-Base, seq 128, batch 8, 20 predictions: 560
GFLOP). Embedding lookups, LayerNorm, softmax, GELU, dropout and the optimizer
are not counted. The machine's reachable rate is a 2048^3 float32 matmul timed
in the same process before the warmup steps and after the timed ones (the
higher of the two: on a shared CPU the lower one is the one other processes
slowed; timed steps right after it run slower for a while, hence the order).
The step's own matmuls (those of the formula: forward, and the two products of
each backward) are also timed alone, at their shapes: their rate is the most a
step could reach, and says how much of the gap to the 2048^3 rate is the shapes.

    python -m bench.train_step --bert_config_file=official_configs/bert_base_uncased.json
"""

import os
import tempfile
import time

import numpy as np
import tensorflow as tf
from absl import app, flags

from bert_tf import hardware
from bert_tf.config import BertConfig
from bert_tf.losses import pretraining_losses
from bert_tf.models.bert_encoder import BertEncoder
from bert_tf.models.bert_pretrainer import BertPretrainer
from bert_tf.training import engine

flags.DEFINE_string("bert_config_file", None, "bert_config.json of the model.")
flags.DEFINE_integer("seq_length", 128, "Sequence length.")
flags.DEFINE_integer("batch_size", 8, "Batch size.")
flags.DEFINE_integer("max_predictions_per_seq", 20, "Masked positions per sequence.")
flags.DEFINE_enum(
    "dtype", "float32", ["float32", "mixed_float16", "mixed_bfloat16"], "Compute precision."
)
flags.DEFINE_bool(
    "enable_xla",
    engine.EngineOptions.enable_xla,
    "Compile the forward and backward pass with XLA (the scripts' default).",
)
flags.DEFINE_integer("warmup_steps", 2, "Untimed steps first (tracing, compilation).")
flags.DEFINE_integer("steps", 10, "Timed steps, run as one loop call.")
flags.mark_flag_as_required("bert_config_file")
FLAGS = flags.FLAGS


def xla_label(enable_xla):
    """ "on"/"off" and why, as a run on this machine's CPU decides it (None: the auto rule)."""
    if enable_xla is not None:
        return "on (given)" if enable_xla else "off (given)"
    xla, why = hardware.xla_by_default("cpu")
    return f"{'on' if xla else 'off'} ({why})"


def step_flops(config, batch, seq, predictions):
    """Model FLOPs of one training step, by the formula of the module docstring."""
    hidden, layers = config.hidden_size, config.num_hidden_layers
    dense = 2 * batch * seq * layers * (4 * hidden * hidden + 2 * hidden * config.intermediate_size)
    attention = 2 * 2 * batch * layers * seq * seq * hidden
    mlm = 2 * batch * predictions * hidden * (hidden + config.vocab_size)
    return 3 * (dense + attention + mlm)


def matmul_flops_per_second(n=2048, repeats=10, dtype=tf.float32):
    """(FLOP/s of an n^3 matmul in `dtype`, best of `repeats` calls; FLOP per CPU-second)."""
    a = tf.cast(tf.random.normal((n, n)), dtype)
    b = tf.cast(tf.random.normal((n, n)), dtype)
    matmul = tf.function(lambda a, b: tf.matmul(a, b))
    matmul(a, b).numpy()
    best = float("inf")
    cpu_start = time.process_time()
    for _ in range(repeats):
        start = time.perf_counter()
        matmul(a, b).numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best, 2 * n**3 * repeats / (time.process_time() - cpu_start)


def step_matmuls(config, batch, seq, predictions):
    """[(count, shape a, shape b, transpose_a, transpose_b, FLOPs)] of one training step.

    Each forward product y = a @ b comes with its backward ones, da = dy @ b^T
    and db = a^T @ dy; the attention products are batched over batch x heads.
    """
    tokens, hidden, layers = batch * seq, config.hidden_size, config.num_hidden_layers
    heads, size = config.num_attention_heads, config.hidden_size // config.num_attention_heads
    forward = [  # (count, m, k, n, leading batch dims)
        (3 * layers, tokens, hidden, hidden, ()),  # query, key, value
        (layers, tokens, hidden, hidden, ()),  # attention output
        (layers, tokens, hidden, config.intermediate_size, ()),
        (layers, tokens, config.intermediate_size, hidden, ()),
        (layers, seq, size, seq, (batch, heads)),  # scores
        (layers, seq, seq, size, (batch, heads)),  # context
        (1, batch * predictions, hidden, hidden, ()),  # MLM transform
        (1, batch * predictions, hidden, config.vocab_size, ()),  # MLM logits
    ]
    products = []
    for count, m, k, n, dims in forward:
        flops = 2 * int(np.prod(dims)) * m * k * n
        products += [
            (count, dims + (m, k), dims + (k, n), False, False, flops),
            (count, dims + (m, n), dims + (k, n), False, True, flops),
            (count, dims + (m, k), dims + (m, n), True, False, flops),
        ]
    return products


def matmuls_flops_per_second(products, repeats=3):
    """FLOP/s of `products` (see step_matmuls) run one after another, best of `repeats`."""
    operands = [(tf.random.normal(a), tf.random.normal(b)) for _, a, b, _, _, _ in products]

    @tf.function
    def run_all():
        total = tf.constant(0.0)
        for (count, _, _, transpose_a, transpose_b, _), (a, b) in zip(products, operands):
            for _ in tf.range(count):  # a loop: identical products in one graph would be merged
                product = tf.matmul(a, b, transpose_a=transpose_a, transpose_b=transpose_b)
                total += tf.reshape(product, [-1])[0]
        return total

    run_all()
    best = min(_seconds(lambda: run_all().numpy()) for _ in range(repeats))
    return sum(count * flops for count, *_, flops in products) / best


def _seconds(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def seconds_per_step(run_steps, steps):
    """(wall seconds, process CPU seconds) per step of run_steps(steps)."""
    start, cpu_start = time.perf_counter(), time.process_time()
    run_steps(steps)
    return (time.perf_counter() - start) / steps, (time.process_time() - cpu_start) / steps


def synthetic_batch(config, batch, seq, predictions):
    """A random pretraining batch (all tokens real) as the input pipeline gives it."""
    rng = np.random.default_rng(0)
    return {
        "input_word_ids": tf.constant(rng.integers(0, config.vocab_size, (batch, seq)), tf.int32),
        "input_mask": tf.ones((batch, seq), tf.int32),
        "input_type_ids": tf.zeros((batch, seq), tf.int32),
        "masked_lm_positions": tf.constant(rng.integers(0, seq, (batch, predictions)), tf.int32),
        "masked_lm_ids": tf.constant(
            rng.integers(0, config.vocab_size, (batch, predictions)), tf.int32
        ),
        "masked_lm_weights": tf.ones((batch, predictions), tf.float32),
        "next_sentence_labels": tf.zeros((batch,), tf.int32),
    }


def pretraining_step(
    config, data, output_dir, dtype="float32", enable_xla=engine.EngineOptions.enable_xla
):
    """Builds BertPretrainer's trainer on `data` repeated; returns run(steps), which blocks."""
    batch = int(data["input_word_ids"].shape[0])
    options = engine.EngineOptions(
        output_dir=output_dir, learning_rate=1e-4, dtype=dtype, enable_xla=enable_xla
    )
    strategy = engine.start(options)
    with strategy.scope():
        model = BertPretrainer(BertEncoder(config))
    trainer = engine.create_trainer(
        options,
        strategy,
        model,
        pretraining_losses,
        batch,
        num_train_steps=10000,
        num_warmup_steps=100,
    )
    iterator = iter(
        trainer.distribute_dataset(
            lambda batch_size, context: tf.data.Dataset.from_tensors(data).repeat()
        )
    )
    return lambda steps: trainer.run_steps(iterator, steps)[0]["loss"].numpy()


def measure(
    bert_config_file,
    *,
    seq_length=128,
    batch_size=8,
    max_predictions_per_seq=20,
    dtype="float32",
    enable_xla=engine.EngineOptions.enable_xla,
    warmup_steps=2,
    steps=10,
):
    """Times the step, prints its figures and returns them: {"cpu", "sequences_per_second",
    "model_gflops", "matmul_gflops", "model_over_matmul", "cpu_second_ratio"} (the model's
    FLOP per CPU-second over the matmul's), with mixed_bfloat16 also "bfloat16_matmul_gflops",
    "bfloat16_over_float32" and "model_over_bfloat16_matmul"."""
    config = BertConfig.from_json_file(bert_config_file)
    batch, seq, preds = batch_size, seq_length, max_predictions_per_seq
    data = synthetic_batch(config, batch, seq, preds)
    with tempfile.TemporaryDirectory() as output_dir:
        run_steps = pretraining_step(config, data, output_dir, dtype, enable_xla)
        # Mixed bfloat16 runs its matmuls in bfloat16 (oneDNN's AVX512_BF16/AMX kernels where
        # the CPU has them): its own reference rate is a bfloat16 matmul.
        half = tf.bfloat16 if dtype == "mixed_bfloat16" else None
        matmul_before = matmul_flops_per_second()
        half_before = matmul_flops_per_second(dtype=half) if half else None
        start = time.perf_counter()
        run_steps(warmup_steps)
        warmup_seconds = time.perf_counter() - start
        seconds, cpu_seconds = seconds_per_step(run_steps, steps)
        matmul_after = matmul_flops_per_second()
        half_after = matmul_flops_per_second(dtype=half) if half else None
        matmul_rate = max(matmul_before[0], matmul_after[0])
        matmul_cpu_rate = max(matmul_before[1], matmul_after[1])
        shapes_rate = matmuls_flops_per_second(step_matmuls(config, batch, seq, preds))
    flops = step_flops(config, batch, seq, preds)
    model_rate = flops / seconds
    figures = {
        "cpu": hardware.describe(),
        "sequences_per_second": batch / seconds,
        "model_gflops": model_rate / 1e9,
        "matmul_gflops": matmul_rate / 1e9,
        "model_over_matmul": model_rate / matmul_rate,
        "cpu_second_ratio": flops / cpu_seconds / matmul_cpu_rate,
    }
    print(f"cpu: {figures['cpu']}")
    print(
        f"config: {os.path.basename(bert_config_file)} ({config.num_hidden_layers} layers, "
        f"hidden {config.hidden_size})  seq: {seq}  batch: {batch}  predictions: {preds}  "
        f"dtype: {dtype}  XLA: {xla_label(enable_xla)}"
    )
    print(
        f"warmup: {warmup_steps} steps in {warmup_seconds:.1f} s;  timed: {steps} steps, "
        f"{seconds:.2f} s/step"
    )
    print(f"sequences/s: {batch / seconds:.2f}  ({figures['cpu']})")
    print(f"model GFLOP/s: {model_rate / 1e9:.1f}  ({flops / 1e9:.1f} GFLOP/step)")
    print(f"matmul 2048^3 float32 GFLOP/s: {matmul_rate / 1e9:.1f}  (best of before/after)")
    print(f"model / matmul: {model_rate / matmul_rate:.0%}")
    if half:
        half_rate = max(half_before[0], half_after[0])
        figures.update(
            bfloat16_matmul_gflops=half_rate / 1e9,
            bfloat16_over_float32=half_rate / matmul_rate,
            model_over_bfloat16_matmul=model_rate / half_rate,
        )
        print(
            f"matmul 2048^3 bfloat16 GFLOP/s: {half_rate / 1e9:.1f}  (best of before/after; "
            f"{half_rate / matmul_rate:.2f}x float32)"
        )
        print(f"model / bfloat16 matmul: {model_rate / half_rate:.0%}")
    print(
        f"the step's matmuls alone, at their shapes: {shapes_rate / 1e9:.1f} GFLOP/s "
        f"({shapes_rate / matmul_rate:.0%} of the 2048^3 rate); the step reaches "
        f"{model_rate / shapes_rate:.0%} of it"
    )
    # On a shared CPU, wall time counts the time other processes held the cores;
    # this process's CPU time does not, so the ratio of FLOP per CPU-second is the
    # figure that compares across load (both sides run on all intra-op threads).
    print(
        f"per CPU-second: model {flops / cpu_seconds / 1e9:.1f} GFLOP, matmul "
        f"{matmul_cpu_rate / 1e9:.1f} GFLOP, ratio {figures['cpu_second_ratio']:.0%}"
    )
    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return figures


def main(argv):
    del argv
    measure(
        FLAGS.bert_config_file,
        seq_length=FLAGS.seq_length,
        batch_size=FLAGS.batch_size,
        max_predictions_per_seq=FLAGS.max_predictions_per_seq,
        dtype=FLAGS.dtype,
        enable_xla=FLAGS.enable_xla,
        warmup_steps=FLAGS.warmup_steps,
        steps=FLAGS.steps,
    )


if __name__ == "__main__":
    app.run(main)
