"""Sentence embeddings: one vector per input from the encoder's token vectors.

The same pooling serves `export_saved_model --model_type=encoder --pooling=...` (the
`sentence_embedding` output) and `extract_features --pooling=...`. "mean" with `normalize` is
how sentence-transformers models such as all-MiniLM-L6-v2 are used for semantic search (their
`1_Pooling/config.json` and `Normalize` module): the mean over the real tokens, [CLS] and
[SEP] included, then L2-normalized.
"""

import dataclasses

import tensorflow as tf

from bert_tf.options import Options, option

POOLING_MODES = ("none", "cls", "mean")


@dataclasses.dataclass(kw_only=True)
class PoolingOptions(Options):
    pooling: str = option(
        "none",
        "none: token vectors only; cls: the [CLS] vector; mean: the "
        "mean over the real tokens ([CLS] and [SEP] included), as "
        "sentence-transformers' mean pooling.",
        choices=POOLING_MODES,
    )
    normalize: bool = option(
        False,
        "Scale each pooled vector to unit L2 norm (for cosine "
        "similarity, as sentence-transformers' Normalize module).",
    )


def pool(sequence_output, input_mask, pooling):
    """One vector per sequence.

    Args:
        sequence_output: float Tensor [batch, seq_length, hidden].
        input_mask: int Tensor [batch, seq_length], 1 for real tokens.
        pooling: "cls" or "mean".

    Returns:
        float Tensor [batch, hidden] (float32 for a bfloat16 sequence_output).
    """
    sequence_output = tf.cast(sequence_output, tf.float32)
    if pooling == "cls":
        return sequence_output[:, 0]
    mask = tf.cast(input_mask, tf.float32)[:, :, None]
    # A row without real tokens (never produced by the packer) would divide by zero.
    return tf.reduce_sum(sequence_output * mask, axis=1) / tf.maximum(
        tf.reduce_sum(mask, axis=1), 1e-9
    )


def normalized(vectors):
    """vectors [batch, dim] scaled to unit L2 norm (sentence-transformers' Normalize)."""
    return tf.math.l2_normalize(vectors, axis=-1, epsilon=1e-24)
