"""Whole conversions, as the convert_checkpoint script runs them: foreign → ours, ours → TF1."""

import contextlib
import os
import shutil

import tensorflow as tf

from bert_tf.checkpoints import huggingface, native, tf1
from bert_tf.config import BertConfig
from bert_tf.errors import CheckpointError, ConfigError
from bert_tf.file_io import atomic_output
from bert_tf.model_settings import (
    CONFIG_NAME,
    VOCAB_NAME,
    ModelSettings,
    huggingface_casing,
    model_directory,
)
from bert_tf.models import head_of

FORMATS = ("tf1", "huggingface")
# Our converted checkpoint and the TF1 export, as prefixes inside the output directory.
MODEL_CHECKPOINT_NAME = "model.ckpt"
TF1_CHECKPOINT_NAME = "bert_model.ckpt"


def detect_format(path):
    """Returns "huggingface" for a HF directory or weights file, "tf1" for a checkpoint prefix."""
    if os.path.isdir(path) or path.endswith((".safetensors", ".bin")):
        return "huggingface"
    if os.path.exists(path + ".index"):
        return "tf1"
    raise CheckpointError(
        f"{path}: neither a Hugging Face directory/weights file nor a TF1 "
        "checkpoint prefix (no .index file); give checkpoint_format"
    )


def import_checkpoint(path, checkpoint_format, bert_config_file=None):
    """Builds the model a foreign checkpoint holds and loads it.

    Args:
        path: a TF1 checkpoint prefix, or a HF directory or weights file.
        checkpoint_format: "tf1" or "huggingface".
        bert_config_file: a bert_config.json, or a Hugging Face config.json (see
            BertConfig.from_dict). Required for TF1; for HF, None reads the config.json
            beside the weights.

    Returns:
        (config, model, unused): the BertConfig, the loaded model (a BertEncoder or the
        task model whose heads the checkpoint holds) and the checkpoint's unused names.
    """
    if checkpoint_format == "tf1":
        if not bert_config_file:
            raise CheckpointError(f"{path}: a TF1 checkpoint needs its bert_config.json")
        config = BertConfig.from_json_file(bert_config_file)
        checkpoint = tf1.open_tf1_checkpoint(path)
    elif checkpoint_format == "huggingface":
        config = (
            BertConfig.from_json_file(bert_config_file)
            if bert_config_file
            else huggingface.read_huggingface_config(
                path if os.path.isdir(path) else os.path.dirname(path)
            )
        )
        checkpoint = huggingface.open_huggingface_weights(path)
    else:
        raise ConfigError(f"checkpoint_format must be one of {FORMATS}, got {checkpoint_format!r}")
    model = tf1.build_model_for_tf1_names(config, checkpoint.shapes)
    unused = tf1.assign_tf1_weights(model, checkpoint)
    return config, model, unused


@contextlib.contextmanager
def atomic_directory(output_dir):
    """Yields a temporary directory beside `output_dir`, renamed to it when the block succeeds.

    `output_dir` may exist only if empty, so a conversion never mixes with older files.
    """
    if tf.io.gfile.isdir(output_dir):
        if tf.io.gfile.listdir(output_dir):
            raise FileExistsError(f"{output_dir}: output directory exists and is not empty")
        tf.io.gfile.rmtree(output_dir)
    with atomic_output(output_dir) as temp_dir:
        tf.io.gfile.makedirs(temp_dir)
        yield temp_dir


def _beside(input_path, name):
    """The file `name` in the checkpoint's folder, or None."""
    path = os.path.join(
        input_path if os.path.isdir(input_path) else os.path.dirname(input_path), name
    )
    return path if os.path.isfile(path) else None


def _copy_vocab(input_path, directory):
    vocab = _beside(input_path, VOCAB_NAME)
    if vocab:
        shutil.copyfile(vocab, os.path.join(directory, VOCAB_NAME))


def convert_to_ours(path, checkpoint_format, bert_config_file, output_dir):
    """Writes a model directory (bert_tf.model_settings) from a foreign checkpoint.

    output_dir gets model.ckpt, bert_config.json, the vocab.txt found beside the input and
    model_settings.json (the head it holds; the casing, from a Hugging Face
    tokenizer_config.json).

    Returns:
        (prefix of our checkpoint in output_dir, the checkpoint's unused names).
    """
    config, model, unused = import_checkpoint(path, checkpoint_format, bert_config_file)
    with atomic_directory(output_dir) as tmp:
        native.write_checkpoint(model, os.path.join(tmp, MODEL_CHECKPOINT_NAME))
        config_file = os.path.join(tmp, CONFIG_NAME)
        config.to_json_file(config_file)
        head = head_of(model)
        ModelSettings(
            bert_config_file=config_file,
            vocab_file=_beside(path, VOCAB_NAME),
            do_lower_case=(
                huggingface_casing(model_directory(path))
                if checkpoint_format == "huggingface"
                else None
            ),
            model_type=head.model_type if head else "encoder",
        ).write(tmp)
    return os.path.join(output_dir, MODEL_CHECKPOINT_NAME), unused


def convert_to_tf1(path, bert_config_file, output_dir):
    """Writes `output_dir/{bert_model.ckpt.*, bert_config.json}`: our checkpoint in Google's layout.

    Returns:
        the TF1 checkpoint prefix in output_dir.
    """
    config = BertConfig.from_json_file(bert_config_file)
    model = native.read_checkpoint(native.build_model_for_checkpoint(config, path), path)
    with atomic_directory(output_dir) as tmp:
        tf1.save_tf1_checkpoint(model, os.path.join(tmp, TF1_CHECKPOINT_NAME))
        config.to_json_file(os.path.join(tmp, CONFIG_NAME))
        _copy_vocab(path, tmp)
    return os.path.join(output_dir, TF1_CHECKPOINT_NAME)
