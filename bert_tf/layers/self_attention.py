"""Multi-head self-attention with a padding mask, as the original `attention_layer`."""

import keras
from keras import ops

from bert_tf.layers.fused import dropout_arguments, softmax_dropout

# The original adds -10000 to the scores of padded keys; softmax then gives them ~0 weight.
_MASK_ADDER = -10000.0


@keras.saving.register_keras_serializable(package="bert_tf")
class SelfAttention(keras.layers.Layer):
    """Scaled dot-product self-attention over `num_heads` heads.

    The query, key and value projections are [hidden, hidden] kernels, the layout
    of the original checkpoints. Scores, mask and softmax are computed in float32
    whatever the layer's compute dtype, so mixed precision keeps them stable.

    Args:
        num_heads: int, number of attention heads.
        head_size: int, width of each head; num_heads * head_size is the hidden size.
        dropout_rate: float, dropout on the attention probabilities.
        initializer_range: float, stddev of the truncated-normal initializer.

    Call args:
        hidden_states: float Tensor of shape [batch_size, seq_length, hidden_size].
        attention_mask: int32 or float Tensor of shape [batch_size, seq_length],
            1 for real tokens and 0 for padding.

    Returns:
        float Tensor of shape [batch_size, seq_length, num_heads * head_size], the
        per-head contexts concatenated (before the output projection).
    """

    def __init__(self, num_heads, head_size, dropout_rate=0.1, initializer_range=0.02, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.head_size = head_size
        self.dropout_rate = dropout_rate
        self.initializer_range = initializer_range
        width = num_heads * head_size
        init = keras.initializers.TruncatedNormal(stddev=initializer_range)
        self.query = keras.layers.Dense(
            width, kernel_initializer=init, name="query", dtype=self.dtype_policy
        )
        self.key = keras.layers.Dense(
            width, kernel_initializer=init, name="key", dtype=self.dtype_policy
        )
        self.value = keras.layers.Dense(
            width, kernel_initializer=init, name="value", dtype=self.dtype_policy
        )
        # Only for a rate above 0, as keras.layers.Dropout: one draws from the global seed.
        self.dropout_seed = keras.random.SeedGenerator() if dropout_rate else None

    def build(self, input_shape):
        for dense in (self.query, self.key, self.value):
            dense.build(input_shape)

    def call(self, hidden_states, attention_mask, training=None):
        batch_size, seq_length = ops.shape(hidden_states)[0], ops.shape(hidden_states)[1]
        width = self.num_heads * self.head_size

        def heads(dense):
            """[batch, seq, hidden] -> the projection by dense, [batch, heads, seq, head_size]."""
            projected = ops.reshape(
                dense(hidden_states), (batch_size, seq_length, self.num_heads, self.head_size)
            )
            return ops.transpose(projected, (0, 2, 1, 3))

        # Three [hidden, width] products, as the original: one [hidden, 3 * width] product
        # would copy the three kernels into one on every call, a cost in serving with no gain
        # in a training step (README, Benchmarks: the serving row).
        query, key, value = heads(self.query), heads(self.key), heads(self.value)
        # [batch, heads, from_seq, to_seq]
        scores = ops.matmul(query, ops.swapaxes(key, -1, -2))
        padding = 1.0 - ops.cast(attention_mask, "float32")[:, None, None, :]
        # Scale, mask, softmax and dropout as one fused kernel (bert_tf.layers.fused).
        rate, seed = dropout_arguments(self.dropout_rate, self.dropout_seed, training)
        probs = softmax_dropout(
            scores, 1.0 / float(self.head_size) ** 0.5, padding * _MASK_ADDER, rate, seed
        )
        context = ops.transpose(ops.matmul(probs, value), (0, 2, 1, 3))
        return ops.reshape(context, (batch_size, seq_length, width))

    def get_config(self):
        config = super().get_config()
        config.update(
            num_heads=self.num_heads,
            head_size=self.head_size,
            dropout_rate=self.dropout_rate,
            initializer_range=self.initializer_range,
        )
        return config
