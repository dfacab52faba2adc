"""Damaged, foreign and misfitting checkpoints: an error naming the file (and the variable and
both shapes where the model differs, both layer counts where its depth differs), and a resume
that skips a damaged latest checkpoint."""

import logging
import os
import re

import numpy as np
import pytest
import tensorflow as tf
from safetensors.numpy import save_file

from bert_tf.checkpoints import (
    load_pretrained,
    resume_or_initialize,
    save_tf1_checkpoint,
    write_checkpoint,
)
from bert_tf.checkpoints.huggingface import huggingface_to_tf1_name
from bert_tf.checkpoints.tf1 import tf1_weight_table
from bert_tf.errors import CheckpointError
from bert_tf.models import BertClassifier, BertEncoder
from tests.keras_helpers import tiny_config


def _truncate(path, keep=0.5):
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[: int(len(data) * keep)])


def _ours(tmp_path):
    return write_checkpoint(BertEncoder(tiny_config()), str(tmp_path / "ours" / "model.ckpt"))


def _tf1(tmp_path):
    prefix = str(tmp_path / "tf1" / "bert_model.ckpt")
    save_tf1_checkpoint(BertEncoder(tiny_config()), prefix)
    return prefix


def _safetensors(tmp_path):
    path = str(tmp_path / "model.safetensors")
    save_file({"bert.embeddings.word_embeddings.weight": np.zeros((60, 32), np.float32)}, path)
    return path


def _text(tmp_path, name):
    path = tmp_path / name
    path.write_text("this is not a checkpoint\n")
    return str(path)


DAMAGED = {
    "ours, .data truncated": lambda p: (_ours(p), ".data-00000-of-00001"),
    "ours, .index truncated": lambda p: (_ours(p), ".index"),
    "TF1, .data truncated": lambda p: (_tf1(p), ".data-00000-of-00001"),
    "safetensors truncated": lambda p: (_safetensors(p), ""),
    "text named .safetensors": lambda p: (_text(p, "model.safetensors"), None),
    "text named .bin": lambda p: (_text(p, "pytorch_model.bin"), None),
    "text as a TF1 .index": lambda p: (_tf1(p), None),
}


@pytest.mark.parametrize("case", DAMAGED)
def test_a_damaged_or_foreign_checkpoint_is_an_error_naming_the_file(case, tmp_path):
    path, part = DAMAGED[case](tmp_path)
    if part is not None:
        _truncate(path + part)
    elif case == "text as a TF1 .index":
        _text(tmp_path / "tf1", "bert_model.ckpt.index")
    with pytest.raises(CheckpointError, match=f"^{path}: "):
        load_pretrained(BertEncoder(tiny_config()), path)


def test_our_checkpoint_of_another_size_names_a_variable_and_both_shapes(tmp_path):
    path = write_checkpoint(
        BertClassifier(BertEncoder(tiny_config(hidden_size=64)), 2), str(tmp_path / "large.ckpt")
    )
    with pytest.raises(CheckpointError) as error:
        load_pretrained(BertClassifier(BertEncoder(tiny_config()), 2), path)
    found = re.match(
        r".*large\.ckpt: .*tensor with shape \(([\d, ]+)\) .*variable with shape "
        r"\(([\d, ]+)\) and name [\w/]+",
        str(error.value),
    )
    assert found and "64" in found[1] and "64" not in found[2], str(error.value)


# TF1 names back into Hugging Face BertModel names: the reverse of the library's renames.
_HF_NAMES = [
    (r"^bert/", ""),
    (r"layer_(\d+)/", r"layer.\1/"),
    (r"/(kernel|gamma)$", "/weight"),
    (r"/beta$", "/bias"),
    (r"_embeddings$", "_embeddings/weight"),
]


def _hf_safetensors(encoder, path):
    """Writes `encoder` as a Hugging Face BertModel's model.safetensors."""
    tensors = {}
    for row in tf1_weight_table(encoder):
        name = row.name
        for pattern, replacement in _HF_NAMES:
            name = re.sub(pattern, replacement, name)
        name = name.replace("/", ".")
        assert huggingface_to_tf1_name(name) == row.name, name
        value = row.variable.numpy()  # torch's Linear weights are [out, in]
        tensors[name] = np.ascontiguousarray(value.T if row.name.endswith("/kernel") else value)
    save_file(tensors, path)
    return path


