import numpy as np

from bert_tf.layers import SelfAttention
from tests.keras_helpers import assert_config_round_trips, random_inputs
from tests.numpy_reference import self_attention


def make_layer():
    layer = SelfAttention(num_heads=4, head_size=8, dropout_rate=0.0)
    layer.build((None, None, 32))
    return layer


def test_matches_scaled_dot_product_attention_worked_in_numpy():
    layer = make_layer()
    mask = random_inputs(batch_size=3, seq_length=7)["input_mask"]
    x = np.random.default_rng(1).normal(size=(3, 7, 32)).astype("float32")
    np.testing.assert_allclose(
        np.asarray(layer(x, mask)), self_attention(x.astype(np.float64), mask, layer), atol=1e-5
    )


def test_padded_keys_get_no_attention():
    layer = make_layer()
    rng = np.random.default_rng(2)
    x = rng.normal(size=(1, 6, 32)).astype("float32")
    mask = np.array([[1, 1, 1, 1, 0, 0]])
    garbage = x.copy()
    garbage[:, 4:] = rng.normal(size=(1, 2, 32)) * 100
    np.testing.assert_allclose(
        np.asarray(layer(x, mask))[:, :4], np.asarray(layer(garbage, mask))[:, :4], atol=1e-5
    )


def test_kernels_have_the_original_hidden_by_hidden_layout():
    layer = make_layer()
    assert [tuple(w.shape) for w in layer.query.weights] == [(32, 32), (32,)]


def test_config_round_trip():
    assert assert_config_round_trips(make_layer()).num_heads == 4
