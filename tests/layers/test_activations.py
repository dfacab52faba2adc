import numpy as np
import pytest

from bert_tf.layers import get_activation
from tests.numpy_reference import gelu_erf, gelu_tanh

X = np.linspace(-6, 6, 101).astype("float32")


def test_gelu_is_the_original_tanh_approximation():
    np.testing.assert_allclose(np.asarray(get_activation("gelu")(X)), gelu_tanh(X), atol=1e-6)
    np.testing.assert_allclose(np.asarray(get_activation("gelu_new")(X)), gelu_tanh(X), atol=1e-6)


def test_gelu_exact_is_the_erf_form_and_differs_from_tanh():
    np.testing.assert_allclose(np.asarray(get_activation("gelu_exact")(X)), gelu_erf(X), atol=1e-6)
    assert np.abs(gelu_erf(X) - gelu_tanh(X)).max() > 1e-4


def test_relu_and_unknown():
    np.testing.assert_allclose(np.asarray(get_activation("relu")(X)), np.maximum(X, 0))
    with pytest.raises(ValueError, match="unknown hidden_act 'swish'"):
        get_activation("swish")
