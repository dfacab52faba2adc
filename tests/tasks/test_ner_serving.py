"""NER in TF ops against ner.py's Python features and predictions (what run_ner evaluates).

Sentences longer than max_seq_length are split into several features in both paths; the
served tags must be the evaluated ones, word for word.
"""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from bert_tf.models import BertEncoder, build_model
from bert_tf.tasks import ner_serving
from bert_tf.tasks.ner import CONLL2003_LABELS, NerExample, NerTask
from tests.keras_helpers import tiny_config

MAX_SEQ_LENGTH = 12
# Words of many pieces, a word of only a zero-width space (no pieces: one [UNK]), a word longer
# than a whole feature, non-ASCII, and sentences of 1 to 5 features.
SENTENCES = [
    "EU rejects German call to boycott British lamb .",
    "Peter Blackburn",
    "\u200b",
    "Unbelievably-long-hyphenated-compound-word-that-fills-a-feature alone",
    "Müller met Jürgen in Zürich on Monday , said the spokesman of the Bundesministerium .",
    " ".join(["the cat sat on the mat and the dog walks into the room"] * 4),
]


def _examples():
    return [
        NerExample(text.split(), ["O"] * len(text.split()), f"sentence {i}")
        for i, text in enumerate(SENTENCES)
    ]


def test_served_features_and_tags_equal_the_python_path(tokenizer):
    import keras

    keras.utils.set_random_seed(5)
    task = NerTask(tokenizer, MAX_SEQ_LENGTH)
    model = build_model(
        "ner",
        BertEncoder(tiny_config(vocab_size=tokenizer.vocab_size, initializer_range=0.5)),
        len(task.label_list),
    )
    examples = _examples()
    features = task.make_features(examples, is_training=False)
    assert max(np.bincount(features["example_index"])) >= 5
    outputs = model({k: features[k] for k in ("input_word_ids", "input_mask", "input_type_ids")})
    expected = task.predict(examples, features, {"logits": np.asarray(outputs["logits"])})

    chunks = ner_serving.make_chunks(tokenizer, tf.constant(SENTENCES), MAX_SEQ_LENGTH)
    for name in ("input_word_ids", "input_mask", "input_type_ids"):
        np.testing.assert_array_equal(chunks["inputs"][name], features[name])
    tags = ner_serving.word_tags(chunks, model(chunks["inputs"])["logits"], task.label_list)
    assert [[t.decode() for t in row] for row in tags.to_list()] == expected
    assert len({t for row in expected for t in row}) > 2


@pytest.fixture(scope="module")
def cased_vocab_file(tmp_path_factory):
    import string

    from tests.tasks.conftest import tiny_vocab_tokens

    tokens = list(
        dict.fromkeys(
            tiny_vocab_tokens()
            + list(string.ascii_uppercase)
            + ["##" + c for c in string.ascii_uppercase]
        )
    )
    path = tmp_path_factory.mktemp("cased") / "vocab.txt"
    path.write_text("".join(t + "\n" for t in tokens), encoding="utf-8")
    return str(path)


@pytest.mark.slow
def test_saved_model_tags_equal_run_ner_predictions_txt(tmp_path, cased_vocab_file):
    """run_ner --do_train --do_predict, then export_saved_model of its checkpoint: the
    SavedModel tags every word of the test file as predictions.txt does."""
    from tests.tasks.test_end_to_end import REPO, write_config
    from tests.tasks.test_ner import TRAIN

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "eng.train").write_text(TRAIN, encoding="utf-8")
    (data_dir / "eng.testa").write_text(TRAIN, encoding="utf-8")
    test_lines = ["-DOCSTART- -X- O O", ""]
    for text in SENTENCES:
        test_lines += [f"{word} X X O" for word in text.split()] + [""]
    (data_dir / "eng.testb").write_text("\n".join(test_lines), encoding="utf-8")
    config = write_config(
        tmp_path / "bert_config.json", len(open(cased_vocab_file).read().splitlines())
    )
    shared = [
        f"--vocab_file={cased_vocab_file}",
        f"--bert_config_file={config}",
        f"--max_seq_length={MAX_SEQ_LENGTH}",
        "--nodo_lower_case",
    ]
    output_dir, export_dir = tmp_path / "out", tmp_path / "export"
    env = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="2")
    for command in (
        [
            "bert_tf.run_ner",
            *shared,
            f"--data_dir={data_dir}",
            f"--output_dir={output_dir}",
            "--do_train",
            "--do_predict",
            "--train_batch_size=4",
            "--learning_rate=1e-3",
            "--num_train_epochs=3",
            "--seed=2",
        ],
        [
            "bert_tf.export_saved_model",
            "--model_type=ner",
            *shared,
            f"--label_list={','.join(CONLL2003_LABELS)}",
            f"--init_checkpoint={output_dir}",
            f"--export_dir={export_dir}",
        ],
    ):
        done = subprocess.run(
            [sys.executable, "-m", *command], cwd=REPO, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr[-3000:]
    with open(output_dir / "predictions.txt", encoding="utf-8") as f:
        sentences = f.read().split("\n\n")
    predicted = [
        [line.split()[2] for line in block.splitlines()] for block in sentences if block.strip()
    ]
    serve = tf.saved_model.load(str(export_dir / "1")).signatures["serving_default"]
    served = serve(text=tf.constant(SENTENCES))["tags"].numpy()
    assert [[t.decode() for t in row if t] for row in served] == predicted
