"""SQuAD in TF ops: squad.py's features and predictions for a served question and context.

The same algorithm as SquadTask.make_features and SquadTask.predict (run_squad.py's), written
in-graph so that TF Serving runs it: the context is split into whitespace words, each word is
tokenized on its own, windows of max_seq_length - len(query) - 3 pieces start every doc_stride
pieces, a piece counts only in its max-context window, the n_best_size best starts and ends of
every window are paired, and the best span is mapped back onto the words as get_final_text
does. Scores are summed in float64, as Python sums the original's floats, so that equal scores
break alike. tests/tasks/test_squad_serving.py checks the SavedModel against run_squad's
predictions.json.

One context is one example; its windows are the model's batch:
    windows = make_windows(tokenizer, question, context, 384, 128, 64)
    outputs = model(windows["inputs"])
    answers = best_answers(tokenizer, windows, outputs, n_best_size=20, max_answer_length=30)
"""

import tensorflow as tf
import tensorflow_text as tf_text

from bert_tf import text_inputs
from bert_tf.tokenization import pack_inputs, split_words

# squad_examples._is_whitespace: run_squad.py's own, so U+00A0 stays inside a word.
SQUAD_WHITESPACE_PATTERN = r"[ \t\r\n\x{202F}]+"
# squad.predict's null score of an example without windows (an empty context), and the text
# and logits of its fallback entry when no span is valid.
NO_WINDOW_NULL_SCORE = 1000000.0
NO_ANSWER_TEXT = "empty"
_MINUS_INFINITY = float("-inf")


def make_windows(tokenizer, question, context, max_seq_length, doc_stride, max_query_length):
    """Sliding-window features of each (question, context), as SquadTask.make_features.

    An empty context gets one window without document pieces, so that every example has a
    row; best_answers gives it what squad.predict gives an example without features.

    Args:
        tokenizer: the Tokenizer.
        question, context: tf.string Tensors of shape [batch_size].
        max_seq_length, doc_stride, max_query_length: ints, as SquadTask's.

    Returns:
        dict with
          inputs: the model inputs, int32 [num_windows, max_seq_length] each;
          example_index: int32 [num_windows], the row of question/context of each window;
          num_windows: int32 [batch_size];
          token_to_orig_map: int32 [num_windows, max_seq_length], the context word of each
            document piece, -1 elsewhere;
          token_is_max_context: bool [num_windows, max_seq_length];
          words: tf.string RaggedTensor [batch_size, (words)], the whitespace words;
          num_doc_pieces: int32 [batch_size].
    """
    words = tf_text.regex_split(context, SQUAD_WHITESPACE_PATTERN)
    word_pieces = text_inputs.tokenize_words(tokenizer, words)
    doc_ids = word_pieces.merge_dims(1, 2)
    doc_words = text_inputs.piece_word_index(word_pieces)
    query = tokenizer.tokenize_ids(question)[:, :max_query_length]
    query_length = tf.cast(query.row_lengths(), tf.int32)
    num_pieces = tf.cast(doc_ids.row_lengths(), tf.int32)

    max_tokens_for_doc = max_seq_length - query_length - 3
    step = tf.minimum(max_tokens_for_doc, doc_stride)
    rest = tf.maximum(num_pieces - max_tokens_for_doc, 0)
    num_windows = 1 + (rest + step - 1) // step
    example = tf.repeat(tf.range(tf.size(num_windows)), num_windows)
    window_in_example = tf.ragged.range(num_windows).flat_values
    start = window_in_example * tf.gather(step, example)
    length = tf.minimum(
        tf.gather(num_pieces, example) - start, tf.gather(max_tokens_for_doc, example)
    )

    first = tf.gather(tf.cast(doc_ids.row_splits[:-1], tf.int32), example) + start
    flat_index = tf.ragged.range(first, first + length)
    window_ids = tf.gather(doc_ids.flat_values, flat_index)
    window_words = tf.gather(doc_words.flat_values, flat_index)
    inputs = pack_inputs(
        [tf.gather(query, example), window_ids], max_seq_length, tokenizer.cls_id, tokenizer.sep_id
    )
    doc_offset = tf.gather(query_length, example) + 2  # position of the window's first piece
    token_to_orig_map = text_inputs.scatter_to_positions(
        window_words, doc_offset, max_seq_length, -1
    )
    return {
        "inputs": inputs,
        "example_index": example,
        "num_windows": num_windows,
        "token_to_orig_map": token_to_orig_map,
        "token_is_max_context": _is_max_context(
            num_windows, example, window_in_example, start, length, doc_offset, max_seq_length
        ),
        "words": words,
        "num_doc_pieces": num_pieces,
    }


