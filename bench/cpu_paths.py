"""Prints the training step's speed on each path of this CPU: XLA on/off x float32/bfloat16.

The four paths run in turns in one process (after each one's warmup), best of `--rounds`, so
that a shared machine's load falls on all of them alike; each line names the CPU and its ISA.
This is the measurement behind `bert_tf.hardware.xla_by_default` and the bfloat16 suggestion
of the scripts' start-up line (README, "Which path a run takes").

    python -m bench.cpu_paths --bert_config_file=official_configs/bert_base_uncased.json \
      --warmup_steps=1 --steps=3
"""

import os
import tempfile

from absl import app, flags

from bench import train_step
from bert_tf import hardware
from bert_tf.config import BertConfig

# bench.train_step's flags (--bert_config_file, --seq_length, --batch_size,
# --max_predictions_per_seq, --warmup_steps, --steps), but --dtype and --enable_xla: each path
# runs.
flags.DEFINE_integer("rounds", 2, "Rounds over the paths; each path's best round counts.")
FLAGS = flags.FLAGS

PATHS = (("float32", True), ("mixed_bfloat16", True), ("float32", False), ("mixed_bfloat16", False))


def main(argv):
    del argv
    config = BertConfig.from_json_file(FLAGS.bert_config_file)
    data = train_step.synthetic_batch(
        config, FLAGS.batch_size, FLAGS.seq_length, FLAGS.max_predictions_per_seq
    )
    print(
        f"CPU: {hardware.describe()}  ISA features: {', '.join(hardware.isa_features())}  "
        f"auto XLA: {hardware.xla_by_default('cpu')[0]}"
    )
    print(
        f"config: {os.path.basename(FLAGS.bert_config_file)}  seq {FLAGS.seq_length}  "
        f"batch {FLAGS.batch_size}"
    )
    with tempfile.TemporaryDirectory() as output_dir:
        runs = {}
        for dtype, xla in PATHS:
            run_steps = train_step.pretraining_step(
                config, data, os.path.join(output_dir, f"{dtype}-{xla}"), dtype, xla
            )
            run_steps(FLAGS.warmup_steps)
            runs[dtype, xla] = run_steps
        best = {path: float("inf") for path in PATHS}
        for _ in range(FLAGS.rounds):
            for path, run_steps in runs.items():
                best[path] = min(best[path], train_step.seconds_per_step(run_steps, FLAGS.steps)[0])
    reference = best["float32", True]
    for (dtype, xla), seconds in best.items():
        print(
            f"{hardware.describe()}  XLA {'on ' if xla else 'off'}  {dtype:<14}  "
            f"{seconds:.2f} s/step  {reference / seconds:.2f}x XLA-on float32"
        )
    print(
        f"mixed_bfloat16 / float32 without XLA: "
        f"{best['float32', False] / best['mixed_bfloat16', False]:.2f}x"
    )


if __name__ == "__main__":
    app.run(main)
