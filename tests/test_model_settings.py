"""A model directory carries its settings: a fine-tuned model exports with no task flags and
serves what the full flags serve; a flag that contradicts the recorded settings is refused."""

import dataclasses
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from bert_tf.config import BertConfig
from bert_tf.model_settings import SETTINGS_NAME, ModelSettings, find_settings
from tests.tasks.conftest import tiny_vocab_tokens
from tests.tasks.test_end_to_end import write_config

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SENTENCES = ["good good the good", "bad bad the bad", "THE CONCERT WAS TRULY WONDERFUL ."]


def _run(*args):
    env = dict(os.environ, PYTHONPATH=REPO)
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def finetuned(tmp_path_factory):
    """run_classifier on a tiny SST-2, as a user runs it; returns its output_dir."""
    root = tmp_path_factory.mktemp("finetuned")
    vocab = root / "vocab.txt"
    vocab.write_text("".join(f"{t}\n" for t in dict.fromkeys(tiny_vocab_tokens())))
    config = write_config(root / "bert_config.json", len(set(tiny_vocab_tokens())))
    data = root / "data"
    data.mkdir()
    rows = ["sentence\tlabel"] + [
        f"{w} {w} the {w}\t{int(w == 'good')}" for w in ("good", "bad") * 8
    ]
    for name in ("train.tsv", "dev.tsv"):
        (data / name).write_text("\n".join(rows) + "\n")
    output_dir = root / "out"
    result = _run(
        "bert_tf.run_classifier",
        "--task_name=SST-2",
        f"--data_dir={data}",
        f"--vocab_file={vocab}",
        f"--bert_config_file={config}",
        f"--output_dir={output_dir}",
        "--do_train",
        "--do_eval",
        "--max_seq_length=16",
        "--train_batch_size=8",
        "--learning_rate=3e-3",
        "--num_train_epochs=2",
        "--save_checkpoints_steps=2",
        "--noenable_xla",
        "--seed=3",
    )
    assert result.returncode == 0, result.stderr
    return {"dir": output_dir, "vocab": vocab, "config": config}


def _serve(version_dir):
    import tensorflow as tf
    import tensorflow_text  # noqa: F401  (the exported tokenizer's ops)

    serve = tf.saved_model.load(str(version_dir)).signatures["serving_default"]
    outputs = serve(text_a=tf.constant(SENTENCES), text_b=tf.constant([""] * len(SENTENCES)))
    return {key: value.numpy() for key, value in outputs.items()}


@pytest.mark.slow
def test_the_run_records_config_vocab_casing_length_task_and_labels(finetuned):
    out = finetuned["dir"]
    with open(out / SETTINGS_NAME) as f:
        recorded = json.load(f)
    assert recorded == {
        "do_lower_case": True,
        "max_seq_length": 16,
        "model_type": "classifier",
        "task_name": "sst2",
        "label_list": ["0", "1"],
        "num_labels": 2,
    }
    assert (out / "vocab.txt").read_text() == finetuned["vocab"].read_text()
    assert json.loads((out / "bert_config.json").read_text()) == json.loads(
        open(finetuned["config"]).read()
    )
    # best/ is a model directory of its own; a checkpoint prefix finds its folder's settings.
    best = find_settings(str(out / "best" / "model.ckpt"))
    assert best.directory == str(out / "best")
    assert dataclasses.replace(best, bert_config_file=None, vocab_file=None) == dataclasses.replace(
        ModelSettings.read(str(out)), bert_config_file=None, vocab_file=None
    )
    assert open(best.vocab_file).read() == finetuned["vocab"].read_text()


