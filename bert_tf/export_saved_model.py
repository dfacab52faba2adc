"""Exports a model as a TF Serving SavedModel: raw text in, task outputs out.

    python -m bert_tf.export_saved_model --init_checkpoint=mrpc_output/best \
        --export_dir=serving/mrpc

writes serving/mrpc/<version>/ (TF Serving's layout) with the model type, config, vocab,
casing, sequence length, labels and task options the fine-tuning run recorded in its model
directory (bert_tf/model_settings.py); a checkpoint without them takes them as flags
(--model_type, --bert_config_file, --vocab_file, ...). The signatures of each model type are
documented in bert_tf/export/serving_modules.py.
"""

import dataclasses

from absl import app, flags, logging

from bert_tf import cli, common_flags
from bert_tf.checkpoints import load_pretrained
from bert_tf.config import BertConfig
from bert_tf.export import model_export, serving_modules
from bert_tf.export.pooling import PoolingOptions
from bert_tf.export.saved_model_writer import existing_versions
from bert_tf.file_io import check_output_dir
from bert_tf.models import HEADS_BY_TYPE, MODEL_TYPES, BertEncoder, build_model
from bert_tf.options import TextOptions
from bert_tf.tasks.squad import SquadOptions
from bert_tf.tokenization import Tokenizer
from bert_tf.training.engine import RunOptions

flags.DEFINE_enum(
    "model_type",
    None,
    list(MODEL_TYPES),
    "What to export: encoder (sequence and pooled output; also writes "
    "<version>/preprocessing/, a text -> input ids SavedModel), pretrainer "
    "(top-k tokens at each [MASK]), classifier, squad, swag or ner. Default: the "
    "model type --init_checkpoint's model directory records; encoder reads the "
    "encoder of any of our checkpoints.",
)
# --dtype=mixed_bfloat16 serves faster on CPUs that multiply bfloat16 natively (AVX512_BF16,
# AMX); the README's serving table has the figures.
common_flags.define_option_flags(
    RunOptions, init_checkpoint=None, names=("bert_config_file", "init_checkpoint", "dtype")
)
common_flags.define_option_flags(TextOptions)
common_flags.define_option_flags(SquadOptions)
common_flags.define_option_flags(PoolingOptions)
common_flags.define_override_flag()
flags.DEFINE_string(
    "export_dir",
    None,
    "The model's base directory (TF Serving's "
    "--model_base_path); the version is written in <export_dir>/<version>/.",
)
flags.DEFINE_integer(
    "version",
    None,
    "Version number (the subdirectory name). Default: one "
    "more than the highest existing version, or 1.",
)
flags.DEFINE_bool("overwrite", False, "Replace an existing --version instead of refusing.")
flags.DEFINE_integer(
    "num_labels",
    None,
    "classifier: number of classes (1 = regression, "
    "output 'score'); ner: number of tags. Implied by --label_list.",
)
flags.DEFINE_list(
    "label_list",
    None,
    "classifier: class names in logit order (adds the "
    "'label' output); ner: tag names in logit order (required).",
)
flags.DEFINE_integer("num_choices", 4, "swag: endings per example.")
flags.DEFINE_integer("top_k", 5, "pretrainer: tokens returned per [MASK].")
flags.DEFINE_list(
    "function_keys",
    ["serve_text:serving_default", "serve_token_ids"],
    "Serving functions to export, each FUNCTION[:SIGNATURE] (the signature name "
    "defaults to the function's), as Model Garden's: serve_text (raw text in) and "
    "serve_token_ids (input ids in). Without serve_text the SavedModel holds no "
    "tensorflow-text op, for servers built without them: "
    "--function_keys=serve_token_ids:serving_default.",
)
flags.DEFINE_bool(
    "jit_compile",
    False,
    "Run the model as one XLA program, compiled on the "
    "first request of each input shape: faster on some CPUs, slower on others "
    "(README, Benchmarks); TF Serving then needs "
    "--xla_cpu_compilation_enabled=true.",
)
flags.mark_flags_as_required(["init_checkpoint", "export_dir"])
# What --init_checkpoint's model directory records, read by main() for the flags left out.
SETTINGS = (
    "bert_config_file",
    "vocab_file",
    "do_lower_case",
    "max_seq_length",
    "label_list",
    "num_labels",
    *(field.name for field in dataclasses.fields(SquadOptions)),
)


