import numpy as np
import pytest
import scipy.stats
import sklearn.metrics

from bert_tf.tasks.classification_metrics import (
    accuracy,
    f1_score,
    matthews_corrcoef,
    pearson_corrcoef,
    spearman_corrcoef,
)


def test_binary_metrics_on_a_hand_worked_confusion_matrix():
    # TP=3, FN=1, FP=2, TN=4.
    labels = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    predictions = [1, 1, 1, 0, 1, 1, 0, 0, 0, 0]
    assert accuracy(labels, predictions) == pytest.approx(0.7)
    assert f1_score(labels, predictions) == pytest.approx(2 * 3 / (2 * 3 + 2 + 1))
    assert matthews_corrcoef(labels, predictions) == pytest.approx(
        (3 * 4 - 2 * 1) / np.sqrt((3 + 2) * (3 + 1) * (4 + 2) * (4 + 1))
    )


@pytest.mark.parametrize("seed", range(5))
def test_classification_metrics_match_sklearn(seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=200)
    predictions = np.where(rng.random(200) < 0.7, labels, rng.integers(0, 2, size=200))
    assert accuracy(labels, predictions) == pytest.approx(
        sklearn.metrics.accuracy_score(labels, predictions)
    )
    assert f1_score(labels, predictions) == pytest.approx(
        sklearn.metrics.f1_score(labels, predictions)
    )
    assert matthews_corrcoef(labels, predictions) == pytest.approx(
        sklearn.metrics.matthews_corrcoef(labels, predictions)
    )
    three_class_labels = rng.integers(0, 3, size=200)
    three_class_predictions = rng.integers(0, 3, size=200)
    assert matthews_corrcoef(three_class_labels, three_class_predictions) == pytest.approx(
        sklearn.metrics.matthews_corrcoef(three_class_labels, three_class_predictions)
    )


def test_degenerate_predictions_give_zero_like_sklearn():
    labels = [0, 1, 1, 0, 1]
    all_zero = [0, 0, 0, 0, 0]
    assert matthews_corrcoef(labels, all_zero) == 0.0
    assert sklearn.metrics.matthews_corrcoef(labels, all_zero) == 0.0
    assert matthews_corrcoef([1, 1, 1], [1, 1, 1]) == 0.0
    assert f1_score(labels, all_zero) == 0.0
    assert pearson_corrcoef([1.0, 2.0, 3.0], [2.0, 2.0, 2.0]) == 0.0
    assert spearman_corrcoef([1.0, 2.0, 3.0], [2.0, 2.0, 2.0]) == 0.0


def test_perfect_predictions():
    assert matthews_corrcoef([0, 1, 1, 0], [0, 1, 1, 0]) == pytest.approx(1.0)
    assert matthews_corrcoef([0, 1, 1, 0], [1, 0, 0, 1]) == pytest.approx(-1.0)
    assert f1_score([0, 1, 1, 0], [0, 1, 1, 0]) == pytest.approx(1.0)


@pytest.mark.parametrize("seed", range(5))
def test_correlations_match_scipy(seed):
    rng = np.random.default_rng(seed)
    labels = rng.uniform(0, 5, size=300)
    predictions = labels + rng.normal(0, 1.5, size=300)
    assert pearson_corrcoef(labels, predictions) == pytest.approx(
        scipy.stats.pearsonr(labels, predictions)[0], abs=1e-12
    )
    assert spearman_corrcoef(labels, predictions) == pytest.approx(
        scipy.stats.spearmanr(labels, predictions)[0], abs=1e-12
    )


def test_spearman_averages_tied_ranks_like_scipy():
    rng = np.random.default_rng(7)
    # STS-B gold scores come in steps of 0.2, so ties are the rule, not the exception.
    labels = np.round(rng.uniform(0, 5, size=300) * 5) / 5
    predictions = np.round(labels + rng.normal(0, 1, size=300))
    assert spearman_corrcoef(labels, predictions) == pytest.approx(
        scipy.stats.spearmanr(labels, predictions)[0], abs=1e-12
    )
    # Hand-worked: ranks of [1, 2, 2, 3] are [1, 2.5, 2.5, 4].
    assert spearman_corrcoef([1, 2, 2, 3], [1, 2.5, 2.5, 4]) == pytest.approx(1.0)
    assert spearman_corrcoef([10, 20, 20, 30], [1, 3, 2, 4]) == pytest.approx(
        np.corrcoef([1, 2.5, 2.5, 4], [1, 3, 2, 4])[0, 1]
    )


def test_mismatched_or_empty_inputs_raise():
    with pytest.raises(ValueError, match="differ in length"):
        accuracy([0, 1], [0])
    with pytest.raises(ValueError, match="zero examples"):
        pearson_corrcoef([], [])