def _is_max_context(
    num_windows, example, window_in_example, start, length, doc_offset, max_seq_length
):
    """squad._check_is_max_context at every position of every window.

    A document piece's score in a window is min(left, right context) + 0.01 * window length,
    in float64 as the original computes it; the first window of the highest score wins.

    Returns:
        bool Tensor of shape [num_windows, max_seq_length].
    """
    index = tf.range(max_seq_length)[None, :] - doc_offset[:, None]  # [windows, seq]
    inside = (index >= 0) & (index < length[:, None])
    piece = start[:, None] + index
    # The start and length of every window of the same example: [windows, max windows].
    starts = tf.gather(tf.RaggedTensor.from_row_lengths(start, num_windows).to_tensor(), example)
    lengths = tf.gather(tf.RaggedTensor.from_row_lengths(length, num_windows).to_tensor(), example)
    piece, starts, lengths = piece[:, :, None], starts[:, None, :], lengths[:, None, :]
    ends = starts + lengths - 1
    contains = (piece >= starts) & (piece <= ends)
    score = tf.cast(tf.minimum(piece - starts, ends - piece), tf.float64) + 0.01 * tf.cast(
        lengths, tf.float64
    )
    return inside & tf.equal(_first_argmax(score, contains), window_in_example[:, None])


def _first_argmax(values, valid):
    """The index of the first maximum of `values` among the `valid` ones, on the last axis.

    Python's strict `>` over a list keeps the first of equal scores; tf.argmax does not say
    which it returns. 0 where no value is valid.
    """
    values = tf.where(valid, values, tf.constant(_MINUS_INFINITY, values.dtype))
    best = tf.reduce_max(values, axis=-1, keepdims=True)
    size = tf.shape(values)[-1]
    first = tf.reduce_min(tf.where(valid & (values == best), tf.range(size), size), axis=-1)
    return tf.where(first < size, first, 0)


