"""One entry point for every `--init_checkpoint`: ours, Google's TF1 layout, or Hugging Face."""

import os
import re

import tensorflow as tf
from absl import logging

from bert_tf.checkpoints import huggingface, native, tf1
from bert_tf.checkpoints.tf1 import CheckpointError
from bert_tf.models import BertEncoder

# The transformer blocks of the encoder, by name: our object graph, and the TF1 names that
# Hugging Face names are renamed into.
_OUR_LAYER = re.compile(r"^model/encoder/transformer_layer_(\d+)/")
_TF1_LAYER = re.compile(r"^bert/encoder/layer_(\d+)/")


def checkpoint_format(path):
    """Returns ("ours" | "tf1" | "huggingface", resolved path) for a checkpoint path.

    Args:
        path: our checkpoint prefix or a directory of them (the latest is taken), a TF1
            `bert_model.ckpt` prefix, or a Hugging Face directory or weights file.
    """
    if os.path.isdir(path) and tf.train.latest_checkpoint(path):
        return "ours", tf.train.latest_checkpoint(path)
    if os.path.isdir(path) or path.endswith((".safetensors", ".bin")):
        return "huggingface", path
    if tf.io.gfile.exists(path + ".index"):
        with tf1.reading(path):
            names = tf.train.load_checkpoint(path).get_variable_to_shape_map()
        return ("tf1" if any(name.startswith("bert/") for name in names) else "ours"), path
    raise CheckpointError(f"{path}: not a checkpoint (no {path}.index), nor a Hugging Face "
                          "directory or weights file")


def _check_depth(model, source, names, layer_pattern):
    """Refuses a checkpoint whose encoder has another number of transformer blocks than `model`.

    Loading by name would otherwise take the first blocks of a deeper checkpoint and silently
    drop the rest, and fail on a shallower one's first missing weight without saying why.
    """
    encoder = model if isinstance(model, BertEncoder) else model.encoder
    found = len({match[1] for match in map(layer_pattern.match, names) if match})
    expected = encoder.config.num_hidden_layers
    if found != expected:
        raise CheckpointError(f"{source}: the checkpoint's encoder has {found} layers, the model "
                              f"(num_hidden_layers in its config) has {expected}")


def load_pretrained(model, path, heads="require"):
    """Loads weights into `model` from a checkpoint in any of the three formats.

    Args:
        model: a BertEncoder or a task model holding one (see bert_tf.models).
        path: see `checkpoint_format`.
        heads: "require" loads the model's heads too (and fails when they are absent);
            "ignore" loads the encoder only, for fine-tuning with fresh heads.

    Raises:
        CheckpointError naming the path and what is missing, damaged or of another shape,
        or the two layer counts when the checkpoint's encoder is of another depth.
    """
    kind, path = checkpoint_format(path)
    if kind == "ours":
        _check_depth(model, path, native.object_shapes(path), _OUR_LAYER)
        target = model if heads == "require" or isinstance(model, BertEncoder) else model.encoder
        native.read_checkpoint(target, path)
    else:
        tensors = (tf1.open_tf1_checkpoint(path) if kind == "tf1"
                   else huggingface.open_huggingface_weights(path))
        _check_depth(model, tensors.source, tensors.shapes, _TF1_LAYER)
        tf1.assign_tf1_weights(model, tensors, heads)
    logging.info("Loaded %s (%s format%s) into %s", path, kind,
                 ", encoder only" if heads == "ignore" else "", type(model).__name__)


def resume_or_initialize(model, output_dir, init_checkpoint=None, heads="require"):
    """The one decision every script makes before training, evaluating or predicting.

    A run whose output_dir holds a checkpoint continues from it (same weights, optimizer state
    and step); only a fresh run reads init_checkpoint, in any of the three formats.

    Args:
        model: see `load_pretrained`.
        output_dir: str, the run's checkpoint directory.
        init_checkpoint: optional str, see `checkpoint_format`.
        heads: see `load_pretrained`; fine-tuning passes "ignore" (fresh task heads).

    A checkpoint that cannot be read in full (a run killed while the file system was writing
    it, a damaged disk) is skipped with a warning naming it, for the newest intact one.

    Returns:
        str, the checkpoint of output_dir to resume from, or None (init_checkpoint, if any,
        is then loaded into model).

    Raises:
        CheckpointError when output_dir has checkpoints and none of them can be read.
    """
    state = tf.train.get_checkpoint_state(output_dir)
    saved = list(reversed(state.all_model_checkpoint_paths)) if state else []
    for path in saved:
        try:
            with tf1.reading(path):
                reader = tf.train.load_checkpoint(path)
                for name in reader.get_variable_to_shape_map():
                    reader.get_tensor(name)
            return path
        except CheckpointError as error:
            logging.warning("Not resuming from %s", error)
    if saved:
        raise CheckpointError(f"{output_dir}: none of its checkpoints ({', '.join(saved)}) "
                                  "can be read; move them away to start afresh")
    if init_checkpoint:
        load_pretrained(model, init_checkpoint, heads)
    return None
