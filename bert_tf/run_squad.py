"""Fine-tunes BERT on SQuAD v1.1 or v2.0 and writes predictions the official scripts read.

    python -m bert_tf.run_squad --vocab_file=vocab.txt --bert_config_file=bert_config.json \
      --init_checkpoint=bert_model.ckpt --do_train --train_file=train-v1.1.json \
      --do_predict --predict_file=dev-v1.1.json --train_batch_size=32 --learning_rate=5e-5 \
      --num_train_epochs=3 --max_seq_length=384 --doc_stride=128 --output_dir=/tmp/squad

--do_predict writes predictions.json, nbest_predictions.json (and null_odds.json for
v2.0); when the predict file holds answers it also scores them as the official
evaluation scripts do, into eval_results.txt and TensorBoard.
"""

from absl import flags

from bert_tf import cli, common_flags
from bert_tf.tasks.squad import SquadOptions, SquadTask
from bert_tf.tokenization import Tokenizer
from bert_tf.training.finetuning import Finetuner

flags.DEFINE_string("train_file", None, "SQuAD JSON for training, e.g. train-v1.1.json.")
flags.DEFINE_string("predict_file", None, "SQuAD JSON for predictions, e.g. dev-v1.1.json.")
flags.DEFINE_enum(
    "data_source",
    "json",
    ["json", "tfds"],
    "Read the SQuAD JSON files, or the TFDS squad/v1.1 or squad/v2.0 builders.",
)
flags.DEFINE_string("tfds_data_dir", None, "TFDS data directory (--data_source=tfds).")
common_flags.define_option_flags(SquadOptions)
common_flags.define_finetuning_flags(max_seq_length=384, eval_during_training=False)
FLAGS = flags.FLAGS


def main(_):
    options = common_flags.finetuning_options()
    tokenizer = Tokenizer(options.vocab_file, do_lower_case=options.do_lower_case)
    task = SquadTask(
        tokenizer,
        options.max_seq_length,
        train_file=FLAGS.train_file,
        predict_file=FLAGS.predict_file,
        options=common_flags.options_from_flags(SquadOptions),
        data_source=FLAGS.data_source,
        tfds_data_dir=FLAGS.tfds_data_dir,
    )
    # The original scores predictions with a separate script; here a predict file with
    # answers is scored too, from the same model outputs.
    options.do_eval = options.do_eval or options.do_predict
    Finetuner(task, options).run()


def run():
    """The `bert-run-squad` console script."""
    cli.run_script(main)


if __name__ == "__main__":
    run()