@pytest.mark.slow
def test_an_export_with_no_task_flags_serves_what_the_full_flags_serve(finetuned, tmp_path):
    out, full, bare = finetuned["dir"], tmp_path / "full", tmp_path / "bare"
    result = _run(
        "bert_tf.export_saved_model",
        "--model_type=classifier",
        "--label_list=0,1",
        f"--init_checkpoint={out}",
        f"--bert_config_file={finetuned['config']}",
        f"--vocab_file={finetuned['vocab']}",
        "--do_lower_case",
        "--max_seq_length=16",
        f"--export_dir={full}",
    )
    assert result.returncode == 0, result.stderr
    result = _run("bert_tf.export_saved_model", f"--init_checkpoint={out}", f"--export_dir={bare}")
    assert result.returncode == 0, result.stderr
    served_full, served_bare = _serve(full / "1"), _serve(bare / "1")
    assert served_bare.keys() == served_full.keys() and "label" in served_bare
    for key in served_full:
        np.testing.assert_array_equal(served_bare[key], served_full[key])


@pytest.mark.slow
@pytest.mark.parametrize(
    "flag, recorded",
    [
        ("--nodo_lower_case", "do_lower_case=True"),
        ("--label_list=1,0", "label_list=0,1"),
        ("--max_seq_length=32", "max_seq_length=16"),
    ],
)
def test_a_flag_that_contradicts_the_model_directory_is_refused_naming_both(
    finetuned, tmp_path, flag, recorded
):
    result = _run(
        "bert_tf.export_saved_model",
        f"--init_checkpoint={finetuned['dir']}",
        flag,
        f"--export_dir={tmp_path / 'export'}",
    )
    assert result.returncode == 1, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    given = flag.replace("--nodo_lower_case", "--do_lower_case=False")
    assert last.startswith("error: ") and given in last and recorded in last, last
    assert "Traceback" not in result.stderr and not os.path.exists(tmp_path / "export")


@pytest.mark.long
def test_the_override_flag_lets_a_contradicting_flag_win(finetuned, tmp_path):
    result = _run(
        "bert_tf.export_saved_model",
        f"--init_checkpoint={finetuned['dir']}",
        "--label_list=negative,positive",
        "--override_model_settings",
        f"--export_dir={tmp_path / 'export'}",
    )
    assert result.returncode == 0, result.stderr
    assert set(_serve(tmp_path / "export" / "1")["label"]) <= {b"negative", b"positive"}


@pytest.mark.long  # the HF-directory runs of test_real_weights*.py read settings the same way
def test_fine_tuning_from_a_model_directory_takes_its_config_and_vocab(finetuned, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.tsv").write_text("sentence\tlabel\ngood\t1\nbad\t0\n")
    output_dir = tmp_path / "again"
    result = _run(
        "bert_tf.run_classifier",
        "--task_name=SST-2",
        f"--data_dir={data}",
        f"--init_checkpoint={finetuned['dir']}",
        f"--output_dir={output_dir}",
        "--do_train",
        "--max_seq_length=16",
        "--train_batch_size=2",
        "--num_train_epochs=1",
        "--noenable_xla",
    )
    assert result.returncode == 0, result.stderr
    again = ModelSettings.read(str(output_dir))
    assert (open(again.vocab_file).read(), open(again.bert_config_file).read()) == (
        finetuned["vocab"].read_text(),
        (finetuned["dir"] / "bert_config.json").read_text(),
    )


def test_settings_round_trip_and_a_directory_without_them_reads_none(tmp_path):
    vocab = tmp_path / "v.txt"
    vocab.write_text("[PAD]\n[UNK]\n")
    settings = ModelSettings(
        bert_config_file="bert_tiny_uncased_L-2_H-128_A-2",
        vocab_file=str(vocab),
        do_lower_case=False,
        model_type="squad",
        task_options={"doc_stride": 64},
    )
    settings.write(str(tmp_path / "model"))
    read = ModelSettings.read(str(tmp_path / "model"))
    assert read.vocab_file == str(tmp_path / "model" / "vocab.txt")
    assert BertConfig.from_json_file(read.bert_config_file) == BertConfig.from_json_file(
        "bert_tiny_uncased_L-2_H-128_A-2"
    )  # a shipped config's name is written as the file
    assert (read.do_lower_case, read.model_type, read.task_options) == (
        False,
        "squad",
        {"doc_stride": 64},
    )
    assert ModelSettings.read(str(tmp_path)) is None
