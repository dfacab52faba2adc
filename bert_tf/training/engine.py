"""What pretraining and fine-tuning share: the engine options and building a Trainer from them."""

import dataclasses

import keras
import tensorflow as tf
from absl import logging

from bert_tf import hardware
from bert_tf.file_io import write_text_atomically
from bert_tf.optimization import OPTIMIZERS, create_optimizer
from bert_tf.options import NON_NEGATIVE, POSITIVE, Options, option
from bert_tf.training.strategy import (
    DTYPES,
    STRATEGIES,
    device_type,
    get_strategy,
    set_precision,
)
from bert_tf.training.trainer import Trainer


@dataclasses.dataclass(kw_only=True)
class EngineOptions(Options):
    """How pretraining and fine-tuning train: output, schedule, strategy, precision, optimizer."""

    output_dir: str = option(
        help_text="Where checkpoints, TensorBoard logs, eval_results.txt and predictions go; a "
        "run resumes from the latest checkpoint found here."
    )
    learning_rate: float = option(5e-5, "Peak learning rate.", POSITIVE)
    save_checkpoints_steps: int = option(
        1000,
        "Updates between checkpoints (and dev evaluations when fine-tuning with --do_eval).",
        POSITIVE,
    )
    steps_per_loop: int = option(
        1000,
        "Updates per call of the compiled training loop (a loop also ends where a log "
        "line or a checkpoint is due).",
        POSITIVE,
    )
    log_steps: int = option(100, "Updates between progress logs and TensorBoard scalars.", POSITIVE)
    keep_checkpoint_max: int = option(5, "Checkpoints kept.", POSITIVE)
    distribution_strategy: str = option(
        "one_device",
        "tf.distribute strategy; multi_worker_mirrored reads the cluster from TF_CONFIG.",
        choices=STRATEGIES,
    )
    num_gpus: int = option(
        0, "GPUs to use (0: CPU for one_device, all for mirrored).", NON_NEGATIVE
    )
    tpu: str = option("", "TPU name or address for --distribution_strategy=tpu.")
    dtype: str = option(
        "float32", "Compute precision; mixed_float16 adds dynamic loss scaling.", choices=DTYPES
    )
    enable_xla: bool = option(
        None,
        "Compile the forward and backward pass with XLA, on the first step "
        "(--noenable_xla: TensorFlow's graph executor, op by op). Default: chosen for the "
        "machine (on for GPU, TPU and CPUs without AVX-512; off on AVX-512 CPUs, where "
        "TensorFlow's oneDNN kernels are faster); the start-up line says which.",
    )
    optimizer: str = option(
        "adamw",
        "AdamW (weight decay 0.01, not on LayerNorm/bias) or LAMB (Keras' Lamb: decay "
        "outside the trust ratio); both with linear warmup then linear decay to 0 and "
        "global-norm clipping at 1.0.",
        choices=OPTIMIZERS,
    )
    adam_bias_correction: bool = option(
        False, "Use Adam bias correction (Keras/Model Garden); the original AdamW has none."
    )
    gradient_accumulation_steps: int = option(
        1, "Micro-batches per update; the batch-size flags stay the whole update's batch.", POSITIVE
    )
    seed: int = option(None, "Random seed for weights, dropout and shuffling.")


@dataclasses.dataclass(kw_only=True)
class RunOptions(EngineOptions):
    """What pretraining and fine-tuning runs have beside the engine: model, data and phases."""

    bert_config_file: str = option(
        None,
        "bert_config.json of the model (the original's field meanings: hidden_act 'gelu' "
        "is the tanh form), or the name of a shipped config (bert_base_uncased, ...); "
        "default: the one the checkpoint's model directory records (a Hugging Face "
        "directory: its config.json).",
    )
    init_checkpoint: str = option(
        "",
        "The weights to start from (training: when output_dir has no checkpoint yet): a "
        "bert_tf model directory (its latest checkpoint) or checkpoint prefix, a Google TF1 "
        "bert_model.ckpt prefix, or a Hugging Face directory / weights file. Pretraining "
        "reads its heads too, fine-tuning the encoder (the task head starts fresh), "
        "export_saved_model the head of its model type, extract_features the encoder. The "
        "settings its model directory records (bert_tf/model_settings.py) fill the flags "
        "left out.",
    )
    do_train: bool = option(False, "Whether to train.")
    do_eval: bool = option(
        False,
        "Whether to evaluate and write eval_results.txt: pretraining scores masked LM "
        "and next sentence on --input_file; fine-tuning scores the final model on the "
        "dev set.",
    )
    train_batch_size: int = option(32, "Global training batch size (all replicas).", POSITIVE)
    eval_batch_size: int = option(8, "Global evaluation batch size.", POSITIVE)


