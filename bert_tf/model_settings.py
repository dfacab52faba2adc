"""A model directory: a model's checkpoints with what is needed to use them.

Every run that writes a model (run_pretraining, run_classifier/squad/swag/ner and their
`best/`, convert_checkpoint) writes, beside its checkpoints, as Hugging Face's
`save_pretrained` and keras-hub's presets do:

    bert_config.json       the model's config
    vocab.txt              the WordPiece vocabulary it was trained with
    model_settings.json    the rest, readable, e.g.
        {"do_lower_case": true, "max_seq_length": 128, "model_type": "classifier",
         "task_name": "sst2", "label_list": ["0", "1"], "num_labels": 2, "task_options": {}}

A later script given the directory (or a checkpoint in it) as `--init_checkpoint` reads it:
a flag left out takes the recorded value, and a flag that contradicts it is refused
(bert_tf.common_flags.settle). A setting that is not known (a TF1 checkpoint's casing, say) is
not recorded; a directory without the file keeps working with the flags given.

A Hugging Face model directory (`save_pretrained`'s config.json, vocab.txt and
tokenizer_config.json beside the weights) is read the same way: its config, its vocab and its
tokenizer's casing.
"""

import dataclasses
import json
import os

import tensorflow as tf

from bert_tf.config import BertConfig
from bert_tf.errors import ConfigError
from bert_tf.file_io import read_text, write_text_atomically

SETTINGS_NAME = "model_settings.json"
CONFIG_NAME = "bert_config.json"
VOCAB_NAME = "vocab.txt"
# The settings kept in files of their own, by the name the JSON would give them.
_FILES = {"bert_config_file": CONFIG_NAME, "vocab_file": VOCAB_NAME}
# A Hugging Face directory's config, and where its tokenizer records the casing.
HF_CONFIG_NAME = "config.json"
HF_TOKENIZER_CONFIG_NAME = "tokenizer_config.json"


@dataclasses.dataclass
class ModelSettings:
    """What a model directory records; None: not recorded.

    Attributes:
        bert_config_file: path of the config (the directory's bert_config.json once read).
        vocab_file: path of the vocabulary.
        do_lower_case: bool, the tokenizer's casing.
        max_seq_length: int, the sequence length the model was trained (or fine-tuned) at.
        model_type: one of bert_tf.models.MODEL_TYPES: the head the checkpoints hold.
        task_name: str, e.g. "sst2", "squad", "conll2003".
        label_list: list of str, the class or tag names in logit order.
        num_labels: int, outputs of the classifier or tagger head.
        task_options: dict, the task's own settings (SQuAD's SquadOptions, SWAG's num_choices).
        directory: where they were read from (not written).
    """

    bert_config_file: str | None = None
    vocab_file: str | None = None
    do_lower_case: bool | None = None
    max_seq_length: int | None = None
    model_type: str | None = None
    task_name: str | None = None
    label_list: list | None = None
    num_labels: int | None = None
    task_options: dict = dataclasses.field(default_factory=dict)
    directory: str | None = dataclasses.field(default=None, compare=False)

    def write(self, directory):
        """Writes the settings, the config and the vocab into `directory`, each atomically."""
        tf.io.gfile.makedirs(directory)
        values = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name == "directory" or value is None or value == {}:
                continue
            if field.name in _FILES:
                target = os.path.join(directory, _FILES[field.name])
                if field.name == "bert_config_file":  # also a shipped config's name
                    BertConfig.from_json_file(value).to_json_file(target)
                elif os.path.abspath(value) != os.path.abspath(target):
                    write_text_atomically(target, read_text(value))
                continue
            values[field.name] = list(value) if field.name == "label_list" else value
        write_text_atomically(
            os.path.join(directory, SETTINGS_NAME),
            json.dumps(values, indent=2, sort_keys=True) + "\n",
        )

    @classmethod
    def read(cls, directory):
        """The settings of a model directory, or None when it has no model_settings.json
        (nor is a Hugging Face model directory)."""
        path = os.path.join(directory, SETTINGS_NAME)
        if not tf.io.gfile.exists(path):
            return cls.read_huggingface(directory)
        try:
            values = json.loads(read_text(path))
        except json.JSONDecodeError as error:
            raise ConfigError(
                f"{path}: malformed JSON at line {error.lineno}: {error.msg}"
            ) from None
        known = {field.name for field in dataclasses.fields(cls)} - set(_FILES) - {"directory"}
        if not isinstance(values, dict) or set(values) - known:
            raise ConfigError(f"{path}: expected a JSON object with keys among {sorted(known)}")
        for name, file_name in _FILES.items():
            if tf.io.gfile.exists(os.path.join(directory, file_name)):
                values[name] = os.path.join(directory, file_name)
        return cls(**values, directory=directory)

    @classmethod
    def read_huggingface(cls, directory):
        """The settings of a Hugging Face model directory, or None when it has no config.json.

        Its config.json is the config (BertConfig reads its meanings), vocab.txt the vocab,
        and tokenizer_config.json's `do_lower_case` the casing; the rest is not recorded.
        """
        config_file = os.path.join(directory, HF_CONFIG_NAME)
        if not tf.io.gfile.exists(config_file):
            return None
        vocab_file = os.path.join(directory, VOCAB_NAME)
        return cls(
            bert_config_file=config_file,
            vocab_file=vocab_file if tf.io.gfile.exists(vocab_file) else None,
            do_lower_case=huggingface_casing(directory),
            directory=directory,
        )


def huggingface_casing(directory):
    """`do_lower_case` of the tokenizer_config.json in a Hugging Face directory, or None."""
    tokenizer_config = os.path.join(directory, HF_TOKENIZER_CONFIG_NAME)
    if not tf.io.gfile.exists(tokenizer_config):
        return None
    try:
        value = json.loads(read_text(tokenizer_config)).get("do_lower_case")
    except (json.JSONDecodeError, AttributeError):
        raise ConfigError(f"{tokenizer_config}: expected a JSON object") from None
    return value if isinstance(value, bool) else None


def model_directory(path):
    """The directory whose settings go with a checkpoint path: the path itself if it is a
    directory, else the folder of the prefix (`out/ckpt-30` -> `out`, `out/best/model.ckpt` ->
    `out/best`)."""
    return path if tf.io.gfile.isdir(path) else os.path.dirname(path)


def find_settings(path):
    """The ModelSettings recorded with the checkpoint or directory `path`, or None."""
    return ModelSettings.read(model_directory(path)) if path else None
