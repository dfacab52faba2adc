"""SQuAD v1.1 and v2.0: sliding-window features, span loss, and run_squad.py's post-processing.

Everything follows google-research/bert run_squad.py (the questions are read by squad_examples):
  * features tokenize each whitespace word on its own (tok_to_orig_index / orig_to_tok_index),
    tighten the answer to the pieces of its text (_improve_answer_span) and cut the document into
    windows of at most max_seq_length - len(query) - 3 pieces every doc_stride pieces, each
    packed as `[CLS] query [SEP] window [SEP]`; a piece belongs to the window where it has the
    most context on both sides (_check_is_max_context);
  * the loss is the mean of the start and end cross-entropies over all positions;
  * predictions pair the n best starts and ends of every window, keep spans that start on a
    max-context piece of the document and are at most max_answer_length long, and map the best
    ones back to the original context (get_final_text) so the answer keeps its casing, accents
    and punctuation. For v2.0 the null answer scores [CLS]'s start + end logits (the lowest over
    the windows) and wins when it beats the best span by more than null_score_diff_threshold.

One departure, on bad input: where the original crashes on a v2.0 question with no valid span at
all, its own "empty" fallback entry (logits 0) stands in for the best span.
"""

import collections
import dataclasses
import json
import math
import os

import numpy as np
import tensorflow as tf

from bert_tf import models, tokenization
from bert_tf.errors import ConfigError
from bert_tf.file_io import write_text_atomically
from bert_tf.options import POSITIVE, Options, option
from bert_tf.tasks import squad_evaluation
from bert_tf.tasks.squad_examples import read_squad_file, read_squad_tfds


def _improve_answer_span(doc_tokens, input_start, input_end, tok_answer_text):
    """The tightest span of pieces whose text is the answer's pieces.

    The whitespace word "(1895-1943)." holds the answer "1895" in its pieces ( 1895 - 1943 ) . ;
    the word-level span starts and ends on the whole word, this finds the single piece.
    """
    for new_start in range(input_start, input_end + 1):
        for new_end in range(input_end, new_start - 1, -1):
            if " ".join(doc_tokens[new_start : new_end + 1]) == tok_answer_text:
                return new_start, new_end
    return input_start, input_end


def _check_is_max_context(doc_spans, cur_span_index, position):
    """Whether window cur_span_index is the one where piece `position` has the most context.

    A piece's score in a window is min(left context, right context) + 0.01 * window length.
    """
    best_score = None
    best_span_index = None
    for span_index, (span_start, span_length) in enumerate(doc_spans):
        end = span_start + span_length - 1
        if position < span_start or position > end:
            continue
        score = min(position - span_start, end - position) + 0.01 * span_length
        if best_score is None or score > best_score:
            best_score = score
            best_span_index = span_index
    return cur_span_index == best_span_index


def _doc_spans(num_doc_tokens, max_tokens_for_doc, doc_stride):
    """(start, length) of the windows over the document's pieces."""
    spans = []
    start_offset = 0
    while start_offset < num_doc_tokens:
        length = min(num_doc_tokens - start_offset, max_tokens_for_doc)
        spans.append((start_offset, length))
        if start_offset + length == num_doc_tokens:
            break
        start_offset += min(length, doc_stride)
    return spans


