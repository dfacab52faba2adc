"""Learns a WordPiece vocab from text files.

  python -m data_prep.build_vocab --input_file=corpus/*.txt --output_file=vocab.txt \
      --vocab_size=30522 --do_lower_case
"""

from absl import flags, logging

from bert_tf import cli, common_flags
from bert_tf.data_prep import pretraining_data, vocab_learning
from bert_tf.file_io import check_output_file
from bert_tf.options import TextOptions

FLAGS = flags.FLAGS
flags.DEFINE_string("input_file", None, "Input text files: comma-separated list of files or globs.")
flags.DEFINE_string("output_file", None, "Where to write the vocab, one token per line.")
flags.DEFINE_integer(
    "vocab_size", 30522, "Target vocab size, reserved and unused tokens included.", lower_bound=1
)
common_flags.define_option_flags(TextOptions, names=("do_lower_case",))
flags.DEFINE_list(
    "reserved_tokens",
    ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
    "Reserved tokens; the first one gets id 0, the others follow the leading "
    "[unusedN] slots, as in Google's vocabs.",
)
flags.DEFINE_integer(
    "num_unused", 100, "Number of [unusedN] slots kept for later use.", lower_bound=0
)
flags.mark_flags_as_required(["input_file", "output_file"])


def main(argv):
    del argv
    input_files = pretraining_data.expand_input_patterns(FLAGS.input_file)
    check_output_file(FLAGS.output_file, "output_file")
    tokens = vocab_learning.learn_vocab(
        input_files, FLAGS.vocab_size, FLAGS.do_lower_case, FLAGS.reserved_tokens, FLAGS.num_unused
    )
    vocab_learning.write_vocab(tokens, FLAGS.output_file)
    logging.info("Wrote %d tokens to %s", len(tokens), FLAGS.output_file)


def run():
    """The `bert-build-vocab` console script."""
    cli.run_script(main)


if __name__ == "__main__":
    run()
