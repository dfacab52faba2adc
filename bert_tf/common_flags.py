"""Flags the absl scripts share, with google-research/bert's names.

Every flag that fills an options dataclass (EngineOptions, PretrainingOptions,
FinetuningOptions) takes its type and default from the dataclass field: the dataclass is the
one place a default is written. A script whose original differs (run_squad's max_seq_length
384, run_swag's learning rate) passes its own default here, as the original's scripts did.
"""

import dataclasses

from absl import flags

FLAGS = flags.FLAGS

_DEFINE_BY_TYPE = {str: flags.DEFINE_string, int: flags.DEFINE_integer,
                   float: flags.DEFINE_float, bool: flags.DEFINE_bool}

ENGINE_HELP = {
    "output_dir": "Where checkpoints, TensorBoard logs, eval_results.txt and predictions go; a "
                  "run resumes from the latest checkpoint found here.",
    "learning_rate": "Peak learning rate.",
    "save_checkpoints_steps": "Updates between checkpoints (and dev evaluations when "
                              "fine-tuning with --do_eval).",
    "distribution_strategy": "tf.distribute strategy; multi_worker_mirrored reads the cluster "
                             "from TF_CONFIG.",
    "num_gpus": "GPUs to use (0: CPU for one_device, all for mirrored).",
    "tpu": "TPU name or address for --distribution_strategy=tpu.",
    "dtype": "Compute precision; mixed_float16 adds dynamic loss scaling.",
    "enable_xla": "Compile the forward and backward pass with XLA, on the first step "
                  "(--noenable_xla: TensorFlow's graph executor, op by op).",
    "optimizer": "AdamW (weight decay 0.01, not on LayerNorm/bias) or LAMB (Keras' Lamb: decay "
                 "outside the trust ratio); both with linear warmup then linear decay to 0 and "
                 "global-norm clipping at 1.0.",
    "adam_bias_correction": "Use Adam bias correction (Keras/Model Garden); the original AdamW "
                            "has none.",
    "gradient_accumulation_steps": "Micro-batches per update; the batch-size flags stay the "
                                   "whole update's batch.",
    "steps_per_loop": "Updates per call of the compiled training loop.",
    "log_steps": "Updates between progress logs and TensorBoard scalars.",
    "keep_checkpoint_max": "Checkpoints kept.",
    "seed": "Random seed for weights, dropout and shuffling.",
}
RUN_HELP = {
    "bert_config_file": "bert_config.json of the model.",
    "init_checkpoint": "Pretrained weights, read when output_dir has no checkpoint: a bert_tf "
                       "checkpoint (prefix or directory), a Google TF1 bert_model.ckpt prefix, or "
                       "a Hugging Face directory / weights file.",
    "max_seq_length": "Tokens per sequence after WordPiece, [CLS] and [SEP]s included.",
    "do_train": "Whether to train.",
    "do_eval": "Whether to evaluate and write eval_results.txt.",
    "train_batch_size": "Global training batch size (all replicas).",
    "eval_batch_size": "Global evaluation batch size.",
}
FINETUNING_HELP = {
    "init_checkpoint": RUN_HELP["init_checkpoint"] + " The encoder loads; the task head starts "
                       "fresh.",
    "do_eval": "Whether to evaluate the final model on the dev set and write eval_results.txt.",
    "eval_during_training": "With --do_train --do_eval, also score the dev set at every "
                            "checkpoint (TensorBoard eval curves) and keep the best model by the "
                            "task's metric in output_dir/best/.",
    "do_predict": "Whether to write predictions for the test set.",
    "predict_batch_size": "Global prediction batch size.",
    "num_train_epochs": "Epochs over the training examples.",
    "warmup_proportion": "Fraction of the training steps with linear learning-rate warmup.",
}
ENUMS = {
    "distribution_strategy": ["one_device", "mirrored", "multi_worker_mirrored", "tpu"],
    "dtype": ["float32", "mixed_float16", "mixed_bfloat16"],
    "optimizer": ["adamw", "lamb"],
    "input_format": ["tfrecord", "text"],
}
# What a numeric flag accepts, checked when the flags are parsed: a bad value stops the
# script before any work with one line naming the flag and the value.
_POSITIVE = ("learning_rate", "save_checkpoints_steps", "steps_per_loop", "log_steps",
             "keep_checkpoint_max", "gradient_accumulation_steps", "max_seq_length",
             "train_batch_size", "eval_batch_size", "predict_batch_size", "num_train_epochs",
             "num_train_steps", "max_eval_steps", "max_predictions_per_seq", "dupe_factor",
             "num_workers", "vocab_size", "batch_size", "doc_stride", "max_query_length",
             "max_answer_length", "n_best_size", "num_labels", "num_choices", "top_k")
