"""The official SQuAD metrics against hand-worked numbers."""

import pytest

from bert_tf.tasks import squad_evaluation as ev


def dataset(*qas):
    return [
        {
            "paragraphs": [
                {
                    "qas": [
                        {"id": qid, "answers": [{"text": t} for t in answers]}
                        for qid, answers in qas
                    ]
                }
            ]
        }
    ]


@pytest.mark.parametrize(
    "text,normalized",
    [
        ("The Eiffel Tower!", "eiffel tower"),
        ("  an   apple, a pear  ", "apple pear"),
        ("theater", "theater"),  # articles only as whole words
        ("A-team", "ateam"),  # punctuation goes before the article regex sees "a"
        ("Émile’s café", "émile’s café"),  # non-ASCII letters and U+2019 are not string.punctuation
    ],
)
def test_normalize_answer(text, normalized):
    assert ev.normalize_answer(text) == normalized


def test_v1_takes_the_best_gold_answer_and_counts_unanswered_as_zero():
    data = dataset(
        ("q1", ["Denver Broncos", "the Broncos"]),
        ("q2", ["Santa Clara, California"]),
        ("q3", ["1990"]),
    )
    # q1: "Broncos" vs "the Broncos" -> normalized "broncos" == "broncos": EM 1, F1 1.
    # q2: "Santa Clara" vs 3 gold tokens: P 1, R 2/3, F1 0.8. q3 unanswered: 0.
    result = ev.evaluate_v1(data, {"q1": "Broncos", "q2": "Santa Clara"})
    assert result["exact_match"] == pytest.approx(100 / 3)
    assert result["f1"] == pytest.approx(100 * 1.8 / 3)


def test_v1_f1_uses_token_multisets():
    # pred "a b b c" -> tokens b b c ("a" is an article); gold "b c c" -> common {b:1, c:1}:
    # P 2/3, R 2/3.
    assert ev.f1_score_v1("a b b c", "b c c") == pytest.approx(2 / 3)
    assert ev.f1_score_v1("", "") == 0.0  # v1.1 has no special case for empty answers


def test_v2_empty_answers_and_has_ans_no_ans_breakdown():
    data = dataset(("h1", ["Paris"]), ("h2", ["in 1686", "1686"]), ("n1", []), ("n2", []))
    preds = {"h1": "Paris", "h2": "1686 in", "n1": "", "n2": "Rome"}
    result = ev.evaluate_v2(data, preds)
    # h1: 1/1. h2: EM 0 (order), F1 max(1 vs "in 1686", 2*(1/2*1)/(1.5)=2/3) = 1.
    # n1: "" vs [""]: 1/1. n2: "Rome" vs [""]: 0/0.
    assert result["exact"] == pytest.approx(50.0)
    assert result["f1"] == pytest.approx(75.0)
    assert result["HasAns_exact"] == pytest.approx(50.0) and result["HasAns_f1"] == 100.0
    assert result["NoAns_exact"] == result["NoAns_f1"] == 50.0
    assert result["HasAns_total"] == 2 and result["NoAns_total"] == 2
    assert "best_f1" not in result  # no na_probs, no threshold search, as the script


def test_v2_gold_answers_that_normalize_to_nothing_mean_no_answer():
    data = dataset(("q", ["the", "."]))
    assert ev.evaluate_v2(data, {"q": ""})["exact"] == 100.0
    assert ev.compute_f1("", "") == 1 and ev.compute_f1("", "x") == 0


def test_v2_best_threshold_search():
    data = dataset(("h1", ["a1"]), ("h2", ["b2"]), ("n1", []), ("n2", []))
    preds = {"h1": "a1", "h2": "wrong", "n1": "x", "n2": ""}
    na_probs = {"h1": -3.0, "h2": 2.0, "n1": -1.0, "n2": 0.5}
    result = ev.evaluate_v2(data, preds, na_probs=na_probs)
    # Start at "all no-answer": n1, n2 right -> 2. In increasing na_prob: h1 (+1 -> 3, thresh
    # -3), n1 (pred "x": -1 -> 2), n2 (pred "": 0), h2 (+0). Best 3/4 at -3.0.
    assert result["best_exact"] == 75.0 and result["best_exact_thresh"] == -3.0
    assert result["best_f1"] == 75.0 and result["best_f1_thresh"] == -3.0
    # na_prob_thresh 1.0 turns h2 (2.0 > 1.0) into a no-answer: still wrong for a HasAns question.
    assert result["exact"] == 50.0  # h1 and n2


def test_v2_no_answer_threshold_replaces_predictions():
    data = dataset(("n1", []))
    assert ev.evaluate_v2(data, {"n1": "x"}, na_probs={"n1": 1.5})["exact"] == 100.0
    assert ev.evaluate_v2(data, {"n1": "x"}, na_probs={"n1": 0.5})["exact"] == 0.0
