"""BertClassifier: sentence(-pair) classification or regression on the pooled output."""

import keras

from bert_tf.models.encoder_model import EncoderModel


@keras.saving.register_keras_serializable(package="bert_tf")
class BertClassifier(EncoderModel):
    """The model of the original run_classifier.py: dropout + dense on `pooled_output`.

    Args:
        encoder: a BertEncoder.
        num_labels: int, number of classes; 1 means regression (STS-B).
        dropout_rate: float or None; None takes the encoder's hidden_dropout_prob.

    Call args:
        inputs: dict of the encoder's inputs, each int32 [batch_size, seq_length].

    Returns:
        dict with `logits`: float32 Tensor [batch_size, num_labels] (the score when
        num_labels is 1).
    """

    def __init__(self, encoder, num_labels, dropout_rate=None, **kwargs):
        super().__init__(encoder, **kwargs)
        self.num_labels = num_labels
        self.dropout_rate = dropout_rate
        self.classifier = self.output_head(num_labels, dropout_rate, "classifier", input_rank=2)

    def call(self, inputs, training=None):
        pooled = self.encoder(inputs, training=training)["pooled_output"]
        return {"logits": self.classifier(pooled, training=training)}

    def head_config(self):
        return {"num_labels": self.num_labels, "dropout_rate": self.dropout_rate}
