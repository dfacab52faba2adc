"""SQuAD task: sliding-window features, span loss, post-processing (uses conftest's tokenizer)."""

import json
import os

import numpy as np
import pytest

from bert_tf.errors import DataError
from bert_tf.tasks import squad
from bert_tf.tasks.squad import SquadOptions, SquadTask, get_final_text
from tests.tasks.squad_files import CONTEXT, QUESTIONS, squad_json, write_json


def oracle_outputs(features, high=10.0):
    """Logits high at each training feature's answer (or at [CLS] for no answer), low elsewhere."""
    num_features, seq_length = features["input_word_ids"].shape
    start = np.full((num_features, seq_length), -high, np.float32)
    end = np.full((num_features, seq_length), -high, np.float32)
    rows = np.arange(num_features)
    start[rows, features["start_positions"]] = high
    end[rows, features["end_positions"]] = high
    return {"start_logits": start, "end_logits": end}


@pytest.mark.parametrize("max_seq_length,doc_stride", [(384, 128), (48, 8), (40, 6)])
def test_training_spans_map_back_to_the_answer_text(
    tmp_path, tokenizer, max_seq_length, doc_stride
):
    task = SquadTask(
        tokenizer,
        max_seq_length=max_seq_length,
        train_file=write_json(tmp_path, squad_json()),
        options=SquadOptions(doc_stride=doc_stride, max_query_length=8),
    )
    examples = task.read_examples("train")
    features = task.make_features(examples, is_training=True)
    if max_seq_length < 50:
        assert np.bincount(features["example_index"]).min() > 2  # several windows per example
    found = set()
    for i in range(len(features["example_index"])):
        example = examples[features["example_index"][i]]
        start, end = features["start_positions"][i], features["end_positions"][i]
        if start == 0:
            assert end == 0
            continue
        ids = features["input_word_ids"][i][start : end + 1].tolist()
        assert " ".join(tokenizer.convert_ids_to_tokens(ids)) == " ".join(
            tokenizer.tokenize(example.orig_answer_text)
        )
        words = example.doc_tokens[
            features["token_to_orig_map"][i][start] : features["token_to_orig_map"][i][end] + 1
        ]
        assert example.orig_answer_text in " ".join(words)
        found.add(example.qas_id)
    assert found == {q[0] for q in QUESTIONS}


