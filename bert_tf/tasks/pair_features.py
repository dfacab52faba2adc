"""Texts or text pairs -> padded model inputs, with the packing the exported model uses.

GLUE and SWAG both feed BERT "[CLS] a [SEP] b [SEP]". They tokenize with the project's
Tokenizer and pack with `tokenization.pack_inputs`, the same in-graph ops an exported
SavedModel runs, so fine-tuning and serving see identical inputs.
"""

import numpy as np
import tensorflow as tf

from bert_tf.errors import ConfigError
from bert_tf.tokenization import pack_inputs

# Texts tokenized per TF call: large enough to amortize the call, small enough that the
# ragged intermediates of MNLI's 393k pairs never sit in memory at once.
_CHUNK_SIZE = 4096


def encode_texts(tokenizer, texts_a, texts_b, max_seq_length):
    """Tokenizes, truncates (the original _truncate_seq_pair) and pads texts or text pairs.

    Args:
        tokenizer: a bert_tf.tokenization.Tokenizer.
        texts_a: list of str, segment A of each sequence.
        texts_b: list of str of the same length (segment B), or None for single texts.
        max_seq_length: int, length of every packed sequence, [CLS] and [SEP]s included.

    Returns:
        dict of int32 numpy arrays of shape [len(texts_a), max_seq_length]:
        `input_word_ids`, `input_mask`, `input_type_ids`.
    """
    if texts_b is not None and len(texts_b) != len(texts_a):
        raise ValueError(f"{len(texts_a)} first segments but {len(texts_b)} second segments")
    min_length = 3 if texts_b is None else 4
    if max_seq_length < min_length:
        raise ConfigError(
            f"max_seq_length {max_seq_length} is too short: packing needs at least "
            f"{min_length} positions"
        )
    chunks = []
    for start in range(0, len(texts_a), _CHUNK_SIZE):
        segments = [tokenizer.tokenize_ids(tf.constant(texts_a[start : start + _CHUNK_SIZE]))]
        if texts_b is not None:
            segments.append(
                tokenizer.tokenize_ids(tf.constant(texts_b[start : start + _CHUNK_SIZE]))
            )
        packed = pack_inputs(segments, max_seq_length, tokenizer.cls_id, tokenizer.sep_id)
        chunks.append({name: value.numpy() for name, value in packed.items()})
    names = ("input_word_ids", "input_mask", "input_type_ids")
    if not chunks:
        return {name: np.zeros((0, max_seq_length), np.int32) for name in names}
    return {
        name: np.concatenate([chunk[name] for chunk in chunks]).astype(np.int32) for name in names
    }
