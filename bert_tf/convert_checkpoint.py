r"""Converts Google TF1 or Hugging Face BERT weights to our checkpoint, or ours to the TF1 layout.

    python -m bert_tf.convert_checkpoint \
        --input_checkpoint=uncased_L-12_H-768_A-12/bert_model.ckpt \
        --bert_config_file=uncased_L-12_H-768_A-12/bert_config.json --output_dir=converted
    python -m bert_tf.convert_checkpoint --input_checkpoint=bert-base-uncased/ \
        --output_dir=converted
    python -m bert_tf.convert_checkpoint --to_tf1 --input_checkpoint=converted/model.ckpt \
        --bert_config_file=converted/bert_config.json --output_dir=google_layout
"""

from absl import app, flags, logging

from bert_tf import cli, common_flags
from bert_tf.checkpoints import convert
from bert_tf.model_settings import find_settings
from bert_tf.training.engine import RunOptions

flags.DEFINE_enum(
    "checkpoint_format",
    "auto",
    ["auto", *convert.FORMATS],
    "Format of --input_checkpoint: tf1 (a bert_model.ckpt prefix), huggingface "
    "(a directory with config.json and model.safetensors or pytorch_model.bin, or "
    "the weights file), or auto to tell them apart. Ignored with --to_tf1.",
)
flags.DEFINE_string(
    "input_checkpoint",
    None,
    "The checkpoint to convert: a TF1 prefix, a Hugging Face directory or weights "
    "file, or with --to_tf1 one of our checkpoints (e.g. converted/model.ckpt).",
)
common_flags.define_option_flags(RunOptions, names=("bert_config_file",))
flags.DEFINE_string(
    "output_dir",
    None,
    "Directory to create (or an empty one) for model.ckpt (ours) or bert_model.ckpt "
    "(--to_tf1), plus bert_config.json and vocab.txt when the input has one; ours "
    "also gets model_settings.json (bert_tf/model_settings.py).",
)
flags.DEFINE_bool(
    "to_tf1", False, "Export one of our checkpoints to Google's TF1 variable layout instead."
)
flags.mark_flags_as_required(["input_checkpoint", "output_dir"])


def main(argv):
    del argv
    f = flags.FLAGS
    if f.to_tf1:
        settings = find_settings(f.input_checkpoint)
        config_file = f.bert_config_file or (settings and settings.bert_config_file)
        if not config_file:
            raise app.UsageError(
                "--to_tf1 needs --bert_config_file (the checkpoint's folder records none)"
            )
        prefix = convert.convert_to_tf1(f.input_checkpoint, config_file, f.output_dir)
        logging.info("Wrote TF1 checkpoint %s", prefix)
        return
    checkpoint_format = (
        convert.detect_format(f.input_checkpoint)
        if f.checkpoint_format == "auto"
        else f.checkpoint_format
    )
    prefix, unused = convert.convert_to_ours(
        f.input_checkpoint, checkpoint_format, f.bert_config_file, f.output_dir
    )
    if unused:
        logging.warning("Not converted (no such weight in the model): %s", ", ".join(unused))
    logging.info("Wrote %s", prefix)


def run():
    """The `bert-convert-checkpoint` console script."""
    cli.run_script(main)


if __name__ == "__main__":
    run()
