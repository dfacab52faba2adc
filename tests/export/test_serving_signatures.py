"""Exported SavedModels, loaded in a fresh process without bert_tf, equal the Keras models.

References tokenize with the Tokenizer, pack with pack_inputs row by row (the original
single/pair rule in Python) and call the in-process Keras model; SQuAD answers are those of
SquadTask.predict (run_squad.py's post-processing), NER words come from str.split().
"""

import os

import numpy as np
import pytest

from tests.export.conftest import (
    CLASSIFIER_LABELS,
    EXPORT_OPTIONS,
    MAX_SEQ_LENGTH,
    NER_TAGS,
    load_and_call,
)
from tests.export.references import ids_of, masked_ids, pack_rows, single_or_pair

# Script runs in subprocesses: `make test` runs them, `make test-fast` does not.
pytestmark = pytest.mark.slow

# Empty, whitespace-only, far longer than max_seq_length, mixed scripts, emoji, no [UNK]-free.
TEXTS_A = [
    "The cat sat on the mat.",
    "",
    "Unaffable cafés in 日本 — привет мир 😀👍🏽!",
    "where is paris " * 40,
    " \t ",
    "CATS \u200b cats",
]
TEXTS_B = ["", "who is the cat?", "", "the mat " * 30, "cat", " "]
QUESTIONS = [
    "where is the cat?",
    "",
    "who is unaffable?",
    "what is the capital of france",
    "cat " * 20,
    "日本?",
]
CONTEXTS = [
    "The cat sat on the mat (in Paris).",
    "",
    "Unaffable cafés: 日本, привет мир 😀!",
    "Paris is the capital of France. " * 10,
    "the cats",
    "  ",
]
MASKED_A = [
    "the [MASK] sat on the [MASK].",
    "",
    "[MASK]",
    "no mask here",
    "[MASK][MASK] 日本",
    "x [MASK] " * 20,
]
ENDINGS = [
    ["sat on the mat", "", "in paris 😀"],
    ["a", "b", "c"],
    ["日本", "the " * 30, "cat"],
    ["", "", ""],
    ["mat", "cats", "city"],
    ["é", "привет", "x"],
]
ATOL = 1e-5


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def token_id_requests(export_root, tokenizer):
    """serve_token_ids requests: {key: (dir, signature, inputs)}; inputs packed by the reference."""
    pair = pack_rows(
        tokenizer, single_or_pair(ids_of(tokenizer, TEXTS_A), ids_of(tokenizer, TEXTS_B))
    )
    positions = np.array([[1, 2], [3, 0], [5, 5], [1, 1], [0, 2], [7, 8]], np.int32)
    choices = {name: np.stack([value, value[::-1], value], axis=1) for name, value in pair.items()}
    inputs = {
        "encoder": pair,
        "classifier": pair,
        "ner": pair,
        "squad": pair,
        "pretrainer": dict(pair, masked_lm_positions=positions),
        "swag": choices,
    }
    return {f"{t}_ids": (export_root[t], "serve_token_ids", value) for t, value in inputs.items()}


def bad_requests(export_root, tokenizer, config):
    """Requests that must be refused with InvalidArgument: {key: (dir, signature, inputs)}."""
    ids = np.array([[tokenizer.cls_id, 7, tokenizer.sep_id]], np.int32)

    def token_ids(word_ids, mask=None, model_type="classifier", **more):
        mask = np.ones_like(word_ids) if mask is None else mask
        return (
            export_root[model_type],
            "serve_token_ids",
            {
                "input_word_ids": word_ids,
                "input_mask": mask,
                "input_type_ids": 0 * np.ones_like(word_ids),
                **more,
            },
        )

    too_long = np.full((1, config.max_position_embeddings + 1), 7, np.int32)
    return {
        "bad_batch_sizes": (
            export_root["classifier"],
            "serving_default",
            {"text_a": np.array(["a film", "b"], object), "text_b": np.array([""], object)},
        ),
        "bad_negative_id": token_ids(np.where(ids == 7, -5, ids)),
        "bad_large_id": token_ids(np.where(ids == 7, tokenizer.vocab_size, ids)),
        "bad_mask_length": token_ids(ids, np.ones((1, 2), np.int32)),
        "bad_mask_negative": token_ids(ids, np.array([[1, -1, 1]], np.int32)),
        "bad_mask_two": token_ids(ids, np.array([[1, 2, 1]], np.int32)),
        "bad_too_long": token_ids(too_long),
        "bad_too_long_encoder": token_ids(too_long, model_type="encoder"),
        "bad_empty_sequence": token_ids(np.zeros((1, 0), np.int32)),
        "bad_one_dimensional": token_ids(ids[0]),
        "bad_one_dimensional_ner": token_ids(ids[0], model_type="ner"),
        "bad_swag_two_dimensional": token_ids(ids, model_type="swag"),
        "bad_position": token_ids(
            ids, model_type="pretrainer", masked_lm_positions=np.array([[1, 3]], np.int32)
        ),
        "bad_position_rank": token_ids(
            ids, model_type="pretrainer", masked_lm_positions=np.array([1], np.int32)
        ),
    }


