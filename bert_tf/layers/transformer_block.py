"""One post-LN encoder block: self-attention and a feed-forward net, each with a residual and a
LayerNorm."""

import keras

from bert_tf.layers.activations import get_activation
from bert_tf.layers.fused import dropout_add_layer_norm, dropout_arguments
from bert_tf.layers.self_attention import SelfAttention


@keras.saving.register_keras_serializable(package="bert_tf")
class TransformerBlock(keras.layers.Layer):
    """The block of `transformer_model` in the original modeling.py (post-LN, as in the paper).

    x = LayerNorm(x + Dropout(Dense(SelfAttention(x))))
    y = LayerNorm(x + Dropout(Dense(act(Dense(x)))))

    Each LayerNorm(x + Dropout(...)) runs as one fused kernel (bert_tf.layers.fused).

    Args:
        hidden_size: int, width of the block's input and output.
        num_heads: int, attention heads; divides hidden_size.
        intermediate_size: int, width of the feed-forward inner layer.
        hidden_act: str, activation name (see `get_activation`).
        hidden_dropout_prob: float, dropout on each sublayer's output.
        attention_probs_dropout_prob: float, dropout on attention probabilities.
        initializer_range: float, stddev of the truncated-normal initializer.

    Call args:
        hidden_states: float Tensor of shape [batch_size, seq_length, hidden_size].
        attention_mask: Tensor of shape [batch_size, seq_length], 1 real, 0 padding.

    Returns:
        float Tensor of shape [batch_size, seq_length, hidden_size].
    """

    def __init__(
        self,
        hidden_size,
        num_heads,
        intermediate_size,
        hidden_act="gelu",
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
        initializer_range=0.02,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.hidden_size = hidden_size
        self.num_heads = num_heads
        self.intermediate_size = intermediate_size
        self.hidden_act = hidden_act
        self.hidden_dropout_prob = hidden_dropout_prob
        self.attention_probs_dropout_prob = attention_probs_dropout_prob
        self.initializer_range = initializer_range

        init = keras.initializers.TruncatedNormal(stddev=initializer_range)
        policy = self.dtype_policy
        self.attention = SelfAttention(
            num_heads,
            hidden_size // num_heads,
            attention_probs_dropout_prob,
            initializer_range,
            name="attention",
            dtype=policy,
        )
        self.attention_output = keras.layers.Dense(
            hidden_size, kernel_initializer=init, name="attention_output", dtype=policy
        )
        # As keras.layers.Dropout, a seed generator only for a rate above 0: creating one
        # draws from the global seed, which would change the weights' initial values.
        self.attention_dropout_seed = keras.random.SeedGenerator() if hidden_dropout_prob else None
        self.attention_layer_norm = keras.layers.LayerNormalization(
            epsilon=1e-12, name="attention_layer_norm", dtype=policy
        )
        self.intermediate = keras.layers.Dense(
            intermediate_size,
            activation=get_activation(hidden_act),
            kernel_initializer=init,
            name="intermediate",
            dtype=policy,
        )
        self.output_dense = keras.layers.Dense(
            hidden_size, kernel_initializer=init, name="output_dense", dtype=policy
        )
        self.output_dropout_seed = keras.random.SeedGenerator() if hidden_dropout_prob else None
        self.output_layer_norm = keras.layers.LayerNormalization(
            epsilon=1e-12, name="output_layer_norm", dtype=policy
        )

    def build(self, input_shape=None):
        shape = (None, None, self.hidden_size)
        self.attention.build(shape)
        self.attention_output.build(shape)
        self.attention_layer_norm.build(shape)
        self.intermediate.build(shape)
        self.output_dense.build((None, None, self.intermediate_size))
        self.output_layer_norm.build(shape)

    def call(self, hidden_states, attention_mask, training=None):
        context = self.attention(hidden_states, attention_mask, training=training)
        attended = self._add_and_normalize(
            self.attention_output(context),
            hidden_states,
            self.attention_layer_norm,
            self.attention_dropout_seed,
            training,
        )
        feed_forward = self.output_dense(self.intermediate(attended))
        return self._add_and_normalize(
            feed_forward, attended, self.output_layer_norm, self.output_dropout_seed, training
        )

    def _add_and_normalize(self, x, residual, layer_norm, seed_generator, training):
        """layer_norm(residual + Dropout(x)), its weights and epsilon those of the Keras layer."""
        rate, seed = dropout_arguments(self.hidden_dropout_prob, seed_generator, training)
        return dropout_add_layer_norm(
            x, residual, layer_norm.gamma, layer_norm.beta, rate, seed, layer_norm.epsilon
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            hidden_size=self.hidden_size,
            num_heads=self.num_heads,
            intermediate_size=self.intermediate_size,
            hidden_act=self.hidden_act,
            hidden_dropout_prob=self.hidden_dropout_prob,
            attention_probs_dropout_prob=self.attention_probs_dropout_prob,
            initializer_range=self.initializer_range,
        )
        return config
