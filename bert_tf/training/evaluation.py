"""Running a model over a distributed dataset: averaged metrics or all its outputs."""

import numpy as np
import tensorflow as tf

from bert_tf.progress import progress_bar
from bert_tf.training.strategy import distribute_dataset


def _distribute(strategy, dataset_fn, global_batch_size):
    return distribute_dataset(
        strategy,
        lambda context: dataset_fn(context.get_per_replica_batch_size(global_batch_size), context),
    )


def evaluate(strategy, model, dataset_fn, metrics_fn, global_batch_size, max_steps=None):
    """Averages `metrics_fn` over the batches of a finite dataset.

    Args:
        strategy: a tf.distribute.Strategy the model was built under.
        model: a Keras model taking the batch dict.
        dataset_fn: callable(batch_size, input_context) -> finite tf.data.Dataset.
        metrics_fn: callable(batch, outputs) -> dict of float32 scalars.
        global_batch_size: int, examples per step over all replicas.
        max_steps: optional int, stop after this many batches (the original's max_eval_steps).

    Returns:
        dict metric name -> float, the mean over batches (and replicas).
    """

    @tf.function
    def step(batch):
        def replica(batch):
            return metrics_fn(batch, model(batch, training=False))

        metrics = strategy.run(replica, args=(batch,))
        return {
            key: strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None)
            for key, value in metrics.items()
        }

    totals, num_batches = {}, 0
    bar = progress_bar(max_steps, "evaluate", unit="batch")
    for batch in _distribute(strategy, dataset_fn, global_batch_size):
        if max_steps is not None and num_batches >= max_steps:
            break
        for key, value in step(batch).items():
            totals[key] = totals.get(key, 0.0) + float(value)
        num_batches += 1
        bar.update(1)
    bar.close()
    return {key: value / max(num_batches, 1) for key, value in totals.items()}


class Predictor:
    """Runs a model over finite datasets and concatenates its outputs, in dataset order.

    Its step is traced once per batch shape and reused by every call: a dev set scored at
    every checkpoint is not traced again each time.

    Args:
        strategy, model: as for `evaluate`.
        output_fn: optional callable(batch, outputs) -> nested structure of Tensors
            with a leading batch dimension (e.g. to keep example ids next to logits);
            defaults to the model's outputs.
    """

    def __init__(self, strategy, model, output_fn=None):
        self.strategy = strategy

        @tf.function
        def step(batch):
            def replica(batch):
                outputs = model(batch, training=False)
                return outputs if output_fn is None else output_fn(batch, outputs)

            return strategy.run(replica, args=(batch,))

        self._step = step

    def __call__(self, dataset_fn, global_batch_size):
        """The outputs over `dataset_fn`'s batches (see `evaluate`): the nested structure of
        numpy arrays, batches concatenated along axis 0 (this worker's examples only under a
        multi-worker strategy)."""
        strategy = self.strategy
        pieces = []
        bar = progress_bar(None, "predict", unit="batch")
        for batch in _distribute(strategy, dataset_fn, global_batch_size):
            bar.update(1)
            per_replica = self._step(batch)
            # Local replica i holds the i-th consecutive per-replica batch of this worker.
            local = [
                strategy.experimental_local_results(value) for value in tf.nest.flatten(per_replica)
            ]
            for i in range(len(local[0])):
                pieces.append(tf.nest.pack_sequence_as(per_replica, [v[i].numpy() for v in local]))
        bar.close()
        if not pieces:
            raise ValueError("predict: the dataset is empty")
        return tf.nest.map_structure(lambda *arrays: np.concatenate(arrays, axis=0), *pieces)


def predict(strategy, model, dataset_fn, global_batch_size, output_fn=None):
    """Runs the model over a finite dataset once: `Predictor(strategy, model, output_fn)`
    called on `dataset_fn` (see there)."""
    return Predictor(strategy, model, output_fn)(dataset_fn, global_batch_size)
