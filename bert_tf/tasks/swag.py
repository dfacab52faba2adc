"""SWAG: pick the most plausible of four endings, from the released SWAG CSVs.

Files (the "regular" format of rowanz/swagaf): `train.csv`, `val.csv`, `test.csv`, header
`,video-id,fold-ind,startphrase,sent1,sent2,gold-source,ending0,ending1,ending2,ending3,label`
(the first column is an unnamed row id; test.csv has no label). Splits: "train", "dev" (val.csv),
"test". Columns are read by header name with standard CSV quoting.

Each choice is one BERT input, as in the BERT paper ("the concatenation of the given sentence
(sentence A) and a possible continuation (sentence B)") and the SWAG script that reproduced it
(pytorch-pretrained-bert run_swag.py): sentence A is `sent1`, sentence B is `sent2` followed by
`ending<i>`; pairs are cut with the original _truncate_seq_pair. A softmax over the four
pooled-output scores gives the choice.

Predictions (`swag_predictions.csv`): header `index,video-id,fold-ind,pred,logit0,...,logit3`,
one row per example in file order; `index` is the file's unnamed first column, `pred` the chosen
ending (0-3), the logits the model's scores.
"""

import csv
import dataclasses
import io
import os

import numpy as np
import tensorflow as tf

from bert_tf.errors import DataError
from bert_tf.file_io import read_text, write_text_atomically
from bert_tf.models import build_model
from bert_tf.tasks import classification_metrics
from bert_tf.tasks.pair_features import encode_texts

NUM_CHOICES = 4
PREDICTIONS_FILE = "swag_predictions.csv"
_FILES = {"train": "train.csv", "dev": "val.csv", "test": "test.csv"}
_ENDINGS = tuple(f"ending{i}" for i in range(NUM_CHOICES))
_TEXT_COLUMNS = ("sent1", "sent2") + _ENDINGS


@dataclasses.dataclass(frozen=True)
class SwagExample:
    """One SWAG question.

    split: "train", "dev" or "test".
    index: the file's unnamed first column (its row id), else the 0-based row number.
    video_id, fold_ind: the file's `video-id` and `fold-ind`.
    context: `sent1`, sentence A of every choice.
    start_ending: `sent2`, the start of the continuation, shared by the four endings.
    endings: tuple of the four `ending<i>`.
    label: int in [0, 4), or None for test examples.
    """

    split: str
    index: int
    video_id: str
    fold_ind: str
    context: str
    start_ending: str
    endings: tuple[str, ...]
    label: int | None


