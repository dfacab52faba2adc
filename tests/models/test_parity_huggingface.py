"""Our models, with weights imported from Hugging Face, against HF transformers (PyTorch) itself."""

import dataclasses

import numpy as np
import pytest

from bert_tf.checkpoints import load_huggingface_weights, read_huggingface_config
from bert_tf.models import (
    BertClassifier,
    BertEncoder,
    BertMultipleChoice,
    BertPretrainer,
    BertSpanLabeler,
    BertTokenClassifier,
)

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
from tests.checkpoints.hf_reference import (  # noqa: E402  (needs torch)
    HF_CONFIG,
    hf_inputs,
    hf_pretraining_outputs,
    padded_two_segment_batch,
    random_hf_model,
)

TOLERANCE = 1e-4  # float32 on both sides
NUM_LABELS = 3
MASKED_LM_POSITIONS = np.array([[1, 4, 9], [2, 3, 6]], np.int32)


def _batch(num_choices=None):
    batch = padded_two_segment_batch(HF_CONFIG["vocab_size"])
    if num_choices:  # the choices of an example differ in one token, not in layout
        batch = {
            name: np.repeat(value[:, None], num_choices, axis=1) for name, value in batch.items()
        }
        batch["input_word_ids"][:, :, 2] = 7 + np.arange(num_choices)
    return batch


def _check(name, ours, theirs):
    diff = float(np.max(np.abs(np.asarray(ours) - np.asarray(theirs))))
    print(f"max abs diff {name}: {diff:.3g}")
    assert diff <= TOLERANCE, f"{name}: max abs diff {diff}"


def _saved(model, tmp_path_factory):
    directory = str(tmp_path_factory.mktemp(type(model).__name__))
    model.save_pretrained(directory)
    return directory


def _compare_pretrainer(hf_model, pretrainer):
    batch = _batch()
    encoded = pretrainer.encoder(batch)
    heads = pretrainer({**batch, "masked_lm_positions": MASKED_LM_POSITIONS})
    ours = (
        encoded["sequence_output"],
        encoded["pooled_output"],
        heads["mlm_logits"],
        heads["nsp_logits"],
    )
    theirs = hf_pretraining_outputs(hf_model, batch, MASKED_LM_POSITIONS)
    for name, a, b in zip(
        ("sequence_output", "pooled_output", "mlm_logits", "nsp_logits"), ours, theirs
    ):
        _check(name, a, b)


@pytest.fixture(scope="module")
def pretraining_tanh(tmp_path_factory):
    model = random_hf_model(hidden_act="gelu_new")
    return model, _saved(model, tmp_path_factory)


def test_pretraining_safetensors_matches_hf_with_original_tanh_gelu(pretraining_tanh):
    hf_model, directory = pretraining_tanh
    config = read_huggingface_config(directory)
    assert config.hidden_act == "gelu_new"
    # The original bert_config.json says "gelu" and means the same tanh form.
    pretrainer = BertPretrainer(BertEncoder(dataclasses.replace(config, hidden_act="gelu")))
    load_huggingface_weights(pretrainer, directory)
    _compare_pretrainer(hf_model, pretrainer)


def test_pretraining_pytorch_bin_matches_hf(pretraining_tanh, tmp_path):
    hf_model, directory = pretraining_tanh
    # transformers 5 saves only safetensors; this is what its older versions wrote.
    torch.save(hf_model.state_dict(), tmp_path / "pytorch_model.bin")
    pretrainer = BertPretrainer(BertEncoder(read_huggingface_config(directory)))
    load_huggingface_weights(pretrainer, str(tmp_path))
    _compare_pretrainer(hf_model, pretrainer)


def test_pretraining_with_hf_erf_gelu_matches_our_gelu_exact(tmp_path_factory):
    hf_model = random_hf_model(seed=1, hidden_act="gelu")
    directory = _saved(hf_model, tmp_path_factory)
    config = read_huggingface_config(directory)
    assert config.hidden_act == "gelu_exact"
    pretrainer = BertPretrainer(BertEncoder(config))
    load_huggingface_weights(pretrainer, directory)
    _compare_pretrainer(hf_model, pretrainer)


def test_bare_bert_model_save_without_prefix_loads_into_encoder(pretraining_tanh, tmp_path):
    hf_model, _ = pretraining_tanh
    hf_model.bert.save_pretrained(str(tmp_path))
    encoder = BertEncoder(read_huggingface_config(str(tmp_path)))
    load_huggingface_weights(encoder, str(tmp_path))
    batch = _batch()
    with torch.no_grad():
        base = hf_model.bert(**hf_inputs(batch))
    ours = encoder(batch)
    _check("bare sequence_output", ours["sequence_output"], base.last_hidden_state)
    _check("bare pooled_output", ours["pooled_output"], base.pooler_output)


HEAD_CASES = {
    "sequence_classification": (
        transformers.BertForSequenceClassification,
        lambda e: BertClassifier(e, NUM_LABELS),
        None,
    ),
    "token_classification": (
        transformers.BertForTokenClassification,
        lambda e: BertTokenClassifier(e, NUM_LABELS),
        None,
    ),
    "question_answering": (transformers.BertForQuestionAnswering, BertSpanLabeler, None),
    "multiple_choice": (transformers.BertForMultipleChoice, BertMultipleChoice, 3),
}


@pytest.mark.parametrize("case", sorted(HEAD_CASES))
def test_fine_tuning_head_matches_hf(case, tmp_path_factory):
    hf_cls, build, num_choices = HEAD_CASES[case]
    num_labels = 2 if case == "question_answering" else NUM_LABELS  # HF's QA head: start, end
    hf_model = random_hf_model(hf_cls, num_labels=num_labels)
    directory = _saved(hf_model, tmp_path_factory)
    model = build(BertEncoder(read_huggingface_config(directory)))
    load_huggingface_weights(model, directory)
    batch = _batch(num_choices)
    ours = model(batch)
    with torch.no_grad():
        theirs = hf_model(**hf_inputs(batch))
    if case == "question_answering":
        _check(f"{case} start_logits", ours["start_logits"], theirs.start_logits)
        _check(f"{case} end_logits", ours["end_logits"], theirs.end_logits)
    else:
        _check(f"{case} logits", ours["logits"], theirs.logits)
