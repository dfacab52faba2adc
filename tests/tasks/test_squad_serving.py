"""SQuAD in TF ops against squad.py's Python features and predictions (run_squad.py's algorithm).

The served path (squad_serving) and the evaluated path (SquadTask.make_features + predict) get
the same questions and contexts, and one model's logits; windows, max-context flags and answers
must be identical.
"""

import numpy as np
import pytest
import tensorflow as tf

from bert_tf.models import BertEncoder, build_model
from bert_tf.tasks import squad_serving
from bert_tf.tasks.squad import SquadOptions, SquadTask
from tests.keras_helpers import tiny_config
from tests.tasks.squad_files import squad_json, write_json

# Accents, glued punctuation, runs of spaces, tabs, newlines, U+00A0 inside a word, U+202F
# between words, Cyrillic and CJK (unknown to the tiny vocab: [UNK] pieces), a lone
# zero-width space (a word without pieces).
_SENTENCES = [
    'The  café "Procope" (founded 1686) is in Paris,\tnear the river.',
    "Voltaire drank forty cups of coffee a day!\nIts owner, Francesco Procopio, was from Palermo.",
    "A naïve man\u00a0walks into the room; the dog sat on the mat\u202fand ate 12,5 kg.",
    "Привет мир — 日本 is not a cat... the woman was playing the flute \u200b off-stage.",
]
CONTEXTS = [
    "",
    _SENTENCES[0],
    " ".join(_SENTENCES[:2]),
    "  ".join(_SENTENCES * 2),
    "\n".join(_SENTENCES * 4),
]
QUESTIONS = [
    "Who was the owner?",
    "When was it founded?",
    "What did he drink?",
    "Where is the café (really)?",
    "Who sat on the mat?",
]


def _records():
    """One question per (question, context) pair; ids name both."""
    return [
        (f"q{i}-c{j}", question, context)
        for j, context in enumerate(CONTEXTS)
        for i, question in enumerate(QUESTIONS)
    ]


def _squad_file(tmp_path, records):
    data = {
        "version": "test",
        "data": [
            {
                "title": "t",
                "paragraphs": [
                    {"context": context, "qas": [{"id": qid, "question": question, "answers": []}]}
                    for qid, question, context in records
                ],
            }
        ],
    }
    return write_json(tmp_path, data, "predict.json")


@pytest.fixture(scope="module")
def model(tokenizer):
    import keras

    keras.utils.set_random_seed(4)
    # Wide initial weights: logits far apart, so spans differ from window to window.
    config = tiny_config(
        vocab_size=tokenizer.vocab_size, max_position_embeddings=64, initializer_range=0.5
    )
    return build_model("squad", BertEncoder(config))


@pytest.mark.parametrize("version_2", [False, True])
def test_served_windows_and_answers_equal_the_python_path(tmp_path, tokenizer, model, version_2):
    seq_length, stride, query_length = 32, 7, 6
    records = _records()
    task = SquadTask(
        tokenizer,
        max_seq_length=seq_length,
        predict_file=_squad_file(tmp_path, records),
        options=SquadOptions(
            doc_stride=stride,
            max_query_length=query_length,
            max_answer_length=6,
            n_best_size=10,
            version_2_with_negative=version_2,
        ),
    )
    examples = task.read_examples("dev")
    features = task.make_features(examples, is_training=False)
    outputs = {
        k: np.asarray(v)
        for k, v in model(
            {k: features[k] for k in ("input_word_ids", "input_mask", "input_type_ids")}
        ).items()
    }
    predictions, _, null_odds = task.predict(examples, features, outputs)
    assert max(np.bincount(features["example_index"])) >= 5  # contexts of 1 to 5+ windows

    windows = squad_serving.make_windows(
        tokenizer,
        tf.constant([r[1] for r in records]),
        tf.constant([r[2] for r in records]),
        seq_length,
        stride,
        query_length,
    )
    # The empty context has no feature in the Python path and one empty window here.
    served_rows = np.asarray(windows["example_index"])
    keep = np.isin(served_rows, features["example_index"])
    for name in ("input_word_ids", "input_mask", "input_type_ids"):
        np.testing.assert_array_equal(np.asarray(windows["inputs"][name])[keep], features[name])
    for name in ("token_to_orig_map", "token_is_max_context", "example_index"):
        np.testing.assert_array_equal(np.asarray(windows[name])[keep], features[name])

    served = squad_serving.best_answers(
        tokenizer,
        windows,
        model(windows["inputs"]),
        task.options.n_best_size,
        task.options.max_answer_length,
        version_2,
        task.options.null_score_diff_threshold,
    )
    answers = [a.decode("utf-8") for a in served["answer"].numpy()]
    assert answers == [predictions[qid] for qid, _, _ in records]
    assert len(set(answers)) > 5  # many different spans were decoded
    if version_2:
        np.testing.assert_allclose(
            served["null_score"].numpy() - served["score"].numpy(),
            [null_odds[qid] for qid, _, _ in records],
            rtol=1e-5,
            atol=1e-4,
        )


