"""The tf.distribute strategy and the Keras precision policy, from flag values."""

import keras
import tensorflow as tf

from bert_tf.errors import ConfigError

STRATEGIES = ("one_device", "mirrored", "multi_worker_mirrored", "tpu")
DTYPES = ("float32", "mixed_float16", "mixed_bfloat16")


def get_strategy(distribution_strategy="one_device", num_gpus=0, tpu=""):
    """Builds a tf.distribute.Strategy.

    Args:
        distribution_strategy: "one_device" (GPU 0 when num_gpus > 0, else the CPU),
            "mirrored" (all local GPUs, or the first num_gpus; every logical CPU
            device when there are no GPUs), "multi_worker_mirrored" (the cluster
            in the TF_CONFIG environment variable) or "tpu".
        num_gpus: int, GPUs to use; 0 means the CPU for one_device.
        tpu: str, TPU name or grpc address for the "tpu" strategy ("" = local).

    Returns:
        a tf.distribute.Strategy.
    """
    if distribution_strategy == "one_device":
        return tf.distribute.OneDeviceStrategy("/gpu:0" if num_gpus > 0 else "/cpu:0")
    if distribution_strategy == "mirrored":
        gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
        devices = gpus[:num_gpus] if num_gpus else gpus
        if not devices:
            devices = [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    if distribution_strategy == "multi_worker_mirrored":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if distribution_strategy == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    raise ConfigError(
        f"distribution_strategy must be one of {', '.join(STRATEGIES)}, got "
        f"{distribution_strategy!r}"
    )


def set_precision(dtype):
    """Sets the Keras global dtype policy; call it before building the model.

    Args:
        dtype: "float32", "mixed_float16" (float16 compute, float32 variables; the
            optimizer then needs loss scaling) or "mixed_bfloat16".
    """
    if dtype not in DTYPES:
        raise ConfigError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    keras.mixed_precision.set_global_policy(dtype)


def is_chief(strategy):
    """Whether this worker writes checkpoints and summaries (always True on one machine)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.cluster_spec().as_dict():
        return True
    task_type, task_id = resolver.task_type, resolver.task_id
    if task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return task_type == "worker" and task_id == 0 and not has_chief


def device_type(strategy):
    """ "cpu", "gpu" or "tpu": the device the strategy's replicas run on."""
    device = tf.DeviceSpec.from_string(strategy.extended.worker_devices[0]).device_type
    return (device or "cpu").lower()


def distribute_dataset(strategy, dataset_fn):
    """The input of every loop over data: strategy.distribute_datasets_from_function(dataset_fn),
    but on one CPU replica the dataset `dataset_fn(InputContext())` itself.

    tf.distribute wraps a dataset in a MultiDeviceIterator, for one device too, whose own
    per-device pipeline runs tf.data's autotuning; in TensorFlow 2.21, deleting such an iterator
    waits for the autotuning thread to wake from a sleep that grows the longer it ran (seconds
    at the end of a fine-tuning run: README, Fine-tuning). On one CPU replica the batches are
    already where the step runs, and strategy.run takes them as they are.

    Args:
        strategy: a tf.distribute.Strategy.
        dataset_fn: callable(tf.distribute.InputContext) -> tf.data.Dataset.

    Returns:
        an iterable of batches for strategy.run.
    """
    if strategy.num_replicas_in_sync == 1 and device_type(strategy) == "cpu":
        return dataset_fn(tf.distribute.InputContext())
    return strategy.distribute_datasets_from_function(dataset_fn)
