"""Pretraining (masked LM + next sentence) on the original's TFRecords or on raw text (dynamic
masking), from flag values."""

import dataclasses
import functools
import os

import tensorflow as tf
from absl import logging

from bert_tf.checkpoints import resume_or_initialize
from bert_tf.config import BertConfig
from bert_tf.errors import ConfigError
from bert_tf.inputs import find_damaged_record, list_input_files, pretraining_dataset
from bert_tf.losses import pretraining_losses
from bert_tf.tokenization import load_vocab
from bert_tf.models.bert_encoder import BertEncoder
from bert_tf.models.bert_pretrainer import BertPretrainer
from bert_tf.training.engine import RunOptions, create_trainer, start, write_eval_results
from bert_tf.training.evaluation import evaluate
from bert_tf.training.strategy import is_chief
from bert_tf.training.trainer import describe


@dataclasses.dataclass(kw_only=True)
class PretrainingOptions(RunOptions):
    """The flags of run_pretraining.py, with the original's defaults."""
    input_file: str
    max_predictions_per_seq: int = 20
    num_train_steps: int = 100000
    num_warmup_steps: int = 10000
    max_eval_steps: int = 100
    # --input_format=text: create_pretraining_data's options, applied anew every epoch.
    input_format: str = "tfrecord"
    vocab_file: str = ""
    do_lower_case: bool = True
    do_whole_word_mask: bool = False
    masked_lm_prob: float = 0.15
    short_seq_prob: float = 0.1

    def text_options(self):
        """data_prep's Options for --input_format=text (the seed: --seed, else data_prep's)."""
        from data_prep import pretraining_data  # pylint: disable=import-outside-toplevel

        seed = {} if self.seed is None else {"random_seed": self.seed}
        return pretraining_data.Options(
            vocab_file=self.vocab_file, do_lower_case=self.do_lower_case,
            do_whole_word_mask=self.do_whole_word_mask, max_seq_length=self.max_seq_length,
            max_predictions_per_seq=self.max_predictions_per_seq,
            masked_lm_prob=self.masked_lm_prob, short_seq_prob=self.short_seq_prob, **seed)


def _dataset_fn(options, config):
    """dataset_fn(is_training, batch_size, input_context) over --input_file in its format."""
    if options.input_format == "tfrecord":
        return lambda is_training, batch_size, input_context: pretraining_dataset(
            options.input_file, options.max_seq_length, options.max_predictions_per_seq,
            batch_size, is_training, input_context, seed=options.seed)
    if options.input_format != "text":
        raise ConfigError(f"input_format must be tfrecord or text, not {options.input_format!r}")
    if not options.vocab_file:
        raise ConfigError("input_format=text needs vocab_file")
    from data_prep import dynamic_masking  # pylint: disable=import-outside-toplevel

    text_options = options.text_options()
    files = list_input_files(options.input_file)
    config.check_vocab_size(len(load_vocab(options.vocab_file)), options.vocab_file,
                            options.bert_config_file)
    return lambda is_training, batch_size, input_context: dynamic_masking.dynamic_masking_dataset(
        files, text_options, batch_size, is_training, input_context)


def run_pretraining(options):
    """Trains and/or evaluates a BertPretrainer; returns the eval results (or {}).

    Raises:
        ConfigError when the config cannot hold max_seq_length positions.
        InputError (bert_tf.errors) for missing or mismatched input files.
    """
    if not options.do_train and not options.do_eval:
        raise ConfigError("At least one of do_train or do_eval must be True.")
    config = BertConfig.from_json_file(options.bert_config_file)
    config.check_max_seq_length(options.max_seq_length, options.bert_config_file)
    dataset_fn = _dataset_fn(options, config)
    strategy = start(options)
    with strategy.scope():
        model = BertPretrainer(BertEncoder(config))
    resume_from = resume_or_initialize(model, options.output_dir, options.init_checkpoint)
    trainer = create_trainer(options, strategy, model, pretraining_losses,
                             options.train_batch_size, options.num_train_steps,
                             options.num_warmup_steps, resume_from)

    try:
        if options.do_train:
            trainer.train(functools.partial(dataset_fn, True), options.num_train_steps)
        if not options.do_eval:
            return {}
        results = evaluate(strategy, model, functools.partial(dataset_fn, False),
                           pretraining_losses, options.eval_batch_size,
                           max_steps=options.max_eval_steps)
    except tf.errors.DataLossError as error:  # tf.data's message names no file
        damaged = (find_damaged_record(list_input_files(options.input_file))
                   if options.input_format == "tfrecord" else None)
        if damaged:
            raise damaged from error
        raise
    results["global_step"] = int(trainer.global_step.numpy())
    logging.info("Eval results: %s", describe(results))
    if is_chief(strategy):
        write_eval_results(os.path.join(options.output_dir, "eval_results.txt"), results)
    return results
