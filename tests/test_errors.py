"""One base class for the errors a user can fix; a programming error stays a plain ValueError."""

import ast
import json
import os

import pytest

from bert_tf import errors
from bert_tf.errors import (
    CheckpointError,
    ConfigError,
    DataError,
    InputError,
    NonFiniteLossError,
    UserError,
)
from tests.keras_helpers import tiny_config

SUBCLASSES = (ConfigError, InputError, CheckpointError, DataError, NonFiniteLossError)


@pytest.mark.parametrize("error_class", SUBCLASSES)
def test_every_error_class_is_a_user_error_and_a_value_error(error_class):
    assert issubclass(error_class, UserError) and issubclass(error_class, ValueError)


def test_the_errors_module_imports_nothing():
    with open(errors.__file__, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    assert not [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]


def test_modules_that_raise_the_errors_do_not_define_their_own():
    from bert_tf import config, inputs
    from bert_tf.checkpoints import tf1
    from bert_tf.training import trainer

    assert config.ConfigError is ConfigError and inputs.InputError is InputError
    assert tf1.CheckpointError is CheckpointError
    assert trainer.NonFiniteLossError is NonFiniteLossError


def test_a_glue_row_with_too_few_fields_is_a_data_error_naming_file_and_line(tmp_path):
    from bert_tf.tasks.glue import GlueTask

    (tmp_path / "train.tsv").write_text(
        "index\tsentence1\tsentence2\tlabel\n0\tA.\tB.\tentailment\n1\tA.\n"
    )
    task = GlueTask("RTE", tokenizer=None, max_seq_length=16, data_dir=str(tmp_path))
    with pytest.raises(DataError, match=rf"^{tmp_path / 'train.tsv'}:3: expected at least 4"):
        task.read_examples("train")


def test_a_bert_config_with_a_bad_field_is_a_config_error_naming_it(tmp_path):
    from bert_tf.config import BertConfig

    values = tiny_config().to_dict()
    values["num_attention_heads"] = 5
    path = tmp_path / "bert_config.json"
    path.write_text(json.dumps(values))
    with pytest.raises(ConfigError, match=rf"^{path}: field 'hidden_size'"):
        BertConfig.from_json_file(str(path))


def test_a_truncated_checkpoint_is_a_checkpoint_error_naming_it(tmp_path):
    from bert_tf.checkpoints import load_pretrained, write_checkpoint
    from bert_tf.models import BertEncoder

    prefix = write_checkpoint(BertEncoder(tiny_config()), str(tmp_path / "model.ckpt"))
    data_file = prefix + ".data-00000-of-00001"
    with open(data_file, "rb") as f:
        data = f.read()
    with open(data_file, "wb") as f:
        f.write(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=f"^{prefix}: "):
        load_pretrained(BertEncoder(tiny_config()), prefix)


def test_a_pretraining_pattern_that_matches_nothing_is_an_input_error(tmp_path):
    from bert_tf.inputs import list_input_files

    with pytest.raises(InputError, match="input_file pattern .*nothing"):
        list_input_files(os.path.join(str(tmp_path), "nothing*.tfrecord"))


def test_a_vocab_without_special_tokens_is_a_data_error_naming_it(tmp_path):
    from bert_tf.tokenization import Tokenizer

    path = tmp_path / "vocab.txt"
    path.write_text("[PAD]\n[UNK]\ncat\n")
    with pytest.raises(DataError, match=rf"vocab file {path} lacks .*\[CLS\]"):
        Tokenizer(str(path))


def test_wrong_arguments_from_code_are_value_errors_but_not_user_errors():
    from bert_tf.checkpoints import tf1_weight_table
    from bert_tf.models import BertEncoder, build_model

    encoder = BertEncoder(tiny_config())
    with pytest.raises(ValueError, match="model_type must be one of") as error:
        build_model("nonsense", encoder)
    assert not isinstance(error.value, UserError)
    with pytest.raises(ValueError, match="heads must be one of") as error:
        tf1_weight_table(encoder, heads="x")
    assert not isinstance(error.value, UserError)
