import keras
import numpy as np
import pytest
import tensorflow as tf

from bert_tf.layers.fused import dropout_add_layer_norm, layer_norm_dropout, softmax_dropout

RNG = np.random.default_rng(0)
X = tf.constant(RNG.normal(size=(4, 64, 32)), tf.float32)
RESIDUAL = tf.constant(RNG.normal(size=(4, 64, 32)), tf.float32)
GAMMA = tf.constant(RNG.uniform(0.5, 1.5, size=32), tf.float32)
BETA = tf.constant(RNG.normal(size=32), tf.float32)
DY = tf.constant(RNG.normal(size=(4, 64, 32)), tf.float32)
SEED = tf.constant([7, 3], tf.int32)
SCORES = tf.constant(RNG.normal(size=(2, 3, 50, 50)), tf.float32)
# Padding on the last 10 keys of the second sequence.
ADDER = tf.constant(
    np.where(np.arange(50)[None, :] >= [[50], [40]], -10000.0, 0.0)[:, None, None, :], tf.float32
)
SCALE = 0.25


def _keras_layer_norm(h, gamma, beta):
    return keras.ops.layer_normalization(h, gamma, beta, epsilon=1e-12)


def _value_and_gradients(fn, *inputs, dy):
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        y = fn(*inputs)
    return y, tape.gradient(y, inputs, output_gradients=dy)


def _assert_same(got, expected, atol=2e-5):
    got_y, got_grads = got
    expected_y, expected_grads = expected
    np.testing.assert_allclose(got_y.numpy(), expected_y.numpy(), atol=atol)
    for g, e in zip(got_grads, expected_grads):
        np.testing.assert_allclose(g.numpy(), e.numpy(), atol=atol)


def _keep_scale(rate, seed=SEED):
    """The dropout factor (0 or 1 / (1 - rate)) the fused kernels draw from `seed` at X's shape."""
    # gamma 0 and beta 1 make the LayerNorm output 1 everywhere; what is left is the factor.
    return layer_norm_dropout(X, tf.zeros(32), tf.ones(32), rate, seed, 1e-12)


def test_add_layer_norm_without_dropout_is_keras_layer_norm_and_its_gradients():
    _assert_same(
        _value_and_gradients(
            lambda x, r, g, b: dropout_add_layer_norm(x, r, g, b, 0.0, None, 1e-12),
            X,
            RESIDUAL,
            GAMMA,
            BETA,
            dy=DY,
        ),
        _value_and_gradients(
            lambda x, r, g, b: _keras_layer_norm(r + x, g, b), X, RESIDUAL, GAMMA, BETA, dy=DY
        ),
    )


def test_add_layer_norm_with_dropout_drops_x_not_the_residual_and_backward_uses_the_same_mask():
    keep = _keep_scale(0.3)
    _assert_same(
        _value_and_gradients(
            lambda x, r, g, b: dropout_add_layer_norm(x, r, g, b, 0.3, SEED, 1e-12),
            X,
            RESIDUAL,
            GAMMA,
            BETA,
            dy=DY,
        ),
        _value_and_gradients(
            lambda x, r, g, b: _keras_layer_norm(r + x * keep, g, b),
            X,
            RESIDUAL,
            GAMMA,
            BETA,
            dy=DY,
        ),
    )


def test_layer_norm_dropout_zeroes_a_rate_of_elements_and_scales_the_kept_ones():
    reference = _keras_layer_norm(X, GAMMA, BETA).numpy()
    got = layer_norm_dropout(X, GAMMA, BETA, 0.3, SEED, 1e-12).numpy()
    dropped = got == 0
    assert abs(dropped.mean() - 0.3) < 0.02  # 8192 draws: 4 standard deviations
    np.testing.assert_allclose(got[~dropped], reference[~dropped] / 0.7, rtol=1e-5, atol=1e-5)


def test_layer_norm_dropout_gradients_follow_the_forward_mask():
    keep = _keep_scale(0.3)
    _assert_same(
        _value_and_gradients(
            lambda x, g, b: layer_norm_dropout(x, g, b, 0.3, SEED, 1e-12), X, GAMMA, BETA, dy=DY
        ),
        _value_and_gradients(
            lambda x, g, b: _keras_layer_norm(x, g, b) * keep, X, GAMMA, BETA, dy=DY
        ),
    )


def test_dropout_mask_is_a_function_of_the_seed():
    assert set(np.unique(_keep_scale(0.5))) == {0.0, 2.0}
    assert np.array_equal(_keep_scale(0.5), _keep_scale(0.5, seed=tf.constant([7, 3])))
    assert not np.array_equal(_keep_scale(0.5), _keep_scale(0.5, seed=tf.constant([7, 4])))


@pytest.mark.parametrize("rate", [0.0, 0.2])
def test_softmax_dropout_is_softmax_then_dropout_and_their_gradients(rate):
    dy = tf.constant(RNG.normal(size=SCORES.shape), tf.float32)
    probs = tf.nn.softmax(SCORES * SCALE + ADDER, axis=-1)
    seed = SEED if rate else None
    got = _value_and_gradients(
        lambda s: softmax_dropout(s, SCALE, ADDER, rate, seed), SCORES, dy=dy
    )
    keep = tf.cast(got[0] != 0, tf.float32) / (1.0 - rate)
    if rate:
        # Padded keys have probability 0: count the others (14,000 draws; 5 standard deviations).
        dropped = 1.0 - np.mean(keep.numpy()[probs.numpy() > 0] > 0)
        assert abs(dropped - rate) < 0.02
    _assert_same(
        got,
        _value_and_gradients(
            lambda s: tf.nn.softmax(s * SCALE + ADDER, axis=-1) * keep, SCORES, dy=dy
        ),
        atol=1e-6,
    )
    np.testing.assert_allclose(got[0].numpy(), (probs * keep).numpy(), atol=1e-6)


def test_half_precision_inputs_keep_their_dtype_and_weights_get_float32_gradients():
    x, residual = tf.cast(X, tf.bfloat16), tf.cast(RESIDUAL, tf.bfloat16)
    with tf.GradientTape() as tape:
        tape.watch([x, residual, GAMMA, BETA])
        y = dropout_add_layer_norm(x, residual, GAMMA, BETA, 0.1, SEED, 1e-12)
    grads = tape.gradient(y, [x, residual, GAMMA, BETA])
    assert y.dtype == tf.bfloat16
    assert [g.dtype for g in grads] == [tf.bfloat16, tf.bfloat16, tf.float32, tf.float32]
    scores = tf.cast(SCORES, tf.bfloat16)
    assert softmax_dropout(scores, SCALE, ADDER, 0.1, SEED).dtype == tf.bfloat16
