"""What pretraining and fine-tuning share: the engine options and building a Trainer from them."""

import dataclasses

import keras
import tensorflow as tf

from bert_tf.file_io import write_text_atomically
from bert_tf.optimization import create_optimizer
from bert_tf.training.strategy import get_strategy, set_precision
from bert_tf.training.trainer import Trainer


@dataclasses.dataclass(kw_only=True)
class EngineOptions:
    """The training-engine flags (see `bert_tf.common_flags.define_engine_flags`)."""
    output_dir: str
    learning_rate: float = 5e-5
    save_checkpoints_steps: int = 1000
    steps_per_loop: int = 1000
    log_steps: int = 100
    keep_checkpoint_max: int = 5
    distribution_strategy: str = "one_device"
    num_gpus: int = 0
    tpu: str = ""
    dtype: str = "float32"
    enable_xla: bool = True
    optimizer: str = "adamw"
    adam_bias_correction: bool = False
    gradient_accumulation_steps: int = 1
    seed: int = None


@dataclasses.dataclass(kw_only=True)
class RunOptions(EngineOptions):
    """What pretraining and fine-tuning runs have beside the engine: model, data and phases."""
    bert_config_file: str
    init_checkpoint: str = ""
    max_seq_length: int = 128
    do_train: bool = False
    do_eval: bool = False
    train_batch_size: int = 32
    eval_batch_size: int = 8


def start(options):
    """Seeds, sets the precision policy and returns the strategy; call before building models."""
    if options.seed is not None:
        keras.utils.set_random_seed(options.seed)
    set_precision(options.dtype)
    tf.io.gfile.makedirs(options.output_dir)
    return get_strategy(options.distribution_strategy, options.num_gpus, options.tpu)


def create_trainer(options, strategy, model, loss_fn, global_batch_size, num_train_steps,
                   num_warmup_steps, resume_from=None, steps_per_loop=None):
    """A Trainer for `model` with the optimizer and schedule the options name.

    Args:
        options: EngineOptions.
        strategy: the strategy `start` returned; `model` was built in its scope.
        model, loss_fn: as for Trainer.
        global_batch_size: int, examples per update.
        num_train_steps, num_warmup_steps: int, the learning-rate schedule.
        resume_from: optional str, the checkpoint of output_dir to continue from.
        steps_per_loop: optional int overriding options.steps_per_loop.
    """
    with strategy.scope():
        optimizer = create_optimizer(options.optimizer, options.learning_rate, num_train_steps,
                                     num_warmup_steps,
                                     adam_bias_correction=options.adam_bias_correction)
        if options.dtype == "mixed_float16":
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return Trainer(
        strategy, model, optimizer, loss_fn, options.output_dir,
        global_batch_size=global_batch_size,
        gradient_accumulation_steps=options.gradient_accumulation_steps,
        steps_per_loop=steps_per_loop or options.steps_per_loop, log_steps=options.log_steps,
        save_checkpoints_steps=options.save_checkpoints_steps,
        keep_checkpoint_max=options.keep_checkpoint_max, enable_xla=options.enable_xla,
        resume_from=resume_from)


def write_eval_results(path, results):
    """Writes `key = value` lines, keys sorted, atomically, as the original's eval_results.txt."""
    write_text_atomically(path, "".join(f"{key} = {results[key]}\n" for key in sorted(results)))
