"""Google's TF1 checkpoint layout (`bert_model.ckpt`): the one name table, reading and writing.

The variable names of the original modeling.py / run_*.py are the spec. Every other
foreign format (Hugging Face) is first renamed into these names, so this file holds
the only mapping between our weights and a foreign layout.
"""

import collections
import contextlib
import dataclasses
import pickle
import struct

import numpy as np
import tensorflow as tf
from safetensors import SafetensorError

from bert_tf.errors import CheckpointError
from bert_tf.models import BertEncoder, BertPretrainer
from bert_tf.models.heads import build_model_for_layers, head_of

HEAD_MODES = ("require", "ignore")

# Written by the original training loop next to the weights; never part of the model.
_OPTIMIZER_SUFFIXES = ("/adam_m", "/adam_v")
_NON_MODEL_NAMES = ("global_step",)


class NamedTensors(collections.namedtuple("NamedTensors", "shapes read_tensor source")):
    """A checkpoint seen through TF1 names.

    Attributes:
        shapes: dict from TF1 variable name to its shape (a sequence of ints).
        read_tensor: function from a TF1 variable name to a numpy array.
        source: the file or prefix it came from, for error messages.
    """


# What a truncated, damaged or foreign file raises in TensorFlow's checkpoint reader, in
# safetensors and in PyTorch's loader.
_READ_ERRORS = (
    tf.errors.OpError,
    OSError,
    EOFError,
    IndexError,
    ValueError,
    AssertionError,
    RuntimeError,
    struct.error,
    pickle.UnpicklingError,
    SafetensorError,
)


@contextlib.contextmanager
def reading(path):
    """Raises what reading the checkpoint at `path` raises as a CheckpointError naming it."""
    try:
        yield
    except CheckpointError:
        raise
    except _READ_ERRORS as error:
        raise CheckpointError(
            f"{path}: cannot read it as a checkpoint of this model: {error}"
        ) from error


@dataclasses.dataclass(frozen=True)
class Tf1Weight:
    """One row of the name table.

    Attributes:
        name: the TF1 variable name, e.g. `bert/encoder/layer_0/attention/self/query/kernel`.
        variable: our Keras variable holding it.
        transposed: True where TF1 stores the matrix as [out, in] (`output_weights`)
            while our Dense kernel is [in, out].
        is_head: True for weights outside the encoder (MLM, NSP and fine-tuning heads).
        optional: True where the model never uses the weight, so a checkpoint may lack it.
    """

    name: str
    variable: object
    transposed: bool = False
    is_head: bool = False
    optional: bool = False

    @property
    def tf1_shape(self):
        shape = tuple(self.variable.shape)
        return shape[::-1] if self.transposed else shape


def _dense(scope, dense, is_head=False):
    return [
        Tf1Weight(f"{scope}/kernel", dense.kernel, is_head=is_head),
        Tf1Weight(f"{scope}/bias", dense.bias, is_head=is_head),
    ]


def _layer_norm(scope, layer_norm, is_head=False):
    return [
        Tf1Weight(f"{scope}/gamma", layer_norm.gamma, is_head=is_head),
        Tf1Weight(f"{scope}/beta", layer_norm.beta, is_head=is_head),
    ]


def _output_layer(scope, head):
    """A ClassificationHead as the original's `output_weights` [num_classes, hidden] and
    `output_bias`."""
    return [
        Tf1Weight(f"{scope}output_weights", head.dense.kernel, transposed=True, is_head=True),
        Tf1Weight(f"{scope}output_bias", head.dense.bias, is_head=True),
    ]


def _encoder_table(encoder):
    embeddings = encoder.embeddings
    table = [
        Tf1Weight("bert/embeddings/word_embeddings", embeddings.word_embeddings),
        Tf1Weight("bert/embeddings/position_embeddings", embeddings.position_embeddings),
        Tf1Weight("bert/embeddings/token_type_embeddings", embeddings.token_type_embeddings),
        *_layer_norm("bert/embeddings/LayerNorm", embeddings.layer_norm),
    ]
    for i, block in enumerate(encoder.transformer_layers):
        scope = f"bert/encoder/layer_{i}"
        table += [
            *_dense(f"{scope}/attention/self/query", block.attention.query),
            *_dense(f"{scope}/attention/self/key", block.attention.key),
            *_dense(f"{scope}/attention/self/value", block.attention.value),
            *_dense(f"{scope}/attention/output/dense", block.attention_output),
            *_layer_norm(f"{scope}/attention/output/LayerNorm", block.attention_layer_norm),
            *_dense(f"{scope}/intermediate/dense", block.intermediate),
            *_dense(f"{scope}/output/dense", block.output_dense),
            *_layer_norm(f"{scope}/output/LayerNorm", block.output_layer_norm),
        ]
    return table + _dense("bert/pooler/dense", encoder.pooler)


def _without_pooler_needed(table):
    # HF saves its token-classification and QA models without a pooler, which they never use.
    return [
        dataclasses.replace(row, optional=True) if row.name.startswith("bert/pooler/") else row
        for row in table
    ]