def start(options):
    """Seeds, sets the precision policy and returns the strategy; call before building models.

    Logs the path the run takes (see `describe_path`).
    """
    if options.seed is not None:
        keras.utils.set_random_seed(options.seed)
    set_precision(options.dtype)
    tf.io.gfile.makedirs(options.output_dir)
    strategy = get_strategy(options.distribution_strategy, options.num_gpus, options.tpu)
    logging.info("%s", describe_path(options, strategy))
    return strategy


def use_xla(options, strategy):
    """(whether the training step is compiled with XLA, why): --enable_xla or --noenable_xla
    when given, else `hardware.xla_by_default` for the strategy's device and this CPU."""
    if options.enable_xla is not None:
        return options.enable_xla, "--enable_xla" if options.enable_xla else "--noenable_xla"
    return hardware.xla_by_default(device_type(strategy))


def describe_path(options, strategy):
    """One line naming the path a run takes: device, XLA or not and why, dtype, CPU and ISA;
    on a CPU that multiplies bfloat16 natively, a float32 run is told of mixed_bfloat16."""
    device = device_type(strategy)
    xla, why = use_xla(options, strategy)
    line = (
        f"Path: {device.upper()} x{strategy.num_replicas_in_sync}, XLA "
        f"{'on' if xla else 'off'} ({why}), {options.dtype}; CPU {hardware.describe()}"
    )
    if device == "cpu" and options.dtype == "float32" and hardware.has_bfloat16_matmul():
        line += (
            f". This CPU multiplies bfloat16 natively: --dtype=mixed_bfloat16 trained "
            f"BERT-Base {hardware.BFLOAT16_SPEEDUP:g}x faster on such a CPU"
        )
        if xla:
            line += " (without XLA)"
    return line


def create_trainer(
    options,
    strategy,
    model,
    loss_fn,
    global_batch_size,
    num_train_steps,
    num_warmup_steps,
    init_checkpoint=None,
    heads="require",
):
    """A Trainer for `model` with the optimizer and schedule the options name.

    Args:
        options: EngineOptions.
        strategy: the strategy `start` returned; `model` was built in its scope.
        model, loss_fn: as for Trainer.
        global_batch_size: int, examples per update.
        num_train_steps, num_warmup_steps: int, the learning-rate schedule.
        init_checkpoint, heads: as for Trainer: the weights a fresh run starts from.
    """
    with strategy.scope():
        optimizer = create_optimizer(
            options.optimizer,
            options.learning_rate,
            num_train_steps,
            num_warmup_steps,
            adam_bias_correction=options.adam_bias_correction,
        )
        if options.dtype == "mixed_float16":
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return Trainer(
        strategy,
        model,
        optimizer,
        loss_fn,
        options.output_dir,
        global_batch_size=global_batch_size,
        gradient_accumulation_steps=options.gradient_accumulation_steps,
        steps_per_loop=options.steps_per_loop,
        log_steps=options.log_steps,
        save_checkpoints_steps=options.save_checkpoints_steps,
        keep_checkpoint_max=options.keep_checkpoint_max,
        enable_xla=use_xla(options, strategy)[0],
        init_checkpoint=init_checkpoint,
        heads=heads,
    )


def write_eval_results(path, results):
    """Writes `key = value` lines, keys sorted, atomically, as the original's eval_results.txt."""
    write_text_atomically(path, "".join(f"{key} = {results[key]}\n" for key in sorted(results)))
