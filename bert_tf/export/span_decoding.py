"""In-graph choice of the best answer span from start and end logits (SQuAD serving)."""

import tensorflow as tf

# The score of a row without any candidate span (e.g. an empty context): the lowest
# float32, finite so that it survives JSON.
NO_SPAN_SCORE = tf.float32.min


def best_spans(start_logits, end_logits, candidates, max_answer_length):
    """Finds the span with the highest start_logit + end_logit, as run_squad.py scores spans.

    A span (i, j) is valid when both ends are candidates (context pieces), i <= j and
    j - i + 1 <= max_answer_length. The original ranks only the n_best_size (20) highest
    starts and ends; the exhaustive maximum here is the same span whenever that one is
    among them, and never a worse one.

    Args:
        start_logits, end_logits: float32 Tensors of shape [batch_size, seq_length].
        candidates: bool Tensor of shape [batch_size, seq_length], positions that may
            begin or end an answer.
        max_answer_length: int, longest answer in word pieces.

    Returns:
        (start, end, score, found): start and end positions, int32 [batch_size]; the span
        score, float32 [batch_size] (NO_SPAN_SCORE when none); found, bool [batch_size],
        whether the row had any valid span (start and end are 0 when not).
    """
    seq_length = tf.shape(start_logits)[1]
    scores = start_logits[:, :, None] + end_logits[:, None, :]  # [batch, start, end]
    offset = tf.range(seq_length)[None, :] - tf.range(seq_length)[:, None]  # end - start
    in_band = (offset >= 0) & (offset < max_answer_length)
    valid = in_band[None] & candidates[:, :, None] & candidates[:, None, :]
    flat = tf.reshape(tf.where(valid, scores, NO_SPAN_SCORE), [tf.shape(scores)[0], -1])
    best = tf.argmax(flat, axis=1, output_type=tf.int32)
    found = tf.reduce_any(tf.reshape(valid, [tf.shape(valid)[0], -1]), axis=1)
    start = tf.where(found, best // seq_length, 0)
    end = tf.where(found, best % seq_length, 0)
    score = tf.where(found, tf.reduce_max(flat, axis=1), NO_SPAN_SCORE)
    return start, end, score, found