def get_final_text(pred_text, orig_text, orig_basic_tokens):
    """Maps the de-tokenized predicted pieces back onto the original text.

    The pieces of the span "Steve Smith's" are "steve smith ' s"; a predicted "steve smith" must
    come back as "Steve Smith", not as the whole word "Smith's" nor in lower case. The original
    text is normalized as the tokenizer does before WordPiece (lower case, accents stripped,
    punctuation split off), the prediction is found in it, and its character positions are
    mapped back through both texts with the spaces removed. When the two cannot be aligned (the
    normalization changed the length, or the prediction is not found, e.g. it holds [UNK]) the
    whole original span is returned, as the original does.

    Args:
      pred_text: the predicted pieces joined, "##" removed.
      orig_text: the original words of the span joined by spaces.
      orig_basic_tokens: the pre-WordPiece tokens of orig_text (tokenization.split_words).

    Returns:
      str, a substring of orig_text.
    """
    tok_text = " ".join(orig_basic_tokens)
    start_position = tok_text.find(pred_text)
    if start_position == -1:
        return orig_text
    end_position = start_position + len(pred_text) - 1

    orig_ns_text, orig_ns_to_s_map = _strip_spaces(orig_text)
    tok_ns_text, tok_ns_to_s_map = _strip_spaces(tok_text)
    if len(orig_ns_text) != len(tok_ns_text):
        return orig_text
    tok_s_to_ns_map = {s: ns for ns, s in tok_ns_to_s_map.items()}

    orig_start_position = None
    if start_position in tok_s_to_ns_map:
        orig_start_position = orig_ns_to_s_map.get(tok_s_to_ns_map[start_position])
    if orig_start_position is None:
        return orig_text
    orig_end_position = None
    if end_position in tok_s_to_ns_map:
        orig_end_position = orig_ns_to_s_map.get(tok_s_to_ns_map[end_position])
    if orig_end_position is None:
        return orig_text
    return orig_text[orig_start_position : orig_end_position + 1]


def _strip_spaces(text):
    ns_chars = []
    ns_to_s_map = {}
    for i, c in enumerate(text):
        if c == " ":
            continue
        ns_to_s_map[len(ns_chars)] = i
        ns_chars.append(c)
    return "".join(ns_chars), ns_to_s_map


def _get_best_indexes(logits, n_best_size):
    # A stable sort keeps the lower index first among equal logits, as sorted() in the original.
    return np.argsort(-np.asarray(logits), kind="stable")[:n_best_size].tolist()


def _compute_softmax(scores):
    if not scores:
        return []
    max_score = max(scores)
    exp_scores = [math.exp(score - max_score) for score in scores]
    total = sum(exp_scores)
    return [s / total for s in exp_scores]


def _json_text(value):
    return json.dumps(value, indent=4) + "\n"


_PrelimPrediction = collections.namedtuple(
    "PrelimPrediction", ["feature_index", "start_index", "end_index", "start_logit", "end_logit"]
)
_NbestPrediction = collections.namedtuple("NbestPrediction", ["text", "start_logit", "end_logit"])


@dataclasses.dataclass(kw_only=True)
class SquadOptions(Options):
    """How SQuAD contexts are windowed and answers decoded: run_squad's flags, the same in
    training, prediction and the SavedModel (recorded in the model directory)."""

    version_2_with_negative: bool = option(
        False,
        "SQuAD 2.0: some questions have no answer (adds null_score and is_impossible "
        "to the SavedModel).",
    )
    doc_stride: int = option(
        128, "Pieces between the starts of two windows over a long context.", POSITIVE
    )
    max_query_length: int = option(64, "Question pieces kept; longer questions are cut.", POSITIVE)
    n_best_size: int = option(
        20,
        "Starts and ends tried per window, and candidates kept per "
        "question in nbest_predictions.json.",
        POSITIVE,
    )
    max_answer_length: int = option(30, "Longest answer, in word pieces.", POSITIVE)
    null_score_diff_threshold: float = option(
        0.0,
        "SQuAD 2.0: predict no answer when the null score minus the best span score exceeds this.",
    )

    def check_max_seq_length(self, max_seq_length):
        """Raises ConfigError unless a window holds the question, three markers and context."""
        if max_seq_length <= self.max_query_length + 3:
            raise ConfigError(
                f"max_seq_length ({max_seq_length}) must be greater than "
                f"max_query_length ({self.max_query_length}) + 3"
            )


