"""Masked LM predictions, vectorized over a batch of packed sequences.

Same rules as the original create_masked_lm_predictions: num_to_predict =
min(max_predictions_per_seq, max(1, round(length * masked_lm_prob))); candidates are all real
tokens but [CLS] and [SEP]; candidates (whole words with whole-word masking) are taken in a random
order, skipping a word that would overflow num_to_predict; a chosen token becomes [MASK] 80% of
the time, stays 10%, becomes a random vocab id 10%; positions are reported sorted.

With whole-word masking the 80/10/10 choice is made once per word, so a word is masked, kept or
replaced as a whole (the original draws it per piece, a known bug). A word never crosses [SEP].
"""

import dataclasses

import numpy as np


@dataclasses.dataclass
class MaskedBatch:
    """input_ids: int32 [batch, seq] after masking; masked_lm_positions, masked_lm_ids: int32
    [batch, max_predictions_per_seq] (zero padded); masked_lm_weights: float32, 1.0 for real
    predictions; num_masked: int64 [batch]."""

    input_ids: np.ndarray
    masked_lm_positions: np.ndarray
    masked_lm_ids: np.ndarray
    masked_lm_weights: np.ndarray
    num_masked: np.ndarray


def _random_keys(candidate, rng):
    """int64 [batch, seq]: random keys for candidates, the largest int64 elsewhere. The low bits
    hold the position, so keys in a row never tie."""
    batch, seq = candidate.shape
    position_bits = max(seq - 1, 1).bit_length()
    keys = (
        rng.integers(0, 1 << (62 - position_bits), (batch, seq), dtype=np.int64) << position_bits
    ) | np.arange(seq)
    return np.where(candidate, keys, np.iinfo(np.int64).max)


def _choose_tokens(candidate, num_to_predict, rng):
    """A uniformly random subset of min(num_to_predict, #candidates) candidates per row: the ones
    with the smallest random keys, i.e. the first ones of a random order (bool [batch, seq])."""
    keys = _random_keys(candidate, rng)
    k = int(num_to_predict.max(initial=1))
    smallest = (
        np.sort(np.partition(keys, k - 1, axis=1)[:, :k], axis=1)
        if k < keys.shape[1]
        else np.sort(keys, axis=1)
    )
    threshold = smallest[np.arange(len(keys)), num_to_predict - 1]
    return candidate & (keys <= threshold[:, None])


def _choose_words(candidate, word_start, num_to_predict, rng):
    """Whole words in a random order per row, skipping a word that would overflow num_to_predict.

    Returns:
      (masked, chosen_word, word_of): bool [batch, seq] tokens to mask; bool [batch, seq] chosen
      word slots; int [batch, seq] index of the word each token belongs to.
    """
    batch, seq = candidate.shape
    # word_of[i, j]: index of the word token j belongs to (meaningful where candidate).
    word_of = np.maximum(np.cumsum(word_start, axis=1) - 1, 0)
    flat_word = (np.arange(batch)[:, None] * seq + word_of)[candidate]
    word_size = np.bincount(flat_word, minlength=batch * seq).reshape(batch, seq)
    num_words = word_start.sum(axis=1)
    order = np.argsort(_random_keys(np.arange(seq) < num_words[:, None], rng), axis=1)
    chosen_word = np.zeros((batch, seq), bool)
    count = np.zeros(batch, np.int64)
    rows = np.arange(batch)
    for rank in range(int(num_words.max(initial=0))):
        # Every word has at least one piece, so a full row takes no more words.
        open_rows = np.flatnonzero((rank < num_words) & (count < num_to_predict))
        if not len(open_rows):
            break
        word = order[open_rows, rank]
        size = word_size[open_rows, word]
        take = count[open_rows] + size <= num_to_predict[open_rows]
        chosen_word[open_rows[take], word[take]] = True
        count[open_rows[take]] += size[take]
    masked = candidate & chosen_word[rows[:, None], word_of]
    return masked, chosen_word, word_of


def mask_batch(
    input_ids,
    lengths,
    special_ids,
    is_continuation_id,
    mask_id,
    vocab_size,
    masked_lm_prob,
    max_predictions_per_seq,
    do_whole_word_mask,
    rng,
):
    """Chooses and applies masked LM predictions.

    Args:
      input_ids: int32 array [batch, seq]: [CLS] A [SEP] B [SEP] then padding.
      lengths: int array [batch], number of real tokens.
      special_ids: ids never masked ([CLS], [SEP]).
      is_continuation_id: bool array [vocab_size], true for "##" pieces.
      mask_id, vocab_size: the [MASK] id; random replacements are drawn from [0, vocab_size).
      masked_lm_prob, max_predictions_per_seq: as the original flags.
      do_whole_word_mask: mask all pieces of a word together.
      rng: numpy Generator.

    Returns:
      MaskedBatch.
    """
    batch, seq = input_ids.shape
    candidate = np.arange(seq) < lengths[:, None]
    for special_id in special_ids:
        candidate &= input_ids != special_id
    num_to_predict = np.minimum(
        max_predictions_per_seq, np.maximum(1, np.round(lengths * masked_lm_prob).astype(np.int64))
    )
    if do_whole_word_mask:
        previous_candidate = np.pad(candidate[:, :-1], ((0, 0), (1, 0)))
        word_start = candidate & ~(previous_candidate & is_continuation_id[input_ids])
        masked, chosen_word, word_of = _choose_words(candidate, word_start, num_to_predict, rng)
    else:
        masked = _choose_tokens(candidate, num_to_predict, rng)

    # nonzero walks rows in order and positions in increasing order: sorted positions per row.
    rows, positions = np.nonzero(masked)
    num_masked = np.bincount(rows, minlength=batch)
    slot = np.arange(len(rows)) - np.repeat(np.cumsum(num_masked) - num_masked, num_masked)
    original = input_ids[rows, positions]
    # 80% [MASK], 10% keep, 10% random id; drawn per word, so per token without whole words.
    if do_whole_word_mask:
        word_choice = np.zeros((batch, seq))
        word_choice[chosen_word] = rng.random(int(chosen_word.sum()))
        choice = word_choice[rows, word_of[rows, positions]]
    else:
        choice = rng.random(len(rows))
    random_ids = rng.integers(0, vocab_size, len(rows), dtype=np.int32)
    output_ids = input_ids.copy()
    output_ids[rows, positions] = np.where(
        choice < 0.8, mask_id, np.where(choice < 0.9, original, random_ids)
    )

    masked_positions = np.zeros((batch, max_predictions_per_seq), np.int32)
    masked_ids = np.zeros((batch, max_predictions_per_seq), np.int32)
    weights = np.zeros((batch, max_predictions_per_seq), np.float32)
    masked_positions[rows, slot] = positions
    masked_ids[rows, slot] = original
    weights[rows, slot] = 1.0
    return MaskedBatch(output_ids, masked_positions, masked_ids, weights, num_masked)