_FRACTION = ("warmup_proportion", "masked_lm_prob", "short_seq_prob")
LIMITS = {
    **{name: (lambda value: value is None or value > 0, "must be positive")
       for name in _POSITIVE},
    **{name: (lambda value: 0 <= value <= 1, "must be in [0, 1]") for name in _FRACTION},
    "num_warmup_steps": (lambda value: value >= 0, "must be 0 or more"),
    "num_unused": (lambda value: value >= 0, "must be 0 or more"),
    "num_gpus": (lambda value: value >= 0, "must be 0 or more"),
}


def check_limits():
    """Registers LIMITS' check for every defined flag it names (call after defining them)."""
    for name, (is_valid, message) in LIMITS.items():
        if name in FLAGS:
            flags.register_validator(name, is_valid, message)
    if "num_warmup_steps" in FLAGS and "num_train_steps" in FLAGS:
        flags.register_multi_flags_validator(
            ["num_warmup_steps", "num_train_steps"],
            lambda values: values["num_warmup_steps"] <= values["num_train_steps"],
            "--num_warmup_steps must not exceed --num_train_steps")


def define_option_flags(options_class, help_texts, **defaults):
    """Defines a flag for each field of options_class named in help_texts.

    Args:
        options_class: the options dataclass the flags fill (see `options_from_flags`).
        help_texts: dict from field name to the flag's help.
        **defaults: a script's own default for a field, replacing the dataclass's.

    A field without a default is a required flag; ENUMS lists the allowed values of the
    fields that have a fixed set.
    """
    fields = {field.name: field for field in dataclasses.fields(options_class)}
    required = []
    for name, help_text in help_texts.items():
        default = defaults.get(name, fields[name].default)
        if default is dataclasses.MISSING:
            default = None
            required.append(name)
        if name in ENUMS:
            flags.DEFINE_enum(name, default, ENUMS[name], help_text)
        else:
            _DEFINE_BY_TYPE[fields[name].type](name, default, help_text)
    flags.mark_flags_as_required(required)


def define_engine_flags(options_class, help_texts, **defaults):
    """The engine and run flags of pretraining and fine-tuning, plus the original's aliases."""
    define_option_flags(options_class, {**ENGINE_HELP, **RUN_HELP, **help_texts}, **defaults)
    flags.DEFINE_alias("tpu_name", "tpu")
    flags.DEFINE_bool("use_tpu", False, "The original's flag: --distribution_strategy=tpu.")
    flags.DEFINE_alias("iterations_per_loop", "steps_per_loop")


def define_finetuning_flags(**defaults):
    """The original fine-tuning flags; `defaults` are a script's own (as in the original)."""
    from bert_tf.training.finetuning import FinetuningOptions  # pylint: disable=import-outside-toplevel

    flags.DEFINE_string("vocab_file", None, "The vocabulary file the model was trained on.")
    flags.DEFINE_bool("do_lower_case", True, "Lower-case and strip accents (uncased models).")
    flags.mark_flag_as_required("vocab_file")
    define_engine_flags(FinetuningOptions, FINETUNING_HELP, **defaults)


def options_from_flags(options_class):
    """An options dataclass (PretrainingOptions, FinetuningOptions) from the parsed flags."""
    values = {field.name: FLAGS[field.name].value for field in dataclasses.fields(options_class)}
    if FLAGS.use_tpu:
        values["distribution_strategy"] = "tpu"
    return options_class(**values)


def finetuning_options():
    from bert_tf.training.finetuning import FinetuningOptions  # pylint: disable=import-outside-toplevel

    return options_from_flags(FinetuningOptions)
