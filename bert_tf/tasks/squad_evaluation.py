"""The official SQuAD metrics: evaluate-v1.1.py and evaluate-v2.0.py as functions.

Both scripts score a prediction against each gold answer after `normalize_answer` (lower-case,
drop `string.punctuation`, drop the articles a/an/the as whole words, collapse whitespace) and
keep the best: exact match (EM) and the F1 of the two bags of normalized tokens.

They differ in small ways that change the numbers, so both are kept as the scripts have them:
    * v1.1 takes every gold answer as given; an empty prediction or gold answer has F1 0.
    * v2.0 drops gold answers that normalize to "", scores a question whose gold list is then empty
        against [""] (an unanswerable question), gives F1 1 when both sides are empty, reports the
        HasAns/NoAns breakdown and, given the no-answer probabilities (run_squad.py's
        null_odds.json), replaces predictions whose no-answer score exceeds `na_prob_thresh`
        (1.0 as in the script) and searches the best threshold (`best_exact`, `best_f1` and
        their `_thresh`).

`dataset` is the "data" list of a SQuAD JSON file; `predictions` maps question id -> answer text.
Scores are in percent, as the scripts print them.
"""

import collections
import re
import string

_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)


def normalize_answer(s):
    """Lower text and remove punctuation, articles and extra whitespace (both scripts)."""
    s = s.lower()
    s = "".join(ch for ch in s if ch not in _PUNCTUATION)
    s = _ARTICLES.sub(" ", s)
    return " ".join(s.split())


def _token_f1(prediction_tokens, gold_tokens):
    common = collections.Counter(prediction_tokens) & collections.Counter(gold_tokens)
    num_same = sum(common.values())
    if num_same == 0:
        return 0.0
    precision = num_same / len(prediction_tokens)
    recall = num_same / len(gold_tokens)
    return (2 * precision * recall) / (precision + recall)


# ----------------------------------------------------------------------------- evaluate-v1.1.py


def f1_score_v1(prediction, ground_truth):
    """F1 of evaluate-v1.1.py: 0 when either side is empty after normalization."""
    return _token_f1(normalize_answer(prediction).split(), normalize_answer(ground_truth).split())


def exact_match_score_v1(prediction, ground_truth):
    return float(normalize_answer(prediction) == normalize_answer(ground_truth))


def metric_max_over_ground_truths(metric_fn, prediction, ground_truths):
    return max(metric_fn(prediction, ground_truth) for ground_truth in ground_truths)


def evaluate_v1(dataset, predictions):
    """evaluate-v1.1.py's evaluate(): a question without a prediction scores 0.

    Returns:
        dict with `exact_match` and `f1`, in percent.
    """
    f1 = exact_match = total = 0
    for article in dataset:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                total += 1
                if qa["id"] not in predictions:
                    continue
                ground_truths = [answer["text"] for answer in qa["answers"]]
                prediction = predictions[qa["id"]]
                exact_match += metric_max_over_ground_truths(
                    exact_match_score_v1, prediction, ground_truths
                )
                f1 += metric_max_over_ground_truths(f1_score_v1, prediction, ground_truths)
    return {"exact_match": 100.0 * exact_match / total, "f1": 100.0 * f1 / total}


# ----------------------------------------------------------------------------- evaluate-v2.0.py


def get_tokens(s):
    if not s:
        return []
    return normalize_answer(s).split()


def compute_exact(a_gold, a_pred):
    return int(normalize_answer(a_gold) == normalize_answer(a_pred))


def compute_f1(a_gold, a_pred):
    """F1 of evaluate-v2.0.py: if either side is a no-answer, 1 when both are, else 0."""
    gold_toks = get_tokens(a_gold)
    pred_toks = get_tokens(a_pred)
    if not gold_toks or not pred_toks:
        return int(gold_toks == pred_toks)
    return _token_f1(pred_toks, gold_toks)


def make_qid_to_has_ans(dataset):
    return {
        qa["id"]: bool(qa["answers"])
        for article in dataset
        for p in article["paragraphs"]
        for qa in p["qas"]
    }


def get_raw_scores(dataset, preds):
    """Per-question EM and F1 (max over gold answers); questions without a prediction are left
    out."""
    exact_scores = {}
    f1_scores = {}
    for article in dataset:
        for p in article["paragraphs"]:
            for qa in p["qas"]:
                qid = qa["id"]
                gold_answers = [a["text"] for a in qa["answers"] if normalize_answer(a["text"])]
                if not gold_answers:
                    # For unanswerable questions, the only correct answer is the empty string.
                    gold_answers = [""]
                if qid not in preds:
                    continue
                a_pred = preds[qid]
                exact_scores[qid] = max(compute_exact(a, a_pred) for a in gold_answers)
                f1_scores[qid] = max(compute_f1(a, a_pred) for a in gold_answers)
    return exact_scores, f1_scores