class SquadTask:
    """SQuAD v1.1 / v2.0 in the task shape of bert_tf.tasks.

    Args:
      tokenizer: a bert_tf.tokenization.Tokenizer.
      max_seq_length: pieces per feature, [CLS] and [SEP]s included.
      train_file: SQuAD JSON of split "train" (data_source "json").
      predict_file: SQuAD JSON of splits "dev" and "test" (data_source "json").
      options: SquadOptions (windows and answer decoding; the SavedModel's are the same).
      do_lower_case: None (the tokenizer's) or a bool, which must equal the tokenizer's.
      data_source: "json" (the files above) or "tfds" (the TFDS `squad` builder, config "v1.1"
        or "v2.0" by version_2_with_negative; "dev" and "test" read its "validation" split).
      tfds_data_dir: data_dir of tfds.load.
    """

    metric_name = "f1"
    # The predict file is both what is scored and what is predicted, from the same outputs.
    eval_splits = ("dev",)
    predict_splits = ("dev",)

    def __init__(
        self,
        tokenizer,
        max_seq_length=384,
        train_file=None,
        predict_file=None,
        options=None,
        do_lower_case=None,
        data_source="json",
        tfds_data_dir=None,
    ):
        options = options or SquadOptions()
        options.check_max_seq_length(max_seq_length)
        if do_lower_case is not None and do_lower_case != tokenizer.do_lower_case:
            raise ConfigError(
                f"do_lower_case={do_lower_case} but the tokenizer has "
                f"do_lower_case={tokenizer.do_lower_case}"
            )
        if data_source not in ("json", "tfds"):
            raise ConfigError(f"data_source must be 'json' or 'tfds', got {data_source!r}")
        self.name = "squad_v2" if options.version_2_with_negative else "squad"
        self.tokenizer = tokenizer
        self.max_seq_length = max_seq_length
        self.train_file = train_file
        self.predict_file = predict_file
        self.options = options
        self.data_source = data_source
        self.tfds_data_dir = tfds_data_dir

    # ------------------------------------------------------------------------------ examples

    def read_examples(self, split):
        """list of SquadExample; "train" locates each answer (see parse_squad_data)."""
        if split not in ("train", "dev", "test"):
            raise ValueError(f"split must be 'train', 'dev' or 'test', got {split!r}")
        is_training = split == "train"
        if self.data_source == "tfds":
            name = "squad/v2.0" if self.options.version_2_with_negative else "squad/v1.1"
            return read_squad_tfds(
                name,
                "train" if is_training else "validation",
                is_training,
                self.options.version_2_with_negative,
                self.tfds_data_dir,
            )
        path = self.train_file if is_training else self.predict_file
        if not path:
            raise ConfigError(
                f"split {split!r} needs {'train_file' if is_training else 'predict_file'}"
            )
        return read_squad_file(path, is_training, self.options.version_2_with_negative)

    # ------------------------------------------------------------------------------ features

    def _pieces_of_words(self, examples):
        """dict word -> its WordPiece tokens, over every doc word of the examples (one TF call)."""
        words = sorted({w for example in examples for w in example.doc_tokens})
        return dict(zip(words, self.tokenizer.tokenize_words(words)))

    def make_features(self, examples, is_training):
        """Sliding-window features.

        Returns:
          dict of numpy arrays, first axis = feature index (num_features):
            input_word_ids, input_mask, input_type_ids: int32 [num_features, max_seq_length].
            example_index: int32 [num_features], the example each window comes from.
            token_to_orig_map: int32 [num_features, max_seq_length], the doc_tokens index of each
              document piece, -1 on [CLS], the question, [SEP]s and padding.
            token_is_max_context: bool [num_features, max_seq_length], True where this window is
              the piece's max-context window.
            is_training only: start_positions, end_positions: int32 [num_features], the answer's
              pieces, 0 ([CLS]) when the question is impossible or the answer is not all in the
              window.
        """
        pieces_of_word = self._pieces_of_words(examples)
        query_pieces = self.tokenizer.tokenize_batch([e.question_text for e in examples])
        answer_pieces = (
            self.tokenizer.tokenize_batch([e.orig_answer_text or "" for e in examples])
            if is_training
            else None
        )
        columns = collections.defaultdict(list)
        for example_index, example in enumerate(examples):
            query_tokens = query_pieces[example_index][: self.options.max_query_length]
            tok_to_orig_index = []
            orig_to_tok_index = []
            all_doc_tokens = []
            for i, word in enumerate(example.doc_tokens):
                orig_to_tok_index.append(len(all_doc_tokens))
                for piece in pieces_of_word[word]:
                    tok_to_orig_index.append(i)
                    all_doc_tokens.append(piece)

            tok_start_position = tok_end_position = None
            if is_training and not example.is_impossible:
                tok_start_position = orig_to_tok_index[example.start_position]
                if example.end_position < len(example.doc_tokens) - 1:
                    tok_end_position = orig_to_tok_index[example.end_position + 1] - 1
                else:
                    tok_end_position = len(all_doc_tokens) - 1
                tok_start_position, tok_end_position = _improve_answer_span(
                    all_doc_tokens,
                    tok_start_position,
                    tok_end_position,
                    " ".join(answer_pieces[example_index]),
                )

            max_tokens_for_doc = self.max_seq_length - len(query_tokens) - 3
            doc_spans = _doc_spans(len(all_doc_tokens), max_tokens_for_doc, self.options.doc_stride)
            for doc_span_index, (doc_start, doc_length) in enumerate(doc_spans):
                tokens = ["[CLS]", *query_tokens, "[SEP]"]
                token_to_orig_map = np.full(self.max_seq_length, -1, np.int32)
                token_is_max_context = np.zeros(self.max_seq_length, bool)
                for i in range(doc_length):
                    split_token_index = doc_start + i
                    token_to_orig_map[len(tokens)] = tok_to_orig_index[split_token_index]
                    token_is_max_context[len(tokens)] = _check_is_max_context(
                        doc_spans, doc_span_index, split_token_index
                    )
                    tokens.append(all_doc_tokens[split_token_index])
                tokens.append("[SEP]")
                num_query = len(query_tokens) + 2
                padding = self.max_seq_length - len(tokens)
                ids = self.tokenizer.convert_tokens_to_ids(tokens)
                columns["input_word_ids"].append(ids + [self.tokenizer.pad_id] * padding)
                columns["input_mask"].append([1] * len(tokens) + [0] * padding)
                columns["input_type_ids"].append(
                    [0] * num_query + [1] * (len(tokens) - num_query) + [0] * padding
                )
                columns["example_index"].append(example_index)
                columns["token_to_orig_map"].append(token_to_orig_map)
                columns["token_is_max_context"].append(token_is_max_context)
                if is_training:
                    start_position = end_position = 0
                    doc_end = doc_start + doc_length - 1
                    if (
                        not example.is_impossible
                        and tok_start_position >= doc_start
                        and tok_end_position <= doc_end
                    ):
                        start_position = tok_start_position - doc_start + num_query
                        end_position = tok_end_position - doc_start + num_query
                    columns["start_positions"].append(start_position)
                    columns["end_positions"].append(end_position)
        return self._to_arrays(columns)

    def _to_arrays(self, columns):
        shapes = {
            "input_word_ids": (0, self.max_seq_length),
            "input_mask": (0, self.max_seq_length),
            "input_type_ids": (0, self.max_seq_length),
            "token_to_orig_map": (0, self.max_seq_length),
            "token_is_max_context": (0, self.max_seq_length),
            "example_index": (0,),
        }
        features = {}
        for key in set(shapes) | set(columns):
            dtype = bool if key == "token_is_max_context" else np.int32
            values = columns.get(key)
            features[key] = (
                np.asarray(values, dtype) if values else np.zeros(shapes.get(key, (0,)), dtype)
            )
        return features

    # ------------------------------------------------------------------------------ model, loss

    def build_model(self, encoder):
        return models.build_model("squad", encoder)

    def loss(self, features, outputs):
        """Mean of the start and end cross-entropies over all max_seq_length positions.

        Args:
          features: start_positions, end_positions: int Tensors [batch_size].
          outputs: start_logits, end_logits: float Tensors [batch_size, max_seq_length].
        """

        def cross_entropy(logits, positions):
            return tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(
                    labels=tf.cast(positions, tf.int32), logits=tf.cast(logits, tf.float32)
                )
            )

        return (
            cross_entropy(outputs["start_logits"], features["start_positions"])
            + cross_entropy(outputs["end_logits"], features["end_positions"])
        ) / 2.0

    # ------------------------------------------------------------------------------ predictions

    def predict(self, examples, features, outputs):
        """run_squad.py's write_predictions, without the writing.

        Args:
          examples: the examples make_features was given.
          features: make_features' dict.
          outputs: start_logits, end_logits: float arrays [num_features, max_seq_length].

        Returns:
          (predictions, nbest, null_odds): dicts keyed by question id: the answer text; a list of
          {text, probability, start_logit, end_logit}; v2.0 only (else empty), the null score
          minus the best span's score.
        """
        start_logits = np.asarray(outputs["start_logits"], np.float32)
        end_logits = np.asarray(outputs["end_logits"], np.float32)
        features_of_example = collections.defaultdict(list)
        for feature_index, example_index in enumerate(features["example_index"].tolist()):
            features_of_example[example_index].append(feature_index)
        # Pre-WordPiece tokens of every doc word, for get_final_text: the tokenization of a span
        # joined by spaces is that of its words one after the other.
        words = sorted({w for example in examples for w in example.doc_tokens})
        split = (
            tokenization.split_words(
                tf.constant(words, tf.string), self.tokenizer.do_lower_case
            ).to_list()
            if words
            else []
        )
        basic_tokens_of_word = {
            w: [t.decode("utf-8") for t in tokens] for w, tokens in zip(words, split)
        }

        predictions = collections.OrderedDict()
        all_nbest = collections.OrderedDict()
        null_odds = collections.OrderedDict()
        for example_index, example in enumerate(examples):
            feature_indices = features_of_example[example_index]
            prelim_predictions = []
            score_null = 1000000  # large and positive: the minimum over windows is kept
            null_start_logit = null_end_logit = 0.0
            min_null_feature_index = feature_indices[0] if feature_indices else 0
            for feature_index in feature_indices:
                feature_start = start_logits[feature_index].tolist()
                feature_end = end_logits[feature_index].tolist()
                token_to_orig_map = features["token_to_orig_map"][feature_index]
                is_max_context = features["token_is_max_context"][feature_index]
                if self.options.version_2_with_negative:
                    feature_null_score = feature_start[0] + feature_end[0]
                    if feature_null_score < score_null:
                        score_null = feature_null_score
                        min_null_feature_index = feature_index
                        null_start_logit, null_end_logit = feature_start[0], feature_end[0]
                for start_index in _get_best_indexes(feature_start, self.options.n_best_size):
                    for end_index in _get_best_indexes(feature_end, self.options.n_best_size):
                        # Spans starting or ending off the document (question, [SEP], padding)
                        # or on a piece better seen in another window are dropped.
                        if token_to_orig_map[start_index] < 0 or token_to_orig_map[end_index] < 0:
                            continue
                        if not is_max_context[start_index]:
                            continue
                        if end_index < start_index:
                            continue
                        if end_index - start_index + 1 > self.options.max_answer_length:
                            continue
                        prelim_predictions.append(
                            _PrelimPrediction(
                                feature_index,
                                start_index,
                                end_index,
                                feature_start[start_index],
                                feature_end[end_index],
                            )
                        )
            if self.options.version_2_with_negative:
                prelim_predictions.append(
                    _PrelimPrediction(
                        min_null_feature_index, 0, 0, null_start_logit, null_end_logit
                    )
                )
            prelim_predictions.sort(key=lambda p: p.start_logit + p.end_logit, reverse=True)

            nbest = []
            seen_predictions = set()
            for pred in prelim_predictions:
                if len(nbest) >= self.options.n_best_size:
                    break
                if pred.start_index > 0:
                    final_text = self._span_text(example, features, pred, basic_tokens_of_word)
                    if final_text in seen_predictions:
                        continue
                else:
                    final_text = ""
                seen_predictions.add(final_text)
                nbest.append(_NbestPrediction(final_text, pred.start_logit, pred.end_logit))
            if self.options.version_2_with_negative and "" not in seen_predictions:
                nbest.append(_NbestPrediction("", null_start_logit, null_end_logit))
            best_non_null = next((entry for entry in nbest if entry.text), None)
            if best_non_null is None:
                # The original's fallback for "no valid prediction at all".
                best_non_null = _NbestPrediction("empty", 0.0, 0.0)
                nbest.append(best_non_null)

            probs = _compute_softmax([e.start_logit + e.end_logit for e in nbest])
            all_nbest[example.qas_id] = [
                collections.OrderedDict(
                    [
                        ("text", e.text),
                        ("probability", p),
                        ("start_logit", e.start_logit),
                        ("end_logit", e.end_logit),
                    ]
                )
                for e, p in zip(nbest, probs)
            ]
            if not self.options.version_2_with_negative:
                predictions[example.qas_id] = nbest[0].text
            else:
                score_diff = score_null - best_non_null.start_logit - best_non_null.end_logit
                null_odds[example.qas_id] = score_diff
                predictions[example.qas_id] = (
                    ""
                    if score_diff > self.options.null_score_diff_threshold
                    else best_non_null.text
                )
        return predictions, all_nbest, null_odds

    def _span_text(self, example, features, pred, basic_tokens_of_word):
        """The original text of a predicted span (see get_final_text)."""
        ids = features["input_word_ids"][pred.feature_index][pred.start_index : pred.end_index + 1]
        tok_text = " ".join(self.tokenizer.convert_ids_to_tokens(ids.tolist()))
        # De-tokenize WordPieces that have been split off.
        tok_text = tok_text.replace(" ##", "").replace("##", "")
        tok_text = " ".join(tok_text.strip().split())
        token_to_orig_map = features["token_to_orig_map"][pred.feature_index]
        orig_start = int(token_to_orig_map[pred.start_index])
        orig_end = int(token_to_orig_map[pred.end_index])
        orig_words = example.doc_tokens[orig_start : orig_end + 1]
        orig_basic_tokens = [t for w in orig_words for t in basic_tokens_of_word[w]]
        return get_final_text(tok_text, " ".join(orig_words), orig_basic_tokens)

    # ------------------------------------------------------------------------------ metrics

    def evaluate(self, examples, features, outputs):
        """The official scores of the predictions, in percent.

        v1.1: evaluate-v1.1.py: exact_match, f1. v2.0: evaluate-v2.0.py run as the BERT README
        runs it, with null_odds.json as --na-prob-file (so with its default --na-prob-thresh 1.0):
        exact_match, f1, HasAns_exact, HasAns_f1, NoAns_exact, NoAns_f1 (when such questions
        exist), best_exact, best_exact_thresh, best_f1, best_f1_thresh.

        Returns {} when no example has a gold answer (nor, for v2.0, is marked impossible): an
        unlabeled predict file has nothing to score.
        """
        if not any(e.answers or e.is_impossible for e in examples):
            return {}
        predictions, _, null_odds = self.predict(examples, features, outputs)
        dataset = [
            {
                "paragraphs": [
                    {
                        "qas": [
                            {"id": e.qas_id, "answers": [{"text": a} for a in e.answers]}
                            for e in examples
                        ]
                    }
                ]
            }
        ]
        if not self.options.version_2_with_negative:
            return squad_evaluation.evaluate_v1(dataset, predictions)
        result = squad_evaluation.evaluate_v2(dataset, predictions, na_probs=null_odds)
        flat = {"exact_match": result["exact"], "f1": result["f1"]}
        for key in (
            "HasAns_exact",
            "HasAns_f1",
            "NoAns_exact",
            "NoAns_f1",
            "best_exact",
            "best_exact_thresh",
            "best_f1",
            "best_f1_thresh",
        ):
            if key in result:
                flat[key] = float(result[key])
        return flat

    def write_predictions(self, examples, features, outputs, output_dir):
        """Writes predictions.json, nbest_predictions.json and (v2.0) null_odds.json, atomically.

        These are the files the official evaluate-v1.1.py / evaluate-v2.0.py read.

        Returns:
          list of the paths written.
        """
        predictions, nbest, null_odds = self.predict(examples, features, outputs)
        tf.io.gfile.makedirs(output_dir)
        paths = [
            os.path.join(output_dir, "predictions.json"),
            os.path.join(output_dir, "nbest_predictions.json"),
        ]
        write_text_atomically(paths[0], _json_text(predictions))
        write_text_atomically(paths[1], _json_text(nbest))
        if self.options.version_2_with_negative:
            paths.append(os.path.join(output_dir, "null_odds.json"))
            write_text_atomically(paths[2], _json_text(null_odds))
        return paths
