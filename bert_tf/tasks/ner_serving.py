"""NER in TF ops: ner.py's features and predictions for served text.

The same algorithm as NerTask.make_features and NerTask.predict, in-graph so that TF Serving
runs it: each whitespace word is tokenized on its own (one [UNK] for a word without pieces,
at most max_seq_length - 2 pieces), a sentence is cut into features of whole words that fill
max_seq_length - 2 pieces greedily, and each word's tag is the prediction at its first piece.
tests/tasks/test_ner_serving.py checks the SavedModel against run_ner's predictions.txt.

    chunks = make_chunks(tokenizer, text, max_seq_length)
    tags = word_tags(chunks, model(chunks["inputs"])["logits"], label_list)
"""

import tensorflow as tf
import tensorflow_text as tf_text

from bert_tf import text_inputs
from bert_tf.tokenization import WHITESPACE_PATTERN, pack_inputs


def make_chunks(tokenizer, text, max_seq_length):
    """Features of whole words, a text split over several when it does not fit.

    Args:
        tokenizer: the Tokenizer.
        text: tf.string Tensor of shape [batch_size], words separated by whitespace.
        max_seq_length: int, pieces per feature, [CLS] and [SEP] included.

    Returns:
        dict with
          inputs: the model inputs, int32 [num_features, max_seq_length] each;
          words: tf.string RaggedTensor [batch_size, (words)];
          word_feature: int32 [num_words], the feature of each word (flat over the batch);
          word_position: int32 [num_words], the position of its first piece there.
    """
    budget = max_seq_length - 2
    words = tf_text.regex_split(text, WHITESPACE_PATTERN)
    pieces = tokenizer.tokenize_ids(words.flat_values)  # [num_words, (pieces)]
    pieces = text_inputs.unk_if_empty(pieces, tokenizer.unk_id)
    pieces = text_inputs.truncate_rows(pieces, tf.fill([pieces.nrows()], budget))
    length = tf.cast(pieces.row_lengths(), tf.int32)
    first_word = tf.equal(
        tf.range(tf.size(length, out_type=tf.int64)),
        tf.gather(words.row_splits, words.value_rowids()),
    )

    def fill(state, word):
        feature, used = state
        word_length, starts = word
        new = starts | (used + word_length > budget)
        return (tf.where(new, feature + 1, feature), tf.where(new, word_length, used + word_length))

    word_feature, _ = tf.scan(fill, (length, first_word), initializer=(-1, 0))
    num_features = tf.reduce_max(tf.concat([[-1], word_feature], 0)) + 1
    feature_length = tf.math.unsorted_segment_sum(length, word_feature, num_features)
    feature_pieces = tf.RaggedTensor.from_row_lengths(pieces.flat_values, feature_length)
    inputs = pack_inputs([feature_pieces], max_seq_length, tokenizer.cls_id, tokenizer.sep_id)
    feature_start = tf.gather(tf.cumsum(feature_length, exclusive=True), word_feature)
    word_position = tf.cumsum(length, exclusive=True) - feature_start + 1  # +1 for [CLS]
    return {
        "inputs": inputs,
        "words": words,
        "word_feature": word_feature,
        "word_position": word_position,
    }


def word_tags(chunks, logits, label_list):
    """The predicted tag of every word: the argmax at its first piece.

    Args:
        chunks: make_chunks' dict.
        logits: float Tensor [num_features, max_seq_length, num_labels].
        label_list: the tags in the order of the logits.

    Returns:
        tf.string RaggedTensor [batch_size, (words)].
    """
    predicted = tf.argmax(logits, axis=-1, output_type=tf.int32)
    tag_ids = tf.gather_nd(
        predicted, tf.stack([chunks["word_feature"], chunks["word_position"]], axis=1)
    )
    return chunks["words"].with_flat_values(tf.gather(tf.constant(list(label_list)), tag_ids))
