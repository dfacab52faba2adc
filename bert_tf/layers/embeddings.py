"""The BERT embedding sum: word + learned position + segment, then LayerNorm and dropout."""

import keras
from keras import ops

from bert_tf.layers.fused import dropout_arguments, layer_norm_dropout


@keras.saving.register_keras_serializable(package="bert_tf")
class BertEmbeddings(keras.layers.Layer):
    """Embeds token ids, positions and segment ids, as `embedding_postprocessor` does.

    Args:
        vocab_size: int, rows of the word-embedding table.
        hidden_size: int, embedding width.
        max_position_embeddings: int, rows of the position table; the longest sequence.
        type_vocab_size: int, rows of the segment table.
        dropout_rate: float, dropout after the LayerNorm.
        initializer_range: float, stddev of the truncated-normal initializer.

    Call args:
        input_word_ids: int32 Tensor of shape [batch_size, seq_length].
        input_type_ids: int32 Tensor of shape [batch_size, seq_length].

    Returns:
        float Tensor of shape [batch_size, seq_length, hidden_size].
    """

    def __init__(
        self,
        vocab_size,
        hidden_size,
        max_position_embeddings,
        type_vocab_size,
        dropout_rate=0.1,
        initializer_range=0.02,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.max_position_embeddings = max_position_embeddings
        self.type_vocab_size = type_vocab_size
        self.dropout_rate = dropout_rate
        self.initializer_range = initializer_range
        self.layer_norm = keras.layers.LayerNormalization(
            epsilon=1e-12, name="layer_norm", dtype=self.dtype_policy
        )
        # Only for a rate above 0, as keras.layers.Dropout: one draws from the global seed.
        self.dropout_seed = keras.random.SeedGenerator() if dropout_rate else None

    def build(self, input_shape=None):
        init = keras.initializers.TruncatedNormal(stddev=self.initializer_range)
        self.word_embeddings = self.add_weight(
            name="word_embeddings", shape=(self.vocab_size, self.hidden_size), initializer=init
        )
        self.position_embeddings = self.add_weight(
            name="position_embeddings",
            shape=(self.max_position_embeddings, self.hidden_size),
            initializer=init,
        )
        self.token_type_embeddings = self.add_weight(
            name="token_type_embeddings",
            shape=(self.type_vocab_size, self.hidden_size),
            initializer=init,
        )
        self.layer_norm.build((None, None, self.hidden_size))

    def call(self, input_word_ids, input_type_ids, training=None):
        seq_length = ops.shape(input_word_ids)[1]
        embeddings = (
            ops.take(self.word_embeddings, input_word_ids, axis=0)
            + ops.take(self.token_type_embeddings, input_type_ids, axis=0)
            + self.position_embeddings[None, :seq_length, :]
        )
        rate, seed = dropout_arguments(self.dropout_rate, self.dropout_seed, training)
        # One fused kernel (bert_tf.layers.fused) with the Keras LayerNorm's weights.
        return layer_norm_dropout(
            embeddings,
            self.layer_norm.gamma,
            self.layer_norm.beta,
            rate,
            seed,
            self.layer_norm.epsilon,
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            vocab_size=self.vocab_size,
            hidden_size=self.hidden_size,
            max_position_embeddings=self.max_position_embeddings,
            type_vocab_size=self.type_vocab_size,
            dropout_rate=self.dropout_rate,
            initializer_range=self.initializer_range,
        )
        return config
