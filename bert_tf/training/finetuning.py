"""The fine-tuning runner every task script shares: train, evaluate, predict one task.

A task (see `bert_tf.tasks`) supplies examples, features, the model head, the loss,
the official metrics and the prediction files; this module supplies everything
else, reusing pretraining's engine: the tf.distribute strategy, precision, XLA,
AdamW with warmup and linear decay, checkpoints that resume, and TensorBoard.

As the original run_classifier.py, `--do_eval` reports and `--do_predict` predicts
with the final model. With `eval_during_training`, the dev set is also scored at
every checkpoint (TensorBoard's eval curves) and the best model by the task's metric
is kept in `output_dir/best/`, with its figures in `best/eval_results.txt`.

Nothing around the steps is done twice: each split is read and made into features once,
the model is built once and its prediction step traced once, the final model is the one
training left in memory when its last checkpoint holds it (not read back for eval and
predict), and the outputs of the dev set at a checkpoint are computed once (the final
evaluation reuses those of the last checkpoint's).
"""

import dataclasses
import functools
import math
import os

import numpy as np
import tensorflow as tf
from absl import logging

from bert_tf.checkpoints import resume_or_initialize
from bert_tf.config import BertConfig
from bert_tf.errors import ConfigError
from bert_tf.model_settings import ModelSettings
from bert_tf.models import BertEncoder, head_of
from bert_tf.options import FRACTION, POSITIVE, TextOptions, option
from bert_tf.training.engine import RunOptions, create_trainer, start, write_eval_results
from bert_tf.training.evaluation import Predictor
from bert_tf.training.strategy import is_chief
from bert_tf.training.trainer import describe

BEST_DIR = "best"
# Fine-tuning starts its task head fresh: only the encoder of init_checkpoint is read.
_INIT_HEADS = "ignore"


@dataclasses.dataclass(kw_only=True)
class FinetuningOptions(RunOptions, TextOptions):
    """The common flags of the fine-tuning scripts, with the original's defaults."""

    do_predict: bool = option(False, "Whether to write predictions for the test set.")
    eval_during_training: bool = option(
        True,
        "With --do_train --do_eval, also score the dev set at every checkpoint "
        "(TensorBoard eval curves) and keep the best model by the task's metric in "
        "output_dir/best/.",
    )
    predict_batch_size: int = option(8, "Global prediction batch size.", POSITIVE)
    num_train_epochs: float = option(3.0, "Epochs over the training examples.", POSITIVE)
    warmup_proportion: float = option(
        0.1, "Fraction of the training steps with linear learning-rate warmup.", FRACTION
    )


def _model_inputs(features):
    """The numeric arrays of a task's features (bookkeeping objects stay out of tf.data)."""
    return {
        name: value
        for name, value in features.items()
        if isinstance(value, np.ndarray) and value.dtype.kind in "iufb"
    }


def _dataset_fn(arrays, is_training, seed=None):
    # Batches of arrays in memory: a fixed prefetch keeps the steps fed, and without tf.data's
    # autotuning thread the deletion of a finished iterator does not wait for it to wake
    # (bert_tf.training.strategy.distribute_dataset).
    options = tf.data.Options()
    options.autotune.enabled = False

    def dataset_fn(batch_size, input_context=None):
        dataset = tf.data.Dataset.from_tensor_slices(arrays).with_options(options)
        if not is_training:
            # Every worker predicts every example: the task scores all of them at once.
            return dataset.batch(batch_size).prefetch(2)
        if input_context and input_context.num_input_pipelines > 1:
            dataset = dataset.shard(
                input_context.num_input_pipelines, input_context.input_pipeline_id
            )
        size = len(next(iter(arrays.values())))
        dataset = dataset.shuffle(size, seed=seed, reshuffle_each_iteration=True).repeat()
        return dataset.batch(batch_size, drop_remainder=True).prefetch(2)

    return dataset_fn