def longest_request(export_root, config):
    """A classifier request of exactly max_position_embeddings ids: served, not refused."""
    ids = (np.arange(config.max_position_embeddings, dtype=np.int32) % 20 + 5)[None]
    return (
        export_root["classifier"],
        "serve_token_ids",
        {
            "input_word_ids": ids,
            "input_mask": np.ones_like(ids),
            "input_type_ids": np.zeros_like(ids),
        },
    )


@pytest.fixture(scope="module")
def served(export_root, tmp_path_factory, tokenizer, config):
    """Calls every signature of every export in one fresh process; returns its results."""
    strings = lambda texts: np.array(texts, dtype=object)  # noqa: E731
    text_pair = {"text_a": strings(TEXTS_A), "text_b": strings(TEXTS_B)}
    requests = {
        "encoder": (export_root["encoder"], "serving_default", text_pair),
        "preprocessing": (
            os.path.join(export_root["encoder"], "preprocessing"),
            "serving_default",
            text_pair,
        ),
        "classifier": (export_root["classifier"], "serving_default", text_pair),
        "classifier_one": (
            export_root["classifier"],
            "serving_default",
            {"text_a": strings(["cat"]), "text_b": strings([""])},
        ),
        "pretrainer": (
            export_root["pretrainer"],
            "serving_default",
            {"text_a": strings(MASKED_A), "text_b": strings(TEXTS_B)},
        ),
        "squad": (
            export_root["squad"],
            "serving_default",
            {"question": strings(QUESTIONS), "context": strings(CONTEXTS)},
        ),
        "swag": (
            export_root["swag"],
            "serving_default",
            {"context": strings(TEXTS_A), "endings": strings(ENDINGS)},
        ),
        "ner": (export_root["ner"], "serving_default", {"text": strings(TEXTS_A)}),
        "classifier_empty_batch": (
            export_root["classifier"],
            "serving_default",
            {"text_a": strings([]), "text_b": strings([])},
        ),
        **token_id_requests(export_root, tokenizer),
        "classifier_longest": longest_request(export_root, config),
        **bad_requests(export_root, tokenizer, config),
    }
    results = load_and_call(tmp_path_factory.mktemp("served"), requests)
    assert isinstance(results, dict), results.stderr[-3000:]
    return results


def decoded(array):
    return np.vectorize(lambda b: b.decode("utf-8"), otypes=[object])(array).tolist()


def test_loader_process_never_imports_bert_tf(served):
    assert served["bert_tf_imported"] is False


def test_encoder_and_preprocessing_equal_keras(served, models, tokenizer):
    inputs = pack_rows(
        tokenizer, single_or_pair(ids_of(tokenizer, TEXTS_A), ids_of(tokenizer, TEXTS_B))
    )
    for name in inputs:
        np.testing.assert_array_equal(served["preprocessing"][name], inputs[name])
    assert served["tokenize"] == ids_of(tokenizer, TEXTS_A)
    expected = models["encoder"](inputs)
    for name in ("sequence_output", "pooled_output"):
        np.testing.assert_allclose(served["encoder"][name], expected[name], atol=ATOL)
    np.testing.assert_array_equal(served["encoder"]["input_mask"], inputs["input_mask"])
    # Truncation: the long pair fills the sequence, the empty text is [CLS] [SEP].
    assert inputs["input_mask"][3].sum() == MAX_SEQ_LENGTH
    assert inputs["input_mask"][1].sum() > 2 and inputs["input_word_ids"][1][:2].tolist() == [
        tokenizer.cls_id,
        tokenizer.sep_id,
    ]


