"""Flags the absl scripts share, with google-research/bert's names and defaults.

`define_engine_flags` are the training-engine flags of pretraining and fine-tuning
(strategy, precision, XLA, optimizer, loop); `define_finetuning_flags` adds the
common flags of the original run_classifier.py / run_squad.py.
"""

import dataclasses

from absl import flags

from bert_tf.training.finetuning import FinetuningOptions

FLAGS = flags.FLAGS


def define_engine_flags(steps_per_loop=1000):
    flags.DEFINE_enum("distribution_strategy", "one_device",
                      ["one_device", "mirrored", "multi_worker_mirrored", "tpu"],
                      "tf.distribute strategy; multi_worker_mirrored reads the cluster from TF_CONFIG.")
    flags.DEFINE_integer("num_gpus", 0, "GPUs to use (0: CPU for one_device, all for mirrored).")
    flags.DEFINE_string("tpu", "", "TPU name or address for --distribution_strategy=tpu.")
    flags.DEFINE_alias("tpu_name", "tpu")
    flags.DEFINE_bool("use_tpu", False, "The original's flag: --distribution_strategy=tpu.")
    flags.DEFINE_enum("dtype", "float32", ["float32", "mixed_float16", "mixed_bfloat16"],
                      "Compute precision; mixed_float16 adds dynamic loss scaling.")
    flags.DEFINE_bool("enable_xla", False, "Compile the training step with XLA.")
    flags.DEFINE_enum("optimizer", "adamw", ["adamw", "lamb"],
                      "AdamW (weight decay 0.01, not on LayerNorm/bias) or LAMB (Keras' Lamb: "
                      "decay outside the trust ratio); both with linear warmup then linear "
                      "decay to 0 and global-norm clipping at 1.0.")
    flags.DEFINE_bool("adam_bias_correction", False,
                      "Use Adam bias correction (Keras/Model Garden); the original AdamW has none.")
    flags.DEFINE_integer("gradient_accumulation_steps", 1,
                         "Micro-batches per update; the batch-size flags stay the whole update's batch.")
    flags.DEFINE_integer("steps_per_loop", steps_per_loop,
                         "Updates per call of the compiled training loop.")
    flags.DEFINE_alias("iterations_per_loop", "steps_per_loop")
    flags.DEFINE_integer("log_steps", 100, "Updates between progress logs and TensorBoard scalars.")
    flags.DEFINE_integer("keep_checkpoint_max", 5, "Checkpoints kept.")
    flags.DEFINE_integer("seed", None, "Random seed for weights, dropout and shuffling.")


def define_finetuning_flags(max_seq_length=128, train_batch_size=32, learning_rate=5e-5,
                            num_train_epochs=3.0, eval_during_training=True):
    """The original fine-tuning flags; defaults may differ per script (as in the original)."""
    flags.DEFINE_string("bert_config_file", None, "bert_config.json of the pretrained model.")
    flags.DEFINE_string("vocab_file", None, "The vocabulary file the model was trained on.")
    flags.DEFINE_string("output_dir", None,
                        "Where checkpoints, TensorBoard logs, eval_results.txt and predictions go.")
    flags.DEFINE_string("init_checkpoint", "",
                        "Pretrained weights: a bert_tf checkpoint (prefix or directory), a Google "
                        "TF1 bert_model.ckpt prefix, or a Hugging Face directory / weights file. "
                        "The encoder loads; the task head starts fresh.")
    flags.DEFINE_bool("do_lower_case", True, "Lower-case and strip accents (uncased models).")
    flags.DEFINE_integer("max_seq_length", max_seq_length,
                         "Tokens per sequence after WordPiece; longer inputs are truncated, "
                         "shorter ones padded.")
    flags.DEFINE_bool("do_train", False, "Whether to fine-tune.")
    flags.DEFINE_bool("do_eval", False,
                      "Whether to evaluate the final model on the dev set and write "
                      "eval_results.txt.")
    flags.DEFINE_bool("eval_during_training", eval_during_training,
                      "With --do_train --do_eval, also score the dev set at every checkpoint "
                      "(TensorBoard eval curves) and keep the best model by the task's metric "
                      "in output_dir/best/.")
    flags.DEFINE_bool("do_predict", False, "Whether to write predictions for the test set.")
    flags.DEFINE_integer("train_batch_size", train_batch_size, "Global training batch size.")
    flags.DEFINE_integer("eval_batch_size", 8, "Global evaluation batch size.")
    flags.DEFINE_integer("predict_batch_size", 8, "Global prediction batch size.")
    flags.DEFINE_float("learning_rate", learning_rate, "Peak learning rate of AdamW.")
    flags.DEFINE_float("num_train_epochs", num_train_epochs, "Epochs over the training examples.")
    flags.DEFINE_float("warmup_proportion", 0.1,
                       "Fraction of the training steps with linear learning-rate warmup.")
    flags.DEFINE_integer("save_checkpoints_steps", 1000,
                         "Updates between checkpoints (and dev evaluations when --do_eval).")
    define_engine_flags(steps_per_loop=100)
    flags.mark_flags_as_required(["bert_config_file", "vocab_file", "output_dir"])


def options_from_flags(options_class):
    """An options dataclass (PretrainingOptions, FinetuningOptions) from the parsed flags."""
    values = {field.name: FLAGS[field.name].value for field in dataclasses.fields(options_class)}
    if FLAGS.use_tpu:
        values["distribution_strategy"] = "tpu"
    return options_class(**values)


def finetuning_options():
    return options_from_flags(FinetuningOptions)
