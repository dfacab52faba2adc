"""Keras layers of BERT: embeddings, self-attention, transformer block, heads."""

import keras

if keras.backend.backend() != "tensorflow":
    raise ImportError(
        f"bert_tf runs on Keras' TensorFlow backend, but Keras is set to "
        f"{keras.backend.backend()!r}: set KERAS_BACKEND=tensorflow"
    )

from bert_tf.layers.activations import get_activation
from bert_tf.layers.classification_head import ClassificationHead
from bert_tf.layers.embeddings import BertEmbeddings
from bert_tf.layers.masked_lm_head import MaskedLMHead
from bert_tf.layers.self_attention import SelfAttention
from bert_tf.layers.transformer_block import TransformerBlock
