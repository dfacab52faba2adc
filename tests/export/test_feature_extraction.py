"""extract_features writes the encoder's layer outputs per token, in the original's JSON format."""

import json
import subprocess
import sys

import numpy as np
import pytest

from bert_tf.errors import ConfigError, DataError
from bert_tf.export import feature_extraction
from tests.export.conftest import MAX_SEQ_LENGTH, python_env
from tests.export.references import ids_of, pack_rows, single_or_pair

LINES = [
    "The cat sat on the mat.",
    "who is the cat? ||| the cat sat on the mat",
    "",
    "where is paris " * 40,
    "Unaffable cafés 日本 привет 😀",
    "a ||| b ||| c",
]


def reference(models, tokenizer, examples):
    inputs = pack_rows(
        tokenizer,
        single_or_pair(
            ids_of(tokenizer, [a for a, _ in examples]), ids_of(tokenizer, [b for _, b in examples])
        ),
    )
    layers = np.stack(models["encoder"](inputs)["encoder_outputs"])
    return inputs, layers


@pytest.fixture(scope="module")
def input_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("features") / "input.txt"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    return path


def test_read_examples_splits_pairs_as_the_original(input_file):
    examples = feature_extraction.read_examples(str(input_file))
    assert examples[1] == ("who is the cat?", "the cat sat on the mat")
    assert examples[2] == ("", "")
    assert examples[5] == ("a ||| b", "c")  # the original regex is greedy
    assert len(examples) == len(LINES)


@pytest.mark.slow
def test_script_writes_per_token_layers(input_file, models, tokenizer, vocab_file, tmp_path):
    from transformers import BertTokenizerFast

    from bert_tf.checkpoints.native import write_checkpoint

    prefix = write_checkpoint(models["encoder"], str(tmp_path / "model.ckpt"))
    models["encoder"].config.to_json_file(str(tmp_path / "bert_config.json"))
    output_file = tmp_path / "out.jsonl"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bert_tf.extract_features",
            f"--input_file={input_file}",
            f"--output_file={output_file}",
            "--layers=-1,-2",
            f"--vocab_file={vocab_file}",
            f"--bert_config_file={tmp_path / 'bert_config.json'}",
            f"--init_checkpoint={prefix}",
            f"--max_seq_length={MAX_SEQ_LENGTH}",
            "--batch_size=4",
        ],
        env=python_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    records = [json.loads(line) for line in output_file.read_text(encoding="utf-8").splitlines()]
    examples = feature_extraction.read_examples(str(input_file))
    inputs, layers = reference(models, tokenizer, examples)
    hf = BertTokenizerFast(vocab_file, do_lower_case=True)
    assert [r["linex_index"] for r in records] == list(range(len(LINES)))
    for row, record in enumerate(records):
        length = int(inputs["input_mask"][row].sum())
        assert len(record["features"]) == length
        tokens = [feature["token"] for feature in record["features"]]
        if row != 3:  # the long line is truncated
            a, b = examples[row]
            assert tokens == hf.convert_ids_to_tokens(hf(a, b or None)["input_ids"])
        for position, feature in enumerate(record["features"]):
            assert [layer["index"] for layer in feature["layers"]] == [-1, -2]
            for layer in feature["layers"]:
                np.testing.assert_allclose(
                    layer["values"], layers[layer["index"], row, position], atol=1e-5
                )


@pytest.fixture(scope="module")
def extractor(models, tokenizer):
    return feature_extraction.FeatureExtractor(models["encoder"], tokenizer, MAX_SEQ_LENGTH)


@pytest.mark.parametrize("pooling, normalize", [("cls", False), ("mean", False), ("mean", True)])
def test_pooling_writes_one_embedding_per_line(models, tokenizer, extractor, pooling, normalize):
    examples = [("the cat", ""), ("who is the cat?", "the mat"), ("", "")]
    records = list(
        feature_extraction.feature_records(
            extractor, examples, [-1, 0], pooling, normalize, batch_size=2
        )
    )
    inputs, layers = reference(models, tokenizer, examples)
    for row, record in enumerate(records):
        length = int(inputs["input_mask"][row].sum())

        def pick(x, length=length):
            return x[0] if pooling == "cls" else x[:length].mean(axis=0)

        expected = np.concatenate([pick(layers[-1, row]), pick(layers[0, row])])
        if normalize:
            expected /= np.linalg.norm(expected)
        assert record["linex_index"] == row
        np.testing.assert_allclose(record["embedding"], expected, atol=1e-5)


def test_bad_layer_index_is_named(extractor):
    with pytest.raises(ConfigError, match="layers: 5 is not a layer of a 2-layer model"):
        list(feature_extraction.feature_records(extractor, [("a", "")], [5]))


def test_an_empty_input_file_is_an_error_naming_it(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("")
    with pytest.raises(DataError, match=f"{path}: no lines"):
        feature_extraction.read_examples(str(path))
