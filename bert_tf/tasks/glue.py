"""GLUE: the nine tasks and the AX diagnostic, read from the GLUE TSVs or TFDS.

One table (`_TASKS`) says, per task, where the original processors of google-research/bert's
run_classifier.py (and Hugging Face's glue processors for the tasks it lacks) find each field,
the label list, the metrics and the GLUE-server file name; `GlueTask` does the rest for all.

Splits: "train", "dev", "test"; MNLI adds "dev_mismatched" and "test_mismatched" ("dev" and
"test" are the matched sets); AX has only "test" (predict it with an MNLI-trained model: the
label list and head are MNLI's).

Metrics (keys of `evaluate`): CoLA "mcc"; MRPC and QQP "f1" (positive class 1) and "accuracy";
STS-B "pearson" and "spearman"; every other task "accuracy". On MNLI's "dev_mismatched" the
keys end in "_mismatched". `metric_name`, which picks the best checkpoint, is what the BERT
paper reports: F1 for MRPC and QQP, Spearman for STS-B, MCC for CoLA (and AX), else accuracy.
"""

import csv
import dataclasses
import io
import os

import numpy as np
import tensorflow as tf

from bert_tf.errors import ConfigError, DataError
from bert_tf.file_io import read_text, write_text_atomically
from bert_tf.models import build_model
from bert_tf.tasks import classification_metrics
from bert_tf.tasks.pair_features import encode_texts

_BINARY = ("0", "1")
_NLI = ("contradiction", "entailment", "neutral")
_ENTAILMENT = ("entailment", "not_entailment")


@dataclasses.dataclass(frozen=True)
class GlueExample:
    """One GLUE example.

    split: the split it was read from ("train", "dev", "dev_mismatched", "test", ...).
    index: the GLUE example index: a test file's index column (what the GLUE server matches
        predictions on), else the 0-based row number; TFDS's `idx`.
    text_a, text_b: the sentence(s); text_b is None for CoLA and SST-2.
    label: str from the task's label list, float for STS-B, None for test examples.
    """

    split: str
    index: int
    text_a: str
    text_b: str | None
    label: str | float | None


@dataclasses.dataclass(frozen=True)
class _Columns:
    """Where a GLUE TSV keeps each field, by position as the original processors read them.

    A negative position counts from the end of the row (the label of MNLI, QNLI, RTE, WNLI and
    STS-B is the last field, whatever precedes it). None means the file has no such field.
    """

    has_header: bool
    text_a: int
    text_b: int | None
    label: int | None = None
    index: int | None = None

    def min_fields(self):
        positions = [p for p in (self.text_a, self.text_b, self.label, self.index) if p is not None]
        needed = max(p for p in positions if p >= 0) + 1
        # A field read from the end must not be one already read from the front.
        return needed + 1 if any(p < 0 for p in positions) else needed


@dataclasses.dataclass(frozen=True)
class _Split:
    file_name: str
    tfds_split: str
    submission_file: str


@dataclasses.dataclass(frozen=True)
class _TaskSpec:
    labelled: _Columns | None  # train and dev files
    test: _Columns
    labels: tuple[str, ...] | None  # None: regression
    metrics: tuple[str, ...]
    metric_name: str
    tfds_config: str
    tfds_texts: tuple[str, str | None]
    splits: dict[str, _Split]


def _standard_splits(submission_file, tfds_dev="validation", tfds_test="test"):
    return {
        "train": _Split("train.tsv", "train", submission_file),
        "dev": _Split("dev.tsv", tfds_dev, submission_file),
        "test": _Split("test.tsv", tfds_test, submission_file),
    }


_INDEX_A_B_LABEL = _Columns(has_header=True, text_a=1, text_b=2, label=-1)
_INDEX_A_B_TEST = _Columns(has_header=True, text_a=1, text_b=2, index=0)

