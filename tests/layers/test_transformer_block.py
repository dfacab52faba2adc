import numpy as np
import pytest

from bert_tf.layers import TransformerBlock
from tests.keras_helpers import assert_config_round_trips, random_inputs
from tests.numpy_reference import gelu_erf, gelu_tanh, transformer_block


@pytest.mark.parametrize("hidden_act, activation", [("gelu", gelu_tanh), ("gelu_exact", gelu_erf)])
def test_post_layer_norm_block_matches_numpy(hidden_act, activation):
    block = TransformerBlock(
        hidden_size=32,
        num_heads=4,
        intermediate_size=48,
        hidden_act=hidden_act,
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
    )
    block.build()
    mask = random_inputs(batch_size=2, seq_length=6)["input_mask"]
    x = np.random.default_rng(3).normal(size=(2, 6, 32)).astype("float32")
    expected = transformer_block(x.astype(np.float64), mask, block, activation)
    np.testing.assert_allclose(np.asarray(block(x, mask, training=False)), expected, atol=2e-5)


def test_config_round_trip():
    block = TransformerBlock(hidden_size=32, num_heads=4, intermediate_size=48, hidden_act="relu")
    restored = assert_config_round_trips(block)
    assert (restored.intermediate_size, restored.hidden_act) == (48, "relu")
