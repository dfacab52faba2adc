"""EncoderModel: the base of every model that puts heads on a BertEncoder."""

import keras


class EncoderModel(keras.Model):
    """Holds `self.encoder` and serializes it alongside the head's own arguments.

    Subclasses build their heads in `__init__` and list their own constructor
    arguments in `head_config()`.
    """

    def __init__(self, encoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder

    def head_config(self):
        return {}

    def get_config(self):
        return {"encoder": keras.saving.serialize_keras_object(self.encoder), "name": self.name,
                **self.head_config()}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["encoder"] = keras.saving.deserialize_keras_object(config["encoder"])
        return cls(**config)
