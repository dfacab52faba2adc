"""End to end: every GLUE task and SWAG trains, evaluates and predicts from files in the original
formats."""

import json
import os
import subprocess
import sys

import pytest

from bert_tf.tasks.glue import GlueTask
from bert_tf.tasks.ner import NerTask
from bert_tf.tasks.squad import SquadOptions, SquadTask
from bert_tf.tasks.swag import SwagTask
from bert_tf.training.finetuning import Finetuner, FinetuningOptions
from tests.tasks.test_glue import GLUE_FILES, write_files
from tests.tasks.test_swag import TEST as SWAG_TEST
from tests.tasks.test_swag import TRAIN as SWAG_TRAIN

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OFFICIAL_METRICS = {
    "cola": {"mcc"},
    "sst2": {"accuracy"},
    "mrpc": {"f1", "accuracy"},
    "stsb": {"pearson", "spearman"},
    "qqp": {"f1", "accuracy"},
    "mnli": {"accuracy", "dev_mismatched_accuracy_mismatched"},
    "qnli": {"accuracy"},
    "rte": {"accuracy"},
    "wnli": {"accuracy"},
}
SUBMISSION_FILES = {
    "cola": ["CoLA.tsv"],
    "sst2": ["SST-2.tsv"],
    "mrpc": ["MRPC.tsv"],
    "stsb": ["STS-B.tsv"],
    "qqp": ["QQP.tsv"],
    "mnli": ["MNLI-m.tsv", "MNLI-mm.tsv"],
    "qnli": ["QNLI.tsv"],
    "rte": ["RTE.tsv"],
    "wnli": ["WNLI.tsv"],
    "ax": ["AX.tsv"],
}


def write_config(path, vocab_size, hidden_size=16, num_hidden_layers=1, dropout=0.1):
    path.write_text(
        json.dumps(
            dict(
                vocab_size=vocab_size,
                hidden_size=hidden_size,
                num_hidden_layers=num_hidden_layers,
                num_attention_heads=2,
                intermediate_size=2 * hidden_size,
                hidden_act="gelu",
                hidden_dropout_prob=dropout,
                attention_probs_dropout_prob=dropout,
                max_position_embeddings=64,
                type_vocab_size=2,
                initializer_range=0.02,
            )
        )
    )
    return str(path)


@pytest.fixture(scope="module")
def bert_config_file(tmp_path_factory, tokenizer):
    return write_config(
        tmp_path_factory.mktemp("config") / "bert_config.json", tokenizer.vocab_size
    )


def options(config, output_dir, **overrides):
    values = dict(
        bert_config_file=config,
        output_dir=str(output_dir),
        max_seq_length=24,
        do_train=True,
        do_eval=True,
        do_predict=True,
        train_batch_size=2,
        eval_batch_size=2,
        predict_batch_size=2,
        num_train_epochs=1.0,
        save_checkpoints_steps=1,
        steps_per_loop=1,
        log_steps=1,
        seed=1,
    )
    values.update(overrides)
    return FinetuningOptions(**values)


def read_results(path):
    with open(path) as f:
        return {key: float(value) for key, value in (line.strip().split(" = ") for line in f)}


def submission_rows(path):
    with open(path) as f:
        lines = f.read().splitlines()
    assert lines[0] == "index\tprediction"
    return [line.split("\t") for line in lines[1:]]


@pytest.mark.parametrize("task_name", sorted(OFFICIAL_METRICS))
def test_glue_task_trains_evaluates_and_writes_submission(
    task_name, tmp_path, tokenizer, bert_config_file
):
    data_dir = write_files(tmp_path, GLUE_FILES[task_name])
    task = GlueTask(task_name, tokenizer, 24, data_dir=data_dir)
    output_dir = tmp_path / "out"
    Finetuner(task, options(bert_config_file, output_dir)).run()

    results = read_results(output_dir / "eval_results.txt")
    assert OFFICIAL_METRICS[task_name] <= set(results)
    assert results["global_step"] >= 1
    assert (output_dir / "best" / "model.ckpt.index").exists()
    assert list((output_dir / "train").iterdir()) and list((output_dir / "eval").iterdir())
    for name, split in zip(SUBMISSION_FILES[task_name], task.predict_splits):
        rows = submission_rows(output_dir / name)
        assert [row[0] for row in rows] == [str(e.index) for e in task.read_examples(split)]
        for _, prediction in rows:
            if task.is_regression:
                assert 0.0 <= float(prediction) <= 5.0
            else:
                assert prediction in task.label_list


def test_ax_predicts_with_an_mnli_model(tmp_path, tokenizer, bert_config_file):
    (tmp_path / "MNLI").mkdir()
    (tmp_path / "AX").mkdir()
    mnli = write_files(tmp_path / "MNLI", GLUE_FILES["mnli"])
    model_dir = tmp_path / "mnli_out"
    Finetuner(
        GlueTask("mnli", tokenizer, 24, data_dir=mnli),
        options(bert_config_file, model_dir, do_eval=False, do_predict=False),
    ).run()
    ax = write_files(tmp_path / "AX", GLUE_FILES["ax"])
    Finetuner(
        GlueTask("ax", tokenizer, 24, data_dir=ax),
        options(bert_config_file, model_dir, do_train=False, do_eval=False),
    ).run()
    rows = submission_rows(model_dir / "AX.tsv")
    assert rows and all(p in ("entailment", "neutral", "contradiction") for _, p in rows)


