"""The absl scripts' flags, derived from the options dataclasses (bert_tf.options).

A flag that fills an options field takes the field's type, default, range (absl's
lower_bound/upper_bound, or a validator for an open bound), choices (an enum) and help: the
dataclass is the one place each is written. A script whose original differs (run_squad's
max_seq_length 384, run_swag's learning rate) passes its own default here, as the original's
scripts did. The names are google-research/bert's.

No TensorFlow at import: worker processes of create_pretraining_data re-import that script, and
this module with it; what reads model directories imports the library where it is called.
"""

import dataclasses

from absl import app, flags

from bert_tf.options import POSITIVE, Options

FLAGS = flags.FLAGS

_DEFINE_BY_TYPE = {
    str: flags.DEFINE_string,
    int: flags.DEFINE_integer,
    float: flags.DEFINE_float,
    bool: flags.DEFINE_bool,
}


def _is_options(field):
    return isinstance(field.type, type) and issubclass(field.type, Options)


def _define(field, default):
    help_text = field.metadata.get("help", "")
    choices, value_range = field.metadata.get("choices"), field.metadata.get("range")
    if choices is not None:
        flags.DEFINE_enum(field.name, default, list(choices), help_text)
        return
    bounds = {}
    if value_range is not None and not value_range.low_open:
        bounds = {"lower_bound": value_range.low, "upper_bound": value_range.high}
    elif value_range == POSITIVE and field.type is int:
        bounds = {"lower_bound": 1}
    _DEFINE_BY_TYPE[field.type](field.name, default, help_text, **bounds)
    if value_range is not None and not bounds:
        flags.register_validator(field.name, value_range.contains, value_range.describe())


def define_option_flags(options_class, names=None, skip=(), **defaults):
    """Defines a flag for each field of options_class (and of its nested options dataclasses).

    Args:
        options_class: the options dataclass the flags fill (see `options_from_flags`).
        names: optional collection of the field names to define (default: all).
        skip: field names to leave out (they keep the dataclass's default).
        **defaults: a script's own default for a field, replacing the dataclass's.

    A field without a default (and none given here) is a required flag.
    """
    for field in dataclasses.fields(options_class):
        if _is_options(field):
            define_option_flags(field.type, names, skip, **defaults)
            continue
        if field.name in skip or (names is not None and field.name not in names):
            continue
        default = defaults.get(field.name, field.default)
        if default is dataclasses.MISSING:
            _define(field, None)
            flags.mark_flag_as_required(field.name)
        else:
            _define(field, default)


def define_engine_flags(options_class, **defaults):
    """The flags of pretraining and fine-tuning, plus the original's aliases."""
    define_option_flags(options_class, **defaults)
    flags.DEFINE_alias("tpu_name", "tpu")
    flags.DEFINE_bool("use_tpu", False, "The original's flag: --distribution_strategy=tpu.")
    flags.DEFINE_alias("iterations_per_loop", "steps_per_loop")


def options_from_flags(options_class, **values):
    """An options dataclass from the parsed flags; `values` set fields that have no flag."""
    for field in dataclasses.fields(options_class):
        if _is_options(field):
            values[field.name] = options_from_flags(field.type)
        elif field.name in FLAGS and field.name not in values:
            values[field.name] = FLAGS[field.name].value
    if "distribution_strategy" in values and "use_tpu" in FLAGS and FLAGS.use_tpu:
        values["distribution_strategy"] = "tpu"
    return options_class(**values)


def define_override_flag():
    """--override_model_settings, for the scripts that read a model directory's settings."""
    flags.DEFINE_bool(
        "override_model_settings",
        False,
        "Let a flag that contradicts the settings recorded in --init_checkpoint's "
        "model directory win (e.g. export at another --max_seq_length, or rename "
        "the labels) instead of refusing it.",
    )


def _same(name, given, recorded):
    from bert_tf.config import BertConfig
    from bert_tf.file_io import read_text

    if name == "bert_config_file":
        return (
            BertConfig.from_json_file(given).to_dict()
            == BertConfig.from_json_file(recorded).to_dict()
        )
    if name == "vocab_file":
        return read_text(given).split() == read_text(recorded).split()
    if name == "label_list":
        return list(given) == list(recorded)
    return given == recorded


def settle(names):
    """Reads the model directory of --init_checkpoint for the flags `names`.

    A flag left out takes the recorded value; a flag given with another value is a
    UsageError naming both, unless --override_model_settings. Settings not recorded leave
    the flag as it is.

    Returns:
        the ModelSettings read, or None (no --init_checkpoint, or a directory without them).
    """
    from bert_tf.model_settings import find_settings

    settings = find_settings(FLAGS.init_checkpoint)
    if settings is None:
        return None
    recorded = {
        **settings.task_options,
        **{
            name: value
            for name, value in dataclasses.asdict(settings).items()
            if value is not None and name != "task_options"
        },
    }
    for name in names:
        if recorded.get(name) is None:
            continue
        flag, value = FLAGS[name], recorded[name]
        if not flag.present:
            flag.value = value
        elif not _same(name, flag.value, value) and not FLAGS.override_model_settings:
            shown = ",".join(flag.value) if name == "label_list" else flag.value
            was = ",".join(value) if name == "label_list" else value
            raise app.UsageError(
                f"--{name}={shown} contradicts the model directory {settings.directory}, "
                f"which records {name}={was}; leave the flag out, or pass "
                "--override_model_settings to use it anyway"
            )
    return settings


def require(*names):
    """A UsageError naming the first of `names` that is neither given nor recorded."""
    for name in names:
        if FLAGS[name].value is None:
            raise app.UsageError(
                f"--{name} is needed: give it, or an --init_checkpoint whose "
                "model directory records it"
            )


def define_finetuning_flags(**defaults):
    """The fine-tuning scripts' flags; `defaults` are a script's own (as in the original)."""
    from bert_tf.training.finetuning import FinetuningOptions

    define_engine_flags(FinetuningOptions, **defaults)
    define_override_flag()


def finetuning_options():
    """FinetuningOptions from the flags, the model files settled with --init_checkpoint's."""
    from bert_tf.training.finetuning import FinetuningOptions

    settle(("bert_config_file", "vocab_file", "do_lower_case"))
    require("bert_config_file", "vocab_file")
    return options_from_flags(FinetuningOptions)