def test_features_pack_cls_query_sep_window_sep(tmp_path, tokenizer):
    task = SquadTask(
        tokenizer,
        max_seq_length=24,
        predict_file=write_json(tmp_path, squad_json(QUESTIONS[:1])),
        options=SquadOptions(doc_stride=5, max_query_length=4),
    )
    features = task.make_features(task.read_examples("dev"), is_training=False)
    tokens = tokenizer.convert_ids_to_tokens(features["input_word_ids"][0].tolist())
    query = tokenizer.tokenize("What is the cafe?")[:4]
    assert tokens[:6] == ["[CLS]", *query, "[SEP]"]
    assert tokens[-1] == "[SEP]" and sum(features["input_mask"][0]) == 24
    assert features["input_type_ids"][0].tolist() == [0] * 6 + [1] * 18
    assert features["token_to_orig_map"][0][:6].tolist() == [-1] * 6
    assert "start_positions" not in features
    # Windows start doc_stride pieces apart; a piece is max-context in exactly one window.
    doc_pieces = sum(len(tokenizer.tokenize(w)) for w in CONTEXT.split())
    assert len(features["example_index"]) == -(-(doc_pieces - 17) // 5) + 1
    assert features["token_is_max_context"].sum() == doc_pieces


def test_max_context_is_the_window_with_most_context_on_both_sides():
    spans = [(0, 5), (3, 5), (6, 5)]  # pieces 0-4, 3-7, 6-10
    # Piece 7: 4 left / 0 right in span 1 (score 0.05), 1 left / 3 right in span 2 (1.05).
    assert [squad._check_is_max_context(spans, i, 7) for i in range(3)] == [False, False, True]
    assert [squad._check_is_max_context(spans, i, 4) for i in range(3)] == [False, True, False]
    assert [squad._check_is_max_context(spans, i, 0) for i in range(3)] == [True, False, False]


def test_oracle_logits_score_100_and_keep_the_original_text(tmp_path, tokenizer):
    # With 53-piece windows every 8 pieces, each answer (17 pieces at most) lies whole in the
    # window where its first piece has the most context, so the oracle can reach it.
    for max_seq_length, doc_stride in [(384, 128), (64, 8)]:
        task = SquadTask(
            tokenizer,
            max_seq_length=max_seq_length,
            train_file=write_json(tmp_path, squad_json()),
            options=SquadOptions(doc_stride=doc_stride, max_query_length=8),
        )
        examples = task.read_examples("train")
        features = task.make_features(examples, is_training=True)
        assert max_seq_length == 384 or np.bincount(features["example_index"]).min() > 2
        outputs = oracle_outputs(features)
        predictions, nbest, _ = task.predict(examples, features, outputs)
        assert predictions == {qid: answer for qid, _, answer, _ in QUESTIONS}
        assert task.evaluate(examples, features, outputs) == {"exact_match": 100.0, "f1": 100.0}
        best = nbest["q-cafe"][0]
        assert best["start_logit"] == 10.0 and best["end_logit"] == 10.0
        assert sum(entry["probability"] for entry in nbest["q-cafe"]) == pytest.approx(1.0)


def test_v2_predicts_empty_when_null_score_wins(tmp_path, tokenizer):
    impossible = [("q-none", "Who built the tower?")]
    path = write_json(tmp_path, squad_json(QUESTIONS[:3], impossible=impossible))
    task = SquadTask(
        tokenizer,
        max_seq_length=40,
        train_file=path,
        predict_file=path,
        options=SquadOptions(doc_stride=6, max_query_length=8, version_2_with_negative=True),
    )
    examples = task.read_examples("train")
    features = task.make_features(examples, is_training=True)
    outputs = oracle_outputs(features)
    predictions, nbest, null_odds = task.predict(examples, features, outputs)
    assert predictions["q-none"] == "" and predictions["q-city"] == "Paris"
    assert null_odds["q-city"] < 0 < null_odds["q-none"]
    assert any(entry["text"] == "" for entry in nbest["q-city"])
    metrics = task.evaluate(examples, features, outputs)
    assert metrics["exact_match"] == metrics["f1"] == 100.0
    assert metrics["HasAns_exact"] == metrics["NoAns_exact"] == 100.0
    assert metrics["best_f1"] == 100.0

    written = task.write_predictions(examples, features, outputs, str(tmp_path / "out"))
    assert [os.path.basename(p) for p in written] == [
        "predictions.json",
        "nbest_predictions.json",
        "null_odds.json",
    ]
    with open(written[0], encoding="utf-8") as f:
        assert json.load(f) == predictions
    assert not [n for n in os.listdir(tmp_path / "out") if n.startswith(".tmp")]

    # A threshold above every null - best difference answers every question.
    lenient = SquadTask(
        tokenizer,
        max_seq_length=40,
        options=SquadOptions(
            doc_stride=6,
            max_query_length=8,
            version_2_with_negative=True,
            null_score_diff_threshold=1000.0,
        ),
    )
    assert lenient.predict(examples, features, outputs)[0]["q-none"] != ""


def test_get_final_text_recovers_casing_and_drops_glued_punctuation():
    # Hand-worked: the pieces of "Steve Smith's" are "steve smith ' s".
    assert (
        get_final_text("steve smith", "Steve Smith's", ["steve", "smith", "'", "s"])
        == "Steve Smith"
    )
    assert get_final_text("cafe", "Café,", ["cafe", ","]) == "Café"
    assert get_final_text("1686", "(founded 1686)", ["(", "founded", "1686", ")"]) == "1686"
    # Not found (an [UNK] piece): the whole original span.
    assert get_final_text("[UNK] 1686", "«1686»", ["«", "1686", "»"]) == "«1686»"


def test_span_labeler_loss_is_the_mean_of_start_and_end_cross_entropy(tmp_path, tokenizer):
    from bert_tf.models import BertEncoder
    from tests.keras_helpers import tiny_config

    task = SquadTask(
        tokenizer,
        max_seq_length=24,
        train_file=write_json(tmp_path, squad_json(QUESTIONS[:2])),
        options=SquadOptions(doc_stride=5, max_query_length=8),
    )
    features = task.make_features(task.read_examples("train"), is_training=True)
    model = task.build_model(BertEncoder(tiny_config(vocab_size=len(tokenizer.vocab))))
    batch = {k: features[k][:4] for k in ("input_word_ids", "input_mask", "input_type_ids")}
    outputs = {k: np.asarray(v) for k, v in model(batch).items()}
    loss = float(task.loss({k: features[k][:4] for k in features}, outputs))

    def cross_entropy(logits, positions):
        logits = logits.astype(np.float64)
        log_z = np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1)) + logits.max(-1)
        return np.mean(log_z - logits[np.arange(len(positions)), positions])

    expected = (
        cross_entropy(outputs["start_logits"], features["start_positions"][:4])
        + cross_entropy(outputs["end_logits"], features["end_positions"][:4])
    ) / 2
    assert np.isfinite(loss)
    assert loss == pytest.approx(expected, rel=1e-5)


def test_tfds_source_reads_the_squad_builder(tokenizer):
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=3):
        records = list(tfds.as_numpy(tfds.load("squad/v2.0", split="validation")))
        task = SquadTask(
            tokenizer, data_source="tfds", options=SquadOptions(version_2_with_negative=True)
        )
        examples = task.read_examples("dev")
        assert [e.qas_id for e in examples] == [r["id"].decode() for r in records]
        assert [e.question_text for e in examples] == [r["question"].decode() for r in records]
        assert [e.is_impossible for e in examples] == [bool(r["is_impossible"]) for r in records]
        assert examples[0].answers == tuple(t.decode() for t in records[0]["answers"]["text"])
        # Mock answers are random text at random offsets: training names the source and question.
        with pytest.raises(DataError, match=r"tfds:squad/v1\.1:train: question"):
            SquadTask(tokenizer, data_source="tfds").read_examples("train")
