"""Writes BERT activations for each line of a text file, as the original extract_features.py.

    python -m bert_tf.extract_features --input_file=input.txt --output_file=output.jsonl \
        --vocab_file=vocab.txt --bert_config_file=bert_config.json \
        --init_checkpoint=model.ckpt --layers=-1,-2,-3,-4 --max_seq_length=128
    python -m bert_tf.extract_features --init_checkpoint=all-MiniLM-L6-v2/ --layers=-1 \
        --pooling=mean --normalize --input_file=input.txt --output_file=embeddings.jsonl

Each input line is "text" or "text_a ||| text_b". See bert_tf/export/feature_extraction.py
for the output format.
"""

from absl import app, flags, logging

from bert_tf import cli, common_flags
from bert_tf.checkpoints import load_pretrained
from bert_tf.config import BertConfig
from bert_tf.export import feature_extraction
from bert_tf.export.pooling import PoolingOptions
from bert_tf.file_io import check_output_file
from bert_tf.models import BertEncoder
from bert_tf.options import TextOptions
from bert_tf.tokenization import Tokenizer
from bert_tf.training.engine import RunOptions

flags.DEFINE_string(
    "input_file", None, "Text file, one example per line: 'text' or 'text_a ||| text_b'."
)
flags.DEFINE_string("output_file", None, "JSON-lines file to write (atomically).")
flags.DEFINE_string(
    "layers",
    "-1,-2,-3,-4",
    "Comma-separated encoder layers to output; -1 is the last transformer layer.",
)
common_flags.define_option_flags(
    RunOptions, names=("bert_config_file", "init_checkpoint"), init_checkpoint=None
)
common_flags.define_option_flags(TextOptions)
common_flags.define_override_flag()
flags.DEFINE_integer("batch_size", 32, "Examples per encoder call.")
# none: per-token features (the original format); cls or mean: one 'embedding' per line,
# each of --layers pooled, concatenated (and normalized with --normalize).
common_flags.define_option_flags(PoolingOptions)
flags.mark_flags_as_required(["input_file", "output_file", "init_checkpoint"])


def main(argv):
    del argv
    f = flags.FLAGS
    try:
        layer_indexes = [int(x) for x in f.layers.split(",")]
    except ValueError as error:
        raise app.UsageError(
            f"--layers={f.layers!r} is not a comma-separated list of integers"
        ) from error
    common_flags.settle(("bert_config_file", "vocab_file", "do_lower_case", "max_seq_length"))
    common_flags.require("bert_config_file", "vocab_file")
    # The input is read and the output checked before the model is built and loaded.
    check_output_file(f.output_file, "output_file")
    examples = feature_extraction.read_examples(f.input_file)
    encoder = BertEncoder(BertConfig.from_json_file(f.bert_config_file))
    load_pretrained(encoder, f.init_checkpoint)
    extractor = feature_extraction.FeatureExtractor(
        encoder, Tokenizer(f.vocab_file, do_lower_case=f.do_lower_case), f.max_seq_length
    )
    records = feature_extraction.feature_records(
        extractor, examples, layer_indexes, f.pooling, f.normalize, f.batch_size
    )
    feature_extraction.write_json_lines(records, f.output_file)
    logging.info("Wrote features of %d lines to %s", len(examples), f.output_file)


def run():
    """The `bert-extract-features` console script."""
    cli.run_script(main)


if __name__ == "__main__":
    run()
