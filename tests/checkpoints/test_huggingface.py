"""Hugging Face names and config.json: the renames into TF1 names and the config conversion."""

import json
import os
import sys

import numpy as np
import pytest
from safetensors.numpy import save_file

from bert_tf.checkpoints import load_huggingface_weights, read_huggingface_config
from bert_tf.checkpoints.huggingface import huggingface_to_tf1_name, open_huggingface_weights
from bert_tf.config import BertConfig
from bert_tf.errors import CheckpointError, ConfigError
from bert_tf.model_settings import find_settings
from bert_tf.models import BertEncoder


@pytest.mark.parametrize(
    "hf_name, tf1_name",
    [
        ("bert.embeddings.word_embeddings.weight", "bert/embeddings/word_embeddings"),
        ("embeddings.token_type_embeddings.weight", "bert/embeddings/token_type_embeddings"),
        ("bert.embeddings.LayerNorm.gamma", "bert/embeddings/LayerNorm/gamma"),
        ("bert.embeddings.LayerNorm.weight", "bert/embeddings/LayerNorm/gamma"),
        (
            "encoder.layer.11.attention.output.LayerNorm.beta",
            "bert/encoder/layer_11/attention/output/LayerNorm/beta",
        ),
        (
            "bert.encoder.layer.3.attention.self.key.weight",
            "bert/encoder/layer_3/attention/self/key/kernel",
        ),
        ("bert.encoder.layer.0.output.dense.bias", "bert/encoder/layer_0/output/dense/bias"),
        ("pooler.dense.weight", "bert/pooler/dense/kernel"),
        ("cls.predictions.bias", "cls/predictions/output_bias"),
        ("cls.predictions.transform.LayerNorm.gamma", "cls/predictions/transform/LayerNorm/gamma"),
        ("cls.seq_relationship.weight", "cls/seq_relationship/output_weights"),
        ("classifier.weight", "output_weights"),
        ("qa_outputs.bias", "cls/squad/output_bias"),
        ("bert.embeddings.position_ids", None),
        ("cls.predictions.decoder.weight", None),
        ("cls.predictions.decoder.bias", None),
    ],
)
def test_hf_names_become_the_original_tf1_names(hf_name, tf1_name):
    assert huggingface_to_tf1_name(hf_name) == tf1_name


HF_CONFIG = {
    "architectures": ["BertForMaskedLM"],
    "model_type": "bert",
    "vocab_size": 50,
    "hidden_size": 8,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "intermediate_size": 16,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "attention_probs_dropout_prob": 0.1,
    "max_position_embeddings": 20,
    "type_vocab_size": 2,
    "initializer_range": 0.02,
    "layer_norm_eps": 1e-12,
    "pad_token_id": 0,
    "position_embedding_type": "absolute",
}


def _write_config(directory, **changes):
    (directory / "config.json").write_text(json.dumps({**HF_CONFIG, **changes}))
    return str(directory)


@pytest.mark.parametrize(
    "hf_act, ours",
    [
        ("gelu", "gelu_exact"),
        ("gelu_new", "gelu_new"),
        ("gelu_pytorch_tanh", "gelu_new"),
        ("relu", "relu"),
    ],
)
def test_hf_hidden_act_maps_to_the_same_function(tmp_path, hf_act, ours):
    config = read_huggingface_config(_write_config(tmp_path, hidden_act=hf_act))
    assert config.hidden_act == ours
    assert (config.vocab_size, config.hidden_size, config.max_position_embeddings) == (50, 8, 20)


def test_a_hf_config_json_given_as_bert_config_file_keeps_its_meanings(tmp_path):
    # HF's "gelu" is the erf form; read as an original bert_config.json it would be the tanh form.
    path = os.path.join(_write_config(tmp_path), "config.json")
    assert BertConfig.from_json_file(path).hidden_act == "gelu_exact"


def test_a_hf_directory_records_its_config_vocab_and_casing(tmp_path):
    _write_config(tmp_path)
    (tmp_path / "vocab.txt").write_text("[PAD]\n[UNK]\n")
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": False}))
    settings = find_settings(str(tmp_path / "model.safetensors"))  # the weights file, too
    assert (settings.bert_config_file, settings.vocab_file, settings.do_lower_case) == (
        str(tmp_path / "config.json"),
        str(tmp_path / "vocab.txt"),
        False,
    )
    assert BertConfig.from_json_file(settings.bert_config_file).hidden_act == "gelu_exact"
    (tmp_path / "tokenizer_config.json").unlink()
    assert find_settings(str(tmp_path)).do_lower_case is None  # not known: the flag decides


