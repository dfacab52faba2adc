"""The activations a bert_config.json may name in `hidden_act`.

GELU, BERT's activation, is written here with its derivative by hand, as an
XLA-compiled kernel: TensorFlow's automatic gradient of tf.nn.gelu runs as about
a dozen element-wise ops over the [batch * seq, intermediate] activations of
every layer, each a pass over memory; fused, the backward reads x and dy once.
The forward stays plain ops, so that an inference graph (an exported SavedModel)
calls no XLA function, which TF Serving's CPU build runs only with
--xla_cpu_compilation_enabled; under XLA (--enable_xla, --jit_compile) it is fused
with its neighbours anyway.
"""

import math

import keras
import tensorflow as tf

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_TANH_CUBIC = 0.044715


def _gelu_tanh_and_derivative(x):
    """The original modeling.py's gelu: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    tanh = tf.tanh(_SQRT_2_OVER_PI * (x + _TANH_CUBIC * x * x * x))
    value = 0.5 * x * (1.0 + tanh)
    derivative = 0.5 * (1.0 + tanh) + 0.5 * x * (1.0 - tanh * tanh) * _SQRT_2_OVER_PI * (
        1.0 + 3.0 * _TANH_CUBIC * x * x
    )
    return value, derivative


def _gelu_erf_and_derivative(x):
    """The exact GELU, x Phi(x), Phi the standard normal CDF; Phi' is its density."""
    cdf = 0.5 * (1.0 + tf.math.erf(x * (1.0 / math.sqrt(2.0))))
    density = tf.exp(-0.5 * x * x) * (1.0 / math.sqrt(2.0 * math.pi))
    return x * cdf, cdf + x * density


def _fused_activation(value_and_derivative):
    """An activation computing value_and_derivative(x)[0], with gradient dy * derivative."""
    backward = tf.function(lambda x, dy: dy * value_and_derivative(x)[1], jit_compile=True)

    @tf.custom_gradient
    def activation(x):
        return value_and_derivative(x)[0], lambda dy: backward(x, dy)

    return activation


_GELU_TANH = _fused_activation(_gelu_tanh_and_derivative)

_ACTIVATIONS = {
    # The original modeling.py's gelu is the tanh approximation; Hugging Face calls it gelu_new.
    "gelu": _GELU_TANH,
    "gelu_new": _GELU_TANH,
    "gelu_exact": _fused_activation(_gelu_erf_and_derivative),
    "relu": keras.activations.relu,
}


def get_activation(name):
    """Returns the function for a `hidden_act` name ("gelu", "gelu_new", "gelu_exact", "relu")."""
    try:
        return _ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            f"unknown hidden_act {name!r}; expected one of {sorted(_ACTIVATIONS)}"
        ) from None