class Finetuner:
    """Runs one task's train / eval / predict.

    Args:
        task: a task object of the shape documented in `bert_tf.tasks`.
        options: FinetuningOptions.
    """

    def __init__(self, task, options):
        self.task = task
        self.options = options
        config = BertConfig.from_json_file(options.bert_config_file)
        config.check_max_seq_length(options.max_seq_length, options.bert_config_file)
        config.check_vocab_size(
            task.tokenizer.vocab_size, task.tokenizer.vocab_file, options.bert_config_file
        )
        self._config = config
        self._data = {}
        self._dataset_fns = {}
        # The model outputs of each split computed with the weights of checkpoint step
        # `_outputs_step` (a step names one set of weights within a run).
        self._predictions = {}
        self._outputs_step = None
        # The step of the checkpoint whose weights the model holds (None: not known to hold
        # one); the final model is read only when it is None.
        self._model_step = None

    @functools.cached_property
    def strategy(self):
        """The tf.distribute strategy, started on first use: `run` reads its data first."""
        return start(self.options)

    @functools.cached_property
    def model(self):
        """The task's model, built on first use in the strategy's scope."""
        with self.strategy.scope():
            return self.task.build_model(BertEncoder(self._config))

    def settings(self):
        """The ModelSettings of the fine-tuned model: what export and later runs read back."""
        task, options = self.task, self.options
        label_list = getattr(task, "label_list", None)
        task_options = getattr(task, "options", None)
        return ModelSettings(
            bert_config_file=options.bert_config_file,
            vocab_file=task.tokenizer.vocab_file,
            do_lower_case=task.tokenizer.do_lower_case,
            max_seq_length=options.max_seq_length,
            model_type=head_of(self.model).model_type,
            task_name=task.name,
            label_list=None if label_list is None else list(label_list),
            num_labels=getattr(task, "num_labels", None),
            task_options={} if task_options is None else dataclasses.asdict(task_options),
        )

    def _split_data(self, split, is_training=False):
        """(examples, features) of a split, made once."""
        key = (split, is_training)
        if key not in self._data:
            examples = self.task.read_examples(split)
            features = self.task.make_features(examples, is_training=is_training)
            logging.info(
                "%s %s: %d examples, %d features",
                self.task.name,
                split,
                len(examples),
                len(features["input_word_ids"]),
            )
            self._data[key] = (examples, features)
        return self._data[key]

    @functools.cached_property
    def _predictor(self):
        return Predictor(self.strategy, self.model)

    @functools.cached_property
    def _best_checkpoint(self):
        # One object for every save to best/: each new one would trace its save function anew.
        return tf.train.Checkpoint(model=self.model)

    def _outputs(self, split, batch_size, step):
        """(examples, features, model outputs) of a split, for the weights of checkpoint `step`;
        the outputs are computed once per step."""
        if step != self._outputs_step:
            self._predictions.clear()
            self._outputs_step = step
        if split not in self._predictions:
            examples, features = self._split_data(split)
            if split not in self._dataset_fns:
                self._dataset_fns[split] = _dataset_fn(_model_inputs(features), False)
            outputs = self._predictor(self._dataset_fns[split], batch_size)
            self._predictions[split] = (examples, features, outputs)
        return self._predictions[split]

    def _eval_splits(self):
        return tuple(getattr(self.task, "eval_splits", ("dev",)))

    def _predict_splits(self):
        return tuple(getattr(self.task, "predict_splits", ("test",)))

    def read_inputs(self):
        """Reads every split the run's do_train / do_eval / do_predict will need, before the
        model is built: a missing or malformed dev or test file then stops the run at once,
        not after hours of training. Each split is read once (`_split_data` keeps it)."""
        options = self.options
        if options.do_train:
            self._split_data("train", is_training=True)
        needed = (self._eval_splits() if options.do_eval else ()) + (
            self._predict_splits() if options.do_predict else ()
        )
        for split in dict.fromkeys(needed):
            self._split_data(split)

    def train(self):
        options = self.options
        examples, features = self._split_data("train", is_training=True)
        # As the original: the schedule counts examples, not (possibly more) features.
        num_train_steps = max(
            1, int(len(examples) / options.train_batch_size * options.num_train_epochs)
        )
        num_warmup_steps = int(num_train_steps * options.warmup_proportion)
        trainer = create_trainer(
            options,
            self.strategy,
            self.model,
            lambda batch, outputs: {"loss": self.task.loss(batch, outputs)},
            options.train_batch_size,
            num_train_steps,
            num_warmup_steps,
            options.init_checkpoint,
            heads=_INIT_HEADS,
        )
        if is_chief(self.strategy):
            self.settings().write(options.output_dir)
        logging.info(
            "Training %s: %d steps (%d warmup), batch %d",
            self.task.name,
            num_train_steps,
            num_warmup_steps,
            options.train_batch_size,
        )
        keep_best = options.do_eval and options.eval_during_training
        self._model_step = None
        trainer.train(
            _dataset_fn(_model_inputs(features), True, options.seed),
            num_train_steps,
            eval_fn=self._keep_best if keep_best else None,
        )
        # None when the weights in memory are not those of a checkpoint (the loss exploded
        # after the last one): the final model is then read from output_dir.
        self._model_step = trainer.checkpoint_step

    def _keep_best(self, step):
        """Scores the first dev split; saves the model to best/ when the task metric improves."""
        split = self._eval_splits()[0]
        results = self.task.evaluate(*self._outputs(split, self.options.eval_batch_size, step))
        if self.task.metric_name not in results:  # e.g. a SQuAD predict file without answers
            logging.info("%s at step %d: %s", split, step, describe(results))
            return results
        best_dir = os.path.join(self.options.output_dir, BEST_DIR)
        best_file = os.path.join(best_dir, "eval_results.txt")
        best = _read_results(best_file)
        if results[self.task.metric_name] > best.get(self.task.metric_name, -math.inf):
            if is_chief(self.strategy):
                tf.io.gfile.makedirs(best_dir)
                self._best_checkpoint.write(os.path.join(best_dir, "model.ckpt"))
                self.settings().write(best_dir)
                write_eval_results(best_file, dict(results, global_step=step))
            note = f"the best so far, saved in {best_dir}"
        else:
            note = (
                f"best {self.task.metric_name} = {best[self.task.metric_name]:.4g} at step "
                f"{int(best['global_step'])}"
            )
        logging.info(
            "%s at step %d: %s (%s)",
            split,
            step,
            describe(results, first=self.task.metric_name),
            note,
        )
        return results

    def _restore_final_model(self):
        """Makes the model hold the checkpoint of output_dir a resumed run would start from
        (the newest that reads), else the pretrained encoder; returns its step.

        Once per run: training leaves it in memory (its last checkpoint), and a predict after
        an evaluate finds it there.
        """
        if self._model_step is not None:
            return self._model_step
        latest = resume_or_initialize(
            self.model, self.options.output_dir, self.options.init_checkpoint, _INIT_HEADS
        )
        if latest:
            self._model_step = int(latest.rsplit("-", 1)[-1])
        else:
            logging.warning(
                "No fine-tuned checkpoint in %s: the task head is untrained",
                self.options.output_dir,
            )
            self._model_step = 0
        return self._model_step

    def evaluate(self):
        """Writes eval_results.txt with the official metrics of every dev split."""
        step = self._restore_final_model()
        results = {}
        for i, split in enumerate(self._eval_splits()):
            split_results = self.task.evaluate(
                *self._outputs(split, self.options.eval_batch_size, step)
            )
            results.update(
                {(f"{split}_" if i else "") + key: value for key, value in split_results.items()}
            )
        if not results:
            logging.warning("%s: the dev data has no labels; nothing to evaluate", self.task.name)
            return results
        results["global_step"] = step
        if is_chief(self.strategy):
            write_eval_results(os.path.join(self.options.output_dir, "eval_results.txt"), results)
            writer = tf.summary.create_file_writer(os.path.join(self.options.output_dir, "eval"))
            with writer.as_default(step=step):
                for key, value in results.items():
                    tf.summary.scalar(f"final/{key}", float(value))
            writer.flush()
        logging.info("Eval results: %s", describe(results, first=self.task.metric_name))
        return results

    def predict(self):
        """Writes the task's prediction files for every test split; returns their paths."""
        step = self._restore_final_model()
        paths = []
        for split in self._predict_splits():
            outputs = self._outputs(split, self.options.predict_batch_size, step)
            if is_chief(self.strategy):
                paths += self.task.write_predictions(*outputs, self.options.output_dir)
        logging.info("Predictions written: %s", ", ".join(paths))
        return paths

    def run(self):
        options = self.options
        if not (options.do_train or options.do_eval or options.do_predict):
            raise ConfigError("At least one of do_train, do_eval or do_predict must be True.")
        self.read_inputs()
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
