"""BertTokenClassifier: a label per token (NER), on the sequence output."""

import keras

from bert_tf.models.encoder_model import EncoderModel


@keras.saving.register_keras_serializable(package="bert_tf")
class BertTokenClassifier(EncoderModel):
    """Dropout + dense on every position of `sequence_output`.

    Args:
        encoder: a BertEncoder.
        num_labels: int, number of tags.
        dropout_rate: float or None; None takes the encoder's hidden_dropout_prob.

    Call args:
        inputs: dict of the encoder's inputs, each int32 [batch_size, seq_length].

    Returns:
        dict with `logits`: float32 Tensor [batch_size, seq_length, num_labels].
    """

    def __init__(self, encoder, num_labels, dropout_rate=None, **kwargs):
        super().__init__(encoder, **kwargs)
        self.num_labels = num_labels
        self.dropout_rate = dropout_rate
        self.classifier = self.output_head(num_labels, dropout_rate, "classifier", input_rank=3)

    def call(self, inputs, training=None):
        sequence = self.encoder(inputs, training=training)["sequence_output"]
        return {"logits": self.classifier(sequence, training=training)}

    def head_config(self):
        return {"num_labels": self.num_labels, "dropout_rate": self.dropout_rate}
