"""BertSpanLabeler: start and end logits over the sequence (SQuAD)."""

import keras

from bert_tf.models.encoder_model import EncoderModel


@keras.saving.register_keras_serializable(package="bert_tf")
class BertSpanLabeler(EncoderModel):
    """The model of the original run_squad.py: a [hidden, 2] projection of each position.

    Args:
        encoder: a BertEncoder.

    Call args:
        inputs: dict of the encoder's inputs, each int32 [batch_size, seq_length].

    Returns:
        dict with `start_logits` and `end_logits`, float32 Tensors [batch_size, seq_length].
    """

    def __init__(self, encoder, **kwargs):
        super().__init__(encoder, **kwargs)
        self.span = self.output_head(2, 0.0, "span", input_rank=3)

    def call(self, inputs, training=None):
        logits = self.span(self.encoder(inputs, training=training)["sequence_output"])
        return {"start_logits": logits[:, :, 0], "end_logits": logits[:, :, 1]}
