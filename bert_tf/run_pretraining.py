"""Pretrains BERT (masked LM + next sentence) on TFRecords of create_pretraining_data.py.

Flags follow the original google-research/bert run_pretraining.py; the
distribution, precision and optimizer flags are new.

    python -m bert_tf.run_pretraining --bert_config_file=bert_config.json \
        --input_file='data/*.tfrecord' --output_dir=out --do_train --do_eval \
        --train_batch_size=32 --max_seq_length=128 --max_predictions_per_seq=20 \
        --num_train_steps=10000 --num_warmup_steps=1000 --learning_rate=1e-4
"""

import dataclasses

from absl import app, flags

from bert_tf.training.pretraining import PretrainingOptions, run_pretraining

flags.DEFINE_string("bert_config_file", None, "bert_config.json of the model to pretrain.")
flags.DEFINE_string("input_file", None,
                    "Input TFRecord file(s): comma-separated glob patterns.")
flags.DEFINE_string("output_dir", None,
                    "Where checkpoints, summaries and eval_results.txt are written; a run "
                    "resumes from the latest checkpoint found here.")
flags.DEFINE_string("init_checkpoint", "",
                    "Checkpoint (ours) to start from when output_dir has none.")
flags.DEFINE_integer("max_seq_length", 128,
                     "Sequence length of the records; must match the input files.")
flags.DEFINE_integer("max_predictions_per_seq", 20,
                     "Masked positions per sequence; must match the input files.")
flags.DEFINE_bool("do_train", False, "Whether to train.")
flags.DEFINE_bool("do_eval", False, "Whether to evaluate on --input_file.")
flags.DEFINE_integer("train_batch_size", 32, "Global training batch size (all replicas).")
flags.DEFINE_integer("eval_batch_size", 8, "Global evaluation batch size.")
flags.DEFINE_float("learning_rate", 5e-5, "Peak learning rate.")
flags.DEFINE_integer("num_train_steps", 100000, "Number of updates.")
flags.DEFINE_integer("num_warmup_steps", 10000, "Linear warmup steps.")
flags.DEFINE_integer("save_checkpoints_steps", 1000, "Updates between checkpoints.")
flags.DEFINE_integer("steps_per_loop", 1000, "Updates per call of the compiled training loop.")
flags.DEFINE_alias("iterations_per_loop", "steps_per_loop")
flags.DEFINE_integer("max_eval_steps", 100, "Maximum number of eval batches.")
flags.DEFINE_enum("distribution_strategy", "one_device",
                  ["one_device", "mirrored", "multi_worker_mirrored", "tpu"],
                  "tf.distribute strategy; multi_worker_mirrored reads TF_CONFIG.")
flags.DEFINE_integer("num_gpus", 0, "GPUs to use (0: CPU for one_device, all for mirrored).")
flags.DEFINE_string("tpu", "", "TPU name or address for --distribution_strategy=tpu.")
flags.DEFINE_enum("dtype", "float32", ["float32", "mixed_float16", "mixed_bfloat16"],
                  "Compute precision; mixed_float16 adds dynamic loss scaling.")
flags.DEFINE_bool("enable_xla", False, "Compile the training step with XLA.")
flags.DEFINE_enum("optimizer", "adamw", ["adamw", "lamb"], "Optimizer.")
flags.DEFINE_bool("adam_bias_correction", False,
                  "Use Adam bias correction (Keras/Model Garden); the original has none.")
flags.DEFINE_integer("gradient_accumulation_steps", 1,
                     "Micro-batches whose gradients are averaged into one update.")
flags.DEFINE_integer("log_steps", 100, "Updates between progress logs and train summaries.")
flags.DEFINE_integer("keep_checkpoint_max", 5, "Checkpoints kept.")
flags.DEFINE_integer("seed", None, "Random seed for weights, dropout and shuffling.")
flags.mark_flags_as_required(["bert_config_file", "input_file", "output_dir"])

FLAGS = flags.FLAGS


def main(argv):
    del argv
    options = PretrainingOptions(**{field.name: FLAGS[field.name].value
                                    for field in dataclasses.fields(PretrainingOptions)})
    run_pretraining(options)


if __name__ == "__main__":
    app.run(main)
