"""Checks every Keras object of the project must pass."""

import json

import numpy as np


def assert_config_round_trips(obj):
    """get_config -> JSON -> from_config gives an object with the same config."""
    config = obj.get_config()
    restored = type(obj).from_config(json.loads(json.dumps(config)))
    assert restored.get_config() == config
    return restored


def tiny_config(**overrides):
    from bert_tf.config import BertConfig

    values = dict(
        vocab_size=60,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=32,
        type_vocab_size=2,
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
    )
    values.update(overrides)
    return BertConfig(**values)


def random_inputs(batch_size=3, seq_length=10, vocab_size=60, seed=0, padded=True):
    """A batch with two segments and, when `padded`, trailing padding of varied lengths."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, vocab_size, size=(batch_size, seq_length)).astype("int32")
    lengths = (
        np.linspace(seq_length // 2, seq_length, batch_size).astype(int)
        if padded
        else np.full(batch_size, seq_length)
    )
    mask = (np.arange(seq_length)[None, :] < lengths[:, None]).astype("int32")
    type_ids = (np.arange(seq_length)[None, :] >= (lengths // 2)[:, None]).astype("int32") * mask
    return {"input_word_ids": ids * mask, "input_mask": mask, "input_type_ids": type_ids}


def numpy_of(weights):
    return [np.asarray(w) for w in weights]