def apply_no_ans_threshold(scores, na_probs, qid_to_has_ans, na_prob_thresh):
    new_scores = {}
    for qid, s in scores.items():
        if na_probs[qid] > na_prob_thresh:
            new_scores[qid] = float(not qid_to_has_ans[qid])
        else:
            new_scores[qid] = s
    return new_scores


def make_eval_dict(exact_scores, f1_scores, qid_list=None):
    if not qid_list:
        total = len(exact_scores)
        return collections.OrderedDict(
            [
                ("exact", 100.0 * sum(exact_scores.values()) / total),
                ("f1", 100.0 * sum(f1_scores.values()) / total),
                ("total", total),
            ]
        )
    total = len(qid_list)
    return collections.OrderedDict(
        [
            ("exact", 100.0 * sum(exact_scores[k] for k in qid_list) / total),
            ("f1", 100.0 * sum(f1_scores[k] for k in qid_list) / total),
            ("total", total),
        ]
    )


def merge_eval(main_eval, new_eval, prefix):
    for k in new_eval:
        main_eval[f"{prefix}_{k}"] = new_eval[k]


def find_best_thresh(preds, scores, na_probs, qid_to_has_ans):
    """Sweeps the no-answer threshold over the sorted no-answer scores.

    Starting from "answer nothing" (every NoAns question right), each step lets the next question
    (in increasing no-answer score) keep its prediction.

    Returns:
        (best score in percent, the threshold reaching it).
    """
    num_no_ans = sum(1 for k in qid_to_has_ans if not qid_to_has_ans[k])
    cur_score = num_no_ans
    best_score = cur_score
    best_thresh = 0.0
    qid_list = sorted(na_probs, key=lambda k: na_probs[k])
    for qid in qid_list:
        if qid not in scores:
            continue
        if qid_to_has_ans[qid]:
            diff = scores[qid]
        else:
            diff = -1 if preds[qid] else 0
        cur_score += diff
        if cur_score > best_score:
            best_score = cur_score
            best_thresh = na_probs[qid]
    return 100.0 * best_score / len(scores), best_thresh


def find_all_best_thresh(main_eval, preds, exact_raw, f1_raw, na_probs, qid_to_has_ans):
    best_exact, exact_thresh = find_best_thresh(preds, exact_raw, na_probs, qid_to_has_ans)
    best_f1, f1_thresh = find_best_thresh(preds, f1_raw, na_probs, qid_to_has_ans)
    main_eval["best_exact"] = best_exact
    main_eval["best_exact_thresh"] = exact_thresh
    main_eval["best_f1"] = best_f1
    main_eval["best_f1_thresh"] = f1_thresh


def evaluate_v2(dataset, preds, na_probs=None, na_prob_thresh=1.0):
    """evaluate-v2.0.py's main(), without the plots.

    Args:
        dataset: the "data" list of a SQuAD v2.0 JSON file.
        preds: dict question id -> predicted text ("" for no answer).
        na_probs: dict question id -> no-answer score (`--na-prob-file`), or None, which means 0.0
            for every prediction and no threshold search, as in the script.
        na_prob_thresh: `--na-prob-thresh`.

    Returns:
        OrderedDict with the script's keys: exact, f1, total, HasAns_*/NoAns_* (when such questions
        exist) and, given na_probs, best_exact, best_exact_thresh, best_f1, best_f1_thresh.
    """
    with_na_probs = na_probs is not None
    if not with_na_probs:
        na_probs = {k: 0.0 for k in preds}
    qid_to_has_ans = make_qid_to_has_ans(dataset)
    has_ans_qids = [k for k, v in qid_to_has_ans.items() if v]
    no_ans_qids = [k for k, v in qid_to_has_ans.items() if not v]
    exact_raw, f1_raw = get_raw_scores(dataset, preds)
    exact_thresh = apply_no_ans_threshold(exact_raw, na_probs, qid_to_has_ans, na_prob_thresh)
    f1_thresh = apply_no_ans_threshold(f1_raw, na_probs, qid_to_has_ans, na_prob_thresh)
    out_eval = make_eval_dict(exact_thresh, f1_thresh)
    if has_ans_qids:
        merge_eval(
            out_eval, make_eval_dict(exact_thresh, f1_thresh, qid_list=has_ans_qids), "HasAns"
        )
    if no_ans_qids:
        merge_eval(out_eval, make_eval_dict(exact_thresh, f1_thresh, qid_list=no_ans_qids), "NoAns")
    if with_na_probs:
        find_all_best_thresh(out_eval, preds, exact_raw, f1_raw, na_probs, qid_to_has_ans)
    return out_eval
