"""Creates masked LM / next sentence prediction TFRecords (flags of the original script).

  python -m data_prep.create_pretraining_data --input_file=corpus/*.txt \
      --output_file=out/train-0.tfrecord,out/train-1.tfrecord --vocab_file=vocab.txt \
      --do_lower_case --max_seq_length=128 --max_predictions_per_seq=20 --dupe_factor=5
"""

from absl import flags, logging

from bert_tf import cli, common_flags
from bert_tf.data_prep import pretraining_data

FLAGS = flags.FLAGS
flags.DEFINE_string("input_file", None, "Input text files: comma-separated list of files or globs.")
flags.DEFINE_string("output_file", None, "Output TFRecord files: comma-separated list of shards.")
common_flags.define_option_flags(pretraining_data.Options, skip=("input_chunk_bytes",))
flags.DEFINE_integer(
    "num_workers",
    None,
    "Workers making records, and threads tokenizing "
    "(default: the CPU count). The output does not depend on it.",
    lower_bound=1,
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
    return common_flags.options_from_flags(pretraining_data.Options)


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
    cli.run_script(main)


if __name__ == "__main__":
    run()