def test_swag_trains_evaluates_and_predicts(tmp_path, tokenizer, bert_config_file):
    for name, text in (("train.csv", SWAG_TRAIN), ("val.csv", SWAG_TRAIN), ("test.csv", SWAG_TEST)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    task = SwagTask(tokenizer, 24, str(tmp_path))
    output_dir = tmp_path / "out"
    Finetuner(task, options(bert_config_file, output_dir)).run()
    assert 0.0 <= read_results(output_dir / "eval_results.txt")["accuracy"] <= 1.0
    with open(output_dir / "swag_predictions.csv") as f:
        lines = f.read().splitlines()
    assert lines[0].startswith("index,video-id,fold-ind,pred") and len(lines) == 2


@pytest.mark.slow
def test_run_classifier_script_learns_a_separable_task(tmp_path, tiny_vocab_file, bert_config_file):
    """The absl script, as a user runs it: a fresh tiny model learns a bag-of-words task."""
    rows = ["sentence\tlabel"] + [
        f"{w} {w} the {w}\t{int(w == 'good')}" for w in ("good", "bad") * 16
    ]
    data = tmp_path / "data"
    data.mkdir()
    for name in ("train.tsv", "dev.tsv"):
        (data / name).write_text("\n".join(rows) + "\n")
    (data / "test.tsv").write_text("index\tsentence\n0\tgood good the good\n1\tbad bad the bad\n")
    output_dir = tmp_path / "out"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bert_tf.run_classifier",
            "--task_name=SST-2",
            f"--data_dir={data}",
            f"--vocab_file={tiny_vocab_file}",
            f"--bert_config_file={bert_config_file}",
            f"--output_dir={output_dir}",
            "--do_train",
            "--do_eval",
            "--do_predict",
            "--max_seq_length=16",
            "--train_batch_size=8",
            "--learning_rate=3e-3",
            "--num_train_epochs=10",
            "--save_checkpoints_steps=20",
            "--seed=3",
        ],
        check=True,
        cwd=REPO,
        capture_output=True,
    )
    assert read_results(output_dir / "eval_results.txt")["accuracy"] == 1.0
    assert submission_rows(output_dir / "SST-2.tsv") == [["0", "1"], ["1", "0"]]


@pytest.mark.parametrize("version_2", [False, True])
def test_squad_model_learns_its_training_questions_exactly(version_2, tmp_path, tokenizer):
    from tests.tasks.test_squad import QUESTIONS, squad_json, write_json

    impossible = [("q-none", "Who drank tea?")] if version_2 else []
    data = write_json(tmp_path, squad_json(QUESTIONS, impossible=impossible))
    task = SquadTask(
        tokenizer,
        64,
        train_file=data,
        predict_file=data,
        options=SquadOptions(version_2_with_negative=version_2, doc_stride=32, max_query_length=16),
    )
    output_dir = tmp_path / "out"
    config = write_config(
        tmp_path / "bert_config.json",
        tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        dropout=0.0,
    )
    Finetuner(
        task,
        options(
            config,
            output_dir,
            max_seq_length=64,
            train_batch_size=4,
            learning_rate=1e-3,
            num_train_epochs=400,
            warmup_proportion=0.1,
            save_checkpoints_steps=1000,
            steps_per_loop=50,
            log_steps=50,
        ),
    ).run()
    results = read_results(output_dir / "eval_results.txt")
    assert results["exact_match"] == 100.0
    if version_2:
        assert results["HasAns_exact"] == results["NoAns_exact"] == 100.0
    names = {"predictions.json", "nbest_predictions.json"} | (
        {"null_odds.json"} if version_2 else set()
    )
    assert names <= set(os.listdir(output_dir))
    with open(output_dir / "predictions.json") as f:
        predictions = json.load(f)
    assert {qid: text for qid, text in predictions.items()} == dict(
        [(qid, answer) for qid, _, answer, _ in QUESTIONS] + [(qid, "") for qid, _ in impossible]
    )


def test_ner_trains_evaluates_and_writes_conll_predictions(tmp_path, tokenizer, bert_config_file):
    from bert_tf.tasks.conlleval import evaluate_file, scores
    from tests.tasks.test_ner import TRAIN

    for name in ("eng.train", "eng.testa", "eng.testb"):
        (tmp_path / name).write_text(TRAIN, encoding="utf-8")
    task = NerTask(tokenizer, 24, data_dir=str(tmp_path))
    output_dir = tmp_path / "out"
    Finetuner(task, options(bert_config_file, output_dir)).run()
    results = read_results(output_dir / "eval_results.txt")
    assert {"precision", "recall", "f1"} <= set(results)
    with open(output_dir / "predictions.txt") as f:
        lines = [line.split() for line in f.read().splitlines() if line]
    assert [line[:2] for line in lines] == [
        line.split()[::3]
        for line in TRAIN.splitlines()
        if line and not line.startswith("-DOCSTART-")
    ]
    assert scores(evaluate_file(str(output_dir / "predictions.txt")))["f1"] == pytest.approx(
        results["f1"]
    )


def test_a_vocab_larger_than_the_config_is_refused_before_training(tmp_path, tokenizer):
    from bert_tf.errors import ConfigError

    config = write_config(tmp_path / "bert_config.json", tokenizer.vocab_size - 1)
    task = GlueTask("SST-2", tokenizer, 24, data_dir=str(tmp_path))
    with pytest.raises(
        ConfigError,
        match=f"{tokenizer.vocab_file} has {tokenizer.vocab_size} tokens, more than vocab_size=",
    ):
        Finetuner(task, options(config, tmp_path / "out"))
    assert not os.path.exists(tmp_path / "out")
