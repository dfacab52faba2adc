"""Creates masked LM / next sentence prediction TFRecords (flags of the original script).

  python -m data_prep.create_pretraining_data --input_file=corpus/*.txt \
      --output_file=out/train-0.tfrecord,out/train-1.tfrecord --vocab_file=vocab.txt \
      --do_lower_case --max_seq_length=128 --max_predictions_per_seq=20 --dupe_factor=5
"""

from absl import flags, logging

from bert_tf import run_script
from data_prep import pretraining_data

FLAGS = flags.FLAGS
flags.DEFINE_string("input_file", None, "Input text files: comma-separated list of files or globs.")
flags.DEFINE_string("output_file", None, "Output TFRecord files: comma-separated list of shards.")
flags.DEFINE_string("vocab_file", None, "The vocabulary file the BERT model was trained on.")
flags.DEFINE_bool("do_lower_case", True, "Lower-case the input text (uncased models).")
flags.DEFINE_bool("do_whole_word_mask", False, "Mask whole words instead of word pieces.")
flags.DEFINE_integer("max_seq_length", 128, "Maximum sequence length.")
flags.DEFINE_integer("max_predictions_per_seq", 20, "Maximum masked LM predictions per sequence.")
flags.DEFINE_integer("random_seed", 12345, "Random seed for data generation.")
flags.DEFINE_integer("dupe_factor", 10, "Times to duplicate the input data (with different masks).")
flags.DEFINE_float("masked_lm_prob", 0.15, "Masked LM probability.")
flags.DEFINE_float(
    "short_seq_prob", 0.1, "Probability of creating sequences shorter than the maximum length."
)
flags.DEFINE_integer(
    "num_workers",
    None,
    "Workers making records, and threads tokenizing "
    "(default: the CPU count). The output does not depend on it.",
)
flags.DEFINE_enum(
    "workers",
    "auto",
    ["auto", "threads", "processes"],
    "Workers as threads (no start-up cost, scale to 2-3 cores) or as processes "
    "(scale with the cores); auto: threads up to 2 workers.",
)


def options_from_flags():
    """pretraining_data.Options from the parsed flags (also what bench/data_prep.py runs)."""
    return pretraining_data.Options(
        vocab_file=FLAGS.vocab_file,
        do_lower_case=FLAGS.do_lower_case,
        do_whole_word_mask=FLAGS.do_whole_word_mask,
        max_seq_length=FLAGS.max_seq_length,
        max_predictions_per_seq=FLAGS.max_predictions_per_seq,
        random_seed=FLAGS.random_seed,
        dupe_factor=FLAGS.dupe_factor,
        masked_lm_prob=FLAGS.masked_lm_prob,
        short_seq_prob=FLAGS.short_seq_prob,
    )


def main(argv):
    del argv
    input_files = pretraining_data.expand_input_patterns(FLAGS.input_file)
    output_files = [f.strip() for f in FLAGS.output_file.split(",") if f.strip()]
    options = options_from_flags()
    logging.info(
        "Reading %d input files; writing %d output files", len(input_files), len(output_files)
    )
    summary = pretraining_data.create_pretraining_data(
        input_files, output_files, options, num_workers=FLAGS.num_workers, workers=FLAGS.workers
    )
    logging.info("Wrote %s: %s", ",".join(output_files), summary.describe())


def run():
    """The `bert-create-pretraining-data` console script."""
    flags.mark_flags_as_required(["input_file", "output_file", "vocab_file"])
    run_script(main)


if __name__ == "__main__":
    run()
