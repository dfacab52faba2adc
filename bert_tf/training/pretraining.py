"""Pretraining (masked LM + next sentence) on the original's TFRecords or on raw text (dynamic
masking), from flag values."""

import dataclasses
import functools
import os

import tensorflow as tf
from absl import logging

from bert_tf.config import BertConfig
from bert_tf.data_prep import documents, dynamic_masking, pretraining_data
from bert_tf.errors import ConfigError, InputError
from bert_tf.inputs import (
    IDS_OUT_OF_RANGE,
    find_damaged_record,
    find_ids_out_of_range,
    list_input_files,
    pretraining_dataset,
)
from bert_tf.losses import pretraining_losses
from bert_tf.model_settings import ModelSettings
from bert_tf.models.bert_encoder import BertEncoder
from bert_tf.models.bert_pretrainer import BertPretrainer
from bert_tf.options import NON_NEGATIVE, POSITIVE, option
from bert_tf.tokenization import load_vocab
from bert_tf.training.engine import RunOptions, create_trainer, start, write_eval_results
from bert_tf.training.evaluation import evaluate
from bert_tf.training.strategy import is_chief
from bert_tf.training.trainer import describe


@dataclasses.dataclass(kw_only=True)
class PretrainingOptions(RunOptions):
    """The flags of run_pretraining.py, with the original's defaults.

    `data` holds create_pretraining_data's options: the sequence lengths the records were made
    with, and with --input_format=text how examples are made anew every epoch (its seed is
    `seed` when given).
    """

    input_file: str = option(
        help_text="Input TFRecord file(s), or text files with "
        "--input_format=text: comma-separated glob patterns."
    )
    input_format: str = option(
        "tfrecord",
        "tfrecord: create_pretraining_data's records. text: one sentence per line, "
        "a blank line between documents, tokenized once and made into examples as "
        "create_pretraining_data does, with new pairs and masks every epoch (the "
        "corpus must fit in memory).",
        choices=("tfrecord", "text"),
    )
    num_train_steps: int = option(100000, "Number of updates.", POSITIVE)
    num_warmup_steps: int = option(10000, "Linear warmup steps.", NON_NEGATIVE)
    max_eval_steps: int = option(100, "Maximum number of eval batches.", POSITIVE)
    data: pretraining_data.Options = dataclasses.field(default_factory=pretraining_data.Options)

    def __post_init__(self):
        super().__post_init__()
        if self.num_warmup_steps > self.num_train_steps:
            raise ConfigError(
                f"num_warmup_steps={self.num_warmup_steps} exceeds "
                f"num_train_steps={self.num_train_steps}"
            )


def _dataset_fn(options, config):
    """dataset_fn(is_training, batch_size, input_context) over --input_file in its format."""
    if options.input_format == "tfrecord":
        return lambda is_training, batch_size, input_context: pretraining_dataset(
            options.input_file,
            options.data.max_seq_length,
            options.data.max_predictions_per_seq,
            batch_size,
            is_training,
            input_context,
            seed=options.seed,
            vocab_size=config.vocab_size,
        )
    if options.input_format != "text":
        raise ConfigError(f"input_format must be tfrecord or text, not {options.input_format!r}")
    if not options.data.vocab_file:
        raise ConfigError("input_format=text needs vocab_file")
    text_options = options.data
    if options.seed is not None:
        text_options = dataclasses.replace(text_options, random_seed=options.seed)
    files = list_input_files(options.input_file)
    for path in files:
        if _holds_records(path):
            raise InputError(
                f"{path}: a TFRecord file, not text (records take input_format=tfrecord)"
            )
    documents.check_text_files(files)
    config.check_vocab_size(
        len(load_vocab(text_options.vocab_file)), text_options.vocab_file, options.bert_config_file
    )
    return lambda is_training, batch_size, input_context: dynamic_masking.dynamic_masking_dataset(
        files, text_options, batch_size, is_training, input_context
    )


def _holds_records(path):
    """Whether the file starts with a TFRecord whose checksums hold (text never does)."""
    try:
        return any(True for _ in tf.data.TFRecordDataset(path).take(1))
    except tf.errors.DataLossError:
        return False


def run_pretraining(options):
    """Trains and/or evaluates a BertPretrainer; returns the eval results (or {}).

    Raises:
        ConfigError when the config cannot hold max_seq_length positions.
        InputError (bert_tf.errors) for missing or mismatched input files.
    """
    if not options.do_train and not options.do_eval:
        raise ConfigError("At least one of do_train or do_eval must be True.")
    if (
        not options.do_train
        and not options.init_checkpoint
        and tf.train.get_checkpoint_state(options.output_dir) is None
    ):
        # Else the eval would score random weights, as if they were a model, at step 0.
        raise ConfigError(
            f"do_eval without do_train evaluates a trained model, but output_dir "
            f"{options.output_dir} holds no checkpoint and no init_checkpoint is "
            "given"
        )
    config = BertConfig.from_json_file(options.bert_config_file)
    config.check_max_seq_length(options.data.max_seq_length, options.bert_config_file)
    dataset_fn = _dataset_fn(options, config)
    strategy = start(options)
    with strategy.scope():
        model = BertPretrainer(BertEncoder(config))
    trainer = create_trainer(
        options,
        strategy,
        model,
        pretraining_losses,
        options.train_batch_size,
        options.num_train_steps,
        options.num_warmup_steps,
        options.init_checkpoint,
    )

    if options.do_train and is_chief(strategy):
        data = options.data
        ModelSettings(
            bert_config_file=options.bert_config_file,
            vocab_file=data.vocab_file,
            do_lower_case=data.do_lower_case if data.vocab_file else None,
            max_seq_length=data.max_seq_length,
            model_type="pretrainer",
        ).write(options.output_dir)
    try:
        if options.do_train:
            trainer.train(functools.partial(dataset_fn, True), options.num_train_steps)
        if not options.do_eval:
            return {}
        results = evaluate(
            strategy,
            model,
            functools.partial(dataset_fn, False),
            pretraining_losses,
            options.eval_batch_size,
            max_steps=options.max_eval_steps,
        )
    except tf.errors.DataLossError as error:  # tf.data's message names no file
        damaged = (
            find_damaged_record(list_input_files(options.input_file))
            if options.input_format == "tfrecord"
            else None
        )
        if damaged:
            raise damaged from error
        raise
    except tf.errors.InvalidArgumentError as error:  # the records' check of their ids
        out_of_range = (
            find_ids_out_of_range(list_input_files(options.input_file), config.vocab_size)
            if IDS_OUT_OF_RANGE in error.message
            else None
        )
        if out_of_range:
            raise out_of_range from error
        raise
    results["global_step"] = int(trainer.global_step.numpy())
    logging.info("Eval results: %s", describe(results))
    if is_chief(strategy):
        write_eval_results(os.path.join(options.output_dir, "eval_results.txt"), results)
    return results
