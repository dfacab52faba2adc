"""Serialized training instances from one pass over one tokenized chunk: pairing, truncation,
shuffling, masking and Example encoding, all in numpy.

This module and what it imports load no TensorFlow, so worker processes that run it start in a
fraction of a second and stay small.
"""

import dataclasses
import random
import resource

import numpy as np

from bert_tf import pretraining_features
from bert_tf.data_prep import example_encoding, masking, pairing

# Instances masked and encoded per numpy batch; bounds the temporaries of one batch.
_INSTANCES_PER_BATCH = 4096
_FEATURES = pretraining_features.FEATURES
_INT_FEATURES = tuple(name for name, (dtype, _) in _FEATURES.items() if dtype == "int64")
_FLOAT_FEATURES = tuple(name for name, (dtype, _) in _FEATURES.items() if dtype == "float32")


@dataclasses.dataclass(frozen=True)
class VocabIds:
    """What masking needs to know of the vocab.

    Attributes:
      cls_id, sep_id, mask_id: ids of [CLS], [SEP], [MASK].
      vocab_size: random replacements are drawn from [0, vocab_size).
      is_continuation: bool array [vocab_size], true for "##" pieces.
    """

    cls_id: int
    sep_id: int
    mask_id: int
    vocab_size: int
    is_continuation: np.ndarray


@dataclasses.dataclass
class PassResult:
    """The records of one pass and their counts.

    Attributes:
      data: bytes, serialized tf.train.Example records back to back.
      lengths: int64 array [instances], bytes of each record.
      tokens, masked, random_next: totals of real tokens, masked tokens, random next segments.
      peak_rss_mib: peak resident memory of the process that made them.
    """

    data: bytes
    lengths: np.ndarray
    tokens: int
    masked: int
    random_next: int
    peak_rss_mib: float


def peak_rss_mib():
    """Peak resident memory of this process in MiB. Linux's VmHWM restarts at exec, whereas
    ru_maxrss of a spawned process includes its parent's memory at the fork."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rngs(seed_key):
    seed_sequence = np.random.SeedSequence(list(seed_key))
    python_seed = int(seed_sequence.generate_state(2, np.uint64).view(np.uint64)[0])
    return random.Random(python_seed), np.random.default_rng(seed_sequence)


def build_inputs(tokens, a_start, a_length, b_start, b_length, seq, cls_id, sep_id):
    """[CLS] A [SEP] B [SEP] then zero padding, from slices of `tokens`.

    Args:
      tokens: int32 array [num_tokens].
      a_start, a_length, b_start, b_length: int arrays [batch], the segments as slices of tokens.
      seq: max_seq_length.
      cls_id, sep_id: ids of [CLS] and [SEP].

    Returns:
      (input_ids, segment_ids): int32 arrays [batch, seq].
    """
    j = np.arange(seq)
    la = a_length[:, None]
    source = a_start[:, None] - 1 + j
    # From B on (after A and its [SEP]), read from b_start instead.
    np.add(source, (b_start - a_start - a_length - 1)[:, None], out=source, where=j > la + 1)
    ids = tokens[np.clip(source, 0, len(tokens) - 1, out=source)]
    rows = np.arange(len(a_start))
    end = a_length + b_length + 2  # the last [SEP]
    ids[:, 0] = cls_id
    ids[rows, a_length + 1] = sep_id
    ids[rows, end] = sep_id
    ids *= j <= end[:, None]
    segment_ids = ((j >= la + 2) & (j <= end[:, None])).astype(np.int32)
    return ids, segment_ids


def pass_batches(chunk, seed_key, options, vocab):
    """One pass over a chunk: every document cut into segment pairs, the pairs shuffled and masked.

    Args:
      chunk: documents.TokenizedChunk.
      seed_key: tuple of ints the random generators are seeded from (the same key gives the same
        instances).
      options: pretraining_data.Options.
      vocab: VocabIds.

    Yields:
      (features, num_masked): features is a dict of the pretraining_features.FEATURES, numpy
      arrays [batch, length] (bool input_mask, int32 ids), num_masked int array [batch].
    """
    py_rng, np_rng = _rngs(seed_key)
    seq = options.max_seq_length
    pairs = pairing.create_segment_pairs(chunk, seq, options.short_seq_prob, py_rng)
    a_start, a_length, b_start, b_length = pairing.truncate_pairs(pairs, seq - 3, np_rng)
    order = np_rng.permutation(len(a_start))
    for begin in range(0, len(order), _INSTANCES_PER_BATCH):
        batch = order[begin : begin + _INSTANCES_PER_BATCH]
        input_ids, segment_ids = build_inputs(
            chunk.tokens,
            a_start[batch],
            a_length[batch],
            b_start[batch],
            b_length[batch],
            seq,
            vocab.cls_id,
            vocab.sep_id,
        )
        real = a_length[batch] + b_length[batch] + 3
        masked = masking.mask_batch(
            input_ids,
            real,
            [vocab.cls_id, vocab.sep_id],
            vocab.is_continuation,
            vocab.mask_id,
            vocab.vocab_size,
            options.masked_lm_prob,
            options.max_predictions_per_seq,
            options.do_whole_word_mask,
            np_rng,
        )
        features = {
            "input_ids": masked.input_ids,
            "input_mask": np.arange(seq) < real[:, None],
            "segment_ids": segment_ids,
            "masked_lm_positions": masked.masked_lm_positions,
            "masked_lm_ids": masked.masked_lm_ids,
            "masked_lm_weights": masked.masked_lm_weights,
            "next_sentence_labels": pairs.is_random_next[batch][:, None],
        }
        yield features, masked.num_masked


def create_pass(chunk, seed_key, options, vocab):
    """One pass over a chunk (pass_batches), serialized.

    Returns:
      PassResult.
    """
    encoder = example_encoding.ExampleEncoder(_INT_FEATURES, _FLOAT_FEATURES)
    data, lengths = [], []
    tokens = masked_total = random_next = 0
    for features, num_masked in pass_batches(chunk, seed_key, options, vocab):
        batch_data, batch_lengths = encoder.encode(features)
        data.append(batch_data)
        lengths.append(batch_lengths)
        tokens += int(features["input_mask"].sum())
        masked_total += int(num_masked.sum())
        random_next += int(features["next_sentence_labels"].sum())
    return PassResult(
        b"".join(data),
        np.concatenate(lengths) if lengths else np.zeros([0], np.int64),
        tokens,
        masked_total,
        random_next,
        peak_rss_mib(),
    )
