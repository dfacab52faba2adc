"""Tiny pretraining TFRecords and configs for the training tests.

The corpus is structured so that a small model can learn it: each sequence is
[CLS] a run of consecutive token ids [SEP] another run [SEP]; the second run
continues the first (next_sentence_label 0) or starts elsewhere (label 1), and
masked tokens can be inferred from their neighbours.
"""

import json

import numpy as np
import tensorflow as tf

VOCAB_SIZE = 60
CLS, SEP, MASK = 1, 2, 3
FIRST_WORD = 5


def tiny_config(path, max_position_embeddings=64, dropout=0.0):
    """Writes a 2-layer, hidden-32 bert_config.json; returns its path."""
    config = {
        "vocab_size": VOCAB_SIZE,
        "hidden_size": 32,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "intermediate_size": 64,
        "hidden_act": "gelu",
        "hidden_dropout_prob": dropout,
        "attention_probs_dropout_prob": dropout,
        "max_position_embeddings": max_position_embeddings,
        "type_vocab_size": 2,
        "initializer_range": 0.02,
    }
    with open(path, "w") as f:
        json.dump(config, f)
    return str(path)


def _feature(values, kind):
    if kind == "float":
        return tf.train.Feature(float_list=tf.train.FloatList(value=list(values)))
    return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(v) for v in values]))


def structured_examples(
    num_examples, seq_length=16, max_predictions_per_seq=3, seed=0, num_masked=None
):
    """Returns a list of dicts of numpy feature arrays (original feature names)."""
    rng = np.random.default_rng(seed)
    words = VOCAB_SIZE - FIRST_WORD
    half = (seq_length - 3) // 2
    examples = []
    for _ in range(num_examples):
        start = rng.integers(words)
        is_random = rng.integers(2)
        second = rng.integers(words) if is_random else start + half
        run_a = [FIRST_WORD + (start + j) % words for j in range(half)]
        run_b = [FIRST_WORD + (second + j) % words for j in range(half)]
        tokens = [CLS] + run_a + [SEP] + run_b + [SEP]
        length = len(tokens)
        segment_ids = [0] * (half + 2) + [1] * (half + 1)
        candidates = [i for i, t in enumerate(tokens) if t not in (CLS, SEP)]
        count = max_predictions_per_seq if num_masked is None else num_masked
        positions = sorted(rng.choice(candidates, size=count, replace=False))
        ids = [tokens[p] for p in positions]
        input_ids = list(tokens)
        for p in positions:
            input_ids[p] = MASK
        pad = seq_length - length
        pred_pad = max_predictions_per_seq - count
        examples.append(
            {
                "input_ids": np.array(input_ids + [0] * pad),
                "input_mask": np.array([1] * length + [0] * pad),
                "segment_ids": np.array(segment_ids + [0] * pad),
                "masked_lm_positions": np.array(positions + [0] * pred_pad),
                "masked_lm_ids": np.array(ids + [0] * pred_pad),
                "masked_lm_weights": np.array([1.0] * count + [0.0] * pred_pad, np.float32),
                "next_sentence_labels": np.array([is_random]),
            }
        )
    return examples


def write_records(path, examples, model_garden_names=False):
    """Writes examples (dicts of numpy arrays) as tf.train.Example records; returns path."""
    rename = (
        {"input_ids": "input_word_ids", "segment_ids": "input_type_ids"}
        if model_garden_names
        else {}
    )
    with tf.io.TFRecordWriter(str(path)) as writer:
        for example in examples:
            features = {
                rename.get(k, k): _feature(v, "float" if v.dtype.kind == "f" else "int")
                for k, v in example.items()
            }
            writer.write(
                tf.train.Example(features=tf.train.Features(feature=features)).SerializeToString()
            )
    return str(path)
