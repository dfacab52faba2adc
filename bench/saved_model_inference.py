"""Prints the speed of an exported classifier SavedModel on raw text, as a server runs it.

It exports a BertClassifier (random weights: speed does not depend on them) with the
project's exporter, loads it back with tf.saved_model.load, and times its
`serving_default` signature (in-graph tokenization, packing, encoder, softmax) on
batches of real sentences, after one warm-up call per batch size.

    python -m bench.saved_model_inference --bert_config_file=official_configs/bert_base_uncased.json \
      --vocab_file=../shared/data/vocab/bert_uncased_vocab.txt --batch_sizes=1,32
"""

import itertools
import tempfile
import time

import tensorflow as tf
from absl import app, flags

from bert_tf.config import BertConfig
from bert_tf.export import model_export
from bert_tf.models import BertEncoder, build_model
from bert_tf.tokenization import Tokenizer

flags.DEFINE_string("bert_config_file", "official_configs/bert_base_uncased.json",
                    "bert_config.json of the model.")
flags.DEFINE_string("vocab_file", None, "Vocab file matching the config's vocab_size.")
flags.DEFINE_string("input_file", "sample_data/corpus.txt", "Text, one sentence per line.")
flags.DEFINE_integer("max_seq_length", 128, "Packed sequence length.")
flags.DEFINE_list("batch_sizes", ["1", "32"], "Batch sizes to time.")
flags.DEFINE_float("seconds", 10.0, "Time spent per batch size.")
flags.mark_flag_as_required("vocab_file")
FLAGS = flags.FLAGS


def measure(serve, sentences, batch_size, seconds):
    """Returns sequences/s of `serve` on consecutive batches of `sentences`."""
    batches = itertools.cycle(
        [tf.constant(list(itertools.islice(itertools.cycle(sentences), i, i + batch_size)))
         for i in range(0, 8 * batch_size, batch_size)])
    empty = tf.constant([""] * batch_size)
    serve(text_a=next(batches), text_b=empty)  # traced at load; this warms the kernels up
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        serve(text_a=next(batches), text_b=empty)["probabilities"].numpy()
        calls += 1
    return calls * batch_size / (time.perf_counter() - start)


def run(bert_config_file, vocab_file, input_file, max_seq_length, batch_sizes, seconds):
    """Returns {batch_size: sequences per second}."""
    config = BertConfig.from_json_file(bert_config_file)
    tokenizer = Tokenizer(vocab_file)
    if tokenizer.vocab_size != config.vocab_size:
        raise ValueError(f"{vocab_file} has {tokenizer.vocab_size} tokens, {bert_config_file} "
                         f"says vocab_size={config.vocab_size}")
    with open(input_file, encoding="utf-8") as f:
        sentences = [line.strip() for line in f if line.strip()]
    model = build_model("classifier", BertEncoder(config), num_labels=2)
    module = model_export.make_serving_module("classifier", model, tokenizer, max_seq_length,
                                              num_labels=2)
    with tempfile.TemporaryDirectory() as export_dir:
        path = model_export.export_saved_model(module, export_dir, version=1)
        serve = tf.saved_model.load(path).signatures["serving_default"]
        return {size: measure(serve, sentences, size, seconds) for size in batch_sizes}


def main(_):
    batch_sizes = [int(size) for size in FLAGS.batch_sizes]
    results = run(FLAGS.bert_config_file, FLAGS.vocab_file, FLAGS.input_file, FLAGS.max_seq_length,
                  batch_sizes, FLAGS.seconds)
    print(f"SavedModel serving_default, raw text, {FLAGS.bert_config_file}, "
          f"max_seq_length {FLAGS.max_seq_length}")
    for size, rate in results.items():
        print(f"  batch {size:3d}: {rate:8.1f} sequences/s")


if __name__ == "__main__":
    app.run(main)
