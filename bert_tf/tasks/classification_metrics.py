"""The GLUE and SWAG metrics in numpy: accuracy, F1, Matthews correlation, Pearson, Spearman.

The GLUE benchmark computes these with scikit-learn and scipy; these are the same definitions
(tests compare them with those libraries), without either at run time. Where a correlation is
undefined because one side is constant, the result is 0.0, the convention scikit-learn uses for
the Matthews correlation, instead of a NaN that would break "pick the best checkpoint".
"""

import numpy as np


def accuracy(labels, predictions):
    """Fraction of predictions equal to the labels.

    Args:
        labels, predictions: int arrays of shape [num_examples].
    """
    labels, predictions = _pair(labels, predictions)
    return float(np.mean(labels == predictions))


def f1_score(labels, predictions, positive_label=1):
    """F1 of the positive class: 2 * precision * recall / (precision + recall).

    0.0 when there is no true positive (precision or recall undefined or zero), as scikit-learn.

    Args:
        labels, predictions: int arrays of shape [num_examples].
        positive_label: the class whose F1 is reported (1 for MRPC and QQP).
    """
    labels, predictions = _pair(labels, predictions)
    true_positives = np.sum((predictions == positive_label) & (labels == positive_label))
    if true_positives == 0:
        return 0.0
    predicted = np.sum(predictions == positive_label)
    actual = np.sum(labels == positive_label)
    return float(2.0 * true_positives / (predicted + actual))


def matthews_corrcoef(labels, predictions):
    """Matthews correlation coefficient, in its multiclass form (Gorodkin 2004).

    For two classes it is (TP*TN - FP*FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN)); 0.0 when a
    marginal is empty, e.g. every prediction is one class.

    Args:
        labels, predictions: int arrays of shape [num_examples].
    """
    labels, predictions = _pair(labels, predictions)
    classes, encoded = np.unique(np.concatenate([labels, predictions]), return_inverse=True)
    num_examples = labels.shape[0]
    confusion = np.zeros((len(classes), len(classes)), dtype=np.float64)
    np.add.at(confusion, (encoded[:num_examples], encoded[num_examples:]), 1.0)
    true_per_class = confusion.sum(axis=1)
    predicted_per_class = confusion.sum(axis=0)
    correct = np.trace(confusion)
    total = float(num_examples)
    covariance = correct * total - np.dot(true_per_class, predicted_per_class)
    variance_true = total * total - np.dot(true_per_class, true_per_class)
    variance_predicted = total * total - np.dot(predicted_per_class, predicted_per_class)
    if variance_true == 0.0 or variance_predicted == 0.0:
        return 0.0
    return float(covariance / np.sqrt(variance_true * variance_predicted))


def pearson_corrcoef(labels, predictions):
    """Pearson correlation of two float arrays of shape [num_examples]; 0.0 if one is constant."""
    labels, predictions = _pair(labels, predictions, dtype=np.float64)
    labels = labels - labels.mean()
    predictions = predictions - predictions.mean()
    norm = np.sqrt(np.dot(labels, labels) * np.dot(predictions, predictions))
    if norm == 0.0:
        return 0.0
    # Clipped because rounding can take |r| a hair above 1.
    return float(np.clip(np.dot(labels, predictions) / norm, -1.0, 1.0))


def spearman_corrcoef(labels, predictions):
    """Spearman rank correlation: Pearson of the ranks, ties ranked by their average (as scipy).

    Args:
        labels, predictions: float arrays of shape [num_examples].
    """
    labels, predictions = _pair(labels, predictions, dtype=np.float64)
    return pearson_corrcoef(_average_ranks(labels), _average_ranks(predictions))


def _average_ranks(values):
    """1-based ranks of `values`; tied values all get the mean of the ranks they span."""
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    # Start of each run of equal values, and the run each sorted position belongs to.
    starts = np.flatnonzero(np.concatenate([[True], sorted_values[1:] != sorted_values[:-1]]))
    ends = np.concatenate([starts[1:], [len(values)]])
    run_of_position = np.repeat(np.arange(len(starts)), ends - starts)
    mean_rank_of_run = (starts + ends + 1) / 2.0  # mean of the 1-based ranks starts+1 .. ends
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = mean_rank_of_run[run_of_position]
    return ranks


def _pair(labels, predictions, dtype=None):
    labels = np.asarray(labels, dtype=dtype).reshape(-1)
    predictions = np.asarray(predictions, dtype=dtype).reshape(-1)
    if labels.shape != predictions.shape:
        raise ValueError(
            f"labels and predictions differ in length: {labels.shape[0]} vs {predictions.shape[0]}"
        )
    if labels.shape[0] == 0:
        raise ValueError("cannot compute a metric over zero examples")
    return labels, predictions