DEPTH_WRITERS = {
    "ours": lambda encoder, tmp_path: write_checkpoint(encoder, str(tmp_path / "model.ckpt")),
    "TF1": lambda encoder, tmp_path: (
        save_tf1_checkpoint(encoder, str(tmp_path / "bert_model.ckpt"))
        or str(tmp_path / "bert_model.ckpt")
    ),
    "Hugging Face": lambda encoder, tmp_path: _hf_safetensors(
        encoder, str(tmp_path / "model.safetensors")
    ),
}


@pytest.mark.parametrize("written, loaded", [(3, 2), (2, 3)])
@pytest.mark.parametrize("kind", DEPTH_WRITERS)
def test_a_checkpoint_of_another_depth_is_refused_naming_both_layer_counts(
    kind, written, loaded, tmp_path
):
    path = DEPTH_WRITERS[kind](BertEncoder(tiny_config(num_hidden_layers=written)), tmp_path)
    for model in (
        BertEncoder(tiny_config(num_hidden_layers=loaded)),
        BertClassifier(BertEncoder(tiny_config(num_hidden_layers=loaded)), 2),
    ):
        with pytest.raises(CheckpointError) as error:
            load_pretrained(model, path, heads="ignore")
        assert str(error.value) == (
            f"{path}: the checkpoint's encoder has {written} layers, the model "
            f"(num_hidden_layers in its config) has {loaded}"
        )


@pytest.mark.parametrize("kind", DEPTH_WRITERS)
def test_a_checkpoint_of_the_same_depth_loads_in_every_format(kind, tmp_path):
    written = BertEncoder(tiny_config(num_hidden_layers=3))
    path = DEPTH_WRITERS[kind](written, tmp_path)
    loaded = BertEncoder(tiny_config(num_hidden_layers=3))
    load_pretrained(loaded, path)
    for a, b in zip(written.weights, loaded.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def flip_a_byte(path):
    """Changes one byte in the middle of `path`: the file keeps its size, a checksum fails."""
    with open(path, "r+b") as f:
        f.seek(f.seek(0, 2) // 2)
        byte = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([byte[0] ^ 0xFF]))


@pytest.mark.parametrize(
    "damage",
    [_truncate, flip_a_byte, os.remove],
    ids=["data truncated", "a byte of data changed", "data deleted"],
)
def test_a_resume_skips_a_damaged_latest_checkpoint_for_the_newest_intact_one(
    damage, tmp_path, caplog
):
    run = str(tmp_path / "run")
    model = BertEncoder(tiny_config())
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(model=model), run, max_to_keep=3)
    saved = []
    for step in (100, 200, 300):
        for variable in model.weights:
            variable.assign(tf.fill(variable.shape, float(step)))
        saved.append(manager.save(checkpoint_number=step))
    first, second, third = saved
    damage(third + ".data-00000-of-00001")
    resumed = BertEncoder(tiny_config())
    with caplog.at_level(logging.WARNING):
        assert resume_or_initialize(resumed, run) == second
    for variable in resumed.weights:  # restored, the read being the check
        np.testing.assert_array_equal(variable.numpy(), np.full(variable.shape, 200.0))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and warnings[0].startswith(f"Not resuming from {third}, "), warnings
    assert "\n" not in warnings[0] and f"resuming from {second}" in warnings[0]
    # The state file now names the choice, as the CheckpointManager of the resumed run reads it.
    state = tf.train.get_checkpoint_state(run)
    assert (state.model_checkpoint_path, list(state.all_model_checkpoint_paths)) == (
        second,
        [first, second],
    )
    assert tf.train.CheckpointManager(tf.train.Checkpoint(), run, 3).checkpoints == [first, second]
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert resume_or_initialize(BertEncoder(tiny_config()), run) == second
    assert not caplog.records

    os.remove(second + ".index")
    _truncate(first + ".index", keep=0.2)
    with pytest.raises(CheckpointError, match=f"{run}: none of its checkpoints .*can be read"):
        resume_or_initialize(BertEncoder(tiny_config()), run)
