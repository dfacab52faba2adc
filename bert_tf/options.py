"""Options dataclasses whose fields state their default, range, choices and help once.

The library takes these dataclasses (EngineOptions, FinetuningOptions, PretrainingOptions,
SquadOptions, data_prep's Options, ...); `bert_tf.common_flags` derives the scripts' flags from
their fields (absl's lower_bound/upper_bound and enums), so each is written in one place:
a field reads `name: type = option(default, help_text, value_range, choices)` (see SquadOptions
in bert_tf/tasks/squad.py).

No TensorFlow here: data-prep workers import it.
"""

import dataclasses

from bert_tf.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class Range:
    """The values a numeric option accepts: [low, high], or (low, high] when low_open."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False

    def contains(self, value):
        if value is None:  # an unset optional value (e.g. --seed)
            return True
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or value <= self.high

    def describe(self):
        if self == POSITIVE:
            return "must be positive"
        if self.high is None:
            return f"must be {self.low} or more"
        return f"must be in [{self.low}, {self.high}]"


POSITIVE = Range(0, low_open=True)
NON_NEGATIVE = Range(0)
FRACTION = Range(0, 1)


def option(default=dataclasses.MISSING, help_text="", value_range=None, choices=None):
    """A dataclass field with its help, range (a Range) and choices; no default: required."""
    return dataclasses.field(
        default=default, metadata={"help": help_text, "range": value_range, "choices": choices}
    )


@dataclasses.dataclass
class Options:
    """Base of the options dataclasses: a value outside its field's range or choices is a
    ConfigError naming the option (the flags check the same before a script starts)."""

    def __post_init__(self):
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            value_range, choices = field.metadata.get("range"), field.metadata.get("choices")
            if value_range is not None and not value_range.contains(value):
                raise ConfigError(f"{field.name}={value!r}: {value_range.describe()}")
            if choices is not None and value not in choices:
                raise ConfigError(f"{field.name}={value!r}: expected one of {', '.join(choices)}")


@dataclasses.dataclass(kw_only=True)
class TextOptions(Options):
    """How text becomes model inputs: the tokenizer's settings and the sequence length; data
    prep, fine-tuning, export and feature extraction share them (a model directory records
    them, see bert_tf.model_settings)."""

    vocab_file: str = option(
        None,
        "The WordPiece vocabulary file the model was trained with; "
        "default: the one in --init_checkpoint's model directory.",
    )
    do_lower_case: bool = option(True, "Lower-case and strip accents (uncased models).")
    max_seq_length: int = option(
        128, "Tokens per sequence after WordPiece, [CLS] and [SEP]s included.", POSITIVE
    )