def test_classifier_labels_and_probabilities(served, models, tokenizer):
    inputs = pack_rows(
        tokenizer, single_or_pair(ids_of(tokenizer, TEXTS_A), ids_of(tokenizer, TEXTS_B))
    )
    logits = np.asarray(models["classifier"](inputs)["logits"])
    out = served["classifier"]
    np.testing.assert_allclose(out["logits"], logits, atol=ATOL)
    np.testing.assert_allclose(out["probabilities"], softmax(logits), atol=ATOL)
    np.testing.assert_array_equal(out["label_id"], logits.argmax(-1))
    assert decoded(out["label"]) == [CLASSIFIER_LABELS[i] for i in logits.argmax(-1)]
    one = pack_rows(tokenizer, [[ids_of(tokenizer, ["cat"])[0]]])
    np.testing.assert_allclose(
        served["classifier_one"]["logits"], models["classifier"](one)["logits"], atol=ATOL
    )


def test_pretrainer_top_k_at_each_mask(served, models, tokenizer):
    ids_a = [masked_ids(tokenizer, t) for t in MASKED_A]
    inputs = pack_rows(
        tokenizer, single_or_pair(ids_a, [masked_ids(tokenizer, t) for t in TEXTS_B])
    )
    out = served["pretrainer"]
    k = EXPORT_OPTIONS["pretrainer"]["top_k"]
    for row, word_ids in enumerate(inputs["input_word_ids"]):
        positions = np.flatnonzero(word_ids == tokenizer.mask_id)
        served_positions = out["masked_positions"][row]
        assert served_positions[: len(positions)].tolist() == positions.tolist()
        assert (served_positions[len(positions) :] == -1).all()
        if not len(positions):
            assert decoded(out["top_k_tokens"][row]) == [[""] * k] * len(served_positions)
            continue
        row_inputs = {name: value[row : row + 1] for name, value in inputs.items()}
        logits = models["pretrainer"](dict(row_inputs, masked_lm_positions=positions[None]))
        probabilities = softmax(np.asarray(logits["mlm_logits"])[0])
        best = np.argsort(-probabilities, axis=-1)[:, :k]
        np.testing.assert_allclose(
            out["top_k_probabilities"][row, : len(positions)],
            np.take_along_axis(probabilities, best, -1),
            atol=ATOL,
        )
        assert decoded(out["top_k_tokens"][row, : len(positions)]) == [
            tokenizer.convert_ids_to_tokens(ids) for ids in best
        ]
        np.testing.assert_allclose(
            out["nsp_probabilities"][row], softmax(np.asarray(logits["nsp_logits"]))[0], atol=ATOL
        )
    assert out["masked_positions"][2].tolist()[:1] == [1]  # "[MASK]" alone


def test_squad_answers_equal_run_squad_predictions(served, models, tokenizer, tmp_path):
    """The served answers are those SquadTask.predict (run_squad.py's) gives the same model."""
    import json

    from bert_tf.tasks.squad import SquadTask

    options = EXPORT_OPTIONS["squad"]["options"]
    records = [{"id": str(i), "question": q, "answers": []} for i, q in enumerate(QUESTIONS)]
    data = {
        "data": [
            {
                "title": "t",
                "paragraphs": [{"context": c, "qas": [r]} for c, r in zip(CONTEXTS, records)],
            }
        ]
    }
    (tmp_path / "predict.json").write_text(json.dumps(data), encoding="utf-8")
    task = SquadTask(
        tokenizer, MAX_SEQ_LENGTH, predict_file=str(tmp_path / "predict.json"), options=options
    )
    examples = task.read_examples("dev")
    features = task.make_features(examples, is_training=False)
    assert max(np.bincount(features["example_index"])) > 3  # a context of several windows
    outputs = models["squad"](
        {k: features[k] for k in ("input_word_ids", "input_mask", "input_type_ids")}
    )
    predictions, _, null_odds = task.predict(
        examples, features, {k: np.asarray(v) for k, v in outputs.items()}
    )
    out = served["squad"]
    assert decoded(out["answer"]) == [predictions[r["id"]] for r in records]
    np.testing.assert_allclose(
        out["null_score"] - out["score"],
        [null_odds[r["id"]] for r in records],
        rtol=1e-5,
        atol=1e-4,
    )


