import glob
import json
import os

import pytest

from bert_tf.config import BertConfig
from bert_tf.errors import ConfigError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORIGINAL_FIELDS = {
    "vocab_size",
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "intermediate_size",
    "hidden_act",
    "hidden_dropout_prob",
    "attention_probs_dropout_prob",
    "max_position_embeddings",
    "type_vocab_size",
    "initializer_range",
}
# (layers, hidden, heads, intermediate) as published with Google's checkpoints.
PUBLISHED = {
    "bert_base_uncased": (12, 768, 12, 3072, 30522),
    "bert_base_cased": (12, 768, 12, 3072, 28996),
    "bert_large_uncased": (24, 1024, 16, 4096, 30522),
    "bert_large_cased": (24, 1024, 16, 4096, 28996),
    "multi_cased_base": (12, 768, 12, 3072, 119547),
    "bert_tiny_uncased_L-2_H-128_A-2": (2, 128, 2, 512, 30522),
    "bert_mini_uncased_L-4_H-256_A-4": (4, 256, 4, 1024, 30522),
    "bert_small_uncased_L-4_H-512_A-8": (4, 512, 8, 2048, 30522),
    "bert_medium_uncased_L-8_H-512_A-8": (8, 512, 8, 2048, 30522),
}


def write_json(path, values):
    path.write_text(json.dumps(values))
    return str(path)


def base_values():
    with open(os.path.join(REPO, "official_configs", "bert_base_uncased.json")) as f:
        return json.load(f)


def test_official_configs_have_the_published_sizes():
    names = {
        os.path.basename(p)[:-5]
        for p in glob.glob(os.path.join(REPO, "official_configs", "*.json"))
    }
    assert set(PUBLISHED) <= names
    for name, (layers, hidden, heads, inner, vocab) in PUBLISHED.items():
        path = os.path.join(REPO, "official_configs", name + ".json")
        with open(path) as f:
            assert ORIGINAL_FIELDS <= set(json.load(f))
        config = BertConfig.from_json_file(path)
        assert (
            config.num_hidden_layers,
            config.hidden_size,
            config.num_attention_heads,
            config.intermediate_size,
            config.vocab_size,
        ) == (layers, hidden, heads, inner, vocab)
        assert (config.hidden_act, config.max_position_embeddings, config.type_vocab_size) == (
            "gelu",
            512,
            2,
        )


def test_json_round_trip(tmp_path):
    config = BertConfig.from_dict(base_values())
    config.to_json_file(str(tmp_path / "out.json"))
    assert BertConfig.from_json_file(str(tmp_path / "out.json")) == config
    assert set(json.loads((tmp_path / "out.json").read_text())) == ORIGINAL_FIELDS


def test_reads_the_google_medium_config_when_shared_data_is_present():
    path = os.path.join(
        REPO,
        "..",
        "shared",
        "data",
        "checkpoints",
        "google_bert_medium_index_only",
        "bert_config.json",
    )
    if not os.path.exists(path):
        pytest.skip("../shared/data is absent")
    config = BertConfig.from_json_file(path)
    assert (config.num_hidden_layers, config.hidden_size, config.head_size) == (8, 512, 64)


@pytest.mark.parametrize(
    "field, value, message",
    [
        (
            "num_attention_heads",
            7,
            "'hidden_size' (768) is not divisible by num_attention_heads (7)",
        ),
        ("hidden_size", 0, "'hidden_size' must be positive"),
        ("num_hidden_layers", -1, "'num_hidden_layers' must be positive"),
        ("vocab_size", 3.5, "'vocab_size' must be an integer"),
        ("hidden_act", "swish", "'hidden_act' is 'swish'"),
        ("hidden_dropout_prob", 1.5, "'hidden_dropout_prob' must be a number in [0, 1)"),
    ],
)
def test_invalid_values_name_the_file_and_field(tmp_path, field, value, message):
    values = base_values()
    values[field] = value
    path = write_json(tmp_path / "bad.json", values)
    with pytest.raises(ConfigError) as error:
        BertConfig.from_json_file(path)
    assert path in str(error.value) and message in str(error.value)


def test_missing_field_is_named(tmp_path):
    values = base_values()
    del values["type_vocab_size"]
    path = write_json(tmp_path / "missing.json", values)
    with pytest.raises(ConfigError, match=r"missing.json: missing field 'type_vocab_size'"):
        BertConfig.from_json_file(path)


def test_malformed_json_names_file_and_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "vocab_size": 10,\n  "hidden_size": \n}\n')
    with pytest.raises(ConfigError, match=r"broken.json: malformed JSON at line 4"):
        BertConfig.from_json_file(str(path))


@pytest.mark.parametrize("act", ["gelu", "gelu_new", "gelu_exact", "relu"])
def test_accepted_activations(act):
    assert BertConfig(vocab_size=10, hidden_act=act).hidden_act == act
