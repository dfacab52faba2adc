"""A custom training loop over tf.distribute, shared by pretraining and fine-tuning.

The loop runs `steps_per_loop` updates per call of one tf.function; each update
is one `strategy.run` of a (optionally XLA-compiled) replica step that
accumulates the gradients of k micro-batches, sums them over replicas, clips
their global norm and applies them. Checkpoints, TensorBoard summaries,
preemption (SIGTERM) saves and evaluation hooks happen between loops.
"""

import datetime
import os
import re
import time

import keras
import tensorflow as tf
from absl import logging
from tensorflow.core.framework import summary_pb2

from bert_tf.checkpoints import resume_or_initialize
from bert_tf.errors import ConfigError, NonFiniteLossError, Preempted
from bert_tf.file_io import no_room_error, remove_path
from bert_tf.progress import progress_bar
from bert_tf.training.strategy import distribute_dataset, is_chief

# What tensorboard.summary.scalar attaches to a scalar, written with TF's own
# tf.summary.write: the step imports nothing of the tensorboard package, which is installed
# for its viewer (`tensorboard --logdir`).
_SCALAR_METADATA = summary_pb2.SummaryMetadata(
    plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars")
).SerializeToString()

# The directory TensorFlow writes a checkpoint's shards to before merging them into ckpt-N.
_TEMPORARY_CHECKPOINT = re.compile(r"ckpt-\d+_temp.*")

# A loop whose mean loss exceeds this many times the running mean of the earlier loops' means
# has diverged: its weights are not saved, so that the last checkpoint stays a good one.
EXPLODING_LOSS_FACTOR = 10.0


class _ManagerThatDoesNotRestore(tf.train.CheckpointManager):
    """A CheckpointManager whose `restore_or_initialize` leaves restoring to the Trainer.

    tf.distribute's PreemptionCheckpointHandler calls it on construction to restore the
    manager's latest checkpoint, unchecked, and only on some platforms; a non-chief worker's
    manager writes to a private directory, with nothing to restore. The Trainer restores
    once instead, on every worker (bert_tf.checkpoints.resume_or_initialize), checking that
    each object found its value.
    """

    def restore_or_initialize(self):
        return None


def describe(results, first=None):
    """`key = value` pairs of a dict of figures on one line, sorted (`first` leading)."""
    keys = sorted(results, key=lambda key: (key != first, key))
    return ", ".join(f"{key} = {results[key]:.4g}" for key in keys)


