import keras
import numpy as np
import pytest
import tensorflow as tf

from bert_tf.config import BertConfig
from bert_tf.errors import ConfigError
from bert_tf.models.bert_encoder import BertEncoder
from bert_tf.models.bert_pretrainer import BertPretrainer
from bert_tf.optimization import WarmupLinearDecay, create_optimizer


def test_schedule_warms_up_then_decays_linearly_to_zero():
    schedule = WarmupLinearDecay(1e-3, num_train_steps=100, num_warmup_steps=10)
    got = [float(schedule(s)) for s in (0, 5, 9, 10, 50, 100, 150)]
    # Warmup: 1e-3 * s / 10; after: 1e-3 * (1 - s / 100), counted from step 0.
    np.testing.assert_allclose(got, [0.0, 5e-4, 9e-4, 9e-4, 5e-4, 0.0, 0.0], atol=1e-10)


def test_schedule_round_trips_through_keras_serialization():
    schedule = WarmupLinearDecay(2e-5, 1000, 100)
    again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    assert isinstance(again, WarmupLinearDecay)
    assert float(again(500)) == pytest.approx(float(schedule(500)))


def _original_adamw_step(w, g, m, v, lr, wd, decay=True):
    """The original AdamWeightDecayOptimizer, by hand: no bias correction."""
    m = 0.9 * m + 0.1 * g
    v = 0.999 * v + 0.001 * g * g
    update = m / (np.sqrt(v) + 1e-6) + (wd * w if decay else 0.0)
    return w - lr * update, m, v


def test_adamw_steps_match_the_original_update_by_hand():
    w0 = np.array([[0.5, -1.0], [2.0, 0.25]], np.float32)
    grads = [
        np.array([[0.1, -0.2], [0.3, 0.05]], np.float32),
        np.array([[-0.3, 0.1], [0.2, 0.4]], np.float32),
    ]
    var = keras.Variable(w0, name="kernel")
    optimizer = create_optimizer("adamw", 0.1, num_train_steps=10, num_warmup_steps=0)
    w, m, v = w0.astype(np.float64), 0.0, 0.0
    for step, g in enumerate(grads):
        optimizer.apply([tf.constant(g)], [var])
        w, m, v = _original_adamw_step(w, g, m, v, lr=0.1 * (1 - step / 10), wd=0.01)
    np.testing.assert_allclose(var.numpy(), w, rtol=1e-5)


def test_adamw_with_bias_correction_is_keras_adamw():
    g = np.array([0.1, -0.2], np.float32)
    var = keras.Variable(np.array([1.0, 1.0], np.float32), name="kernel")
    optimizer = create_optimizer("adamw", 0.1, 10, 0, adam_bias_correction=True)
    optimizer.apply([tf.constant(g)], [var])
    # Step 1 with bias correction: m_hat / sqrt(v_hat) = sign(g); decay lr * 0.01 * w.
    # Keras' epsilon is added after the correction: |g| / (|g| + eps / sqrt(1 - b2)).
    np.testing.assert_allclose(
        var.numpy(),
        1.0 - 0.1 * 0.01 - 0.1 * np.sign(g) * (np.abs(g) / (np.abs(g) + 1e-6 / np.sqrt(1 - 0.999))),
        rtol=1e-6,
    )


def test_adamw_with_bias_correction_follows_keras_adamw_over_several_steps():
    # The fused update against Keras' own AdamW (decay as a separate pass), with
    # a warmup schedule, an excluded variable and a gradient large enough to move.
    rng = np.random.default_rng(0)
    shapes = {"kernel": (3, 5), "bias": (5,)}
    ours = {
        n: keras.Variable(rng.normal(size=s).astype(np.float32), name=n) for n, s in shapes.items()
    }
    start = {n: v.numpy() for n, v in ours.items()}
    theirs = {n: keras.Variable(value, name=n) for n, value in start.items()}
    optimizer = create_optimizer("adamw", 0.05, 10, 2, adam_bias_correction=True)
    keras_adamw = keras.optimizers.AdamW(
        WarmupLinearDecay(0.05, 10, 2), weight_decay=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-6
    )
    keras_adamw.exclude_from_weight_decay(var_names=["bias"])
    for _ in range(4):
        grads = [tf.constant(rng.normal(size=s).astype(np.float32)) for s in shapes.values()]
        optimizer.apply(grads, list(ours.values()))
        keras_adamw.apply(grads, list(theirs.values()))
    for name in shapes:
        np.testing.assert_allclose(ours[name].numpy(), theirs[name].numpy(), rtol=1e-6, atol=1e-7)
        assert np.abs(ours[name].numpy() - start[name]).min() > 1e-3


@pytest.mark.parametrize("optimizer_type", ["adamw", "lamb"])
def test_layer_norm_and_bias_variables_get_no_weight_decay(optimizer_type):
    config = BertConfig(
        vocab_size=30,
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=16,
        max_position_embeddings=16,
    )
    model = BertPretrainer(BertEncoder(config))
    variables = model.trainable_variables
    before = {v.path: v.numpy().copy() for v in variables}
    optimizer = create_optimizer(optimizer_type, 0.1, 10, 0, weight_decay_rate=0.5)
    optimizer.apply([tf.zeros_like(v) for v in variables], variables)
    for v in variables:
        changed = not np.allclose(v.numpy(), before[v.path])
        excluded = v.name in ("gamma", "beta", "bias", "output_bias")
        if excluded:
            assert not changed, v.path
        elif np.any(before[v.path] != 0):
            # Zero gradient: only the decay moves it, to w * (1 - lr * wd).
            np.testing.assert_allclose(
                v.numpy(), before[v.path] * (1 - 0.1 * 0.5), rtol=1e-5, err_msg=v.path
            )
    assert {v.name for v in variables} >= {
        "gamma",
        "beta",
        "bias",
        "output_bias",
        "kernel",
        "word_embeddings",
    }


def test_unknown_optimizer_is_an_error_naming_the_option():
    with pytest.raises(ConfigError, match="optimizer must be adamw or lamb, got 'sgd'"):
        create_optimizer("sgd", 0.1, 10, 0)
