"""run_pretraining's main, after splitting the CPU into $NUM_LOGICAL_CPUS devices, started as
the script starts it (bert_tf.cli.run_script: one-line errors, the exit status of a SIGTERM).

Logical devices must be configured before TensorFlow initializes, hence a process
of its own.
"""

import os

import tensorflow as tf

num_cpus = int(os.environ.get("NUM_LOGICAL_CPUS", "1"))
if num_cpus > 1:
    tf.config.set_logical_device_configuration(
        tf.config.list_physical_devices("CPU")[0],
        [tf.config.LogicalDeviceConfiguration()] * num_cpus,
    )

from bert_tf import cli, run_pretraining  # noqa: E402  (after the device setup)

if __name__ == "__main__":
    cli.run_script(run_pretraining.main)