class Trainer:
    """Trains a Keras model with a custom loop under a tf.distribute strategy.

    Build the model and the optimizer inside `strategy.scope()` (after
    `set_precision`); for mixed_float16 wrap the optimizer in
    keras.optimizers.LossScaleOptimizer. On construction the trainer continues from the
    newest checkpoint of output_dir that reads: weights, optimizer state and step (hence
    the same learning-rate schedule position); a fresh run reads init_checkpoint's weights
    instead (bert_tf.checkpoints.resume_or_initialize, the one decision).

    Args:
        strategy: a tf.distribute.Strategy.
        model: a Keras model taking the batch dict and returning a dict of outputs.
        optimizer: a Keras optimizer, gradient clipping not set (the trainer clips).
        loss_fn: callable(batch dict, outputs dict) -> dict of float32 scalars with
            key "loss" (the mean loss of the batch) plus any metrics to log.
        output_dir: str, where checkpoints and summaries (train/, eval/) go.
        global_batch_size: int, examples per update, over all replicas and micro-batches.
        gradient_accumulation_steps: int k; each replica computes k micro-batches of
            global_batch_size / (replicas * k) examples and averages their gradients,
            so one update equals one of the whole global batch when every
            micro-batch's loss has the same normalizer.
        steps_per_loop: int, updates per tf.function call (the original's iterations_per_loop).
        log_steps: int, updates between progress logs and train summaries.
        save_checkpoints_steps: int, updates between checkpoints.
        keep_checkpoint_max: int, checkpoints kept.
        enable_xla: bool, compile the forward and backward pass with XLA (the
            all-reduce, clipping and update run outside it, so every strategy's
            collectives work, XLA:CPU having none).
        clip_norm: float, global gradient norm clip (the original's 1.0).
        init_checkpoint: optional str, the weights a fresh run starts from (any format of
            bert_tf.checkpoints.checkpoint_format).
        heads: which heads of init_checkpoint to read, see bert_tf.checkpoints.load_pretrained.

    Attributes:
        checkpoint_step: int, the step of the checkpoint whose weights the model holds (the
            one restored, or the last saved), or None once trained past it: a run that
            evaluates its final model after training reads nothing back when it is the
            final step.
    """

    def __init__(
        self,
        strategy,
        model,
        optimizer,
        loss_fn,
        output_dir,
        global_batch_size,
        gradient_accumulation_steps=1,
        steps_per_loop=100,
        log_steps=100,
        save_checkpoints_steps=1000,
        keep_checkpoint_max=5,
        enable_xla=True,
        clip_norm=1.0,
        init_checkpoint=None,
        heads="require",
    ):
        self.strategy = strategy
        self.model = model
        self.optimizer = optimizer
        self.loss_fn = loss_fn
        self.output_dir = output_dir
        self.global_batch_size = global_batch_size
        self.accumulation_steps = gradient_accumulation_steps
        self.steps_per_loop = steps_per_loop
        self.log_steps = log_steps
        self.save_checkpoints_steps = save_checkpoints_steps
        self._compute_gradients = (
            tf.function(self._gradients, jit_compile=True) if enable_xla else self._gradients
        )
        self.clip_norm = clip_norm
        divisor = strategy.num_replicas_in_sync * gradient_accumulation_steps
        if global_batch_size % divisor:
            raise ConfigError(
                f"batch size {global_batch_size} is not divisible by replicas "
                f"({strategy.num_replicas_in_sync}) x gradient_accumulation_steps "
                f"({gradient_accumulation_steps})"
            )
        self.is_chief = is_chief(strategy)
        with strategy.scope():
            self.global_step = tf.Variable(
                0,
                dtype=tf.int64,
                trainable=False,
                name="global_step",
                aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA,
            )
            optimizer.build(model.trainable_variables)
        self.checkpoint = tf.train.Checkpoint(
            model=model, optimizer=optimizer, step=self.global_step
        )
        # Every worker must take part in a save (it may run collectives); the
        # non-chief ones write to a private directory that is deleted afterwards.
        resolver = getattr(strategy, "cluster_resolver", None)
        self._write_dir = (
            output_dir
            if self.is_chief
            else os.path.join(output_dir, f".tmp_worker_{resolver.task_type}_{resolver.task_id}")
        )
        if self.is_chief and tf.io.gfile.isdir(output_dir):
            # What a save killed part-way (SIGKILL, a crash) left: TensorFlow's ckpt-N_temp/.
            for entry in tf.io.gfile.listdir(output_dir):
                if _TEMPORARY_CHECKPOINT.fullmatch(entry.rstrip("/")):
                    remove_path(os.path.join(output_dir, entry.rstrip("/")))
        # Before the manager reads the state file, which the decision may rewrite; the
        # preemption handler's run counter, added to the checkpoint below, is then restored
        # as it is created.
        resumed_from = resume_or_initialize(
            model, output_dir, init_checkpoint, heads, checkpoint=self.checkpoint
        )
        # The step of the checkpoint whose weights the model holds, or None (trained since).
        self.checkpoint_step = None
        if resumed_from:
            self.checkpoint_step = int(self.global_step.numpy())
            logging.info("Resumed from %s at step %d", resumed_from, self.checkpoint_step)
        self.manager = _ManagerThatDoesNotRestore(
            self.checkpoint,
            self._write_dir,
            max_to_keep=keep_checkpoint_max,
            step_counter=self.global_step,
            checkpoint_name="ckpt",
        )
        with strategy.scope():
            # Installs a SIGTERM handler; save_checkpoint_if_preempted() between loops then
            # saves and raises Preempted (the scripts exit with status 42). An empty cluster
            # means local mode.
            self._preemption = tf.distribute.experimental.PreemptionCheckpointHandler(
                resolver if resolver and resolver.cluster_spec().as_dict() else None,
                self.manager,
                termination_config=tf.distribute.experimental.TerminationConfig(
                    exit_fn=self._stop_after_preemption, save_fn=self._save_on_preemption
                ),
            )
        if self.is_chief:
            self.train_writer = tf.summary.create_file_writer(os.path.join(output_dir, "train"))
            self.eval_writer = tf.summary.create_file_writer(os.path.join(output_dir, "eval"))
        else:
            self.train_writer = self.eval_writer = tf.summary.create_noop_writer()
        self._train_loop = None
        self._good_losses = []  # the mean loss of each loop run so far that did not explode
        self._exploding_since = None  # the first step of a run of exploding loops, or None

    @property
    def _loss_scale(self):
        if isinstance(self.optimizer, keras.optimizers.LossScaleOptimizer):
            return self.optimizer.dynamic_scale
        return None

    def _gradients(self, batch):
        variables = self.model.trainable_variables
        with tf.GradientTape() as tape:
            outputs = self.model(batch, training=True)
            metrics = self.loss_fn(batch, outputs)
            # Summed over replicas below, so each contributes 1/n of the mean.
            loss = metrics["loss"] / self.strategy.num_replicas_in_sync
            if self._loss_scale is not None:
                loss = self.optimizer.scale_loss(loss)
        grads = tape.gradient(loss, variables)
        # Dense, so they can be loop-carried and all-reduced; None (a variable the
        # loss does not use, e.g. the pooler of a token classifier) stays None so
        # the optimizer skips it, as the original's optimizer did.
        return [None if g is None else tf.convert_to_tensor(g) for g in grads], metrics

    def _replica_step(self, batch):
        """One update on this replica's batch; returns (metrics, global gradient norm)."""
        if self.accumulation_steps == 1:
            grads, metrics = self._compute_gradients(batch)
        else:
            grads, metrics = self._compute_gradients(tf.nest.map_structure(lambda t: t[0], batch))
            for i in tf.range(1, self.accumulation_steps):
                more_grads, more_metrics = self._compute_gradients(
                    tf.nest.map_structure(lambda t: t[i], batch)  # noqa: B023 (called here)
                )
                grads = [g if g is None else g + h for g, h in zip(grads, more_grads)]
                metrics = {key: metrics[key] + more_metrics[key] for key in metrics}
            grads = [g if g is None else g / self.accumulation_steps for g in grads]
            metrics = {key: value / self.accumulation_steps for key, value in metrics.items()}
        pairs = [(g, v) for g, v in zip(grads, self.model.trainable_variables) if g is not None]
        grads, variables = [g for g, _ in pairs], [v for _, v in pairs]
        num_replicas = self.strategy.num_replicas_in_sync
        if num_replicas > 1:
            grads = tf.distribute.get_replica_context().all_reduce(
                tf.distribute.ReduceOp.SUM, grads
            )
        # The original clips the global norm of the full gradient before the update.
        # Scaled gradients clip at the scaled norm: clipping is linear in the scale.
        scale = 1.0 if self._loss_scale is None else tf.cast(self._loss_scale, tf.float32)
        grads, grad_norm = tf.clip_by_global_norm(grads, self.clip_norm * scale)
        if num_replicas > 1:
            # Keras' TF optimizers sum the gradients of all replicas inside apply()
            # (after their own clipping, which would be per replica); each replica
            # hands it 1/n of the reduced, clipped gradient so that sum restores it.
            grads = [g / num_replicas for g in grads]
        self.optimizer.apply(grads, variables)
        return metrics, grad_norm / scale

    def _build_train_loop(self):
        replica_step = tf.function(self._replica_step)
        strategy = self.strategy

        def one_update(iterator):
            metrics, grad_norm = strategy.run(replica_step, args=(next(iterator),))
            metrics = {
                key: strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None)
                for key, value in metrics.items()
            }
            metrics["gradient_norm"] = strategy.reduce(
                tf.distribute.ReduceOp.MEAN, grad_norm, axis=None
            )
            self.global_step.assign_add(1)
            return metrics

        def bad_step_of(metrics, bad_step):
            finite = tf.math.is_finite(metrics["loss"])
            return tf.where(tf.logical_or(finite, bad_step >= 0), bad_step, self.global_step)

        @tf.function
        def train_loop(iterator, num_steps):
            """Runs num_steps updates.

            Returns (mean metrics over the updates run, last gradient norm, the step
            of the first non-finite loss or -1).
            """
            metrics = one_update(iterator)
            totals = dict(metrics)
            bad_step = bad_step_of(metrics, tf.constant(-1, tf.int64))
            steps_run = tf.constant(1.0)
            # No early `break` after a NaN: MirroredStrategy cannot run the optimizer's
            # cross-replica updates under the tf.cond a break would put around them.
            for _ in tf.range(num_steps - 1):
                metrics = one_update(iterator)
                totals = {key: totals[key] + metrics[key] for key in totals}
                bad_step = bad_step_of(metrics, bad_step)
                steps_run += 1.0
            means = {key: value / steps_run for key, value in totals.items()}
            means["gradient_norm"] = metrics["gradient_norm"]
            return means, bad_step

        return train_loop

    def run_steps(self, iterator, num_steps):
        """Runs num_steps updates (one call of the compiled loop) on a distributed iterator.

        Returns:
            (dict of mean metrics over the updates, scalar Tensors, with the last
            `gradient_norm`; int64 Tensor, the step of the first non-finite loss or -1).
        """
        if self._train_loop is None:
            self._train_loop = self._build_train_loop()
        return self._train_loop(iterator, tf.constant(num_steps))

    def distribute_dataset(self, dataset_fn):
        """Distributes `dataset_fn(batch_size, input_context)` (per-replica micro-batches)."""

        def per_worker(input_context):
            batch_size = input_context.get_per_replica_batch_size(self.global_batch_size)
            dataset = dataset_fn(batch_size // self.accumulation_steps, input_context)
            if self.accumulation_steps > 1:
                dataset = dataset.batch(self.accumulation_steps, drop_remainder=True)
            return dataset

        return distribute_dataset(self.strategy, per_worker)

    def current_learning_rate(self):
        rate = self.optimizer.learning_rate
        return float(rate() if callable(rate) else rate)

    def train(self, dataset_fn, num_train_steps, eval_fn=None):
        """Trains until the global step reaches num_train_steps.

        Args:
            dataset_fn: callable(batch_size, input_context) -> a repeating tf.data.Dataset
                of per-replica batches of `batch_size` examples.
            num_train_steps: int, total updates (counting those of earlier runs).
            eval_fn: optional callable(step) -> dict[str, float], run after each
                checkpoint save; its results go to the eval summaries.

        Returns:
            dict of the metrics of the last loop (floats), with `global_step`.

        Raises:
            NonFiniteLossError naming the step whose loss was NaN or Inf and the last good
            checkpoint; the checkpoints already written are kept and the bad state is not
            saved. While the loss has exploded (a loop's mean above EXPLODING_LOSS_FACTOR
            times the running mean of the earlier loops'), no checkpoint is saved, the final
            one included: the latest checkpoint is always one from before the divergence.
            Preempted after a SIGTERM, once a checkpoint of the current step is saved.
            OSError naming the checkpoint when the disk is full (nothing half-written is left).
        """
        step = int(self.global_step.numpy())
        if step >= num_train_steps:
            logging.info("Step %d already reaches num_train_steps=%d", step, num_train_steps)
            return {"global_step": step}
        iterator = iter(self.distribute_dataset(dataset_fn))
        first_step, start_time = step, time.time()
        last_log_step, last_log_time = step, start_time
        results = {}
        bar = progress_bar(num_train_steps, "train", initial=step)
        while step < num_train_steps:
            next_save = (step // self.save_checkpoints_steps + 1) * self.save_checkpoints_steps
            next_log = (step // self.log_steps + 1) * self.log_steps
            num_steps = min(
                self.steps_per_loop, num_train_steps - step, next_save - step, next_log - step
            )
            metrics, bad_step = self.run_steps(iterator, num_steps)
            self.checkpoint_step = None
            step = int(self.global_step.numpy())
            bar.update(num_steps)
            results = {key: float(value) for key, value in metrics.items()}
            if int(bad_step) >= 0:
                raise NonFiniteLossError(self._non_finite_message(results["loss"], int(bad_step)))
            self._watch_loss(results["loss"], step)
            if step // self.log_steps > last_log_step // self.log_steps or step == num_train_steps:
                now = time.time()
                results["learning_rate"] = self.current_learning_rate()
                results["examples_per_second"] = (
                    (step - last_log_step) * self.global_batch_size / max(now - last_log_time, 1e-9)
                )
                self._write_summaries(self.train_writer, results, step)
                seconds_left = (num_train_steps - step) * (now - start_time) / (step - first_step)
                logging.info(
                    "step %d/%d (%s left): %s",
                    step,
                    num_train_steps,
                    datetime.timedelta(seconds=round(seconds_left)),
                    describe(results, first="loss"),
                )
                last_log_step, last_log_time = step, now
            if step % self.save_checkpoints_steps == 0 or step == num_train_steps:
                if self._exploding_since is None:
                    self.save(eval_fn)
                else:
                    logging.warning(
                        "checkpoint of step %d not saved: the loss has exploded since step %d. %s",
                        step,
                        self._exploding_since,
                        self._last_good_checkpoint(),
                    )
            self._preemption.save_checkpoint_if_preempted(checkpoint_number=step)
        bar.close()
        results["global_step"] = step
        return results

    def _watch_loss(self, loss, step):
        """Notes whether the mean loss of the loop that ended at `step` has exploded."""
        if self._good_losses:
            running_mean = sum(self._good_losses) / len(self._good_losses)
            if loss > EXPLODING_LOSS_FACTOR * running_mean:
                if self._exploding_since is None:
                    self._exploding_since = step
                    logging.warning(
                        "loss %.4g at step %d is over %g times its running mean "
                        "%.4g; no checkpoint is saved until it comes back",
                        loss,
                        step,
                        EXPLODING_LOSS_FACTOR,
                        running_mean,
                    )
                return
        self._good_losses.append(loss)
        self._exploding_since = None

    def _last_good_checkpoint(self):
        path = self.manager.latest_checkpoint if self.is_chief else None
        if path is None:
            return "No checkpoint was saved before it"  # never "None"
        return f"The last good checkpoint, {path}, is kept"

    def _non_finite_message(self, loss, bad_step):
        since = (
            ""
            if self._exploding_since is None
            else f", after it exploded (over {EXPLODING_LOSS_FACTOR:g}x its running mean) at "
            f"step {self._exploding_since}"
        )
        return (
            f"loss is {loss} (not finite) at step {bad_step}{since}; training stopped. "
            f"{self._last_good_checkpoint()}; lower learning_rate or check the data."
        )

    def _save_on_preemption(self, *args, **kwargs):
        if self._exploding_since is None:
            self._save_checkpoint(*args, **kwargs)

    def _stop_after_preemption(self):
        step = int(self.global_step.numpy())
        if not self.is_chief and tf.io.gfile.exists(self._write_dir):
            tf.io.gfile.rmtree(self._write_dir)
        if self._exploding_since is None:
            raise Preempted(f"saved ckpt-{step} at step {step}; run the same command to resume")
        raise Preempted(
            f"stopped at step {step} (a SIGTERM); not saved, the loss has exploded "
            f"since step {self._exploding_since}. {self._last_good_checkpoint()}"
        )

    def _save_checkpoint(self, checkpoint_number):
        """manager.save, which on a full disk leaves nothing of the checkpoint behind."""
        try:
            return self.manager.save(checkpoint_number=checkpoint_number)
        except (OSError, tf.errors.OpError) as error:
            # A failed save leaves TensorFlow's ckpt-N_temp/ and maybe part of ckpt-N.
            name = f"ckpt-{checkpoint_number}"
            pattern = re.compile(re.escape(name) + r"(_temp\b.*|\.index|\.data-.*)$")
            for entry in tf.io.gfile.listdir(self._write_dir):
                if pattern.match(entry.rstrip("/")):
                    remove_path(os.path.join(self._write_dir, entry.rstrip("/")))
            no_room = no_room_error(error, os.path.join(self.output_dir, name))
            if no_room is not None:
                raise no_room from error
            raise

    def save(self, eval_fn=None):
        """Writes a checkpoint at the current step, then runs eval_fn(step) if given."""
        step = int(self.global_step.numpy())
        path = self._save_checkpoint(step)
        self.checkpoint_step = step
        if not self.is_chief:
            tf.io.gfile.rmtree(self._write_dir)
        logging.info("Saved checkpoint %s", path)
        if eval_fn is not None:
            self._write_summaries(self.eval_writer, eval_fn(step), step)

    @staticmethod
    def _write_summaries(writer, values, step):
        with writer.as_default(step=step):
            for key, value in values.items():
                tf.summary.write(key, tf.constant(value, tf.float32), metadata=_SCALAR_METADATA)
        writer.flush()
