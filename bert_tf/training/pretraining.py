"""Pretraining (masked LM + next sentence) on the original's TFRecords, from flag values."""

import dataclasses
import functools
import os

from absl import logging

from bert_tf.config import BertConfig
from bert_tf.inputs import pretraining_dataset
from bert_tf.losses import pretraining_losses
from bert_tf.models.bert_encoder import BertEncoder
from bert_tf.models.bert_pretrainer import BertPretrainer
from bert_tf.training.engine import EngineOptions, create_trainer, start, write_eval_results
from bert_tf.training.evaluation import evaluate
from bert_tf.training.strategy import is_chief


@dataclasses.dataclass(kw_only=True)
class PretrainingOptions(EngineOptions):
    """The flags of run_pretraining.py, with the original's defaults."""
    bert_config_file: str
    input_file: str
    init_checkpoint: str = ""
    max_seq_length: int = 128
    max_predictions_per_seq: int = 20
    do_train: bool = False
    do_eval: bool = False
    train_batch_size: int = 32
    eval_batch_size: int = 8
    num_train_steps: int = 100000
    num_warmup_steps: int = 10000
    max_eval_steps: int = 100


def run_pretraining(options):
    """Trains and/or evaluates a BertPretrainer; returns the eval results (or {}).

    Raises:
        ConfigError when the config cannot hold max_seq_length positions.
        bert_tf.inputs.InputError for missing or mismatched input files.
    """
    if not options.do_train and not options.do_eval:
        raise ValueError("At least one of --do_train or --do_eval must be True.")
    config = BertConfig.from_json_file(options.bert_config_file)
    config.check_max_seq_length(options.max_seq_length, options.bert_config_file)
    strategy = start(options)
    with strategy.scope():
        model = BertPretrainer(BertEncoder(config))
    trainer = create_trainer(options, strategy, model, pretraining_losses,
                             options.train_batch_size, options.num_train_steps,
                             options.num_warmup_steps, options.init_checkpoint or None)

    def dataset_fn(is_training, batch_size, input_context):
        return pretraining_dataset(options.input_file, options.max_seq_length,
                                   options.max_predictions_per_seq, batch_size, is_training,
                                   input_context, seed=options.seed)

    if options.do_train:
        trainer.train(functools.partial(dataset_fn, True), options.num_train_steps)
    if not options.do_eval:
        return {}
    results = evaluate(strategy, model, functools.partial(dataset_fn, False), pretraining_losses,
                       options.eval_batch_size, max_steps=options.max_eval_steps)
    results["global_step"] = int(trainer.global_step.numpy())
    logging.info("***** Eval results *****\n%s",
                 "\n".join(f"  {k} = {v}" for k, v in sorted(results.items())))
    if is_chief(strategy):
        write_eval_results(os.path.join(options.output_dir, "eval_results.txt"), results)
    return results
