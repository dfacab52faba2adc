"""Prints the speed of one pretraining step (forward + backward + AdamW) of BertPretrainer.

Model FLOPs per step (multiply-add = 2 FLOPs; backward = 2 x forward, so x3):
    3 x 2 x tokens x N_matmul                       dense layers of the encoder
  + 3 x 2 x 2 x batch x layers x seq^2 x hidden     attention scores and context
  + 3 x 2 x batch x predictions x hidden x (hidden + vocab)   MLM transform and logits
where N_matmul = layers x 12 x hidden^2 (QKV, output, FFN) and tokens = batch x seq;
embedding lookups, LayerNorm, softmax and the optimizer are not counted. The
2048^3 float32 matmul in the same process gives the machine's reachable rate.

    python -m bench.train_step --bert_config_file=official_configs/bert_base_uncased.json
"""

import time

import keras
import numpy as np
import tensorflow as tf
from absl import app, flags

from bert_tf.config import BertConfig
from bert_tf.losses import pretraining_losses
from bert_tf.models.bert_encoder import BertEncoder
from bert_tf.models.bert_pretrainer import BertPretrainer
from bert_tf.optimization import create_optimizer

flags.DEFINE_string("bert_config_file", None, "bert_config.json of the model.")
flags.DEFINE_integer("seq_length", 128, "Sequence length.")
flags.DEFINE_integer("batch_size", 8, "Batch size.")
flags.DEFINE_integer("max_predictions_per_seq", 20, "Masked positions per sequence.")
flags.DEFINE_enum("dtype", "float32", ["float32", "mixed_float16", "mixed_bfloat16"],
                  "Compute precision.")
flags.DEFINE_bool("enable_xla", True, "Compile the step with XLA.")
flags.DEFINE_integer("steps", 10, "Timed steps (after 2 warmup steps).")
flags.mark_flag_as_required("bert_config_file")
FLAGS = flags.FLAGS


def step_flops(config, batch, seq, predictions):
    hidden, layers = config.hidden_size, config.num_hidden_layers
    dense = 2 * batch * seq * layers * (4 * hidden * hidden + 2 * hidden * config.intermediate_size)
    attention = 2 * 2 * batch * layers * seq * seq * hidden
    mlm = 2 * batch * predictions * hidden * (hidden + config.vocab_size)
    return 3 * (dense + attention + mlm)


def matmul_flops_per_second(n=2048, repeats=10):
    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n))
    matmul = tf.function(lambda a, b: tf.matmul(a, b))
    matmul(a, b).numpy()
    start = time.perf_counter()
    for _ in range(repeats):
        result = matmul(a, b)
    result.numpy()
    return 2 * n ** 3 * repeats / (time.perf_counter() - start)


def main(argv):
    del argv
    keras.mixed_precision.set_global_policy(FLAGS.dtype)
    config = BertConfig.from_json_file(FLAGS.bert_config_file)
    batch, seq, preds = FLAGS.batch_size, FLAGS.seq_length, FLAGS.max_predictions_per_seq
    model = BertPretrainer(BertEncoder(config))
    optimizer = create_optimizer("adamw", 1e-4, 10000, 100)
    optimizer.build(model.trainable_variables)
    rng = np.random.default_rng(0)
    data = {
        "input_word_ids": tf.constant(rng.integers(0, config.vocab_size, (batch, seq)), tf.int32),
        "input_mask": tf.ones((batch, seq), tf.int32),
        "input_type_ids": tf.zeros((batch, seq), tf.int32),
        "masked_lm_positions": tf.constant(rng.integers(0, seq, (batch, preds)), tf.int32),
        "masked_lm_ids": tf.constant(rng.integers(0, config.vocab_size, (batch, preds)), tf.int32),
        "masked_lm_weights": tf.ones((batch, preds), tf.float32),
        "next_sentence_labels": tf.zeros((batch,), tf.int32),
    }

    @tf.function(jit_compile=FLAGS.enable_xla)
    def train_step(data):
        with tf.GradientTape() as tape:
            loss = pretraining_losses(data, model(data, training=True))["loss"]
        grads = tape.gradient(loss, model.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 1.0)
        optimizer.apply(grads, model.trainable_variables)
        return loss

    for _ in range(2):
        train_step(data).numpy()
    start = time.perf_counter()
    for _ in range(FLAGS.steps):
        loss = train_step(data)
    loss.numpy()
    seconds = (time.perf_counter() - start) / FLAGS.steps
    model_rate = step_flops(config, batch, seq, preds) / seconds
    matmul_rate = matmul_flops_per_second()
    print(f"sequences/s: {batch / seconds:.2f}")
    print(f"model GFLOP/s: {model_rate / 1e9:.1f}  ({step_flops(config, batch, seq, preds) / 1e9:.1f} GFLOP/step)")
    print(f"matmul 2048^3 float32 GFLOP/s: {matmul_rate / 1e9:.1f}")
    print(f"model / matmul: {model_rate / matmul_rate:.0%}")


if __name__ == "__main__":
    app.run(main)
