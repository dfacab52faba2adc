import numpy as np

from bert_tf.layers import BertEmbeddings
from tests.keras_helpers import assert_config_round_trips, random_inputs
from tests.numpy_reference import layer_norm


def make_layer():
    layer = BertEmbeddings(
        vocab_size=60,
        hidden_size=16,
        max_position_embeddings=24,
        type_vocab_size=2,
        dropout_rate=0.1,
    )
    layer.build()
    return layer


def test_sum_of_word_position_segment_then_layer_norm():
    layer = make_layer()
    inputs = random_inputs(vocab_size=60)
    ids, types = inputs["input_word_ids"], inputs["input_type_ids"]
    got = np.asarray(layer(ids, types, training=False))
    word, position, segment = (
        np.asarray(w, np.float64)
        for w in (layer.word_embeddings, layer.position_embeddings, layer.token_type_embeddings)
    )
    gamma, beta = (np.asarray(w, np.float64) for w in layer.layer_norm.weights)
    expected = layer_norm(word[ids] + segment[types] + position[None, : ids.shape[1]], gamma, beta)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_layer_norm_epsilon_is_the_original_1e12():
    assert make_layer().layer_norm.epsilon == 1e-12


def test_dropout_only_in_training():
    layer = make_layer()
    inputs = random_inputs(vocab_size=60)
    args = (inputs["input_word_ids"], inputs["input_type_ids"])
    np.testing.assert_array_equal(layer(*args, training=False), layer(*args, training=False))
    assert np.any(np.asarray(layer(*args, training=True)) == 0.0)


def test_config_round_trip():
    restored = assert_config_round_trips(make_layer())
    assert restored.max_position_embeddings == 24
