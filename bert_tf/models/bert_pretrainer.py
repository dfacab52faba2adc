"""BertPretrainer: the encoder with the masked-LM and next-sentence heads."""

import keras

from bert_tf.layers import MaskedLMHead
from bert_tf.models.encoder_model import EncoderModel


@keras.saving.register_keras_serializable(package="bert_tf")
class BertPretrainer(EncoderModel):
    """MLM + NSP pretraining model, as `run_pretraining.py`'s model_fn builds it.

    Args:
        encoder: a BertEncoder.

    Call args:
        inputs: dict with the encoder's three inputs and `masked_lm_positions`,
            int32 Tensor of shape [batch_size, max_predictions_per_seq].

    Returns:
        dict with
        - `mlm_logits`: float32 Tensor [batch_size, max_predictions_per_seq, vocab_size];
        - `nsp_logits`: float32 Tensor [batch_size, 2] (label 1 = random next sentence).
    """

    def __init__(self, encoder, **kwargs):
        super().__init__(encoder, **kwargs)
        config = encoder.config
        self.masked_lm = MaskedLMHead(
            config.vocab_size,
            config.hidden_size,
            config.hidden_act,
            config.initializer_range,
            name="masked_lm",
            dtype=encoder.dtype_policy,
        )
        self.masked_lm.build()
        self.next_sentence = self.output_head(2, 0.0, "next_sentence", input_rank=2)

    def call(self, inputs, training=None):
        outputs = self.encoder(inputs, training=training)
        return {
            "mlm_logits": self.masked_lm(
                outputs["sequence_output"],
                inputs["masked_lm_positions"],
                self.encoder.embeddings.word_embeddings,
            ),
            "nsp_logits": self.next_sentence(outputs["pooled_output"], training=training),
        }
