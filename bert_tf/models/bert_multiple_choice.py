"""BertMultipleChoice: one score per choice (SWAG), softmax over the choices."""

import keras
from keras import ops

from bert_tf.models.encoder_model import EncoderModel


@keras.saving.register_keras_serializable(package="bert_tf")
class BertMultipleChoice(EncoderModel):
    """Encodes each (context, choice) pair and scores its pooled output.

    Args:
        encoder: a BertEncoder.
        dropout_rate: float or None; None takes the encoder's hidden_dropout_prob.

    Call args:
        inputs: dict of the encoder's inputs, each int32 [batch_size, num_choices, seq_length].

    Returns:
        dict with `logits`: float32 Tensor [batch_size, num_choices]; a softmax over
        the last axis gives the choice probabilities.
    """

    def __init__(self, encoder, dropout_rate=None, **kwargs):
        super().__init__(encoder, **kwargs)
        self.dropout_rate = dropout_rate
        self.classifier = self.output_head(1, dropout_rate, "classifier", input_rank=2)

    def call(self, inputs, training=None):
        shape = ops.shape(inputs["input_word_ids"])
        flat = {
            name: ops.reshape(inputs[name], (-1, shape[-1]))
            for name in ("input_word_ids", "input_mask", "input_type_ids")
        }
        pooled = self.encoder(flat, training=training)["pooled_output"]
        scores = self.classifier(pooled, training=training)
        return {"logits": ops.reshape(scores, (shape[0], shape[1]))}

    def head_config(self):
        return {"dropout_rate": self.dropout_rate}
