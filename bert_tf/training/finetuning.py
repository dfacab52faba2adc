"""The fine-tuning runner every task script shares: train, evaluate, predict one task.

A task (see `bert_tf.tasks`) supplies examples, features, the model head, the loss,
the official metrics and the prediction files; this module supplies everything
else, reusing pretraining's machinery: the tf.distribute strategy, precision, XLA,
AdamW with warmup and linear decay, checkpoints that resume, and TensorBoard.
"""

import dataclasses
import math
import os

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from bert_tf.checkpoints import load_huggingface_weights, load_tf1_checkpoint, read_checkpoint
from bert_tf.config import BertConfig, ConfigError
from bert_tf.models import BertEncoder
from bert_tf.optimization import create_optimizer
from bert_tf.training.evaluation import predict
from bert_tf.training.pretraining import write_eval_results
from bert_tf.training.strategy import get_strategy, is_chief, set_precision
from bert_tf.training.trainer import Trainer

BEST_DIR = "best"


@dataclasses.dataclass
class FinetuningOptions:
    """The common flags of the fine-tuning scripts, with the original's defaults."""
    bert_config_file: str
    output_dir: str
    init_checkpoint: str = ""
    max_seq_length: int = 128
    do_train: bool = False
    do_eval: bool = False
    do_predict: bool = False
    train_batch_size: int = 32
    eval_batch_size: int = 8
    predict_batch_size: int = 8
    learning_rate: float = 5e-5
    num_train_epochs: float = 3.0
    warmup_proportion: float = 0.1
    save_checkpoints_steps: int = 1000
    steps_per_loop: int = 100
    log_steps: int = 100
    keep_checkpoint_max: int = 1
    distribution_strategy: str = "one_device"
    num_gpus: int = 0
    tpu: str = ""
    dtype: str = "float32"
    enable_xla: bool = False
    optimizer: str = "adamw"
    adam_bias_correction: bool = False
    gradient_accumulation_steps: int = 1
    seed: int = None


def initialize_encoder(encoder, path):
    """Loads pretrained encoder weights from ours, a Google TF1, or a Hugging Face checkpoint.

    Heads in the checkpoint are ignored: a fine-tuning head starts fresh.

    Args:
        encoder: a BertEncoder.
        path: our checkpoint (prefix or directory), a TF1 `bert_model.ckpt` prefix, or a
            Hugging Face directory / weights file.
    """
    if os.path.isdir(path) and tf.train.latest_checkpoint(path):
        path = tf.train.latest_checkpoint(path)
    if os.path.isdir(path) or path.endswith((".safetensors", ".bin")):
        load_huggingface_weights(encoder, path, heads="ignore")
    elif tf.io.gfile.exists(path + ".index"):
        names = dict(tf.train.list_variables(path))
        if any(name.startswith("bert/") for name in names):
            load_tf1_checkpoint(encoder, path, heads="ignore")
        else:
            read_checkpoint(encoder, path)
    else:
        raise ValueError(f"--init_checkpoint {path}: not a checkpoint prefix (no {path}.index), "
                         "nor a Hugging Face directory or weights file")
    logging.info("Encoder initialized from %s", path)


def _model_inputs(features):
    """The numeric arrays of a task's features (bookkeeping objects stay out of tf.data)."""
    return {name: value for name, value in features.items()
            if isinstance(value, np.ndarray) and value.dtype.kind in "iufb"}


def _dataset_fn(arrays, is_training, seed=None):
    def dataset_fn(batch_size, input_context=None):
        dataset = tf.data.Dataset.from_tensor_slices(arrays)
        if input_context and input_context.num_input_pipelines > 1:
            dataset = dataset.shard(input_context.num_input_pipelines,
                                    input_context.input_pipeline_id)
        if is_training:
            size = len(next(iter(arrays.values())))
            dataset = dataset.shuffle(size, seed=seed, reshuffle_each_iteration=True).repeat()
        return dataset.batch(batch_size, drop_remainder=is_training).prefetch(tf.data.AUTOTUNE)
    return dataset_fn


