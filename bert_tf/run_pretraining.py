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

from bert_tf import cli, common_flags
from bert_tf.training.pretraining import PretrainingOptions, run_pretraining

# The data-prep options apply to --input_format=text (their seed is --seed); the records'
# lengths, max_seq_length and max_predictions_per_seq, to both formats.
common_flags.define_engine_flags(
    PretrainingOptions, skip=("random_seed", "dupe_factor", "input_chunk_bytes")
)
common_flags.define_override_flag()

FLAGS = flags.FLAGS


def main(argv):
    del argv
    common_flags.settle(("bert_config_file", "vocab_file", "do_lower_case"))
    common_flags.require("bert_config_file")
    run_pretraining(common_flags.options_from_flags(PretrainingOptions))


def run():
    """The `bert-run-pretraining` console script."""
    cli.run_script(main)


if __name__ == "__main__":
    run()
