"""The serving module of each export type, and writing one as a SavedModel version.

The caller (export_saved_model) builds the model and reads its weights."""

import os

import tensorflow as tf

from bert_tf.errors import ConfigError
from bert_tf.export import serving_modules
from bert_tf.export.saved_model_writer import next_version, write_version
from bert_tf.models import MODEL_TYPES

SERVING_MODULES = {
    "encoder": serving_modules.EncoderServing,
    "pretrainer": serving_modules.PretrainerServing,
    "classifier": serving_modules.ClassifierServing,
    "squad": serving_modules.SquadServing,
    "swag": serving_modules.SwagServing,
    "ner": serving_modules.NerServing,
}
assert set(SERVING_MODULES) == set(MODEL_TYPES), "every model type of the table of heads serves"

# Where the encoder export puts its text -> input ids SavedModel, inside the version.
PREPROCESSING_DIR = "preprocessing"


def make_serving_module(model_type, model, tokenizer, max_seq_length, **options):
    """The serving module of `model_type`; options are its constructor's own arguments."""
    config = model.encoder.config if hasattr(model, "encoder") else model.config
    if not 3 <= max_seq_length <= config.max_position_embeddings:
        raise ConfigError(
            f"max_seq_length={max_seq_length} must be between 3 and the model's "
            f"max_position_embeddings ({config.max_position_embeddings})"
        )
    config.check_vocab_size(tokenizer.vocab_size, tokenizer.vocab_file, "the model's config")
    return SERVING_MODULES[model_type](model, tokenizer, max_seq_length, **options)


def export_saved_model(module, export_dir, version=None, overwrite=False, function_keys=None):
    """Writes `module` as <export_dir>/<version>/ (the next free version if None).

    function_keys maps the serving functions to export to their signature names (default
    serving_modules.DEFAULT_FUNCTION_KEYS). Without serve_text, the tokenizer is not saved:
    the SavedModel then holds no tensorflow-text op, and loads where those ops are not
    linked in. An EncoderServing module exported with serve_text also gets the
    preprocessing SavedModel (text -> input ids) at <export_dir>/<version>/preprocessing/.

    Returns:
        str, the version directory.
    """
    if version is None:
        version = next_version(export_dir)
    function_keys = function_keys or serving_modules.DEFAULT_FUNCTION_KEYS
    signatures = module.signatures(function_keys)
    with_text = "serve_text" in function_keys
    saved = module
    if not with_text:  # the model's variables and the vocab, not the tokenizer
        saved = tf.Module()
        saved.model_variables = module.model_variables
        saved.vocab_file = module.vocab_file

    def write(path):
        tf.saved_model.save(saved, path, signatures=signatures)
        if with_text and isinstance(module, serving_modules.EncoderServing):
            preprocessing = serving_modules.PreprocessingModule(
                module.tokenizer, module.max_seq_length
            )
            tf.saved_model.save(
                preprocessing,
                os.path.join(path, PREPROCESSING_DIR),
                signatures=preprocessing.signatures(),
            )

    return write_version(export_dir, version, write, overwrite)
