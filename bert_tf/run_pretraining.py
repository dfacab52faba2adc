"""Pretrains BERT (masked LM + next sentence) on TFRecords of create_pretraining_data.py, or on
raw text with new pairs and masks every epoch (--input_format=text, RoBERTa's dynamic masking).

Flags follow the original google-research/bert run_pretraining.py; the
distribution, precision and optimizer flags are new.

    python -m bert_tf.run_pretraining --bert_config_file=bert_config.json \
        --input_file='data/*.tfrecord' --output_dir=out --do_train --do_eval \
        --train_batch_size=32 --max_seq_length=128 --max_predictions_per_seq=20 \
        --num_train_steps=10000 --num_warmup_steps=1000 --learning_rate=1e-4
"""

from absl import app, flags

from bert_tf import common_flags
from bert_tf.training.pretraining import PretrainingOptions, run_pretraining

flags.DEFINE_string("bert_config_file", None, "bert_config.json of the model to pretrain.")
flags.DEFINE_string("input_file", None,
                    "Input TFRecord file(s), or text files with --input_format=text: "
                    "comma-separated glob patterns.")
flags.DEFINE_enum("input_format", "tfrecord", ["tfrecord", "text"],
                  "tfrecord: create_pretraining_data's records. text: one sentence per line, a "
                  "blank line between documents, tokenized once and made into examples as "
                  "create_pretraining_data does, with new pairs and masks every epoch (the "
                  "corpus must fit in memory).")
flags.DEFINE_string("vocab_file", "", "--input_format=text: the vocabulary file.")
flags.DEFINE_bool("do_lower_case", True, "--input_format=text: lower-case the input text.")
flags.DEFINE_bool("do_whole_word_mask", False,
                  "--input_format=text: mask whole words instead of word pieces.")
flags.DEFINE_float("masked_lm_prob", 0.15, "--input_format=text: masked LM probability.")
flags.DEFINE_float("short_seq_prob", 0.1, "--input_format=text: probability of creating "
                   "sequences shorter than the maximum length.")
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
flags.DEFINE_integer("max_eval_steps", 100, "Maximum number of eval batches.")
common_flags.define_engine_flags()
flags.mark_flags_as_required(["bert_config_file", "input_file", "output_dir"])

FLAGS = flags.FLAGS


def main(argv):
    del argv
    run_pretraining(common_flags.options_from_flags(PretrainingOptions))


if __name__ == "__main__":
    app.run(main)
