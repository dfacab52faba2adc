"""The pretraining loss and metrics of the original run_pretraining.py."""

import tensorflow as tf


def pretraining_losses(labels, outputs):
    """Masked-LM plus next-sentence loss, and their accuracies, all float32 scalars.

    As the original's get_masked_lm_output, the masked-LM loss averages the
    per-position cross-entropy over the real predictions only:
    sum(weights * ce) / (sum(weights) + 1e-5). The next-sentence loss is the mean
    cross-entropy over the batch.

    Args:
        labels: dict with `masked_lm_ids` (int32 [batch_size, max_predictions_per_seq]),
            `masked_lm_weights` (float32 [batch_size, max_predictions_per_seq], 1.0 for a
            real prediction, 0.0 for padding) and `next_sentence_labels` (int32 [batch_size]).
        outputs: dict with `mlm_logits` (float [batch_size, max_predictions_per_seq,
            vocab_size]) and `nsp_logits` (float [batch_size, 2]).

    Returns:
        dict of float32 scalars: `loss`, `masked_lm_loss`, `masked_lm_accuracy`,
        `next_sentence_loss`, `next_sentence_accuracy`.
    """
    mlm_logits = tf.cast(outputs["mlm_logits"], tf.float32)
    nsp_logits = tf.cast(outputs["nsp_logits"], tf.float32)
    mlm_ids = tf.cast(labels["masked_lm_ids"], tf.int32)
    weights = tf.cast(labels["masked_lm_weights"], tf.float32)
    nsp_labels = tf.cast(tf.reshape(labels["next_sentence_labels"], [-1]), tf.int32)

    mlm_ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=mlm_ids, logits=mlm_logits)
    masked_lm_loss = tf.reduce_sum(weights * mlm_ce) / (tf.reduce_sum(weights) + 1e-5)
    nsp_ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=nsp_labels, logits=nsp_logits)
    next_sentence_loss = tf.reduce_mean(nsp_ce)

    mlm_correct = tf.cast(
        tf.equal(tf.argmax(mlm_logits, -1, output_type=tf.int32), mlm_ids), tf.float32
    )
    nsp_correct = tf.cast(
        tf.equal(tf.argmax(nsp_logits, -1, output_type=tf.int32), nsp_labels), tf.float32
    )
    return {
        "loss": masked_lm_loss + next_sentence_loss,
        "masked_lm_loss": masked_lm_loss,
        "masked_lm_accuracy": tf.math.divide_no_nan(
            tf.reduce_sum(weights * mlm_correct), tf.reduce_sum(weights)
        ),
        "next_sentence_loss": next_sentence_loss,
        "next_sentence_accuracy": tf.reduce_mean(nsp_correct),
    }
