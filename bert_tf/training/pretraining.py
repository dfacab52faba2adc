"""Pretraining (masked LM + next sentence) on the original's TFRecords, from flag values."""

import dataclasses
import functools
import os

import keras
import tensorflow as tf
from absl import logging

from bert_tf.config import BertConfig, ConfigError
from bert_tf.inputs import pretraining_dataset
from bert_tf.losses import pretraining_losses
from bert_tf.models.bert_encoder import BertEncoder
from bert_tf.models.bert_pretrainer import BertPretrainer
from bert_tf.optimization import create_optimizer
from bert_tf.training.evaluation import evaluate
from bert_tf.training.strategy import get_strategy, is_chief, set_precision
from bert_tf.training.trainer import Trainer

@dataclasses.dataclass
class PretrainingOptions:
    """The flags of run_pretraining.py, with the original's defaults."""
    bert_config_file: str
    input_file: str
    output_dir: str
    init_checkpoint: str = ""
    max_seq_length: int = 128
    max_predictions_per_seq: int = 20
    do_train: bool = False
    do_eval: bool = False
    train_batch_size: int = 32
    eval_batch_size: int = 8
    learning_rate: float = 5e-5
    num_train_steps: int = 100000
    num_warmup_steps: int = 10000
    save_checkpoints_steps: int = 1000
    steps_per_loop: int = 1000
    max_eval_steps: int = 100
    distribution_strategy: str = "one_device"
    num_gpus: int = 0
    tpu: str = ""
    dtype: str = "float32"
    enable_xla: bool = False
    optimizer: str = "adamw"
    adam_bias_correction: bool = False
    gradient_accumulation_steps: int = 1
    log_steps: int = 100
    keep_checkpoint_max: int = 5
    seed: int = None


def write_eval_results(path, results):
    """Writes `key = value` lines, keys sorted, atomically, as the original's eval_results.txt."""
    tmp = f"{path}.tmp"
    with tf.io.gfile.GFile(tmp, "w") as writer:
        for key in sorted(results):
            writer.write(f"{key} = {results[key]}\n")
    tf.io.gfile.rename(tmp, path, overwrite=True)


def run_pretraining(options):
    """Trains and/or evaluates a BertPretrainer; returns the eval results (or {}).

    Raises:
        ConfigError when the config cannot hold max_seq_length positions.
        bert_tf.inputs.InputError for missing or mismatched input files.
    """
    if not options.do_train and not options.do_eval:
        raise ValueError("At least one of --do_train or --do_eval must be True.")
    config = BertConfig.from_json_file(options.bert_config_file)
    if options.max_seq_length > config.max_position_embeddings:
        raise ConfigError(
            f"--max_seq_length={options.max_seq_length} is longer than max_position_embeddings="
            f"{config.max_position_embeddings} of {options.bert_config_file}")
    if options.seed is not None:
        keras.utils.set_random_seed(options.seed)
    set_precision(options.dtype)
    strategy = get_strategy(options.distribution_strategy, options.num_gpus, options.tpu)
    tf.io.gfile.makedirs(options.output_dir)
    with strategy.scope():
        model = BertPretrainer(BertEncoder(config))
        optimizer = create_optimizer(options.optimizer, options.learning_rate,
                                     options.num_train_steps, options.num_warmup_steps,
                                     adam_bias_correction=options.adam_bias_correction)
        if options.dtype == "mixed_float16":
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    trainer = Trainer(
        strategy, model, optimizer, pretraining_losses, options.output_dir,
        global_batch_size=options.train_batch_size,
        gradient_accumulation_steps=options.gradient_accumulation_steps,
        steps_per_loop=options.steps_per_loop, log_steps=options.log_steps,
        save_checkpoints_steps=options.save_checkpoints_steps,
        keep_checkpoint_max=options.keep_checkpoint_max, enable_xla=options.enable_xla,
        init_checkpoint=options.init_checkpoint or None)

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
