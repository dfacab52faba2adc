import numpy as np

from bert_tf.layers import MaskedLMHead
from tests.keras_helpers import assert_config_round_trips
from tests.numpy_reference import dense, gelu_tanh, layer_norm


def test_logits_at_masked_positions_tied_to_embeddings_plus_bias():
    head = MaskedLMHead(vocab_size=40, hidden_size=16)
    head.build()
    head.output_bias.assign(np.random.default_rng(0).normal(size=40))
    rng = np.random.default_rng(1)
    sequence = rng.normal(size=(2, 9, 16)).astype("float32")
    table = rng.normal(size=(40, 16)).astype("float32")
    positions = np.array([[1, 4, 0], [8, 2, 2]])
    got = np.asarray(head(sequence, positions, table))

    gathered = np.stack([sequence[b, positions[b]] for b in range(2)]).astype(np.float64)
    gamma, beta = (np.asarray(w, np.float64) for w in head.layer_norm.weights)
    transformed = layer_norm(gelu_tanh(dense(gathered, head.transform)), gamma, beta)
    expected = transformed @ table.T + np.asarray(head.output_bias)
    assert got.shape == (2, 3, 40)
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_config_round_trip():
    assert assert_config_round_trips(MaskedLMHead(vocab_size=40, hidden_size=16)).vocab_size == 40