def _head_options(f):
    """The serving module's own arguments for --model_type, from the flags."""
    labels = f.label_list
    if labels and f.num_labels and len(labels) != f.num_labels:
        raise app.UsageError(
            f"--label_list has {len(labels)} names but --num_labels={f.num_labels}"
        )
    num_labels = len(labels) if labels else f.num_labels
    head = HEADS_BY_TYPE.get(f.model_type)
    if head and head.takes_num_labels and not num_labels:
        raise app.UsageError(f"--model_type={f.model_type} needs --num_labels or --label_list")
    if f.model_type == "classifier":
        return {"num_labels": num_labels, "labels": labels}
    if f.model_type == "ner":
        if not labels:
            raise app.UsageError("--model_type=ner needs --label_list (the tag names)")
        return {"labels": labels}
    if f.model_type == "squad":
        return {"options": common_flags.options_from_flags(SquadOptions)}
    if f.model_type == "swag":
        return {"num_choices": f.num_choices}
    if f.model_type == "pretrainer":
        return {"top_k": f.top_k}
    if f.model_type == "encoder":
        return {"pooling": f.pooling, "normalize": f.normalize}
    if f.pooling != "none" or f.normalize:
        raise app.UsageError(
            f"--pooling and --normalize are for --model_type=encoder, not {f.model_type}"
        )
    return {}


def _function_keys(entries):
    """--function_keys entries -> {serving function: signature name}."""
    keys = {}
    for entry in entries:
        function, _, signature = entry.partition(":")
        if function not in serving_modules.DEFAULT_FUNCTION_KEYS:
            raise app.UsageError(
                f"--function_keys: unknown serving function {function!r} in "
                f"{entry!r}; expected serve_text or serve_token_ids"
            )
        if function in keys:
            raise app.UsageError(f"--function_keys: {function} is given twice")
        keys[function] = signature or function
    if not keys:
        raise app.UsageError("--function_keys is empty; give serve_text and/or serve_token_ids")
    if len(set(keys.values())) < len(keys):
        raise app.UsageError(f"--function_keys: two functions share a signature name: {entries}")
    return keys


def main(argv):
    del argv
    f = flags.FLAGS
    # An encoder export reads the encoder of any model; every other type is the one recorded.
    common_flags.settle(SETTINGS if f.model_type == "encoder" else (*SETTINGS, "model_type"))
    common_flags.require("model_type", "bert_config_file", "vocab_file")
    check_output_dir(f.export_dir, "export_dir")
    options = _head_options(f)
    function_keys = _function_keys(f.function_keys)
    if f.version is not None and not f.overwrite and f.version in existing_versions(f.export_dir):
        # Refused before the model is built; write_version checks again when it renames.
        raise app.UsageError(
            f"version {f.version} already exists in {f.export_dir}; pass "
            "--overwrite to replace it or choose another --version"
        )
    num_labels = options.get("num_labels") or len(options.get("labels") or [])
    # mixed_bfloat16: float32 weights, bfloat16 products (the model's outputs are cast back).
    encoder = BertEncoder(BertConfig.from_json_file(f.bert_config_file), dtype=f.dtype)
    model = build_model(f.model_type, encoder, num_labels=num_labels)
    load_pretrained(model, f.init_checkpoint)
    tokenizer = Tokenizer(f.vocab_file, do_lower_case=f.do_lower_case)
    module = model_export.make_serving_module(
        f.model_type, model, tokenizer, f.max_seq_length, jit_compile=f.jit_compile, **options
    )
    try:
        path = model_export.export_saved_model(
            module, f.export_dir, f.version, f.overwrite, function_keys
        )
    except FileExistsError as error:
        raise app.UsageError(str(error)) from error
    logging.info("Exported %s to %s", f.model_type, path)


def run():
    """The `bert-export-saved-model` console script."""
    cli.run_script(main)


if __name__ == "__main__":
    run()
