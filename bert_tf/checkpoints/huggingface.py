"""Hugging Face BERT weights (`model.safetensors` or `pytorch_model.bin`, with `config.json`).

Names are renamed into the TF1 layout (see tf1.py, the only name table) and torch
Linear weights, stored [out, in], are transposed into TF1 `kernel`s [in, out].
"""

import os
import re

import numpy as np

from bert_tf.checkpoints.tf1 import NamedTensors, assign_tf1_weights, reading
from bert_tf.config import BertConfig
from bert_tf.errors import CheckpointError
from bert_tf.models.heads import HEADS

SAFETENSORS_NAME = "model.safetensors"
PYTORCH_NAME = "pytorch_model.bin"
CONFIG_NAME = "config.json"

# Buffers and the decoder tied to the word embeddings: not weights of their own.
_SKIPPED = re.compile(r"(^|\.)(position_ids|token_type_ids)$|^cls\.predictions\.decoder\.")

# Applied in order to a HF name (dots) to give the TF1 name (slashes in the end).
_RENAMES = [
    (r"^(?:bert\.)?(embeddings|encoder|pooler)\.", r"bert.\1."),  # BertModel saves lack `bert.`
    (r"\.layer\.(\d+)\.", r".layer_\1."),
    (r"\.LayerNorm\.(?:weight|gamma)$", ".LayerNorm.gamma"),
    (r"\.LayerNorm\.(?:bias|beta)$", ".LayerNorm.beta"),
    (r"_embeddings\.weight$", "_embeddings"),
    (r"^cls\.predictions\.bias$", "cls.predictions.output_bias"),
    # Each head's output layer (bert_tf.models.heads) is an [out, in] matrix in TF1 too
    # (`output_weights`), so it is not transposed.
    *dict.fromkeys(
        (rf"^{re.escape(head.hf_module)}\.{hf}$", head.tf1_scope.replace("/", ".") + tf1)
        for head in HEADS
        for hf, tf1 in (("weight", "output_weights"), ("bias", "output_bias"))
    ),
    (r"\.weight$", ".kernel"),
]


def huggingface_to_tf1_name(name):
    """Returns the TF1 name of a HF BERT weight name, or None for a skipped buffer/tied weight."""
    if _SKIPPED.search(name):
        return None
    for pattern, replacement in _RENAMES:
        name = re.sub(pattern, replacement, name)
    return name.replace(".", "/")


def _weights_file(path):
    if os.path.isfile(path):
        return path
    for name in (SAFETENSORS_NAME, PYTORCH_NAME):
        candidate = os.path.join(path, name)
        if os.path.isfile(candidate):
            return candidate
    raise CheckpointError(f"{path}: no {SAFETENSORS_NAME} or {PYTORCH_NAME} found")


def _read_pytorch_bin(path):
    try:
        import torch  # Only this legacy format needs it; safetensors does not.
    except ImportError:
        raise CheckpointError(
            f"{path}: reading pytorch_model.bin needs PyTorch, which is not "
            f"installed; convert it to {SAFETENSORS_NAME} or install torch"
        ) from None
    state = torch.load(path, map_location="cpu", weights_only=True)
    return {
        name: tensor.float().numpy() if tensor.is_floating_point() else tensor.numpy()
        for name, tensor in state.items()
    }


def open_huggingface_weights(path):
    """Reads HF BERT weights as NamedTensors: TF1 names, arrays in the TF1 layout.

    Args:
        path: a HF model directory, or a `.safetensors` / `.bin` file.
    """
    weights_file = _weights_file(path)
    with reading(weights_file):
        if weights_file.endswith(".safetensors"):
            from safetensors.numpy import load_file

            state = load_file(weights_file)
        else:
            state = _read_pytorch_bin(weights_file)
    tensors = {}
    for name, value in state.items():
        tf1_name = huggingface_to_tf1_name(name)
        if tf1_name is not None:
            value = np.asarray(value, np.float32)
            tensors[tf1_name] = value.T if tf1_name.endswith("/kernel") else value
    return NamedTensors(
        {name: value.shape for name, value in tensors.items()}, tensors.__getitem__, weights_file
    )


def load_huggingface_weights(model, path, heads="require"):
    """Loads HF BERT weights (BertModel, BertForPreTraining or a fine-tuned head) into `model`.

    Args:
        model: a BertEncoder or a task model, see `tf1_weight_table`.
        path: a HF model directory, or a `.safetensors` / `.bin` file.
        heads: "require" or "ignore", see `assign_tf1_weights`.

    Returns:
        sorted list of TF1 names of the weights the model did not take.
    """
    return assign_tf1_weights(model, open_huggingface_weights(path), heads)


def read_huggingface_config(path):
    """Reads a HF BERT `config.json` (or the directory holding it) as a BertConfig.

    Raises ConfigError naming the file and the field for settings our model does not have
    (see BertConfig.from_dict).
    """
    return BertConfig.from_json_file(
        os.path.join(path, CONFIG_NAME) if os.path.isdir(path) else path
    )