def _head_table(model, head):
    table = _output_layer(head.tf1_scope, getattr(model, head.layer))
    if isinstance(model, BertPretrainer):
        masked_lm = model.masked_lm
        table = [
            *_dense("cls/predictions/transform/dense", masked_lm.transform, is_head=True),
            *_layer_norm("cls/predictions/transform/LayerNorm", masked_lm.layer_norm, is_head=True),
            Tf1Weight("cls/predictions/output_bias", masked_lm.output_bias, is_head=True),
            *table,
        ]
    return table


def tf1_weight_table(model, heads="require"):
    """Returns the list of Tf1Weight rows for `model`.

    Args:
        model: a BertEncoder, or a task model of the table of heads (bert_tf.models.heads).
        heads: "require" lists the head weights too; "ignore" lists the encoder only,
            with the pooler optional: fine-tuning starts heads fresh, and a checkpoint
            saved without a pooler (Hugging Face's BertForMaskedLM) leaves it fresh too.
    """
    if heads not in HEAD_MODES:
        raise ValueError(f"heads must be one of {HEAD_MODES}, got {heads!r}")
    head = head_of(model)
    table = _encoder_table(model.encoder if head else model)
    if heads == "ignore" or (head and not head.uses_pooler):
        table = _without_pooler_needed(table)
    return table + _head_table(model, head) if head and heads == "require" else table


def is_model_variable(name):
    """False for optimizer slots and the step counter the original training loop saved."""
    return name not in _NON_MODEL_NAMES and not name.endswith(_OPTIMIZER_SUFFIXES)


def assign_tf1_weights(model, checkpoint, heads="require"):
    """Copies weights named in the TF1 layout into `model`, checking every name and shape first.

    Nothing is assigned unless the whole table fits, so a failed load leaves the model as it was.

    Args:
        model: see `tf1_weight_table`.
        checkpoint: a NamedTensors.
        heads: "require" (a missing head weight is an error) or "ignore" (heads keep
            their fresh initialization, as for fine-tuning from a pretrained checkpoint).

    Returns:
        sorted list of the checkpoint's model variable names that were not used.
    """
    shapes, read_tensor, source = checkpoint
    table = [
        row for row in tf1_weight_table(model, heads) if row.name in shapes or not row.optional
    ]
    for row in table:
        if row.name not in shapes:
            raise CheckpointError(
                f"{source}: missing variable '{row.name}' "
                f"(the model expects shape {list(row.tf1_shape)})"
            )
        if tuple(shapes[row.name]) != row.tf1_shape:
            raise CheckpointError(
                f"{source}: variable '{row.name}' has shape "
                f"{list(shapes[row.name])}, the model expects {list(row.tf1_shape)}"
            )
    for row in table:
        value = np.asarray(read_tensor(row.name))
        row.variable.assign(value.T if row.transposed else value)
    used = {row.name for row in table}
    return sorted(name for name in shapes if is_model_variable(name) and name not in used)


def open_tf1_checkpoint(ckpt_prefix):
    """Returns the NamedTensors of a TF1 checkpoint prefix such as `.../bert_model.ckpt`."""
    with reading(ckpt_prefix):
        reader = tf.train.load_checkpoint(ckpt_prefix)

    def read_tensor(name):
        with reading(ckpt_prefix):
            return reader.get_tensor(name)

    return NamedTensors(reader.get_variable_to_shape_map(), read_tensor, ckpt_prefix)


def load_tf1_checkpoint(model, ckpt_prefix, heads="require"):
    """Loads a Google BERT checkpoint (`bert_model.ckpt` prefix) into `model`.

    Optimizer slots (`adam_m`, `adam_v`) and `global_step` are skipped.

    Args:
        model: see `tf1_weight_table`.
        ckpt_prefix: str, the checkpoint prefix (the files are `<prefix>.index`, `<prefix>.data-*`).
        heads: "require" or "ignore", see `assign_tf1_weights`.

    Returns:
        sorted list of the checkpoint's model variables the model did not take
        (for example `cls/...` when loading into a bare encoder).
    """
    return assign_tf1_weights(model, open_tf1_checkpoint(ckpt_prefix), heads)


def save_tf1_checkpoint(model, ckpt_prefix):
    """Writes `model`'s weights under the original TF1 names, readable by the original code.

    Args:
        model: see `tf1_weight_table`; all its heads are written.
        ckpt_prefix: str, e.g. `out/bert_model.ckpt`; writes `.index` and `.data-*` files.
    """
    table = tf1_weight_table(model)
    tensors = [row.variable.numpy().T if row.transposed else row.variable.numpy() for row in table]
    tf.raw_ops.SaveV2(
        prefix=ckpt_prefix,
        tensor_names=[row.name for row in table],
        shape_and_slices=[""] * len(table),
        tensors=tensors,
    )


def build_model_for_tf1_names(config, shapes):
    """Builds the model whose head a checkpoint holds, judged by its TF1 variable names.

    The head is found by its output layer's `<tf1_scope>output_weights` [num_labels, hidden]
    (bert_tf.models.heads); a checkpoint with none gives a BertEncoder.
    """

    def output_width(head):
        weights = shapes.get(f"{head.tf1_scope}output_weights")
        return None if weights is None else weights[0]

    return build_model_for_layers(BertEncoder(config), output_width)
