"""Fine-tunes BERT on CoNLL-2003 NER and scores it as conlleval does.

    python -m bert_tf.run_ner --data_dir=conll2003 --vocab_file=vocab.txt \
      --bert_config_file=bert_config.json --init_checkpoint=bert_model.ckpt --do_lower_case=False \
      --do_train --do_eval --do_predict --max_seq_length=128 --train_batch_size=32 \
      --learning_rate=5e-5 --num_train_epochs=4 --output_dir=/tmp/ner

--do_predict writes predictions.txt, one `word gold predicted` line per word, which
conlleval reads as it is.
"""

from absl import flags

from bert_tf import cli, common_flags
from bert_tf.tasks.ner import NerTask
from bert_tf.tokenization import Tokenizer
from bert_tf.training.finetuning import Finetuner

flags.DEFINE_string(
    "data_dir",
    None,
    "Directory with eng.train, eng.testa, eng.testb "
    "(or train.txt, valid.txt, test.txt) in the CoNLL column format.",
)
flags.DEFINE_enum(
    "data_source",
    "conll",
    ["conll", "tfds"],
    "Read the CoNLL column files, or the TFDS conll2003 builder.",
)
flags.DEFINE_string("tfds_data_dir", None, "TFDS data directory (--data_source=tfds).")
flags.DEFINE_list("label_list", None, "Tags, comma separated (default: the 9 CoNLL-2003 tags).")
flags.DEFINE_enum(
    "tag_scheme",
    None,
    ["IOB1", "IOB2"],
    "Convert every split's tags to this scheme (default: keep them as read).",
)
common_flags.define_finetuning_flags()
FLAGS = flags.FLAGS


def main(_):
    options = common_flags.finetuning_options()
    tokenizer = Tokenizer(options.vocab_file, do_lower_case=options.do_lower_case)
    task = NerTask(
        tokenizer,
        options.max_seq_length,
        data_dir=FLAGS.data_dir,
        data_source=FLAGS.data_source,
        label_list=FLAGS.label_list,
        tag_scheme=FLAGS.tag_scheme,
        tfds_data_dir=FLAGS.tfds_data_dir,
    )
    Finetuner(task, options).run()


def run():
    """The `bert-run-ner` console script."""
    cli.run_script(main)


if __name__ == "__main__":
    run()