class SwagTask:
    """SWAG: CSV reading, four-choice features, BertMultipleChoice, loss, accuracy, predictions.

    Args:
        tokenizer: a bert_tf.tokenization.Tokenizer.
        max_seq_length: int, length of each packed "[CLS] sent1 [SEP] sent2 ending [SEP]".
        data_dir: folder with train.csv, val.csv and test.csv.

    Example:
        >>> task = SwagTask(tokenizer, max_seq_length=128, data_dir="swagaf/data")
        >>> examples = task.read_examples("dev")
        >>> features = task.make_features(examples, is_training=False)  # [N, 4, 128] inputs
    """

    name = "swag"
    metric_name = "accuracy"
    splits = tuple(_FILES)
    eval_splits = ("dev",)
    predict_splits = ("test",)

    def __init__(self, tokenizer, max_seq_length, data_dir):
        self.tokenizer = tokenizer
        self.max_seq_length = max_seq_length
        self.data_dir = data_dir

    def read_examples(self, split):
        """Reads train.csv ("train"), val.csv ("dev") or test.csv ("test").

        Returns:
            list of SwagExample in file order.
        """
        if split not in _FILES:
            raise ValueError(f"SWAG has no split {split!r}; it has {', '.join(_FILES)}")
        path = os.path.join(self.data_dir, _FILES[split])
        examples = []
        with io.StringIO(read_text(path), newline="") as f:
            reader = csv.DictReader(f)
            header = reader.fieldnames or []
            labelled = split != "test"
            required = _TEXT_COLUMNS + (("label",) if labelled else ())
            missing = [column for column in required if column not in header]
            if missing:
                raise DataError(f"{path}:1: header lacks column(s) {', '.join(missing)}")
            for row in reader:
                where = f"{path}:{reader.line_num}"
                # DictReader files surplus fields under None and fills absent ones with None.
                if None in row or any(value is None for value in row.values()):
                    raise DataError(
                        f"{where}: expected {len(header)} comma-separated fields "
                        f"like the header, found a different number"
                    )
                examples.append(
                    SwagExample(
                        split=split,
                        index=_row_index(row.get(""), len(examples), where),
                        video_id=row.get("video-id", ""),
                        fold_ind=row.get("fold-ind", ""),
                        context=row["sent1"],
                        start_ending=row["sent2"],
                        endings=tuple(row[column] for column in _ENDINGS),
                        label=_parse_label(row["label"], where) if labelled else None,
                    )
                )
        if not examples:
            raise DataError(f"{path}: no SWAG {split} examples")
        return examples

    def make_features(self, examples, is_training):
        """Packs the four "[CLS] sent1 [SEP] sent2 ending_i [SEP]" inputs of each example.

        `is_training` changes nothing for SWAG; it is part of the task interface.

        Returns:
            dict of numpy arrays: `input_word_ids`, `input_mask`, `input_type_ids` (int32
            [N, 4, max_seq_length]), `label_ids` (int32 [N]; 0 for test examples) and
            `example_index` (int32 [N], position in `examples`).
        """
        del is_training
        contexts = [example.context for example in examples for _ in range(NUM_CHOICES)]
        # Tokenizing "sent2 ending" equals tokenizing the two and concatenating: the
        # tokenizer splits on the space first, as the original tokenizer does.
        continuations = [
            f"{example.start_ending} {ending}" for example in examples for ending in example.endings
        ]
        flat = encode_texts(self.tokenizer, contexts, continuations, self.max_seq_length)
        features = {
            name: value.reshape(len(examples), NUM_CHOICES, self.max_seq_length)
            for name, value in flat.items()
        }
        features["label_ids"] = np.asarray(
            [0 if example.label is None else example.label for example in examples], np.int32
        )
        features["example_index"] = np.arange(len(examples), dtype=np.int32)
        return features

    def build_model(self, encoder):
        """BertMultipleChoice: one pooled-output score per choice."""
        return build_model("swag", encoder)

    def loss(self, features, outputs):
        """Mean softmax cross-entropy over the choices.

        Args:
            features: dict with `label_ids`, int32 [batch_size].
            outputs: dict with `logits`, float Tensor [batch_size, 4].

        Returns:
            float32 scalar Tensor.
        """
        return tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=tf.cast(features["label_ids"], tf.int32),
                logits=tf.cast(outputs["logits"], tf.float32),
            )
        )

    def evaluate(self, examples, features, outputs):
        """{"accuracy": fraction of examples whose highest-scoring ending is the label}."""
        if any(example.label is None for example in examples):
            raise ValueError("SWAG examples without labels (test.csv) cannot be evaluated")
        predictions = np.argmax(self._logits(examples, features, outputs), axis=-1)
        return {
            "accuracy": classification_metrics.accuracy(
                [example.label for example in examples], predictions
            )
        }

    def write_predictions(self, examples, features, outputs, output_dir):
        """Writes swag_predictions.csv (format in the module docstring); returns [its path]."""
        logits = self._logits(examples, features, outputs)
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(
            ["index", "video-id", "fold-ind", "pred"] + [f"logit{i}" for i in range(NUM_CHOICES)]
        )
        for example, scores in zip(examples, logits):
            writer.writerow(
                [example.index, example.video_id, example.fold_ind, int(np.argmax(scores))]
                + [f"{float(s):.6g}" for s in scores]
            )
        path = os.path.join(output_dir, PREDICTIONS_FILE)
        write_text_atomically(path, text.getvalue())
        return [path]

    def _logits(self, examples, features, outputs):
        """The outputs' logits in example order: float [len(examples), 4]."""
        logits = np.asarray(outputs["logits"])
        example_index = np.asarray(features["example_index"])
        if logits.shape != (len(examples), NUM_CHOICES) or sorted(example_index.tolist()) != list(
            range(len(examples))
        ):
            raise ValueError(
                f"expected logits of shape [{len(examples)}, {NUM_CHOICES}], one "
                f"row per example; got {logits.shape}"
            )
        ordered = np.empty_like(logits)
        ordered[example_index] = logits
        return ordered


def _parse_label(value, where):
    if value not in {str(i) for i in range(NUM_CHOICES)}:
        raise DataError(f"{where}: label {value!r} is not one of 0, 1, 2, 3")
    return int(value)


def _row_index(value, row_number, where):
    if value is None or value == "":
        return row_number
    try:
        return int(value)
    except ValueError:
        raise DataError(
            f"{where}: row id {value!r} in the first column is not an integer"
        ) from None
