"""ExampleEncoder writes what protobuf serializes, byte for byte."""

import numpy as np
import pytest
import tensorflow as tf

from bert_tf.data_prep import example_encoding


def protobuf_bytes(int_features, float_features, i):
    example = tf.train.Example()
    for name, values in int_features.items():
        example.features.feature[name].int64_list.value.extend(values[i].tolist())
    for name, values in float_features.items():
        example.features.feature[name].float_list.value.extend(values[i].tolist())
    return example.SerializeToString(deterministic=True)


def test_batch_equals_protobuf_serialization():
    rng = np.random.default_rng(0)
    batch = 300
    # Values of 1 to 4 varint bytes, mixed within rows, so records differ in length.
    bits = rng.integers(0, 28, (batch, 130))
    int_features = {
        "wide": rng.integers(0, 2**28, (batch, 130)) >> bits,
        "bytes_1": rng.integers(0, 128, (batch, 7)),
        "single": rng.integers(0, 20000, (batch, 1)),
        "zeros": np.zeros((batch, 3), np.int64),
    }
    float_features = {"weights": rng.standard_normal((batch, 5)).astype(np.float32)}
    encoder = example_encoding.ExampleEncoder(list(int_features), list(float_features))
    for _ in range(2):  # the second batch uses the cached headers
        data, lengths = encoder.encode({**int_features, **float_features})
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        assert len(data) == offsets[-1] and len(set(lengths.tolist())) > 10
        for i in range(batch):
            assert data[offsets[i] : offsets[i + 1]] == protobuf_bytes(
                int_features, float_features, i
            )


def test_long_feature_lists_get_multi_byte_lengths():
    values = np.arange(20000).reshape(1, 20000) % 300  # payload of ~40 KB: 3-byte length varints
    encoder = example_encoding.ExampleEncoder(["ids"], [])
    data, lengths = encoder.encode({"ids": values})
    assert data == protobuf_bytes({"ids": values}, {}, 0) and lengths.tolist() == [len(data)]


def test_values_out_of_range_are_refused():
    encoder = example_encoding.ExampleEncoder(["ids"], [])
    with pytest.raises(ValueError, match="2\\*\\*28"):
        encoder.encode({"ids": np.array([[1, -1]])})
    with pytest.raises(ValueError, match="2\\*\\*28"):
        encoder.encode({"ids": np.array([[2**28]])})
