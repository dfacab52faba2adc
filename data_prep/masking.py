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


def mask_batch(input_ids, lengths, special_ids, is_continuation_id, mask_id, vocab_size,
               masked_lm_prob, max_predictions_per_seq, do_whole_word_mask, rng):
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
  positions = np.arange(seq)
  real = positions[None, :] < lengths[:, None]
  candidate = real & ~np.isin(input_ids, special_ids)
  if do_whole_word_mask:
    previous_candidate = np.pad(candidate[:, :-1], ((0, 0), (1, 0)))
    continues = candidate & previous_candidate & is_continuation_id[input_ids]
    word_start = candidate & ~continues
  else:
    word_start = candidate
  # word_of[i, j]: index of the word token j belongs to (meaningful where candidate).
  word_of = np.maximum(np.cumsum(word_start, axis=1) - 1, 0)
  flat_word = (np.arange(batch)[:, None] * seq + word_of)[candidate]
  word_size = np.bincount(flat_word, minlength=batch * seq).reshape(batch, seq)
  num_words = word_start.sum(axis=1)

  num_to_predict = np.minimum(max_predictions_per_seq,
                              np.maximum(1, np.round(lengths * masked_lm_prob).astype(np.int64)))
  # A random order of words per row: sort random keys, with absent word slots last.
  keys = np.where(positions[None, :] < num_words[:, None], rng.random((batch, seq)), 2.0)
  order = np.argsort(keys, axis=1, kind="stable")
  chosen_word = np.zeros((batch, seq), bool)
  count = np.zeros(batch, np.int64)
  rows = np.arange(batch)
  for rank in range(int(num_words.max(initial=0))):
    word = order[:, rank]
    size = word_size[rows, word]
    take = (rank < num_words) & (count + size <= num_to_predict)
    chosen_word[rows[take], word[take]] = True
    count += np.where(take, size, 0)

  masked = candidate & chosen_word[rows[:, None], word_of]
  # 80% [MASK], 10% keep, 10% random id; drawn per word, so per token without whole words.
  choice = rng.random((batch, seq))[rows[:, None], word_of]
  random_ids = rng.integers(0, vocab_size, (batch, seq), dtype=np.int32)
  replacement = np.where(choice < 0.8, mask_id, np.where(choice < 0.9, input_ids, random_ids))
  output_ids = np.where(masked, replacement, input_ids).astype(np.int32)

  # Sorted masked positions first, then padding.
  sort_key = np.where(masked, positions[None, :], seq + positions[None, :])
  masked_positions = np.sort(sort_key, axis=1)[:, :max_predictions_per_seq]
  if max_predictions_per_seq > seq:
    masked_positions = np.pad(masked_positions, ((0, 0), (0, max_predictions_per_seq - seq)),
                              constant_values=2 * seq)
  valid = masked_positions < seq
  masked_positions = np.where(valid, masked_positions, 0).astype(np.int32)
  masked_ids = np.where(valid, np.take_along_axis(input_ids, masked_positions, axis=1), 0)
  return MaskedBatch(output_ids, masked_positions, masked_ids.astype(np.int32),
                     valid.astype(np.float32), count)
