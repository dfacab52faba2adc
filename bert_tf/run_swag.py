"""Fine-tunes BERT on SWAG (four endings per example, multiple-choice head).

    python -m bert_tf.run_swag --data_dir=swagaf/data --vocab_file=vocab.txt \
      --bert_config_file=bert_config.json --init_checkpoint=bert_model.ckpt \
      --do_train --do_eval --max_seq_length=128 --train_batch_size=16 \
      --learning_rate=2e-5 --num_train_epochs=3 --output_dir=/tmp/swag
"""

from absl import flags

from bert_tf import cli, common_flags
from bert_tf.tasks.swag import SwagTask
from bert_tf.tokenization import Tokenizer
from bert_tf.training.finetuning import Finetuner

flags.DEFINE_string("data_dir", None, "Directory with SWAG's train.csv, val.csv and test.csv.")
common_flags.define_finetuning_flags(train_batch_size=16, learning_rate=2e-5)
flags.mark_flag_as_required("data_dir")
FLAGS = flags.FLAGS


def main(_):
    options = common_flags.finetuning_options()
    tokenizer = Tokenizer(options.vocab_file, do_lower_case=options.do_lower_case)
    task = SwagTask(tokenizer, options.max_seq_length, FLAGS.data_dir)
    Finetuner(task, options).run()


def run():
    """The `bert-run-swag` console script."""
    cli.run_script(main)


if __name__ == "__main__":
    run()
