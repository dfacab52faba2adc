"""bench/kernels.py compares like with like: its plain Keras form of the layers computes what
the fused kernels compute (values and gradients, dropout off), and swapping it in is undone."""

import numpy as np
import tensorflow as tf

from bench import kernels
from bert_tf.layers import transformer_block
from bert_tf.models.bert_encoder import BertEncoder
from bert_tf.models.bert_pretrainer import BertPretrainer
from tests.keras_helpers import random_inputs, tiny_config

# Dropout off: the two forms draw their keep masks from different generators.
CONFIG = tiny_config(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)


def _loss_and_gradients(model, inputs):
    with tf.GradientTape() as tape:
        outputs = model(inputs, training=True)
        loss = tf.reduce_sum(outputs["mlm_logits"] ** 2) + tf.reduce_sum(outputs["nsp_logits"] ** 2)
    return loss, tape.gradient(loss, model.trainable_variables)


def test_the_plain_keras_form_computes_what_the_kernels_compute():
    inputs = dict(
        random_inputs(vocab_size=CONFIG.vocab_size),
        masked_lm_positions=np.array([[1, 2, 4], [0, 3, 5], [2, 6, 7]], "int32"),
    )
    fused = BertPretrainer(BertEncoder(CONFIG))
    fused(inputs)
    with kernels.plain_keras():
        assert transformer_block.dropout_add_layer_norm is kernels._dropout_add_layer_norm
        plain = BertPretrainer(BertEncoder(CONFIG))
        plain(inputs)
        plain.set_weights(fused.get_weights())
        plain_loss, plain_gradients = _loss_and_gradients(plain, inputs)
    assert transformer_block.dropout_add_layer_norm is not kernels._dropout_add_layer_norm
    fused_loss, fused_gradients = _loss_and_gradients(fused, inputs)
    np.testing.assert_allclose(plain_loss.numpy(), fused_loss.numpy(), rtol=1e-5)
    for a, b in zip(plain_gradients, fused_gradients):
        np.testing.assert_allclose(tf.convert_to_tensor(a), tf.convert_to_tensor(b), atol=1e-5)
