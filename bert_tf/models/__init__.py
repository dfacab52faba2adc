"""BERT models: the encoder and the task wrappers built on it."""

from bert_tf.models.bert_classifier import BertClassifier
from bert_tf.models.bert_encoder import BertEncoder
from bert_tf.models.bert_multiple_choice import BertMultipleChoice
from bert_tf.models.bert_pretrainer import BertPretrainer
from bert_tf.models.bert_span_labeler import BertSpanLabeler
from bert_tf.models.bert_token_classifier import BertTokenClassifier
from bert_tf.models.heads import HEADS, HEADS_BY_TYPE, MODEL_TYPES, build_model, head_of
