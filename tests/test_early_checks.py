"""Every file a run needs is checked before the model is built or trained, and an input that
is not text is refused: a one-line `error: ...` naming the file or argument, exit status 1,
nothing written. Run through the real scripts, as tests/test_bad_inputs.py does."""

import os

import numpy as np
import pytest
import tensorflow as tf

from tests.data_prep import corpus
from tests.keras_helpers import tiny_config
from tests.test_bad_inputs import _assert_one_error_line, _run

# Script runs in subprocesses: `make test` runs them, `make test-fast` does not.
pytestmark = pytest.mark.slow


def _write_config(tmp_path):
    path = tmp_path / "bert_config.json"
    path.write_text(tiny_config(vocab_size=len(corpus.vocab_tokens())).to_json_string())
    return str(path)


def _binary_file(path, size=20000):
    path.write_bytes(np.random.default_rng(0).integers(0, 256, size, np.uint8).tobytes())
    return str(path)


def test_a_missing_dev_or_test_file_stops_fine_tuning_before_training(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.tsv").write_text("sentence\tlabel\nthe cat sat .\t1\nthe dog ran .\t0\n")
    common = [
        "-m",
        "bert_tf.run_classifier",
        "--task_name=SST-2",
        f"--data_dir={data}",
        f"--vocab_file={corpus.write_vocab(tmp_path)}",
        f"--bert_config_file={_write_config(tmp_path)}",
        "--max_seq_length=16",
        f"--output_dir={tmp_path / 'out'}",
        "--do_train",
    ]
    result = _run(*common, "--do_eval")
    _assert_one_error_line(result, str(data / "dev.tsv"), "no such file")
    (data / "dev.tsv").write_text("sentence\tlabel\nthe cat ran .\t1\n")
    result = _run(*common, "--do_eval", "--do_predict")
    _assert_one_error_line(result, str(data / "test.tsv"), "no such file")
    assert not os.path.exists(tmp_path / "out")


def test_pretraining_eval_without_a_model_to_evaluate_is_refused(tmp_path):
    result = _run(
        "-m",
        "bert_tf.run_pretraining",
        f"--bert_config_file={_write_config(tmp_path)}",
        f"--input_file={corpus.write_corpus(tmp_path)}",
        "--input_format=text",
        f"--vocab_file={corpus.write_vocab(tmp_path)}",
        "--max_seq_length=16",
        "--do_eval",
        f"--output_dir={tmp_path / 'out'}",
    )
    _assert_one_error_line(
        result, f"output_dir {tmp_path / 'out'} holds no checkpoint", "init_checkpoint"
    )
    assert not os.path.exists(tmp_path / "out")


def test_pretraining_on_records_as_text_is_refused(tmp_path):
    records = tmp_path / "train.tfrecord"
    with tf.io.TFRecordWriter(str(records)) as writer:
        for _ in range(3):
            writer.write(tf.train.Example().SerializeToString())
    result = _run(
        "-m",
        "bert_tf.run_pretraining",
        f"--bert_config_file={_write_config(tmp_path)}",
        f"--input_file={records}",
        "--input_format=text",
        "--max_seq_length=16",
        f"--vocab_file={corpus.write_vocab(tmp_path)}",
        "--do_train",
        f"--output_dir={tmp_path / 'out'}",
    )
    _assert_one_error_line(result, f"{records}: a TFRecord file, not text", "input_format=tfrecord")
    assert not os.path.exists(tmp_path / "out")


def test_extract_features_checks_its_files_before_reading_the_checkpoint(tmp_path):
    # The checkpoint does not exist either: the files are checked first.
    common = [
        "-m",
        "bert_tf.extract_features",
        f"--init_checkpoint={tmp_path / 'no.ckpt'}",
        f"--bert_config_file={_write_config(tmp_path)}",
        f"--vocab_file={corpus.write_vocab(tmp_path)}",
    ]
    result = _run(
        *common,
        f"--input_file={tmp_path / 'missing.txt'}",
        f"--output_file={tmp_path / 'out.jsonl'}",
    )
    _assert_one_error_line(result, f"{tmp_path / 'missing.txt'}: no such file")
    result = _run(
        *common, f"--input_file={corpus.write_corpus(tmp_path)}", f"--output_file={tmp_path}"
    )
    _assert_one_error_line(result, f"output_file={tmp_path} is a directory")
    assert not os.path.exists(tmp_path / "out.jsonl")


def test_an_export_dir_that_is_a_file_is_refused_before_reading_the_checkpoint(tmp_path):
    export_dir = tmp_path / "export"
    export_dir.write_text("not a directory\n")
    result = _run(
        "-m",
        "bert_tf.export_saved_model",
        "--model_type=encoder",
        f"--init_checkpoint={tmp_path / 'no.ckpt'}",
        f"--bert_config_file={_write_config(tmp_path)}",
        f"--vocab_file={corpus.write_vocab(tmp_path)}",
        f"--export_dir={export_dir}",
    )
    _assert_one_error_line(result, f"export_dir={export_dir} is a file")
    assert export_dir.read_text() == "not a directory\n"


def test_a_binary_file_is_refused_as_a_corpus(tmp_path):
    binary = _binary_file(tmp_path / "model.bin")
    result = _run(
        "-m",
        "bert_tf.data_prep.build_vocab",
        f"--input_file={binary}",
        f"--output_file={tmp_path / 'vocab.txt'}",
    )
    _assert_one_error_line(result, f"{binary}: ", "lines are not valid UTF-8")
    vocab = corpus.write_vocab(tmp_path)
    result = _run(
        "-m",
        "bert_tf.data_prep.create_pretraining_data",
        f"--input_file={binary}",
        f"--output_file={tmp_path / 'out.tfrecord'}",
        f"--vocab_file={vocab}",
    )
    _assert_one_error_line(result, f"{binary}: ", "lines are not valid UTF-8")
    assert sorted(os.listdir(tmp_path)) == ["model.bin", "vocab.txt"]


@pytest.mark.long
def test_data_prep_refuses_an_output_directory_and_a_sequence_too_short_to_pretrain(tmp_path):
    text, vocab = corpus.write_corpus(tmp_path), corpus.write_vocab(tmp_path)
    result = _run(
        "-m",
        "bert_tf.data_prep.create_pretraining_data",
        f"--input_file={text}",
        f"--output_file={tmp_path / 'out.tfrecord'}",
        f"--vocab_file={vocab}",
        "--max_seq_length=5",
    )
    _assert_one_error_line(result, "max_seq_length=5: pretraining data needs 8 or more")
    result = _run(
        "-m",
        "bert_tf.data_prep.create_pretraining_data",
        f"--input_file={text}",
        f"--output_file={tmp_path}",
        f"--vocab_file={vocab}",
    )
    _assert_one_error_line(result, f"{tmp_path} is a directory")
    result = _run(
        "-m", "bert_tf.data_prep.build_vocab", f"--input_file={text}", f"--output_file={tmp_path}"
    )
    _assert_one_error_line(result, f"output_file={tmp_path} is a directory")
    assert sorted(os.listdir(tmp_path)) == ["corpus.txt", "vocab.txt"]