class Finetuner:
    """Runs one task's train / eval / predict, as the original run_classifier.py does.

    Args:
        task: a task object of the shape documented in `bert_tf.tasks`.
        options: FinetuningOptions.
    """

    def __init__(self, task, options):
        self.task = task
        self.options = options
        self.config = BertConfig.from_json_file(options.bert_config_file)
        if options.max_seq_length > self.config.max_position_embeddings:
            raise ConfigError(
                f"--max_seq_length={options.max_seq_length} is longer than "
                f"max_position_embeddings={self.config.max_position_embeddings} of "
                f"{options.bert_config_file}")
        if options.seed is not None:
            keras.utils.set_random_seed(options.seed)
        set_precision(options.dtype)
        self.strategy = get_strategy(options.distribution_strategy, options.num_gpus, options.tpu)
        tf.io.gfile.makedirs(options.output_dir)
        with self.strategy.scope():
            self.model = task.build_model(BertEncoder(self.config))
        self._eval_data = {}

    # Data ---------------------------------------------------------------------------

    def _split_data(self, split, is_training=False):
        """(examples, features) of a split, made once."""
        key = (split, is_training)
        if key not in self._eval_data:
            examples = self.task.read_examples(split)
            features = self.task.make_features(examples, is_training=is_training)
            logging.info("%s %s: %d examples, %d features", self.task.name, split, len(examples),
                         len(features["input_word_ids"]))
            self._eval_data[key] = (examples, features)
        return self._eval_data[key]

    def _outputs(self, features, batch_size):
        return predict(self.strategy, self.model, _dataset_fn(_model_inputs(features), False),
                       batch_size)

    # The three modes ------------------------------------------------------------------

    def train(self):
        options = self.options
        examples, features = self._split_data("train", is_training=True)
        # As the original: the schedule counts examples, not (possibly more) features.
        num_train_steps = max(1, int(len(examples) / options.train_batch_size * options.num_train_epochs))
        num_warmup_steps = int(num_train_steps * options.warmup_proportion)
        with self.strategy.scope():
            optimizer = create_optimizer(options.optimizer, options.learning_rate, num_train_steps,
                                         num_warmup_steps,
                                         adam_bias_correction=options.adam_bias_correction)
            if options.dtype == "mixed_float16":
                optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        fresh = not tf.train.latest_checkpoint(options.output_dir)
        if fresh and options.init_checkpoint:
            initialize_encoder(self.model.encoder, options.init_checkpoint)
        trainer = Trainer(
            self.strategy, self.model, optimizer,
            lambda batch, outputs: {"loss": self.task.loss(batch, outputs)}, options.output_dir,
            global_batch_size=options.train_batch_size,
            gradient_accumulation_steps=options.gradient_accumulation_steps,
            steps_per_loop=min(options.steps_per_loop, options.save_checkpoints_steps),
            log_steps=options.log_steps, save_checkpoints_steps=options.save_checkpoints_steps,
            keep_checkpoint_max=options.keep_checkpoint_max, enable_xla=options.enable_xla)
        logging.info("Training %s: %d steps (%d warmup), batch %d", self.task.name,
                     num_train_steps, num_warmup_steps, options.train_batch_size)
        eval_fn = self._keep_best if options.do_eval else None
        trainer.train(_dataset_fn(_model_inputs(features), True, options.seed), num_train_steps,
                      eval_fn=eval_fn)
        self.global_step = int(trainer.global_step.numpy())

    def _evaluate_split(self, split):
        examples, features = self._split_data(split)
        return self.task.evaluate(examples, features, self._outputs(features, self.options.eval_batch_size))

    def _keep_best(self, step):
        """Evaluates on the first dev split; saves the model to best/ when the task metric improves."""
        results = self._evaluate_split(self._eval_splits()[0])
        if self.task.metric_name not in results:  # e.g. a SQuAD predict file without answers
            return results
        metric = results[self.task.metric_name]
        best_file = os.path.join(self.options.output_dir, BEST_DIR, "eval_results.txt")
        previous = _read_results(best_file).get(self.task.metric_name, -math.inf)
        if metric > previous and is_chief(self.strategy):
            best_dir = os.path.join(self.options.output_dir, BEST_DIR)
            tf.io.gfile.makedirs(best_dir)
            tf.train.Checkpoint(model=self.model).write(os.path.join(best_dir, "model.ckpt"))
            write_eval_results(best_file, dict(results, global_step=step))
            logging.info("New best %s = %.4f at step %d", self.task.metric_name, metric, step)
        return results

    def _eval_splits(self):
        return tuple(getattr(self.task, "eval_splits", ("dev",)))

    def _restore_for_inference(self):
        """Best checkpoint if training kept one, else the latest of output_dir, else init."""
        best = os.path.join(self.options.output_dir, BEST_DIR, "model.ckpt")
        latest = tf.train.latest_checkpoint(self.options.output_dir)
        if tf.io.gfile.exists(best + ".index"):
            tf.train.Checkpoint(model=self.model).read(best).expect_partial()
            return best
        if latest:
            tf.train.Checkpoint(model=self.model).read(latest).expect_partial()
            return latest
        if self.options.init_checkpoint:
            initialize_encoder(self.model.encoder, self.options.init_checkpoint)
            logging.warning("No fine-tuned checkpoint in %s: evaluating a fresh head",
                            self.options.output_dir)
        return self.options.init_checkpoint

    def evaluate(self):
        """Writes eval_results.txt with the official metrics of every dev split."""
        checkpoint = self._restore_for_inference()
        results = {}
        for split in self._eval_splits():
            split_results = self._evaluate_split(split)
            prefix = "" if split == self._eval_splits()[0] else f"{split}_"
            results.update({prefix + key: value for key, value in split_results.items()})
        if not results:
            logging.warning("%s: the dev data has no labels; nothing to evaluate", self.task.name)
            return results
        results["global_step"] = _step_of(checkpoint)
        if is_chief(self.strategy):
            write_eval_results(os.path.join(self.options.output_dir, "eval_results.txt"), results)
            writer = tf.summary.create_file_writer(os.path.join(self.options.output_dir, "eval"))
            with writer.as_default(step=results["global_step"]):
                for key, value in results.items():
                    tf.summary.scalar(f"final/{key}", float(value))
            writer.flush()
        logging.info("***** Eval results *****\n%s",
                     "\n".join(f"  {k} = {v}" for k, v in sorted(results.items())))
        return results

    def predict(self):
        """Writes the task's prediction files for every test split; returns their paths."""
        self._restore_for_inference()
        paths = []
        for split in getattr(self.task, "predict_splits", ("test",)):
            examples, features = self._split_data(split)
            outputs = self._outputs(features, self.options.predict_batch_size)
            if is_chief(self.strategy):
                paths += self.task.write_predictions(examples, features, outputs,
                                                     self.options.output_dir)
        logging.info("Predictions written: %s", ", ".join(paths))
        return paths

    def run(self):
        options = self.options
        if not (options.do_train or options.do_eval or options.do_predict):
            raise ValueError("At least one of --do_train, --do_eval or --do_predict must be True.")
        results = {}
        if options.do_train:
            self.train()
        if options.do_eval:
            results = self.evaluate()
        if options.do_predict:
            self.predict()
        return results


def _read_results(path):
    if not tf.io.gfile.exists(path):
        return {}
    with tf.io.gfile.GFile(path) as f:
        pairs = (line.split(" = ", 1) for line in f if " = " in line)
        return {key: float(value) for key, value in pairs}


def _step_of(checkpoint):
    """The global step a checkpoint path names (`.../ckpt-1200` -> 1200), else 0."""
    if checkpoint:
        best = _read_results(os.path.join(os.path.dirname(checkpoint), "eval_results.txt"))
        if "global_step" in best and os.path.basename(os.path.dirname(checkpoint)) == BEST_DIR:
            return int(best["global_step"])
        tail = checkpoint.rsplit("-", 1)[-1]
        if tail.isdigit():
            return int(tail)
    return 0