@pytest.mark.slow
# v1.1 takes the same path as v2.0 without the null answer: long, to keep make test in 15 minutes.
@pytest.mark.parametrize("version_2", [pytest.param(False, marks=pytest.mark.long), True])
def test_saved_model_answers_equal_run_squad_predictions_json(tmp_path, tiny_vocab_file, version_2):
    """run_squad --do_train --do_predict, then export_saved_model of its checkpoint: the
    SavedModel's answer to every question of the predict file is predictions.json's."""
    import json
    import os
    import subprocess
    import sys

    from tests.tasks.squad_files import QUESTIONS as TRAIN_QUESTIONS
    from tests.tasks.test_end_to_end import REPO, write_config

    records = _records()
    predict_file = _squad_file(tmp_path, records)
    train_file = write_json(tmp_path, squad_json(TRAIN_QUESTIONS))
    config = write_config(tmp_path / "bert_config.json", len(open(tiny_vocab_file).readlines()))
    shared = [
        f"--vocab_file={tiny_vocab_file}",
        f"--bert_config_file={config}",
        "--max_seq_length=32",
        "--doc_stride=7",
        "--max_query_length=6",
        "--max_answer_length=6",
        "--n_best_size=10",
    ]
    if version_2:
        shared.append("--version_2_with_negative")
    output_dir, export_dir = tmp_path / "out", tmp_path / "export"
    env = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="2")
    for command in (
        [
            "bert_tf.run_squad",
            *shared,
            f"--train_file={train_file}",
            f"--predict_file={predict_file}",
            f"--output_dir={output_dir}",
            "--do_train",
            "--do_predict",
            "--train_batch_size=8",
            "--learning_rate=1e-3",
            "--num_train_epochs=2",
            "--seed=2",
        ],
        [
            "bert_tf.export_saved_model",
            "--model_type=squad",
            *shared,
            f"--init_checkpoint={output_dir}",
            f"--export_dir={export_dir}",
        ],
    ):
        done = subprocess.run(
            [sys.executable, "-m", *command], cwd=REPO, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr[-3000:]
    with open(output_dir / "predictions.json", encoding="utf-8") as f:
        predictions = json.load(f)
    serve = tf.saved_model.load(str(export_dir / "1")).signatures["serving_default"]
    served = serve(
        question=tf.constant([r[1] for r in records]), context=tf.constant([r[2] for r in records])
    )
    answers = [a.decode("utf-8") for a in served["answer"].numpy()]
    assert answers == [predictions[qid] for qid, _, _ in records]
    if version_2:
        with open(output_dir / "null_odds.json", encoding="utf-8") as f:
            null_odds = json.load(f)
        np.testing.assert_allclose(
            served["null_score"] - served["score"],
            [null_odds[qid] for qid, _, _ in records],
            rtol=1e-5,
            atol=1e-4,
        )
    else:
        assert len(set(answers) - {"empty"}) > 1  # spans were decoded