def best_answers(
    tokenizer,
    windows,
    outputs,
    n_best_size,
    max_answer_length,
    version_2_with_negative=False,
    null_score_diff_threshold=0.0,
):
    """squad.predict's answer for each example, from the logits of its windows.

    Args:
        tokenizer: the Tokenizer.
        windows: make_windows' dict.
        outputs: start_logits, end_logits: float Tensors [num_windows, max_seq_length].
        n_best_size, max_answer_length, version_2_with_negative, null_score_diff_threshold:
            as SquadTask's.

    Returns:
        dict of Tensors of shape [batch_size]: answer (tf.string, predictions.json's text),
        score (float32, start + end logit of the best span; 0 with the answer "empty" when no
        span is valid, as the original's fallback) and, for v2.0, null_score (float32, the
        lowest [CLS] start + end logit over the windows) and is_impossible (bool,
        null_score - score > null_score_diff_threshold; the answer is then "").
    """
    start_logits = tf.cast(outputs["start_logits"], tf.float64)
    end_logits = tf.cast(outputs["end_logits"], tf.float64)
    num_windows = windows["num_windows"]
    k = tf.minimum(n_best_size, tf.shape(start_logits)[1])
    top_start = tf.math.top_k(start_logits, k).indices  # [windows, k]; ties: lower index first
    top_end = tf.math.top_k(end_logits, k).indices
    token_to_orig_map = windows["token_to_orig_map"]
    start_ok = (tf.gather(token_to_orig_map, top_start, batch_dims=1) >= 0) & tf.gather(
        windows["token_is_max_context"], top_start, batch_dims=1
    )
    end_ok = tf.gather(token_to_orig_map, top_end, batch_dims=1) >= 0
    span = top_end[:, None, :] - top_start[:, :, None]
    valid = (
        start_ok[:, :, None] & end_ok[:, None, :] & (span >= 0) & (span + 1 <= max_answer_length)
    )  # [windows, start rank, end rank]
    scores = (
        tf.gather(start_logits, top_start, batch_dims=1)[:, :, None]
        + tf.gather(end_logits, top_end, batch_dims=1)[:, None, :]
    )

    # The original sorts the spans of all windows by score, keeping the order window, start
    # rank, end rank among equals: the first maximum in that order.
    def per_example(values, default):
        flat = tf.reshape(values, [tf.shape(values)[0], -1])
        return (
            tf.RaggedTensor.from_row_lengths(flat, num_windows)
            .merge_dims(1, 2)
            .to_tensor(default_value=default)
        )

    example_valid = per_example(valid, False)
    example_scores = per_example(scores, tf.constant(0.0, tf.float64))
    found = tf.reduce_any(example_valid, axis=1)
    best = _first_argmax(example_scores, example_valid)
    window = tf.cumsum(num_windows, exclusive=True) + best // (k * k)
    start = tf.gather(tf.gather(top_start, window), (best % (k * k)) // k, batch_dims=1)
    end = tf.gather(tf.gather(top_end, window), best % k, batch_dims=1)
    score = tf.where(found, tf.gather(example_scores, best, batch_dims=1), 0.0)

    text = _final_text(tokenizer, windows, window, start, end, found)
    answer = tf.where(found, text, NO_ANSWER_TEXT)
    result = {"answer": answer, "score": tf.cast(score, tf.float32)}
    if version_2_with_negative:
        null = start_logits[:, 0] + end_logits[:, 0]
        null_score = tf.reduce_min(tf.RaggedTensor.from_row_lengths(null, num_windows), axis=1)
        null_score = tf.where(windows["num_doc_pieces"] > 0, null_score, NO_WINDOW_NULL_SCORE)
        impossible = null_score - score > null_score_diff_threshold
        result.update(
            answer=tf.where(impossible, "", answer),
            null_score=tf.cast(null_score, tf.float32),
            is_impossible=impossible,
        )
    return result


def _final_text(tokenizer, windows, window, start, end, found):
    """squad.get_final_text of the span start..end of each example's window.

    Args:
        window, start, end: int32 Tensors [batch_size]: the window and its positions.
        found: bool Tensor [batch_size], False where there is no span (the text is then "").

    Returns:
        tf.string Tensor [batch_size].
    """
    ids = tf.gather(windows["inputs"]["input_word_ids"], window)
    positions = tf.ragged.range(start, end + 1)
    pieces = tf.gather(tf.constant(tokenizer.vocab), tf.gather(ids, positions, batch_dims=1))
    # De-tokenized as the original: joined by spaces, "##" removed, whitespace collapsed.
    predicted = tf.strings.reduce_join(pieces, axis=1, separator=" ")
    predicted = tf.strings.regex_replace(predicted, " ##", "")
    predicted = tf.strings.regex_replace(predicted, "##", "")
    predicted = tf.strings.strip(tf.strings.regex_replace(predicted, r"\s+", " "))

    token_to_orig_map = tf.gather(windows["token_to_orig_map"], window)
    first_word = tf.gather(token_to_orig_map, start, batch_dims=1)
    last_word = tf.gather(token_to_orig_map, tf.maximum(end, start), batch_dims=1)
    words = windows["words"]
    word_range = tf.ragged.range(first_word, tf.where(found, last_word + 1, first_word))
    span_words = tf.gather(words, word_range, batch_dims=1)  # [batch, (words)]
    original = tf.strings.reduce_join(span_words, axis=1, separator=" ")
    basic = split_words(span_words.flat_values, tokenizer.do_lower_case)
    basic = span_words.with_flat_values(basic).merge_dims(1, 2)
    normalized = tf.strings.reduce_join(basic, axis=1, separator=" ")
    return tf.map_fn(
        _align, (predicted, original, normalized), fn_output_signature=tf.TensorSpec([], tf.string)
    )


def _align(texts):
    """get_final_text for one span: the part of `original` that `predicted` is in `normalized`.

    Args:
        texts: (predicted, original, normalized) tf.string scalars: the de-tokenized pieces,
            the span's words joined by spaces, and their pre-WordPiece tokens joined by spaces.
    """
    predicted, original, normalized = texts
    # The first occurrence, as str.find; a UTF-8 match always starts on a character.
    before = tf.strings.split(normalized, sep=predicted, maxsplit=1)
    found = (tf.strings.length(predicted) > 0) & (tf.size(before) > 1)

    def map_back():
        start = tf.strings.length(before[0], unit="UTF8_CHAR")
        end = start + tf.strings.length(predicted, unit="UTF8_CHAR") - 1
        original_chars, original_offsets = tf.strings.unicode_decode_with_offsets(original, "UTF-8")
        original_kept = tf.where(original_chars != ord(" "))[:, 0]
        normalized_kept = tf.strings.unicode_decode(normalized, "UTF-8") != ord(" ")
        rank = tf.cumsum(tf.cast(normalized_kept, tf.int32)) - 1  # index among non-spaces
        aligned = (
            (tf.size(original_kept) == rank[-1] + 1)
            & tf.gather(normalized_kept, start)
            & tf.gather(normalized_kept, end)
        )

        def substring():
            first = tf.gather(original_kept, tf.gather(rank, start))
            last = tf.gather(original_kept, tf.gather(rank, end))
            ends = tf.concat(
                [original_offsets[1:], [tf.cast(tf.strings.length(original), tf.int64)]], 0
            )
            begin_byte = tf.gather(original_offsets, first)
            return tf.strings.substr(original, begin_byte, tf.gather(ends, last) - begin_byte)

        return tf.cond(aligned, substring, lambda: original)

    return tf.cond(found, map_back, lambda: original)