@pytest.mark.parametrize(
    "field, value",
    [("hidden_act", "silu"), ("layer_norm_eps", 1e-5), ("position_embedding_type", "relative_key")],
)
def test_hf_config_our_model_cannot_match_names_file_and_field(tmp_path, field, value):
    with pytest.raises(ConfigError, match=rf"config\.json: field '{field}'"):
        read_huggingface_config(_write_config(tmp_path, **{field: value}))


def _old_style_bert_model_weights(config, rng):
    """A BertModel save (no `bert.` prefix) with the old LayerNorm gamma/beta names."""
    h, i = config.hidden_size, config.intermediate_size
    weights = {
        "embeddings.word_embeddings.weight": (config.vocab_size, h),
        "embeddings.position_embeddings.weight": (config.max_position_embeddings, h),
        "embeddings.token_type_embeddings.weight": (config.type_vocab_size, h),
        "embeddings.LayerNorm.gamma": (h,),
        "embeddings.LayerNorm.beta": (h,),
        "pooler.dense.weight": (h, h),
        "pooler.dense.bias": (h,),
    }
    block = "encoder.layer.0."
    for name in (
        "attention.self.query",
        "attention.self.key",
        "attention.self.value",
        "attention.output.dense",
    ):
        weights.update({f"{block}{name}.weight": (h, h), f"{block}{name}.bias": (h,)})
    weights.update(
        {
            f"{block}intermediate.dense.weight": (i, h),
            f"{block}intermediate.dense.bias": (i,),
            f"{block}output.dense.weight": (h, i),
            f"{block}output.dense.bias": (h,),
        }
    )
    for name in ("attention.output.LayerNorm", "output.LayerNorm"):
        weights.update({f"{block}{name}.gamma": (h,), f"{block}{name}.beta": (h,)})
    return {name: rng.normal(size=shape).astype(np.float32) for name, shape in weights.items()}


def test_old_gamma_beta_bert_model_save_loads_every_weight_in_place(tmp_path):
    directory = _write_config(tmp_path, hidden_act="gelu_new")
    config = read_huggingface_config(directory)
    weights = _old_style_bert_model_weights(config, np.random.default_rng(0))
    save_file(weights, str(tmp_path / "model.safetensors"))
    encoder = BertEncoder(config)
    assert load_huggingface_weights(encoder, directory) == []
    block = encoder.transformer_layers[0]
    np.testing.assert_array_equal(
        encoder.embeddings.layer_norm.gamma.numpy(), weights["embeddings.LayerNorm.gamma"]
    )
    np.testing.assert_array_equal(
        block.intermediate.kernel.numpy(), weights["encoder.layer.0.intermediate.dense.weight"].T
    )
    np.testing.assert_array_equal(
        block.output_layer_norm.beta.numpy(), weights["encoder.layer.0.output.LayerNorm.beta"]
    )
    np.testing.assert_array_equal(encoder.pooler.kernel.numpy(), weights["pooler.dense.weight"].T)


def test_missing_weights_file_names_the_directory(tmp_path):
    with pytest.raises(
        CheckpointError, match=rf"{tmp_path}: no model.safetensors or pytorch_model.bin"
    ):
        open_huggingface_weights(str(tmp_path))


def test_pytorch_bin_without_torch_says_what_is_needed(tmp_path, monkeypatch):
    (tmp_path / "pytorch_model.bin").write_bytes(b"")
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    with pytest.raises(
        CheckpointError, match=r"pytorch_model\.bin: reading pytorch_model\.bin needs PyTorch"
    ):
        open_huggingface_weights(str(tmp_path))


def test_masked_lm_save_without_pooler_initializes_a_fine_tuning_encoder(tmp_path):
    import torch
    import transformers

    from bert_tf.checkpoints import load_pretrained
    from tests.checkpoints.hf_reference import hf_inputs, padded_two_segment_batch, random_hf_model

    hf_model = random_hf_model(transformers.BertForMaskedLM, hidden_act="gelu_new")
    hf_model.save_pretrained(str(tmp_path))
    assert not any("pooler" in name for name in hf_model.state_dict())

    encoder = BertEncoder(read_huggingface_config(str(tmp_path)))
    fresh_pooler = encoder.pooler.kernel.numpy()
    load_pretrained(encoder, str(tmp_path), heads="ignore")
    batch = padded_two_segment_batch(encoder.config.vocab_size)
    with torch.no_grad():
        expected = hf_model.bert(**hf_inputs(batch)).last_hidden_state.numpy()
    got = encoder(batch)["sequence_output"].numpy()
    real = batch["input_mask"].astype(bool)
    np.testing.assert_allclose(got[real], expected[real], atol=1e-4)
    np.testing.assert_array_equal(encoder.pooler.kernel.numpy(), fresh_pooler)