def test_swag_scores_each_choice(served, models, tokenizer):
    num_choices = EXPORT_OPTIONS["swag"]["num_choices"]
    rows = [
        [ids_of(tokenizer, [context])[0], ids_of(tokenizer, [ending])[0]]
        for context, endings in zip(TEXTS_A, ENDINGS)
        for ending in endings
    ]
    inputs = {
        name: value.reshape(len(TEXTS_A), num_choices, MAX_SEQ_LENGTH)
        for name, value in pack_rows(tokenizer, rows).items()
    }
    logits = np.asarray(models["swag"](inputs)["logits"])
    np.testing.assert_allclose(served["swag"]["scores"], logits, atol=ATOL)
    np.testing.assert_allclose(served["swag"]["probabilities"], softmax(logits), atol=ATOL)
    np.testing.assert_array_equal(served["swag"]["choice"], logits.argmax(-1))


def test_ner_tags_equal_run_ner_predictions(served, models, tokenizer):
    """Words come from str.split(); tags are NerTask.predict's (run_ner's) for the same model."""
    from bert_tf.tasks.ner import NerExample, NerTask

    out = served["ner"]
    max_words = max(len(t.split()) for t in TEXTS_A)
    assert out["words"].shape == out["tags"].shape == (len(TEXTS_A), max_words)
    task = NerTask(tokenizer, MAX_SEQ_LENGTH, label_list=NER_TAGS)
    examples = [NerExample(text.split(), None) for text in TEXTS_A]
    features = task.make_features(examples, is_training=False)
    assert max(np.bincount(features["example_index"])) > 1  # a text longer than a feature
    logits = models["ner"](
        {k: features[k] for k in ("input_word_ids", "input_mask", "input_type_ids")}
    )["logits"]
    expected = task.predict(examples, features, {"logits": np.asarray(logits)})
    for row, text in enumerate(TEXTS_A):
        pad = [""] * (max_words - len(text.split()))
        assert decoded(out["words"][row]) == text.split() + pad
        assert decoded(out["tags"][row]) == expected[row] + pad


def test_any_batch_size(served):
    assert served["classifier_one"]["logits"].shape == (1, len(CLASSIFIER_LABELS))
    assert served["classifier_empty_batch"]["logits"].shape == (0, len(CLASSIFIER_LABELS))
    assert served["classifier_empty_batch"]["label"].shape == (0,)


@pytest.mark.parametrize(
    "model_type", ["encoder", "classifier", "ner", "squad", "pretrainer", "swag"]
)
def test_serve_token_ids_returns_raw_outputs(served, models, export_root, tokenizer, model_type):
    _, _, inputs = token_id_requests(export_root, tokenizer)[f"{model_type}_ids"]
    expected = models[model_type](inputs)
    out = served[f"{model_type}_ids"]
    if model_type == "encoder":
        expected = dict(expected, encoder_outputs=np.stack(expected["encoder_outputs"], axis=1))
    assert sorted(out) == sorted(expected)
    for name, value in expected.items():
        np.testing.assert_allclose(out[name], value, atol=ATOL)


@pytest.mark.parametrize(
    "key, named",
    [
        ("bad_batch_sizes", "text_a and text_b"),
        ("bad_negative_id", "input_word_ids: negative id"),
        ("bad_large_id", "input_word_ids: id not below the vocab_size"),
        ("bad_mask_length", "input_mask: shape differs"),
        ("bad_mask_negative", "input_mask: a value other than 0 and 1"),
        ("bad_mask_two", "input_mask: a value other than 0 and 1"),
        ("bad_too_long", "input_word_ids: sequence longer than the max_position_embeddings 32"),
        (
            "bad_too_long_encoder",
            "input_word_ids: sequence longer than the max_position_embeddings",
        ),
        ("bad_empty_sequence", "input_word_ids: sequence length 0"),
        ("bad_one_dimensional", "input_word_ids: expected [batch, seq]"),
        ("bad_one_dimensional_ner", "input_word_ids: expected [batch, seq]"),
        ("bad_swag_two_dimensional", "input_word_ids: expected [batch, num_choices, seq]"),
        ("bad_position", "masked_lm_positions: position not below the sequence length"),
        ("bad_position_rank", "masked_lm_positions: expected [batch, num_positions]"),
    ],
)
def test_a_bad_request_is_an_invalid_argument_naming_the_input(served, key, named):
    """Refused in the fresh loader process, which then goes on serving (no crash)."""
    assert named in served[key]["invalid_argument"]
    assert served["classifier_one"]["logits"].shape == (1, len(CLASSIFIER_LABELS))


def test_a_sequence_of_max_position_embeddings_is_served(served, models, export_root, config):
    _, _, inputs = longest_request(export_root, config)
    np.testing.assert_allclose(
        served["classifier_longest"]["logits"], models["classifier"](inputs)["logits"], atol=ATOL
    )
