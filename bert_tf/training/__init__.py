"""Training: strategy and precision from flags, the custom loop, evaluation helpers."""

from bert_tf.training.evaluation import evaluate, predict
from bert_tf.training.strategy import get_strategy, is_chief, set_precision
from bert_tf.training.trainer import NonFiniteLossError, Trainer
