"""Reference inputs for the export tests: Tokenizer + pack_inputs, row by row, in Python."""

import re

import numpy as np
import tensorflow as tf

from bert_tf.tokenization import pack_inputs
from tests.export.conftest import MAX_SEQ_LENGTH


def ids_of(tokenizer, texts):
    return tokenizer.tokenize_ids_batch(list(texts))


def masked_ids(tokenizer, text):
    """The original tokenization of text with each literal "[MASK]" as the [MASK] id."""
    ids = []
    for part in re.split(r"(\[MASK\])", text):
        ids += [tokenizer.mask_id] if part == "[MASK]" else ids_of(tokenizer, [part])[0]
    return ids


def pack_rows(tokenizer, rows):
    """rows: list of [ids_a] or [ids_a, ids_b] -> packed numpy inputs [len(rows), seq]."""
    packed = []
    for segments in rows:
        ragged = [
            tf.RaggedTensor.from_row_lengths(tf.constant(s, tf.int32, [len(s)]), [len(s)])
            for s in segments
        ]
        packed.append(pack_inputs(ragged, MAX_SEQ_LENGTH, tokenizer.cls_id, tokenizer.sep_id))
    return {name: np.concatenate([p[name].numpy() for p in packed]) for name in packed[0]}


def single_or_pair(ids_a, ids_b):
    # run_classifier.py: a pair only when text_b has tokens.
    return [[a, b] if b else [a] for a, b in zip(ids_a, ids_b)]
