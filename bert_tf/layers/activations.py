"""The activations a bert_config.json may name in `hidden_act`."""

import functools

import keras

_ACTIVATIONS = {
    # The original modeling.py's gelu is the tanh approximation; Hugging Face calls it gelu_new.
    "gelu": functools.partial(keras.activations.gelu, approximate=True),
    "gelu_new": functools.partial(keras.activations.gelu, approximate=True),
    "gelu_exact": functools.partial(keras.activations.gelu, approximate=False),
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
