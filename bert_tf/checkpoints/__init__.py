"""Checkpoint conversion: Google's TF1 layout, Hugging Face weights, and our own format."""

from bert_tf.checkpoints.convert import convert_to_ours, convert_to_tf1
from bert_tf.checkpoints.huggingface import (
    load_huggingface_weights,
    open_huggingface_weights,
    read_huggingface_config,
)
from bert_tf.checkpoints.native import build_model_for_checkpoint, read_checkpoint, write_checkpoint
from bert_tf.checkpoints.pretrained import checkpoint_format, load_pretrained, resume_or_initialize
from bert_tf.checkpoints.tf1 import (
    build_model_for_tf1_names,
    load_tf1_checkpoint,
    open_tf1_checkpoint,
    save_tf1_checkpoint,
    tf1_weight_table,
)