_TASKS = {
    "cola": _TaskSpec(
        # train/dev: source, label, original judgement, sentence; no header.
        labelled=_Columns(has_header=False, text_a=3, text_b=None, label=1),
        test=_Columns(has_header=True, text_a=1, text_b=None, index=0),
        labels=_BINARY,
        metrics=("mcc",),
        metric_name="mcc",
        tfds_config="cola",
        tfds_texts=("sentence", None),
        splits=_standard_splits("CoLA.tsv"),
    ),
    "sst2": _TaskSpec(
        labelled=_Columns(has_header=True, text_a=0, text_b=None, label=1),
        test=_Columns(has_header=True, text_a=1, text_b=None, index=0),
        labels=_BINARY,
        metrics=("accuracy",),
        metric_name="accuracy",
        tfds_config="sst2",
        tfds_texts=("sentence", None),
        splits=_standard_splits("SST-2.tsv"),
    ),
    "mrpc": _TaskSpec(
        # Quality, #1 ID, #2 ID, #1 String, #2 String; the test file has index for Quality.
        labelled=_Columns(has_header=True, text_a=3, text_b=4, label=0),
        test=_Columns(has_header=True, text_a=3, text_b=4, index=0),
        labels=_BINARY,
        metrics=("f1", "accuracy"),
        metric_name="f1",
        tfds_config="mrpc",
        tfds_texts=("sentence1", "sentence2"),
        splits=_standard_splits("MRPC.tsv"),
    ),
    "stsb": _TaskSpec(
        # index, genre, filename, year, old_index, source1, source2, sentence1, sentence2, score.
        labelled=_Columns(has_header=True, text_a=7, text_b=8, label=-1),
        test=_Columns(has_header=True, text_a=7, text_b=8, index=0),
        labels=None,
        metrics=("pearson", "spearman"),
        metric_name="spearman",
        tfds_config="stsb",
        tfds_texts=("sentence1", "sentence2"),
        splits=_standard_splits("STS-B.tsv"),
    ),
    "qqp": _TaskSpec(
        # id, qid1, qid2, question1, question2, is_duplicate; test: id, question1, question2.
        labelled=_Columns(has_header=True, text_a=3, text_b=4, label=5),
        test=_INDEX_A_B_TEST,
        labels=_BINARY,
        metrics=("f1", "accuracy"),
        metric_name="f1",
        tfds_config="qqp",
        tfds_texts=("question1", "question2"),
        splits=_standard_splits("QQP.tsv"),
    ),
    "mnli": _TaskSpec(
        # index, promptID, pairID, genre, 4 parses, sentence1, sentence2, label1..., gold_label.
        labelled=_Columns(has_header=True, text_a=8, text_b=9, label=-1),
        test=_Columns(has_header=True, text_a=8, text_b=9, index=0),
        labels=_NLI,
        metrics=("accuracy",),
        metric_name="accuracy",
        tfds_config="mnli",
        tfds_texts=("premise", "hypothesis"),
        splits={
            "train": _Split("train.tsv", "train", "MNLI-m.tsv"),
            "dev": _Split("dev_matched.tsv", "validation_matched", "MNLI-m.tsv"),
            "dev_mismatched": _Split("dev_mismatched.tsv", "validation_mismatched", "MNLI-mm.tsv"),
            "test": _Split("test_matched.tsv", "test_matched", "MNLI-m.tsv"),
            "test_mismatched": _Split("test_mismatched.tsv", "test_mismatched", "MNLI-mm.tsv"),
        },
    ),
    "qnli": _TaskSpec(
        labelled=_INDEX_A_B_LABEL,
        test=_INDEX_A_B_TEST,
        labels=_ENTAILMENT,
        metrics=("accuracy",),
        metric_name="accuracy",
        tfds_config="qnli",
        tfds_texts=("question", "sentence"),
        splits=_standard_splits("QNLI.tsv"),
    ),
    "rte": _TaskSpec(
        labelled=_INDEX_A_B_LABEL,
        test=_INDEX_A_B_TEST,
        labels=_ENTAILMENT,
        metrics=("accuracy",),
        metric_name="accuracy",
        tfds_config="rte",
        tfds_texts=("sentence1", "sentence2"),
        splits=_standard_splits("RTE.tsv"),
    ),
    "wnli": _TaskSpec(
        labelled=_INDEX_A_B_LABEL,
        test=_INDEX_A_B_TEST,
        labels=_BINARY,
        metrics=("accuracy",),
        metric_name="accuracy",
        tfds_config="wnli",
        tfds_texts=("sentence1", "sentence2"),
        splits=_standard_splits("WNLI.tsv"),
    ),
    "ax": _TaskSpec(
        # download_glue_data.py saves the diagnostic set as diagnostic/diagnostic.tsv.
        labelled=None,
        test=_INDEX_A_B_TEST,
        labels=_NLI,
        metrics=("mcc",),
        metric_name="mcc",
        tfds_config="ax",
        tfds_texts=("premise", "hypothesis"),
        splits={"test": _Split("diagnostic.tsv", "test", "AX.tsv")},
    ),
}

