import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from bert_tf.config import BertConfig
from bert_tf.models import BertEncoder
from tests.keras_helpers import assert_config_round_trips, random_inputs, tiny_config

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_bert_base_has_the_published_parameter_count():
    config = BertConfig.from_json_file(
        os.path.join(REPO, "official_configs", "bert_base_uncased.json")
    )
    assert BertEncoder(config).count_params() == 109_482_240


def test_output_names_and_shapes():
    encoder = BertEncoder(tiny_config())
    outputs = encoder(random_inputs(batch_size=3, seq_length=10))
    assert tuple(outputs["sequence_output"].shape) == (3, 10, 32)
    assert tuple(outputs["pooled_output"].shape) == (3, 32)
    assert len(outputs["encoder_outputs"]) == 2
    np.testing.assert_array_equal(outputs["encoder_outputs"][-1], outputs["sequence_output"])


def test_pooled_output_is_tanh_dense_of_first_token():
    encoder = BertEncoder(tiny_config())
    outputs = encoder(random_inputs())
    kernel, bias = (np.asarray(w) for w in encoder.pooler.weights)
    first = np.asarray(outputs["sequence_output"])[:, 0]
    np.testing.assert_allclose(outputs["pooled_output"], np.tanh(first @ kernel + bias), atol=1e-6)


def test_padding_does_not_change_real_positions():
    encoder = BertEncoder(tiny_config())
    inputs = random_inputs(batch_size=2, seq_length=8, padded=False)
    padded = {name: np.pad(value, ((0, 0), (0, 5))) for name, value in inputs.items()}
    padded["input_word_ids"][:, 8:] = 7  # padding content must not matter either
    short, long = encoder(inputs), encoder(padded)
    np.testing.assert_allclose(long["sequence_output"][:, :8], short["sequence_output"], atol=1e-5)
    np.testing.assert_allclose(long["pooled_output"], short["pooled_output"], atol=1e-5)


def test_dropout_is_active_only_when_training():
    encoder = BertEncoder(tiny_config())
    inputs = random_inputs()
    np.testing.assert_array_equal(
        encoder(inputs)["pooled_output"], encoder(inputs)["pooled_output"]
    )
    assert not np.allclose(
        encoder(inputs, training=True)["pooled_output"], encoder(inputs)["pooled_output"]
    )


def test_config_round_trip_and_keras_file(tmp_path):
    encoder = BertEncoder(tiny_config(hidden_act="gelu_exact"))
    restored = assert_config_round_trips(encoder)
    assert restored.config == encoder.config
    path = str(tmp_path / "encoder.keras")
    encoder.save(path)
    loaded = keras.saving.load_model(path)
    inputs = random_inputs()
    np.testing.assert_allclose(
        loaded(inputs)["sequence_output"], encoder(inputs)["sequence_output"], atol=1e-6
    )


def test_forward_pass_compiles_with_xla():
    encoder = BertEncoder(tiny_config())
    inputs = random_inputs()
    compiled = tf.function(lambda x: encoder(x), jit_compile=True)
    np.testing.assert_allclose(
        compiled(inputs)["sequence_output"], encoder(inputs)["sequence_output"], atol=1e-5
    )


@pytest.mark.slow
def test_training_step_compiles_with_xla():
    encoder = BertEncoder(tiny_config())
    inputs = random_inputs()

    @tf.function(jit_compile=True)
    def gradients(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(encoder(x, training=True)["pooled_output"] ** 2)
        return tape.gradient(loss, encoder.trainable_variables)

    grads = gradients(inputs)
    assert len(grads) == len(encoder.trainable_variables)
    assert all(np.all(np.isfinite(tf.convert_to_tensor(g))) for g in grads)


@pytest.mark.parametrize("policy, atol", [("mixed_float16", 2e-2), ("mixed_bfloat16", 1e-1)])
def test_mixed_precision_stays_close_to_float32(policy, atol):
    reference = BertEncoder(tiny_config())
    keras.mixed_precision.set_dtype_policy(policy)
    try:
        mixed = BertEncoder(tiny_config())
    finally:
        keras.mixed_precision.set_dtype_policy("float32")
    mixed.set_weights(reference.get_weights())
    assert all(v.dtype == "float32" for v in mixed.weights)
    inputs = random_inputs()
    got = mixed(inputs)
    assert got["sequence_output"].dtype == policy.split("_")[1]
    np.testing.assert_allclose(
        np.asarray(got["sequence_output"], np.float32),
        reference(inputs)["sequence_output"],
        atol=atol,
    )
    compiled = tf.function(lambda x: mixed(x), jit_compile=True)(inputs)
    np.testing.assert_allclose(
        np.asarray(compiled["pooled_output"], np.float32),
        reference(inputs)["pooled_output"],
        atol=atol,
    )
