"""Pretrains BERT (masked LM + next sentence) on TFRecords of create_pretraining_data.py, or on
raw text with new pairs and masks every epoch (--input_format=text, RoBERTa's dynamic masking).

Flags follow the original google-research/bert run_pretraining.py; the
distribution, precision and optimizer flags are new.

    python -m bert_tf.run_pretraining --bert_config_file=bert_config.json \
        --input_file='data/*.tfrecord' --output_dir=out --do_train --do_eval \
        --train_batch_size=32 --max_seq_length=128 --max_predictions_per_seq=20 \
        --num_train_steps=10000 --num_warmup_steps=1000 --learning_rate=1e-4
"""

from absl import flags

from bert_tf import common_flags, run_script
from bert_tf.training.pretraining import PretrainingOptions, run_pretraining

common_flags.define_engine_flags(PretrainingOptions, {
    "bert_config_file": "bert_config.json of the model to pretrain.",
    "input_file": "Input TFRecord file(s), or text files with --input_format=text: "
                  "comma-separated glob patterns.",
    "input_format": "tfrecord: create_pretraining_data's records. text: one sentence per line, a "
                    "blank line between documents, tokenized once and made into examples as "
                    "create_pretraining_data does, with new pairs and masks every epoch (the "
                    "corpus must fit in memory).",
    "vocab_file": "--input_format=text: the vocabulary file.",
    "do_lower_case": "--input_format=text: lower-case the input text.",
    "do_whole_word_mask": "--input_format=text: mask whole words instead of word pieces.",
    "masked_lm_prob": "--input_format=text: masked LM probability.",
    "short_seq_prob": "--input_format=text: probability of creating sequences shorter than "
                      "the maximum length.",
    "init_checkpoint": "Checkpoint to start from when output_dir has none (ours, Google's TF1 "
                       "or Hugging Face), heads included.",
    "max_seq_length": "Sequence length of the records; must match the input files.",
    "max_predictions_per_seq": "Masked positions per sequence; must match the input files.",
    "do_eval": "Whether to evaluate on --input_file.",
    "num_train_steps": "Number of updates.",
    "num_warmup_steps": "Linear warmup steps.",
    "max_eval_steps": "Maximum number of eval batches.",
})

FLAGS = flags.FLAGS


def main(argv):
    del argv
    run_pretraining(common_flags.options_from_flags(PretrainingOptions))



def run():
    """The `bert-run-pretraining` console script."""
    run_script(main)


if __name__ == "__main__":
    run()