TASK_NAMES = tuple(_TASKS)

_METRIC_FUNCTIONS = {
    "mcc": classification_metrics.matthews_corrcoef,
    "f1": classification_metrics.f1_score,
    "accuracy": classification_metrics.accuracy,
    "pearson": classification_metrics.pearson_corrcoef,
    "spearman": classification_metrics.spearman_corrcoef,
}


def canonical_task_name(task_name):
    """Maps a GLUE spelling ("SST-2", "sst2", "STS-B", "MNLI") to its table key ("sst2", ...)."""
    name = task_name.lower().replace("-", "").replace("_", "")
    if name not in _TASKS:
        raise ConfigError(f"unknown GLUE task {task_name!r}; expected one of {', '.join(_TASKS)}")
    return name


class GlueTask:
    """A GLUE task: TSV/TFDS reading, features, classifier, loss, metrics, submission files.

    Args:
        task_name: one of TASK_NAMES, case and "-" ignored ("CoLA", "SST-2", "STS-B", "MNLI", "AX").
        tokenizer: a bert_tf.tokenization.Tokenizer.
        max_seq_length: int, length of the packed "[CLS] a [SEP] b [SEP]" sequences.
        data_dir: folder with the task's GLUE TSVs (e.g. glue_data/MRPC); needed for "tsv".
        data_source: "tsv" (the files distributed by the GLUE benchmark) or "tfds"
            (tensorflow_datasets' glue/<config>).
        tfds_data_dir: data_dir passed to tfds.load.

    Example:
        >>> task = GlueTask("MRPC", tokenizer, max_seq_length=128, data_dir="glue_data/MRPC")
        >>> examples = task.read_examples("dev")
        >>> features = task.make_features(examples, is_training=False)
        >>> model = task.build_model(encoder)
    """

    def __init__(
        self,
        task_name,
        tokenizer,
        max_seq_length,
        data_dir=None,
        data_source="tsv",
        tfds_data_dir=None,
    ):
        self.name = canonical_task_name(task_name)
        self._spec = _TASKS[self.name]
        if data_source not in ("tsv", "tfds"):
            raise ConfigError(f"data_source must be 'tsv' or 'tfds', got {data_source!r}")
        if data_source == "tsv" and not data_dir:
            raise ConfigError(f"GLUE task {self.name} reads TSV files and needs a data_dir")
        self.tokenizer = tokenizer
        self.max_seq_length = max_seq_length
        self.data_dir = data_dir
        self.data_source = data_source
        self.tfds_data_dir = tfds_data_dir
        self.metric_name = self._spec.metric_name
        self.label_list = self._spec.labels
        self.is_regression = self._spec.labels is None
        self.num_labels = 1 if self.is_regression else len(self._spec.labels)
        self.splits = tuple(self._spec.splits)
        self.eval_splits = tuple(s for s in self.splits if s.startswith("dev"))
        self.predict_splits = tuple(s for s in self.splits if s.startswith("test"))

    # Reading.

    def read_examples(self, split):
        """Reads one split.

        Args:
            split: one of `self.splits`.

        Returns:
            list of GlueExample, in file order (TFDS: in `idx` order).
        """
        if split not in self._spec.splits:
            raise ValueError(
                f"GLUE task {self.name} has no split {split!r}; it has "
                f"{', '.join(self._spec.splits)}"
            )
        if self.data_source == "tfds":
            return self._read_tfds(split)
        return self._read_tsv(split)

    def _read_tsv(self, split):
        file_name = self._spec.splits[split].file_name
        path = os.path.join(self.data_dir, file_name)
        if self.name == "ax" and not tf.io.gfile.exists(path):
            # The GLUE website serves the same file as AX.tsv.
            path = os.path.join(self.data_dir, "AX.tsv")
        columns = self._spec.test if split.startswith("test") else self._spec.labelled
        min_fields = columns.min_fields()
        examples = []
        # quotechar=None as the original, because GLUE sentences contain unbalanced quotes
        # that are text, not CSV quoting.
        with io.StringIO(read_text(path), newline="") as f:
            reader = csv.reader(f, delimiter="\t", quotechar=None)
            for row in reader:
                if columns.has_header and reader.line_num == 1:
                    continue
                if not row:
                    continue  # a blank line carries no example
                where = f"{path}:{reader.line_num}"
                if len(row) < min_fields:
                    raise DataError(
                        f"{where}: expected at least {min_fields} tab-separated "
                        f"fields for {self.name} {split}, found {len(row)}"
                    )
                examples.append(
                    GlueExample(
                        split=split,
                        index=(
                            len(examples)
                            if columns.index is None
                            else _parse_index(row[columns.index], where)
                        ),
                        text_a=row[columns.text_a],
                        text_b=None if columns.text_b is None else row[columns.text_b],
                        label=(
                            None
                            if columns.label is None
                            else self._parse_label(row[columns.label], where)
                        ),
                    )
                )
        if not examples:
            raise DataError(f"{path}: no {self.name} {split} examples")
        return examples

    def _parse_label(self, value, where):
        if self.is_regression:
            try:
                return float(value)
            except ValueError:
                raise DataError(f"{where}: label {value!r} is not a number") from None
        if value not in self.label_list:
            raise DataError(
                f"{where}: unknown label {value!r} for {self.name}; expected one of "
                f"{', '.join(self.label_list)}"
            )
        return value

    def _read_tfds(self, split):
        # Imported here: tensorflow_datasets is slow to import and only this path needs it.
        import tensorflow_datasets as tfds

        name = f"glue/{self._spec.tfds_config}"
        tfds_split = self._spec.splits[split].tfds_split
        dataset, info = tfds.load(
            name, split=tfds_split, data_dir=self.tfds_data_dir, with_info=True, shuffle_files=False
        )
        label_names = None if self.is_regression else info.features["label"].names
        key_a, key_b = self._spec.tfds_texts
        examples = []
        for record in tfds.as_numpy(dataset):
            where = f"{name} split {tfds_split} idx {int(record['idx'])}"
            label = None
            if not split.startswith("test"):  # TFDS test labels are -1 placeholders
                raw = record["label"]
                if self.is_regression:
                    label = float(raw)
                elif not 0 <= int(raw) < len(label_names):
                    raise DataError(f"{where}: label id {int(raw)} outside {label_names}")
                else:
                    # TFDS names the binary classes ("acceptable", ...) where GLUE writes 0/1,
                    # and orders MNLI's classes differently from the original label list.
                    label = str(int(raw)) if self.label_list == _BINARY else label_names[int(raw)]
                    label = self._parse_label(label, where)
            examples.append(
                GlueExample(
                    split=split,
                    index=int(record["idx"]),
                    text_a=record[key_a].decode("utf-8"),
                    text_b=None if key_b is None else record[key_b].decode("utf-8"),
                    label=label,
                )
            )
        examples.sort(key=lambda example: example.index)
        return examples

    # Features, model, loss.

    def make_features(self, examples, is_training):
        """Packs examples into "[CLS] a [SEP] b [SEP]", one feature per example.

        Pairs longer than max_seq_length are cut as the original _truncate_seq_pair does: the
        last token of the longer side (of b on a tie) goes first. `is_training` changes nothing
        for GLUE; it is part of the task interface.

        Returns:
            dict of numpy arrays, first axis of size len(examples): `input_word_ids`,
            `input_mask`, `input_type_ids` (int32 [N, max_seq_length]), `label_ids` (int32 [N],
            float32 for STS-B; 0 for unlabelled test examples) and `example_index` (int32 [N],
            position in `examples`).
        """
        del is_training
        pairs = self._spec.tfds_texts[1] is not None
        features = encode_texts(
            self.tokenizer,
            [example.text_a for example in examples],
            [example.text_b for example in examples] if pairs else None,
            self.max_seq_length,
        )
        if self.is_regression:
            labels = [0.0 if example.label is None else example.label for example in examples]
            features["label_ids"] = np.asarray(labels, np.float32)
        else:
            label_ids = {label: i for i, label in enumerate(self.label_list)}
            labels = [
                0 if example.label is None else label_ids[example.label] for example in examples
            ]
            features["label_ids"] = np.asarray(labels, np.int32)
        features["example_index"] = np.arange(len(examples), dtype=np.int32)
        return features

    def build_model(self, encoder):
        """BertClassifier with num_labels outputs (1 for STS-B)."""
        return build_model("classifier", encoder, self.num_labels)

    def loss(self, features, outputs):
        """Mean softmax cross-entropy, or mean squared error for STS-B.

        Args:
            features: dict with `label_ids` of shape [batch_size].
            outputs: dict with `logits`, float Tensor [batch_size, num_labels].

        Returns:
            float32 scalar Tensor.
        """
        logits = tf.cast(outputs["logits"], tf.float32)
        if self.is_regression:
            labels = tf.cast(features["label_ids"], tf.float32)
            return tf.reduce_mean(tf.square(logits[:, 0] - labels))
        return tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=tf.cast(features["label_ids"], tf.int32), logits=logits
            )
        )

    # Metrics and predictions.

    def evaluate(self, examples, features, outputs):
        """The task's official metrics on labelled examples.

        Args:
            examples: the list make_features read (all from one split).
            features: make_features' dict.
            outputs: dict with `logits`, numpy [num_features, num_labels].

        Returns:
            dict of metric name (see the module docstring) -> float.
        """
        split = _one_split(examples)
        if any(example.label is None for example in examples):
            raise ValueError(f"GLUE {self.name} split {split} has no labels to evaluate against")
        predictions = self._predictions(examples, features, outputs)
        if self.is_regression:
            labels = np.asarray([example.label for example in examples], np.float64)
        else:
            label_ids = {label: i for i, label in enumerate(self.label_list)}
            labels = np.asarray([label_ids[example.label] for example in examples])
        suffix = "_mismatched" if split.endswith("mismatched") else ""
        return {
            name + suffix: _METRIC_FUNCTIONS[name](labels, predictions)
            for name in self._spec.metrics
        }

    def write_predictions(self, examples, features, outputs, output_dir):
        """Writes the GLUE-server file of the examples' split: `index\\tprediction` rows.

        File names are the server's (CoLA.tsv, SST-2.tsv, MRPC.tsv, STS-B.tsv, QQP.tsv,
        MNLI-m.tsv, MNLI-mm.tsv, QNLI.tsv, RTE.tsv, WNLI.tsv, AX.tsv); predictions are the
        label strings of the original label lists (0/1 for the binary tasks, "entailment",
        ...), STS-B scores clipped to [0, 5].

        Returns:
            list with the one path written.
        """
        split = _one_split(examples)
        predictions = self._predictions(examples, features, outputs)
        lines = ["index\tprediction\n"]
        for example, prediction in zip(examples, predictions):
            if self.is_regression:
                text = f"{float(np.clip(prediction, 0.0, 5.0)):.3f}"
            else:
                text = self.label_list[int(prediction)]
            lines.append(f"{example.index}\t{text}\n")
        path = os.path.join(output_dir, self._spec.splits[split].submission_file)
        write_text_atomically(path, "".join(lines))
        return [path]

    def _predictions(self, examples, features, outputs):
        """Per-example predictions: class ids, or scores for STS-B; shape [len(examples)]."""
        logits = np.asarray(outputs["logits"])
        example_index = np.asarray(features["example_index"])
        if logits.shape[0] != example_index.shape[0]:
            raise ValueError(
                f"{logits.shape[0]} model outputs for {example_index.shape[0]} features"
            )
        if sorted(example_index.tolist()) != list(range(len(examples))):
            raise ValueError("features do not hold exactly one feature per example")
        ordered = np.empty_like(logits)
        ordered[example_index] = logits
        return ordered[:, 0] if self.is_regression else np.argmax(ordered, axis=-1)


def _parse_index(value, where):
    try:
        return int(value)
    except ValueError:
        raise DataError(f"{where}: index {value!r} is not an integer") from None


def _one_split(examples):
    splits = {example.split for example in examples}
    if len(splits) != 1:
        raise ValueError(f"expected examples of one split, got {sorted(splits) or 'none'}")
    return splits.pop()
