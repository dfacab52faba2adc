"""BertConfig: the original `bert_config.json`, read, validated and written."""

import dataclasses
import json
import os

from bert_tf.errors import ConfigError
from bert_tf.file_io import read_text, write_text_atomically

# The shipped configs: official_configs/ beside the package in a checkout, inside it once
# installed (pyproject.toml maps the folder to bert_tf/official_configs).
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
OFFICIAL_CONFIG_DIRS = (
    os.path.join(_PACKAGE_DIR, "official_configs"),
    os.path.join(os.path.dirname(_PACKAGE_DIR), "official_configs"),
)

HIDDEN_ACTIVATIONS = ("gelu", "gelu_exact", "gelu_new", "relu")
# A Hugging Face config.json says which library wrote it ("model_type": "bert"); the original
# bert_config.json and ours never have the key. HF's "gelu" is the erf form; its "gelu_new"
# and "gelu_pytorch_tanh" are the tanh form (the original's "gelu").
HUGGINGFACE_KEY = "model_type"
HUGGINGFACE_ACTIVATIONS = {
    "gelu": "gelu_exact",
    "gelu_new": "gelu_new",
    "gelu_pytorch_tanh": "gelu_new",
    "relu": "relu",
}


@dataclasses.dataclass
class BertConfig:
    """The hyperparameters of a BERT model, with the original field names.

    Args:
        vocab_size: int, rows of the word-embedding matrix.
        hidden_size: int, width of every encoder layer.
        num_hidden_layers: int, number of transformer blocks.
        num_attention_heads: int, heads per attention layer; divides hidden_size.
        intermediate_size: int, width of the feed-forward inner layer.
        hidden_act: one of HIDDEN_ACTIVATIONS. "gelu" is the tanh approximation
            of the original code (equal to "gelu_new"); "gelu_exact" is the erf form.
        hidden_dropout_prob: float in [0, 1), dropout on embeddings and sublayer outputs.
        attention_probs_dropout_prob: float in [0, 1), dropout on attention weights.
        max_position_embeddings: int, the longest sequence the model accepts.
        type_vocab_size: int, number of segment ids.
        initializer_range: float, stddev of the truncated-normal initializer.
    """

    vocab_size: int
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 16
    initializer_range: float = 0.02

    def __post_init__(self):
        self.validate()

    def validate(self, source="config"):
        """Raises ConfigError naming `source` and the first bad field."""

        def fail(field, why):
            raise ConfigError(f"{source}: field '{field}' {why}")

        for field in (
            "vocab_size",
            "hidden_size",
            "num_hidden_layers",
            "num_attention_heads",
            "intermediate_size",
            "max_position_embeddings",
            "type_vocab_size",
        ):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int):
                fail(field, f"must be an integer, got {value!r}")
            if value <= 0:
                fail(field, f"must be positive, got {value}")
        if self.hidden_size % self.num_attention_heads:
            fail(
                "hidden_size",
                f"({self.hidden_size}) is not divisible by "
                f"num_attention_heads ({self.num_attention_heads})",
            )
        if self.hidden_act not in HIDDEN_ACTIVATIONS:
            fail("hidden_act", f"is {self.hidden_act!r}; expected one of {HIDDEN_ACTIVATIONS}")
        for field in ("hidden_dropout_prob", "attention_probs_dropout_prob"):
            value = getattr(self, field)
            if not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
                fail(field, f"must be a number in [0, 1), got {value!r}")
        if not isinstance(self.initializer_range, (int, float)) or self.initializer_range <= 0:
            fail("initializer_range", f"must be a positive number, got {self.initializer_range!r}")

    def check_max_seq_length(self, max_seq_length, source="config"):
        """Raises ConfigError when sequences of max_seq_length do not fit the position table."""
        if max_seq_length > self.max_position_embeddings:
            raise ConfigError(
                f"max_seq_length={max_seq_length} is longer than "
                f"max_position_embeddings={self.max_position_embeddings} of {source}"
            )

    def check_vocab_size(self, num_tokens, vocab_file, source="config"):
        """Raises ConfigError when a vocab has ids past the embedding table (vocab_size rows)."""
        if num_tokens > self.vocab_size:
            raise ConfigError(
                f"{vocab_file} has {num_tokens} tokens, more than "
                f"vocab_size={self.vocab_size} of {source}"
            )

    @property
    def head_size(self):
        return self.hidden_size // self.num_attention_heads

    @classmethod
    def from_dict(cls, values, source="config"):
        """Builds a config from a dict in the bert_config.json layout, or a Hugging Face one.

        Keys outside the original fields are ignored. A Hugging Face BERT `config.json`
        (it has `model_type`) is read with its own meanings: `hidden_act` "gelu" is the erf
        form ("gelu_exact" here), and settings our model does not have are refused.
        """
        if not isinstance(values, dict):
            raise ConfigError(f"{source}: expected a JSON object, got {type(values).__name__}")
        if HUGGINGFACE_KEY in values:
            values = _from_huggingface(values, source)
        kwargs = {}
        for field in dataclasses.fields(cls):
            if field.name not in values:
                raise ConfigError(f"{source}: missing field '{field.name}'")
            kwargs[field.name] = values[field.name]
        config = cls.__new__(cls)
        for name, value in kwargs.items():
            setattr(config, name, value)
        config.validate(source)
        return config

    @classmethod
    def from_json_file(cls, path):
        """Reads a bert_config.json; errors name the file and the field.

        A path that is no file but the name of a shipped config (`bert_base_uncased`, the
        file names of official_configs/ without `.json`) reads that config.
        """
        path = resolve_config_path(path)
        try:
            values = json.loads(read_text(path))
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such config file") from None
        except json.JSONDecodeError as e:
            raise ConfigError(
                f"{path}: malformed JSON at line {e.lineno} column {e.colno}: {e.msg}"
            ) from None
        return cls.from_dict(values, source=path)

    def to_dict(self):
        return dataclasses.asdict(self)

    def to_json_string(self):
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    def to_json_file(self, path):
        """Writes the config atomically (temp file in the same folder, then rename)."""
        write_text_atomically(path, self.to_json_string())


def _from_huggingface(values, source):
    """The values of a Hugging Face BERT config.json with the original field meanings."""
    act = values.get("hidden_act")
    if act not in HUGGINGFACE_ACTIVATIONS:
        raise ConfigError(
            f"{source}: field 'hidden_act' is {act!r}; expected one of "
            f"{sorted(HUGGINGFACE_ACTIVATIONS)}"
        )
    # Our LayerNorms use the original epsilon and absolute positions; others would change outputs.
    if values.get("layer_norm_eps", 1e-12) != 1e-12:
        raise ConfigError(
            f"{source}: field 'layer_norm_eps' is {values['layer_norm_eps']}; "
            "only 1e-12 (the original BERT) is supported"
        )
    if values.get("position_embedding_type", "absolute") != "absolute":
        raise ConfigError(
            f"{source}: field 'position_embedding_type' is "
            f"{values['position_embedding_type']!r}; only 'absolute' is supported"
        )
    return {**values, "hidden_act": HUGGINGFACE_ACTIVATIONS[act]}


def resolve_config_path(path):
    """`path` itself, or the shipped config of that name when no such file exists."""
    if os.path.exists(path) or os.sep in path:
        return path
    for directory in OFFICIAL_CONFIG_DIRS:
        shipped = os.path.join(directory, path if path.endswith(".json") else path + ".json")
        if os.path.isfile(shipped):
            return shipped
    return path
