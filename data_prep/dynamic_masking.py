"""Pretraining examples straight from raw text, with fresh masks every epoch (tf.data).

Emits the feature dict that parsing a create_pretraining_data record gives: int64 input_ids,
input_mask, segment_ids [max_seq_length]; masked_lm_positions, masked_lm_ids
[max_predictions_per_seq]; float32 masked_lm_weights [max_predictions_per_seq]; int64
next_sentence_labels [1]. Masks are drawn by tensorflow-text's mask_language_model each time an
element is produced, so each epoch sees different masks (RoBERTa's dynamic masking).

Simpler pairing than the records (a choice, to keep everything in-graph and streaming): segment A
is one line (sentence); B is the next line of the same document (label 0) or, half of the time,
a line drawn from a shuffle buffer over the corpus (label 1); a pair is truncated like the
original's fine-tuning _truncate_seq_pair (from the end of the longer segment). Lines are not
packed into full-length chunks.
"""

import tensorflow as tf
import tensorflow_text as tf_text

from bert_tf.tokenization import pack_inputs


def _sentence_pairs(input_files, seed, shuffle_buffer_size):
    """(a, b, is_random_next): text lines; b follows a in its document unless is_random_next."""
    def line_pairs(path):
        # Pair each line with the next one within a file; a pair that crosses a blank line
        # crosses documents, and so would one across two files.
        file_lines = tf.data.TextLineDataset(path).map(tf.strings.strip)
        return tf.data.Dataset.zip((file_lines, file_lines.skip(1)))

    lines = tf.data.TextLineDataset(input_files).map(tf.strings.strip)
    same_document = (
        tf.data.Dataset.from_tensor_slices(list(input_files))
        .flat_map(line_pairs)
        .filter(lambda a, b: (tf.strings.length(a) > 0) & (tf.strings.length(b) > 0))
    )
    random_lines = (
        lines.filter(lambda line: tf.strings.length(line) > 0)
        .repeat()
        .shuffle(shuffle_buffer_size, seed=seed)
    )
    coins = tf.data.Dataset.random(seed=seed).map(lambda x: x % 2 == 1)

    def choose(pair, random_line, is_random):
        a, b = pair
        return a, tf.where(is_random, random_line, b), tf.cast(is_random, tf.int64)

    return tf.data.Dataset.zip((same_document, random_lines, coins)).map(choose)


def dynamic_masking_dataset(
    input_files,
    tokenizer,
    max_seq_length,
    max_predictions_per_seq,
    batch_size,
    masked_lm_prob=0.15,
    seed=None,
    shuffle_buffer_size=10000,
):
    """Batches of pretraining features with fresh masks each epoch.

    Args:
      input_files: text files, one sentence per line, blank line between documents.
      tokenizer: bert_tf.tokenization.Tokenizer.
      max_seq_length, max_predictions_per_seq, masked_lm_prob: as create_pretraining_data.
      batch_size: examples per batch.
      seed: for the pairing and masking random ops (None: nondeterministic).

    Returns:
      tf.data.Dataset of dicts of Tensors [batch_size, ...] as described in the module docstring.
    """
    special_ids = [tokenizer.cls_id, tokenizer.sep_id, tokenizer.pad_id]
    selector = tf_text.RandomItemSelector(
        max_selections_per_batch=max_predictions_per_seq,
        selection_rate=masked_lm_prob,
        unselectable_ids=special_ids,
    )
    values_chooser = tf_text.MaskValuesChooser(tokenizer.vocab_size, tokenizer.mask_id, 0.8)

    def features(a, b, is_random_next):
        a_ids = tokenizer.tokenize_ids(a)
        b_ids = tokenizer.tokenize_ids(b)
        packed = pack_inputs([a_ids, b_ids], max_seq_length, tokenizer.cls_id, tokenizer.sep_id)
        real = tf.RaggedTensor.from_tensor(
            packed["input_word_ids"], lengths=tf.reduce_sum(packed["input_mask"], axis=1)
        )
        masked_ids, positions, labels = tf_text.mask_language_model(real, selector, values_chooser)
        input_ids, _ = tf_text.pad_model_inputs(masked_ids, max_seq_length)
        masked_lm_positions, weights = tf_text.pad_model_inputs(positions, max_predictions_per_seq)
        masked_lm_ids, _ = tf_text.pad_model_inputs(labels, max_predictions_per_seq)
        return {
            "input_ids": tf.cast(input_ids, tf.int64),
            "input_mask": tf.cast(packed["input_mask"], tf.int64),
            "segment_ids": tf.cast(packed["input_type_ids"], tf.int64),
            "masked_lm_positions": tf.cast(masked_lm_positions, tf.int64),
            "masked_lm_ids": tf.cast(masked_lm_ids, tf.int64),
            "masked_lm_weights": tf.cast(weights, tf.float32),
            "next_sentence_labels": tf.reshape(is_random_next, [-1, 1]),
        }

    return (
        _sentence_pairs(input_files, seed, shuffle_buffer_size)
        .batch(batch_size, drop_remainder=True)
        .map(features, num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )
