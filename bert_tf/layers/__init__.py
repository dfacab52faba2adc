"""Keras layers of BERT: embeddings, self-attention, transformer block, heads."""

from bert_tf.layers.activations import get_activation
from bert_tf.layers.classification_head import ClassificationHead
from bert_tf.layers.embeddings import BertEmbeddings
from bert_tf.layers.masked_lm_head import MaskedLMHead
from bert_tf.layers.self_attention import SelfAttention
from bert_tf.layers.transformer_block import TransformerBlock
