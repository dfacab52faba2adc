"""The masked-LM head: a transform, then logits tied to the word embeddings plus a bias."""

import keras
import tensorflow as tf
from keras import ops

from bert_tf.layers.activations import get_activation
from bert_tf.layers.fused import layer_norm_dropout


@keras.saving.register_keras_serializable(package="bert_tf")
class MaskedLMHead(keras.layers.Layer):
    """`get_masked_lm_output` of the original: logits only at the masked positions.

    logits = LayerNorm(act(Dense(gather(x, positions)))) @ word_embeddings^T + output_bias

    Args:
        vocab_size: int, size of the output vocabulary.
        hidden_size: int, width of the transform.
        hidden_act: str, activation of the transform.
        initializer_range: float, stddev of the truncated-normal initializer.

    Call args:
        sequence_output: float Tensor of shape [batch_size, seq_length, hidden_size].
        masked_lm_positions: int32 Tensor of shape [batch_size, max_predictions_per_seq].
        embedding_table: float Tensor of shape [vocab_size, hidden_size], the word
            embeddings the output projection is tied to.

    Returns:
        float32 Tensor of shape [batch_size, max_predictions_per_seq, vocab_size].
    """

    def __init__(
        self, vocab_size, hidden_size, hidden_act="gelu", initializer_range=0.02, **kwargs
    ):
        super().__init__(**kwargs)
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.hidden_act = hidden_act
        self.initializer_range = initializer_range
        self.transform = keras.layers.Dense(
            hidden_size,
            activation=get_activation(hidden_act),
            kernel_initializer=keras.initializers.TruncatedNormal(stddev=initializer_range),
            name="transform",
            dtype=self.dtype_policy,
        )
        self.layer_norm = keras.layers.LayerNormalization(
            epsilon=1e-12, name="layer_norm", dtype=self.dtype_policy
        )

    def build(self, input_shape=None):
        self.transform.build((None, None, self.hidden_size))
        self.layer_norm.build((None, None, self.hidden_size))
        self.output_bias = self.add_weight(
            name="output_bias", shape=(self.vocab_size,), initializer="zeros"
        )

    def call(self, sequence_output, masked_lm_positions, embedding_table):
        gathered = ops.take_along_axis(
            sequence_output, ops.cast(masked_lm_positions, "int32")[:, :, None], axis=1
        )
        # The Keras LayerNorm's weights, normalized by one fused kernel (bert_tf.layers.fused).
        transformed = layer_norm_dropout(
            self.transform(gathered),
            self.layer_norm.gamma,
            self.layer_norm.beta,
            0.0,
            None,
            self.layer_norm.epsilon,
        )
        # One 2-D MatMul with transpose_b, whose table gradient is one [vocab, hidden]
        # MatMul: a batched einsum's would be a [batch, vocab, hidden] product summed
        # over the batch, and Keras' 2-D einsum transposes the table and its gradient.
        batch_size, num_predictions = ops.shape(transformed)[0], ops.shape(transformed)[1]
        logits = tf.linalg.matmul(
            ops.reshape(transformed, (-1, self.hidden_size)),
            ops.cast(embedding_table, self.compute_dtype),
            transpose_b=True,
        )
        logits = ops.reshape(logits, (batch_size, num_predictions, self.vocab_size))
        return ops.cast(logits, "float32") + ops.cast(self.output_bias, "float32")

    def get_config(self):
        config = super().get_config()
        config.update(
            vocab_size=self.vocab_size,
            hidden_size=self.hidden_size,
            hidden_act=self.hidden_act,
            initializer_range=self.initializer_range,
        )
        return config
