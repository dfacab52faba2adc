"""EncoderModel: the base of every model that puts heads on a BertEncoder."""

import keras

from bert_tf.layers import ClassificationHead


class EncoderModel(keras.Model):
    """Holds `self.encoder` and serializes it alongside the head's own arguments.

    Subclasses build their heads in `__init__` and list their own constructor
    arguments in `head_config()`.
    """

    def __init__(self, encoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder

    def output_head(self, num_outputs, dropout_rate, name, input_rank):
        """A built ClassificationHead on this model's encoder outputs.

        Args:
            num_outputs: int, logits per input vector.
            dropout_rate: float, or None for the encoder's hidden_dropout_prob (the original's
                fine-tuning heads).
            name: str, the layer name (the attribute holding it names it in checkpoints).
            input_rank: 2 for the pooled output [batch, hidden], 3 for the sequence output.
        """
        config = self.encoder.config
        rate = config.hidden_dropout_prob if dropout_rate is None else dropout_rate
        head = ClassificationHead(
            num_outputs, rate, config.initializer_range, name=name, dtype=self.encoder.dtype_policy
        )
        head.build((None,) * (input_rank - 1) + (config.hidden_size,))
        return head

    def head_config(self):
        return {}

    def get_config(self):
        return {
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "name": self.name,
            **self.head_config(),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["encoder"] = keras.saving.deserialize_keras_object(config["encoder"])
        return cls(**config)
