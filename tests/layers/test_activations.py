import numpy as np
import pytest
import tensorflow as tf

from bert_tf.layers import get_activation
from tests.numpy_reference import gelu_erf, gelu_tanh

X = np.linspace(-6, 6, 101).astype("float32")


def test_gelu_is_the_original_tanh_approximation():
    np.testing.assert_allclose(np.asarray(get_activation("gelu")(X)), gelu_tanh(X), atol=1e-6)
    np.testing.assert_allclose(np.asarray(get_activation("gelu_new")(X)), gelu_tanh(X), atol=1e-6)


def test_gelu_exact_is_the_erf_form_and_differs_from_tanh():
    np.testing.assert_allclose(np.asarray(get_activation("gelu_exact")(X)), gelu_erf(X), atol=1e-6)
    assert np.abs(gelu_erf(X) - gelu_tanh(X)).max() > 1e-4


@pytest.mark.parametrize("name, reference", [("gelu", gelu_tanh), ("gelu_exact", gelu_erf)])
def test_gelu_gradient_is_the_derivative_of_the_reference(name, reference):
    # Central differences of the float64 numpy formula against the gradient.
    x64 = X.astype(np.float64)
    h = 1e-5
    expected = (reference(x64 + h) - reference(x64 - h)) / (2 * h)
    x = tf.constant(X)
    dy = tf.constant(np.linspace(0.5, 2.0, X.size, dtype=np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = get_activation(name)(x)
    np.testing.assert_allclose(
        tape.gradient(y, x, output_gradients=dy).numpy(),
        dy.numpy() * expected,
        rtol=1e-5,
        atol=2e-6,
    )


def test_gelu_keeps_the_input_dtype_under_mixed_precision():
    x = tf.constant(X, tf.float16)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = get_activation("gelu")(x)
    assert y.dtype == tf.float16 and tape.gradient(y, x).dtype == tf.float16
    np.testing.assert_allclose(y.numpy().astype(np.float32), gelu_tanh(X), atol=1e-2)


def test_relu_and_unknown():
    np.testing.assert_allclose(np.asarray(get_activation("relu")(X)), np.maximum(X, 0))
    with pytest.raises(ValueError, match="unknown hidden_act 'swish'"):
        get_activation("swish")
