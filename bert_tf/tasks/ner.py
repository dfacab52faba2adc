"""CoNLL-2003 named entity recognition: a tag per word, predicted on the word's first piece.

Data: the original column files (`eng.train`, `eng.testa` = dev, `eng.testb` = test; the names
`train.txt`, `valid.txt`/`dev.txt`, `test.txt` are accepted too): one word per line, fields
separated by whitespace, the word first and its NER tag last (`word POS chunk NER` in CoNLL-2003),
a blank line between sentences, `-DOCSTART-` lines between documents. The original data tags in
IOB1 (I- starts an entity; B- only separates two adjacent entities of one type); IOB2 (every
entity starts with B-) is read as well. Or the TFDS `conll2003` builder (IOB2).

Features: each word is tokenized on its own; its tag is trained and predicted on its first piece
only (label_weights 1 there, 0 on the other pieces, [CLS], [SEP] and padding). A sentence whose
pieces do not fit in max_seq_length - 2 is cut into several features of whole words, and the
predictions are stitched back per word, so every word of every sentence gets a prediction.

Metrics: conlleval's chunk precision, recall and F1, in percent as the script prints them.
"""

import collections
import dataclasses
import io
import os

import numpy as np
import tensorflow as tf

from bert_tf import models
from bert_tf.errors import ConfigError, DataError
from bert_tf.file_io import read_text, write_text_atomically
from bert_tf.tasks import conlleval

CONLL2003_LABELS = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC")

_SPLIT_FILES = {
    "train": ("eng.train", "train.txt"),
    "dev": ("eng.testa", "valid.txt", "dev.txt"),
    "test": ("eng.testb", "test.txt"),
}


@dataclasses.dataclass
class NerExample:
    """One sentence.

    Attributes:
      words: list of str.
      labels: list of str, one tag per word.
      source: "file:line" of the sentence's first word, for messages.
    """

    words: list
    labels: list
    source: str = ""


def read_conll_file(path):
    """Sentences of a CoNLL column file.

    Raises:
      DataError naming the file and line when a line has fewer than 2 fields or another number
      of fields than the file's first word line.
    """
    examples = []
    words, labels, first_line = [], [], None
    num_fields = None

    def end_sentence():
        if words:
            examples.append(NerExample(list(words), list(labels), f"{path}:{first_line}"))
        words.clear()
        labels.clear()

    with io.StringIO(read_text(path)) as f:
        for line_number, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                end_sentence()
                continue
            if fields[0] == "-DOCSTART-":
                end_sentence()
                continue
            if len(fields) < 2:
                raise DataError(
                    f"{path}:{line_number}: expected a word and its tag, got {line.rstrip()!r}"
                )
            if num_fields is None:
                num_fields = len(fields)
            elif len(fields) != num_fields:
                raise DataError(
                    f"{path}:{line_number}: {len(fields)} fields where the file's "
                    f"first line has {num_fields}: {line.rstrip()!r}"
                )
            if not words:
                first_line = line_number
            words.append(fields[0])
            labels.append(fields[-1])
    end_sentence()
    if not examples:
        raise DataError(f"{path}: no sentences")
    return examples


def detect_tag_scheme(label_sequences):
    """ "IOBES" if any E-/S- tag, "IOB1" if any entity starts with I-, else "IOB2"."""
    scheme = "IOB2"
    for labels in label_sequences:
        previous = "O"
        for label in labels:
            prefix, type_ = conlleval.split_tag(label)
            if prefix in ("E", "S"):
                return "IOBES"
            if prefix == "I" and conlleval.split_tag(previous)[1] != type_:
                scheme = "IOB1"
            previous = label
    return scheme


def convert_tag_scheme(labels, scheme):
    """Rewrites one sentence's IOB1 tags as IOB2 or the reverse; the entities stay the same.

    IOB2 starts every entity with B-; IOB1 uses B- only where an entity directly follows
    another of the same type. So a tag that starts an entity (its type differs from the
    previous tag's) becomes B- in IOB2 and I- in IOB1.

    Args:
        labels: list of str tags.
        scheme: "IOB2" or "IOB1", the scheme to write.
    """
    start_prefix, other_prefix = ("B", "I") if scheme == "IOB2" else ("I", "B")
    converted = []
    previous_type = ""
    for label in labels:
        prefix, type_ = conlleval.split_tag(label)
        if prefix == other_prefix and previous_type != type_:
            label = f"{start_prefix}-{type_}"
        converted.append(label)
        previous_type = type_ if prefix in ("B", "I") else ""
    return converted


