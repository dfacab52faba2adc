"""The table of heads: each row's names load a Hugging Face and a Google TF1 checkpoint.

Reference: a random HF model of the matching class; its weights are written as TF1 variables
with the names the original run_*.py scripts give each head, spelled out here.
"""

import numpy as np
import pytest
import tensorflow as tf

from bert_tf.checkpoints import build_model_for_tf1_names, load_pretrained, open_tf1_checkpoint
from bert_tf.config import BertConfig
from bert_tf.models import HEADS, BertClassifier, BertEncoder, BertPretrainer, BertSpanLabeler

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
from tests.checkpoints import hf_reference  # noqa: E402  (needs torch)

NUM_LABELS = 3
POSITIONS = np.array([[1, 4, 9], [2, 3, 6]], np.int32)

# model type -> (HF class, HF output-layer module, its TF1 name prefix, the model our
# checkpoint reader builds from those names).
REFERENCE = {
    "pretrainer": (
        transformers.BertForPreTraining,
        "cls.seq_relationship",
        "cls/seq_relationship/",
        BertPretrainer,
    ),
    "classifier": (transformers.BertForSequenceClassification, "classifier", "", BertClassifier),
    "ner": (transformers.BertForTokenClassification, "classifier", "", BertClassifier),
    "swag": (transformers.BertForMultipleChoice, "classifier", "", BertClassifier),
    "squad": (transformers.BertForQuestionAnswering, "qa_outputs", "cls/squad/", BertSpanLabeler),
}


def _config():
    values = {k: v for k, v in hf_reference.HF_CONFIG.items() if k != "hidden_act"}
    return BertConfig(**values, hidden_act="gelu")


def _write_tf1(prefix, hf_model, hf_module, tf1_scope):
    state = {name: value.numpy() for name, value in hf_model.state_dict().items()}
    tensors = {}
    for hf_name, (tf1_name, transposed) in hf_reference.tf1_names_of_hf(
        hf_model.config.num_hidden_layers
    ).items():
        if hf_name in state:  # token and span models have no pooler, only pretraining has cls/
            tensors[tf1_name] = state[hf_name].T if transposed else state[hf_name]
    tensors[f"{tf1_scope}output_weights"] = state[f"{hf_module}.weight"]  # [out, in] in both
    tensors[f"{tf1_scope}output_bias"] = state[f"{hf_module}.bias"]
    names = sorted(tensors)
    tf.raw_ops.SaveV2(
        prefix=prefix,
        tensor_names=names,
        shape_and_slices=[""] * len(names),
        tensors=[tensors[name] for name in names],
    )
    return prefix


def _outputs(model_type, model, hf_model, batch):
    """(ours, HF's) output arrays for one batch, in the same order."""
    hf_batch = hf_reference.hf_inputs(batch)
    if model_type == "swag":  # two choices per example: the batch's rows as one example
        batch = {name: value[None] for name, value in batch.items()}
        hf_batch = {name: value[None] for name, value in hf_batch.items()}
    with torch.no_grad():
        theirs = hf_model(**hf_batch)
    if model_type == "pretrainer":
        ours = model({**batch, "masked_lm_positions": POSITIONS})
        rows = np.arange(len(POSITIONS))[:, None]
        return (
            [ours["mlm_logits"], ours["nsp_logits"]],
            [
                theirs.prediction_logits.numpy()[rows, POSITIONS],
                theirs.seq_relationship_logits.numpy(),
            ],
        )
    ours = model(batch)
    if model_type == "squad":
        return (
            [ours["start_logits"], ours["end_logits"]],
            [theirs.start_logits.numpy(), theirs.end_logits.numpy()],
        )
    return [ours["logits"]], [theirs.logits.numpy()]


@pytest.mark.parametrize("head", HEADS, ids=lambda head: head.model_type)
def test_each_head_loads_hugging_face_and_tf1_checkpoints(head, tmp_path):
    hf_class, hf_module, tf1_scope, read_as = REFERENCE[head.model_type]
    # HF's QA and multiple-choice models keep their own widths (2 and 1) at its default 2.
    hf_model = hf_reference.random_hf_model(
        hf_class, num_labels=NUM_LABELS if head.takes_num_labels else 2
    )
    hf_model.save_pretrained(tmp_path / "hf", safe_serialization=True)
    prefix = _write_tf1(str(tmp_path / "bert_model.ckpt"), hf_model, hf_module, tf1_scope)
    batch = hf_reference.padded_two_segment_batch(hf_reference.HF_CONFIG["vocab_size"])
    for path in (str(tmp_path / "hf"), prefix):
        model = head.build(BertEncoder(_config()), num_labels=NUM_LABELS)
        load_pretrained(model, path)
        for ours, theirs in zip(*_outputs(head.model_type, model, hf_model, batch)):
            np.testing.assert_allclose(np.asarray(ours), theirs, atol=1e-4, err_msg=path)
    built = build_model_for_tf1_names(_config(), open_tf1_checkpoint(prefix).shapes)
    assert type(built) is read_as
