"""BERT's formulas written out in numpy, from the paper and the original modeling.py.

An independent reference for the layer tests: it reads only the Keras layers'
weights, never their code.
"""

import math

import numpy as np


def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


def gelu_erf(x):
    return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def layer_norm(x, gamma, beta, epsilon=1e-12):
    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + epsilon) * gamma + beta


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def dense(x, layer):
    kernel, bias = (np.asarray(w, dtype=np.float64) for w in layer.weights)
    return x @ kernel + bias


def self_attention(x, mask, layer):
    batch, seq, _ = x.shape
    heads, size = layer.num_heads, layer.head_size
    split = lambda t: t.reshape(batch, seq, heads, size).transpose(0, 2, 1, 3)
    q, k, v = (split(dense(x, d)) for d in (layer.query, layer.key, layer.value))
    scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(size)
    scores = scores + (1.0 - mask[:, None, None, :]) * -10000.0
    context = softmax(scores) @ v
    return context.transpose(0, 2, 1, 3).reshape(batch, seq, heads * size)


def transformer_block(x, mask, block, activation=gelu_tanh):
    ln = lambda t, layer: layer_norm(t, *(np.asarray(w, np.float64) for w in layer.weights))
    attended = ln(
        x + dense(self_attention(x, mask, block.attention), block.attention_output),
        block.attention_layer_norm,
    )
    inner = activation(dense(attended, block.intermediate))
    return ln(attended + dense(inner, block.output_dense), block.output_layer_norm)