class NerTask:
    """CoNLL-2003 NER in the task shape of bert_tf.tasks.

    Args:
      tokenizer: a bert_tf.tokenization.Tokenizer (a cased one for CoNLL-2003, as in the BERT
        paper).
      max_seq_length: pieces per feature, [CLS] and [SEP] included.
      data_dir: folder of the column files (data_source "conll").
      data_source: "conll" or "tfds" (the TFDS `conll2003` builder; splits train/dev/test).
      label_list: the tags, in the order of the model's outputs; default the 9 CoNLL-2003 tags.
        A tag in the data outside the list is an error naming the file and line.
      tfds_data_dir: TFDS data directory (data_source "tfds"; None is TFDS's default).
      tag_scheme: None keeps the tags as read; "IOB1" or "IOB2" converts every split to that
        scheme (the same entities). `detected_tag_schemes[split]` tells what each split held.
    """

    name = "ner"
    metric_name = "f1"

    def __init__(
        self,
        tokenizer,
        max_seq_length=128,
        data_dir=None,
        data_source="conll",
        label_list=None,
        tag_scheme=None,
        tfds_data_dir=None,
    ):
        if data_source not in ("conll", "tfds"):
            raise ConfigError(f"data_source must be 'conll' or 'tfds', got {data_source!r}")
        if tag_scheme not in (None, "IOB1", "IOB2"):
            raise ConfigError(f"tag_scheme must be None, 'IOB1' or 'IOB2', got {tag_scheme!r}")
        if max_seq_length < 3:
            raise ConfigError(f"max_seq_length must be at least 3, got {max_seq_length}")
        self.tokenizer = tokenizer
        self.max_seq_length = max_seq_length
        self.data_dir = data_dir
        self.data_source = data_source
        self.tfds_data_dir = tfds_data_dir
        self.label_list = tuple(label_list or CONLL2003_LABELS)
        self.label_map = {label: i for i, label in enumerate(self.label_list)}
        self.tag_scheme = tag_scheme
        self.detected_tag_schemes = {}

    # ------------------------------------------------------------------------------ examples

    def read_examples(self, split):
        """list of NerExample of "train", "dev" or "test"."""
        if split not in _SPLIT_FILES:
            raise ValueError(f"split must be 'train', 'dev' or 'test', got {split!r}")
        if self.data_source == "tfds":
            examples = self._read_tfds(split)
        else:
            examples = read_conll_file(self._split_path(split))
        for example in examples:
            for i, label in enumerate(example.labels):
                if label not in self.label_map:
                    raise DataError(
                        f"{_word_source(example, i)}: tag {label!r} is not in the "
                        f"label list {list(self.label_list)}"
                    )
        scheme = detect_tag_scheme(e.labels for e in examples)
        self.detected_tag_schemes[split] = scheme
        if {scheme, self.tag_scheme} == {"IOB1", "IOB2"}:
            for example in examples:
                example.labels = convert_tag_scheme(example.labels, self.tag_scheme)
        return examples

    def _split_path(self, split):
        if not self.data_dir:
            raise ConfigError("NerTask needs data_dir")
        for name in _SPLIT_FILES[split]:
            path = os.path.join(self.data_dir, name)
            if tf.io.gfile.exists(path):
                return path
        raise FileNotFoundError(
            f"no {split} file in {self.data_dir}: looked for {', '.join(_SPLIT_FILES[split])}"
        )

    def _read_tfds(self, split):
        import tensorflow_datasets as tfds  # Only this source needs it.

        dataset, info = tfds.load(
            "conll2003", split=split, data_dir=self.tfds_data_dir, with_info=True
        )
        names = info.features["ner"].feature.names
        return [
            NerExample(
                [w.decode("utf-8") for w in record["tokens"]],
                [names[t] for t in record["ner"]],
                f"tfds:conll2003:{split} sentence {i}",
            )
            for i, record in enumerate(tfds.as_numpy(dataset))
        ]

    # ------------------------------------------------------------------------------ features

    def make_features(self, examples, is_training):
        """Features of whole words, a sentence split over several when it does not fit.

        Returns:
          dict of numpy arrays, first axis = feature index (num_features):
            input_word_ids, input_mask, input_type_ids: int32 [num_features, max_seq_length].
            label_ids: int32 [num_features, max_seq_length], the word's tag id on its first
              piece, 0 elsewhere.
            label_weights: float32 [num_features, max_seq_length], 1 on first pieces, else 0.
            example_index: int32 [num_features].
            word_index: int32 [num_features, max_seq_length], the word's index in its sentence
              on its first piece, -1 elsewhere.
        """
        del is_training  # Training and evaluation features are the same.
        budget = self.max_seq_length - 2
        unique_words = sorted({w for example in examples for w in example.words})
        pieces_of_word = dict(zip(unique_words, self.tokenizer.tokenize_words(unique_words)))
        columns = collections.defaultdict(list)
        for example_index, example in enumerate(examples):
            chunk = []  # (word index, ids) of the feature being filled
            for word_index, word in enumerate(example.words):
                # A word of only dropped characters still needs a position for its tag; a word
                # longer than a whole feature keeps its first pieces, the tag being on the first.
                ids = self.tokenizer.convert_tokens_to_ids(pieces_of_word[word]) or [
                    self.tokenizer.unk_id
                ]
                ids = ids[:budget]
                if chunk and sum(len(c[1]) for c in chunk) + len(ids) > budget:
                    self._add_feature(columns, example, example_index, chunk)
                    chunk = []
                chunk.append((word_index, ids))
            if chunk:
                self._add_feature(columns, example, example_index, chunk)
        return {
            key: np.asarray(columns[key], dtype)
            if columns[key]
            else np.zeros((0, self.max_seq_length) if key != "example_index" else (0,), dtype)
            for key, dtype in [
                ("input_word_ids", np.int32),
                ("input_mask", np.int32),
                ("input_type_ids", np.int32),
                ("label_ids", np.int32),
                ("label_weights", np.float32),
                ("example_index", np.int32),
                ("word_index", np.int32),
            ]
        }

    def _add_feature(self, columns, example, example_index, chunk):
        length = self.max_seq_length
        input_word_ids = [self.tokenizer.cls_id]
        label_ids = np.zeros(length, np.int32)
        label_weights = np.zeros(length, np.float32)
        word_index = np.full(length, -1, np.int32)
        for index, ids in chunk:
            position = len(input_word_ids)
            word_index[position] = index
            label_ids[position] = (
                self.label_map.get(example.labels[index], 0) if example.labels else 0
            )
            label_weights[position] = 1.0
            input_word_ids.extend(ids)
        input_word_ids.append(self.tokenizer.sep_id)
        padding = length - len(input_word_ids)
        columns["input_word_ids"].append(input_word_ids + [self.tokenizer.pad_id] * padding)
        columns["input_mask"].append([1] * len(input_word_ids) + [0] * padding)
        columns["input_type_ids"].append([0] * length)
        columns["label_ids"].append(label_ids)
        columns["label_weights"].append(label_weights)
        columns["example_index"].append(example_index)
        columns["word_index"].append(word_index)

    # ------------------------------------------------------------------------------ model, loss

    def build_model(self, encoder):
        return models.build_model("ner", encoder, len(self.label_list))

    def loss(self, features, outputs):
        """Cross-entropy averaged over the first pieces of the words in the batch.

        Args:
          features: label_ids: int Tensor [batch_size, max_seq_length]; label_weights: float
            Tensor [batch_size, max_seq_length].
          outputs: logits: float Tensor [batch_size, max_seq_length, num_labels].
        """
        per_token = tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.cast(features["label_ids"], tf.int32),
            logits=tf.cast(outputs["logits"], tf.float32),
        )
        weights = tf.cast(features["label_weights"], tf.float32)
        return tf.math.divide_no_nan(tf.reduce_sum(per_token * weights), tf.reduce_sum(weights))

    # ------------------------------------------------------------------------------ predictions

    def predict(self, examples, features, outputs):
        """The predicted tag of every word.

        Args:
          outputs: logits: float array [num_features, max_seq_length, num_labels].

        Returns:
          list (one per example) of lists of tags, one per word.
        """
        predicted_ids = np.argmax(np.asarray(outputs["logits"]), axis=-1)
        predictions = [[None] * len(example.words) for example in examples]
        for feature_index, example_index in enumerate(features["example_index"].tolist()):
            word_index = features["word_index"][feature_index]
            for position in np.nonzero(word_index >= 0)[0]:
                predictions[example_index][word_index[position]] = self.label_list[
                    predicted_ids[feature_index, position]
                ]
        for example, predicted in zip(examples, predictions):
            if None in predicted:
                raise ValueError(
                    f"{example.source}: word {predicted.index(None)} has no "
                    "prediction; were the features made from these examples?"
                )
        return predictions

    def evaluate(self, examples, features, outputs):
        """conlleval's figures in percent: precision, recall, f1, accuracy, and T_precision,
        T_recall, T_f1 for each entity type T."""
        predictions = self.predict(examples, features, outputs)
        return conlleval.scores(conlleval.count_chunks(_tag_pairs(examples, predictions)))

    def write_predictions(self, examples, features, outputs, output_dir):
        """Writes predictions.txt, `word gold predicted` per line, a blank line after each sentence.

        conlleval reads it as it is (`conlleval < predictions.txt`). Every example read from the
        data has gold tags; an example built without them (labels None) gets "O" as its gold
        column so that the file keeps three fields per line.

        Returns:
          [the path written].
        """
        predictions = self.predict(examples, features, outputs)
        lines = []
        for example, predicted in zip(examples, predictions):
            gold = example.labels or ["O"] * len(example.words)
            lines.extend(f"{w} {g} {p}\n" for w, g, p in zip(example.words, gold, predicted))
            lines.append("\n")
        path = os.path.join(output_dir, "predictions.txt")
        write_text_atomically(path, "".join(lines))
        return [path]


def _tag_pairs(examples, predictions):
    for example, predicted in zip(examples, predictions):
        gold = example.labels or ["O"] * len(example.words)
        yield from zip(gold, predicted)
        yield None


def _word_source(example, index):
    """ "file:line" of word `index` of a sentence read from a column file (one word per line)."""
    path, _, line = example.source.rpartition(":")
    if path and line.isdigit():
        return f"{path}:{int(line) + index}"
    return f"{example.source}: word {index}"
