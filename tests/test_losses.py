import numpy as np

from bert_tf.losses import pretraining_losses


def _log_softmax(x):
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def test_pretraining_losses_match_numpy_hand_computation():
    rng = np.random.default_rng(0)
    mlm_logits = rng.normal(size=(2, 3, 7)).astype(np.float32)
    nsp_logits = rng.normal(size=(2, 2)).astype(np.float32)
    ids = np.array([[1, 4, 0], [6, 2, 5]])
    weights = np.array([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0]], np.float32)
    nsp_labels = np.array([0, 1])
    # Make the prediction at [0, 0] right and at [0, 1] wrong, so accuracy is 2/3 or less.
    mlm_logits[0, 0, 1] = 10.0
    labels = {
        "masked_lm_ids": ids,
        "masked_lm_weights": weights,
        "next_sentence_labels": nsp_labels,
    }
    got = {
        k: float(v)
        for k, v in pretraining_losses(
            labels, {"mlm_logits": mlm_logits, "nsp_logits": nsp_logits}
        ).items()
    }

    ce = -np.take_along_axis(_log_softmax(mlm_logits), ids[..., None], -1)[..., 0]
    mlm_loss = (weights * ce).sum() / (weights.sum() + 1e-5)
    nsp_loss = -_log_softmax(nsp_logits)[np.arange(2), nsp_labels].mean()
    mlm_acc = (weights * (mlm_logits.argmax(-1) == ids)).sum() / weights.sum()
    nsp_acc = (nsp_logits.argmax(-1) == nsp_labels).mean()
    np.testing.assert_allclose(got["masked_lm_loss"], mlm_loss, rtol=1e-5)
    np.testing.assert_allclose(got["next_sentence_loss"], nsp_loss, rtol=1e-5)
    np.testing.assert_allclose(got["loss"], mlm_loss + nsp_loss, rtol=1e-5)
    np.testing.assert_allclose(got["masked_lm_accuracy"], mlm_acc, rtol=1e-6)
    np.testing.assert_allclose(got["next_sentence_accuracy"], nsp_acc, rtol=1e-6)


def test_padding_predictions_do_not_count():
    logits = np.zeros((1, 2, 5), np.float32)
    logits[0, 1, 3] = 100.0  # a confident, wrong prediction at a padded position
    labels = {
        "masked_lm_ids": np.array([[2, 0]]),
        "masked_lm_weights": np.array([[1.0, 0.0]]),
        "next_sentence_labels": np.array([[0]]),
    }
    got = pretraining_losses(labels, {"mlm_logits": logits, "nsp_logits": np.zeros((1, 2))})
    np.testing.assert_allclose(float(got["masked_lm_loss"]), np.log(5) / (1 + 1e-5), rtol=1e-5)
