"""Our models, with weights imported from Hugging Face, against HF transformers (PyTorch) itself."""

import dataclasses
import os

import numpy as np
import pytest

import bert_tf  # noqa: F401  (sets the Keras backend before TF/Keras are imported)
from bert_tf.checkpoints import load_huggingface_weights, read_huggingface_config
from bert_tf.models import (BertClassifier, BertEncoder, BertMultipleChoice, BertPretrainer,
                            BertSpanLabeler, BertTokenClassifier)

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

TOLERANCE = 1e-4  # float32 on both sides
NUM_LABELS = 3
MASKED_LM_POSITIONS = np.array([[1, 4, 9], [2, 3, 6]], np.int32)


def _batch(num_choices=None):
    """Two sequences of 12: the first has two segments and no padding, the second is padded."""
    rng = np.random.default_rng(0)
    ids = rng.integers(5, 100, size=(2, 12)).astype(np.int32)
    mask = np.ones_like(ids)
    mask[1, 8:] = 0
    ids[1, 8:] = 0
    type_ids = np.zeros_like(ids)
    type_ids[0, 6:] = 1
    type_ids[1, 5:8] = 1
    batch = {"input_word_ids": ids, "input_mask": mask, "input_type_ids": type_ids}
    if num_choices:  # the choices of an example differ in one token, not in layout
        batch = {name: np.repeat(value[:, None], num_choices, axis=1) for name, value in batch.items()}
        batch["input_word_ids"][:, :, 2] = 7 + np.arange(num_choices)
    return batch


def _hf_inputs(batch):
    return {"input_ids": torch.tensor(batch["input_word_ids"], dtype=torch.long),
            "attention_mask": torch.tensor(batch["input_mask"], dtype=torch.long),
            "token_type_ids": torch.tensor(batch["input_type_ids"], dtype=torch.long)}


def _hf_model(cls, hidden_act, tmp_path_factory, **kwargs):
    """A random HF model in eval mode, saved with safetensors; returns (model, directory).

    Every weight, biases and LayerNorms included, gets noise, so a weight mapped to the
    wrong place or left unloaded shows in the outputs.
    """
    config = transformers.BertConfig(
        vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=48, max_position_embeddings=16, type_vocab_size=2,
        hidden_act=hidden_act, **kwargs)
    torch.manual_seed(0)
    model = cls(config).eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.05)
    directory = str(tmp_path_factory.mktemp(cls.__name__))
    model.save_pretrained(directory)
    return model, directory


def _max_diff(ours, theirs):
    return float(np.max(np.abs(np.asarray(ours) - theirs.detach().numpy())))


def _check(name, ours, theirs):
    diff = _max_diff(ours, theirs)
    print(f"max abs diff {name}: {diff:.3g}")
    assert diff <= TOLERANCE, f"{name}: max abs diff {diff}"


@pytest.fixture(scope="module")
def pretraining_tanh(tmp_path_factory):
    return _hf_model(transformers.BertForPreTraining, "gelu_new", tmp_path_factory)


def _compare_pretrainer(hf_model, pretrainer):
    batch = _batch()
    ours = pretrainer({**batch, "masked_lm_positions": MASKED_LM_POSITIONS})
    encoder_outputs = pretrainer.encoder(batch)
    with torch.no_grad():
        base = hf_model.bert(**_hf_inputs(batch))
        theirs = hf_model(**_hf_inputs(batch))
    positions = torch.tensor(MASKED_LM_POSITIONS, dtype=torch.long)
    mlm = torch.gather(theirs.prediction_logits, 1,
                       positions[:, :, None].expand(-1, -1, theirs.prediction_logits.shape[-1]))
    _check("sequence_output", encoder_outputs["sequence_output"], base.last_hidden_state)
    _check("pooled_output", encoder_outputs["pooled_output"], base.pooler_output)
    _check("mlm_logits", ours["mlm_logits"], mlm)
    _check("nsp_logits", ours["nsp_logits"], theirs.seq_relationship_logits)


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
    hf_model, directory = _hf_model(transformers.BertForPreTraining, "gelu", tmp_path_factory)
    config = read_huggingface_config(directory)
    assert config.hidden_act == "gelu_exact"
    pretrainer = BertPretrainer(BertEncoder(config))
    load_huggingface_weights(pretrainer, directory)
    _compare_pretrainer(hf_model, pretrainer)


def test_bare_bert_model_save_without_prefix_loads_into_encoder(pretraining_tanh, tmp_path):
    hf_model, directory = pretraining_tanh
    hf_model.bert.save_pretrained(str(tmp_path))
    encoder = BertEncoder(read_huggingface_config(str(tmp_path)))
    load_huggingface_weights(encoder, str(tmp_path))
    batch = _batch()
    with torch.no_grad():
        base = hf_model.bert(**_hf_inputs(batch))
    ours = encoder(batch)
    _check("bare sequence_output", ours["sequence_output"], base.last_hidden_state)
    _check("bare pooled_output", ours["pooled_output"], base.pooler_output)


HEAD_CASES = {
    "sequence_classification": (transformers.BertForSequenceClassification,
                                lambda e: BertClassifier(e, NUM_LABELS), None),
    "token_classification": (transformers.BertForTokenClassification,
                             lambda e: BertTokenClassifier(e, NUM_LABELS), None),
    "question_answering": (transformers.BertForQuestionAnswering, BertSpanLabeler, None),
    "multiple_choice": (transformers.BertForMultipleChoice, BertMultipleChoice, 3),
}


@pytest.mark.parametrize("case", sorted(HEAD_CASES))
def test_fine_tuning_head_matches_hf(case, tmp_path_factory):
    hf_cls, build, num_choices = HEAD_CASES[case]
    num_labels = 2 if case == "question_answering" else NUM_LABELS  # HF's QA head: start, end
    hf_model, directory = _hf_model(hf_cls, "gelu_new", tmp_path_factory, num_labels=num_labels)
    model = build(BertEncoder(read_huggingface_config(directory)))
    load_huggingface_weights(model, directory)
    batch = _batch(num_choices)
    ours = model(batch)
    with torch.no_grad():
        theirs = hf_model(**_hf_inputs(batch))
    if case == "question_answering":
        _check(f"{case} start_logits", ours["start_logits"], theirs.start_logits)
        _check(f"{case} end_logits", ours["end_logits"], theirs.end_logits)
    else:
        _check(f"{case} logits", ours["logits"], theirs.logits)
