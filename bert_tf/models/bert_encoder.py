"""BertEncoder: embeddings, a stack of transformer blocks, and the pooler."""

import keras

from bert_tf.config import BertConfig
from bert_tf.layers import BertEmbeddings, TransformerBlock


@keras.saving.register_keras_serializable(package="bert_tf")
class BertEncoder(keras.Model):
    """The `BertModel` of the original modeling.py as a Keras 3 model.

    Its weights exist as soon as it is constructed, so a checkpoint can be read
    into it before any call.

    Args:
        config: a BertConfig, or a dict of its fields.

    Call args:
        inputs: dict of int32 Tensors, each of shape [batch_size, seq_length]:
            `input_word_ids` (token ids), `input_mask` (1 real, 0 padding) and
            `input_type_ids` (segment ids).

    Returns:
        dict with
        - `sequence_output`: float Tensor [batch_size, seq_length, hidden_size], the last layer;
        - `pooled_output`: float Tensor [batch_size, hidden_size], tanh(Dense(first token));
        - `encoder_outputs`: list of num_hidden_layers Tensors like sequence_output.

    Example:
        >>> encoder = BertEncoder(BertConfig(vocab_size=100, hidden_size=8,
        ...     num_hidden_layers=1, num_attention_heads=2, intermediate_size=16))
        >>> ids = np.array([[2, 5, 6, 3, 0]])
        >>> out = encoder({"input_word_ids": ids, "input_mask": ids > 0,
        ...                "input_type_ids": np.zeros_like(ids)})
        >>> out["pooled_output"].shape
        TensorShape([1, 8])
    """

    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        if isinstance(config, dict):
            config = BertConfig.from_dict(config)
        self.config = config
        policy = self.dtype_policy
        self.embeddings = BertEmbeddings(
            config.vocab_size,
            config.hidden_size,
            config.max_position_embeddings,
            config.type_vocab_size,
            config.hidden_dropout_prob,
            config.initializer_range,
            name="embeddings",
            dtype=policy,
        )
        # One attribute per block: tf.train.Checkpoint does not follow Keras' tracked lists.
        for i in range(config.num_hidden_layers):
            setattr(
                self,
                f"transformer_layer_{i}",
                TransformerBlock(
                    config.hidden_size,
                    config.num_attention_heads,
                    config.intermediate_size,
                    config.hidden_act,
                    config.hidden_dropout_prob,
                    config.attention_probs_dropout_prob,
                    config.initializer_range,
                    name=f"transformer_layer_{i}",
                    dtype=policy,
                ),
            )
        self.pooler = keras.layers.Dense(
            config.hidden_size,
            activation="tanh",
            kernel_initializer=keras.initializers.TruncatedNormal(stddev=config.initializer_range),
            name="pooler",
            dtype=policy,
        )
        self.build()

    @property
    def transformer_layers(self):
        """The TransformerBlocks, bottom first."""
        return [
            getattr(self, f"transformer_layer_{i}") for i in range(self.config.num_hidden_layers)
        ]

    def build(self, input_shape=None):
        shape = (None, None, self.config.hidden_size)
        self.embeddings.build()
        for block in self.transformer_layers:
            block.build(shape)
        self.pooler.build((None, self.config.hidden_size))

    def call(self, inputs, training=None):
        input_mask = inputs["input_mask"]
        hidden_states = self.embeddings(
            inputs["input_word_ids"], inputs["input_type_ids"], training=training
        )
        encoder_outputs = []
        for block in self.transformer_layers:
            hidden_states = block(hidden_states, input_mask, training=training)
            encoder_outputs.append(hidden_states)
        return {
            "sequence_output": hidden_states,
            "pooled_output": self.pooler(hidden_states[:, 0, :]),
            "encoder_outputs": encoder_outputs,
        }

    def get_config(self):
        return {
            "config": self.config.to_dict(),
            "name": self.name,
            "dtype": keras.saving.serialize_keras_object(self.dtype_policy),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["dtype"] = keras.saving.deserialize_keras_object(config.get("dtype"))
        return cls(**config)
