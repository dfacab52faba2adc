"""In-graph text helpers of the serving features, on the project's Tokenizer.

Everything here is TF ops, so it runs inside an exported SavedModel. Packing is
`tokenization.pack_inputs`, as in training; the helpers add what the tasks' serving
features need on top: the literal "[MASK]" in masked-LM text, words tokenized one by one,
the map from word pieces back to their words, and ragged row surgery.
"""

import tensorflow as tf
import tensorflow_text as tf_text

from bert_tf.tokenization import MASK_TOKEN

_MASK_PATTERN = r"\[MASK\]"


def tokenize_with_mask_tokens(tokenizer, texts):
    """Tokenizes texts in which each literal "[MASK]" stands for the [MASK] token.

    The plain Tokenizer splits "[MASK]" into "[", "mask", "]" (as the original does).
    Cutting the text at "[MASK]" first changes nothing else: the brackets are punctuation,
    so "[MASK]" is always a word boundary for the Tokenizer.

    Args:
        tokenizer: the Tokenizer.
        texts: tf.string Tensor of shape [batch_size].

    Returns:
        int32 RaggedTensor of shape [batch_size, (pieces)].
    """
    parts = tf_text.regex_split(texts, _MASK_PATTERN, _MASK_PATTERN)  # [batch, (parts)]
    flat_parts = parts.flat_values
    is_mask = tf.equal(flat_parts, MASK_TOKEN)
    pieces = tokenizer.tokenize_ids(tf.where(is_mask, "", flat_parts))  # [parts, (pieces)]
    masks = tf.RaggedTensor.from_row_lengths(
        tf.fill(
            [tf.reduce_sum(tf.cast(is_mask, tf.int32))], tf.constant(tokenizer.mask_id, tf.int32)
        ),
        tf.cast(is_mask, tf.int64),
    )
    # A mask part has no pieces of its own, so appending its [MASK] id puts it in place.
    per_part = tf.concat([pieces, masks], axis=1)
    return tf.RaggedTensor.from_row_splits(
        per_part.values, tf.gather(per_part.row_splits, parts.row_splits)
    )


def tokenize_words(tokenizer, words):
    """Tokenizes each word on its own, keeping the words apart.

    Args:
        tokenizer: the Tokenizer.
        words: tf.string RaggedTensor of shape [batch_size, (words)].

    Returns:
        int32 RaggedTensor of shape [batch_size, (words), (pieces)].
    """
    return words.with_flat_values(tokenizer.tokenize_ids(words.flat_values))


def unk_if_empty(pieces, unk_id):
    """Replaces each empty row of pieces by [unk_id].

    Args:
        pieces: int32 RaggedTensor of shape [words, (pieces)].
        unk_id: int, the [UNK] id.

    Returns:
        int32 RaggedTensor of shape [words, (pieces)], every row non-empty.
    """
    with_unk = tf.concat(
        [
            pieces,
            tf.RaggedTensor.from_tensor(
                tf.fill([pieces.nrows(), 1], tf.cast(unk_id, pieces.dtype))
            ),
        ],
        axis=1,
    )
    # Keep a row's own pieces, or its [UNK] when it had none.
    keep = tf.maximum(pieces.row_lengths(), 1)
    return tf.ragged.boolean_mask(with_unk, tf.ragged.range(with_unk.row_lengths()) < keep[:, None])


def piece_word_index(word_pieces):
    """For each piece of each row, the index of its word in the row.

    Args:
        word_pieces: RaggedTensor of shape [batch_size, (words), (pieces)].

    Returns:
        int32 RaggedTensor of shape [batch_size, (pieces)].
    """
    global_word = word_pieces.values.value_rowids()  # word index over the whole batch
    row_start = tf.gather(word_pieces.row_splits, word_pieces.value_rowids())
    in_row = global_word - tf.gather(row_start, global_word)
    return tf.cast(word_pieces.merge_dims(1, 2).with_flat_values(in_row), tf.int32)


def truncate_rows(ragged, lengths):
    """Keeps the first lengths[i] values of row i.

    Args:
        ragged: RaggedTensor of shape [batch_size, (values)].
        lengths: int Tensor of shape [batch_size].

    Returns:
        RaggedTensor of shape [batch_size, (values)].
    """
    rows = ragged.value_rowids()
    index_in_row = tf.range(tf.size(rows, out_type=tf.int64)) - tf.gather(ragged.row_splits, rows)
    keep = index_in_row < tf.gather(tf.cast(lengths, tf.int64), rows)
    return tf.ragged.boolean_mask(ragged, ragged.with_flat_values(keep))


def scatter_to_positions(values, start, seq_length, default):
    """Places row i of `values` at positions start[i], start[i] + 1, ... of a dense row.

    Args:
        values: RaggedTensor of shape [batch_size, (n)].
        start: int32 Tensor of shape [batch_size].
        seq_length: int, width of the result.
        default: value of the positions no value lands on.

    Returns:
        Tensor of shape [batch_size, seq_length].
    """
    dense = values.to_tensor(default_value=default, shape=[None, seq_length])
    index = tf.range(seq_length)[None, :] - start[:, None]
    inside = (index >= 0) & (index < seq_length)
    moved = tf.gather(dense, tf.clip_by_value(index, 0, seq_length - 1), batch_dims=1)
    return tf.where(inside, moved, tf.cast(default, dense.dtype))
