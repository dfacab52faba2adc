"""Fixtures of the export tests: a tiny vocab and model of each type, exported once per session.

The classifier is exported by the script (`python -m bert_tf.export_saved_model`) from a
checkpoint, the other types through the library; all share one tiny encoder config.
"""

import os
import pickle
import string
import subprocess
import sys

import pytest

from bert_tf.tasks.squad import SquadOptions

MAX_SEQ_LENGTH = 24
CLASSIFIER_LABELS = ["neg", "neu", "pos"]
NER_TAGS = ["O", "B-PER", "I-PER", "B-LOC"]
EXPORT_OPTIONS = {
    "encoder": {},
    "pretrainer": {"top_k": 3},
    "squad": {
        "options": SquadOptions(
            doc_stride=5, max_query_length=6, max_answer_length=4, version_2_with_negative=True
        )
    },
    "swag": {"num_choices": 3},
    "ner": {"labels": NER_TAGS},
}
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_WORDS = (
    "the",
    "cat",
    "sat",
    "on",
    "mat",
    "who",
    "where",
    "is",
    "paris",
    "france",
    "city",
    "capital",
    "of",
    "in",
    "##s",
    "##ing",
    "cafe",
    "un",
    "##aff",
    "##able",
    "日",
    "本",
    "é",
    "привет",
    "мир",
)


def vocab_tokens():
    letters = list(string.ascii_lowercase + string.digits)
    return list(
        dict.fromkeys(
            [
                "[PAD]",
                "[UNK]",
                "[CLS]",
                "[SEP]",
                "[MASK]",
                *_WORDS,
                *letters,
                *string.punctuation,
                *("##" + c for c in letters),
            ]
        )
    )


def python_env():
    return dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="2")


def export_script(export_dir, *flags):
    """Runs `python -m bert_tf.export_saved_model` for the classifier; the finished process."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "bert_tf.export_saved_model",
            "--model_type=classifier",
            f"--label_list={','.join(CLASSIFIER_LABELS)}",
            f"--export_dir={export_dir}",
            *flags,
        ],
        env=python_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def load_and_call(directory, requests, *options):
    """Runs load_and_call.py on requests in a fresh process (files in directory); returns its
    results, or the finished process if it failed."""
    with open(directory / "requests.pkl", "wb") as f:
        pickle.dump(requests, f)
    done = subprocess.run(
        [
            sys.executable,
            os.path.join(os.path.dirname(__file__), "load_and_call.py"),
            str(directory / "requests.pkl"),
            str(directory / "results.pkl"),
            *options,
        ],
        env=python_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode:
        return done
    with open(directory / "results.pkl", "rb") as f:
        return pickle.load(f)


@pytest.fixture(scope="session")
def vocab_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("vocab") / "vocab.txt"
    path.write_text("".join(t + "\n" for t in vocab_tokens()), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="session")
def tokenizer(vocab_file):
    from bert_tf.tokenization import Tokenizer

    return Tokenizer(vocab_file, do_lower_case=True)


@pytest.fixture(scope="session")
def config():
    from tests.keras_helpers import tiny_config

    # Wider initial weights spread the logits, so argmax and best spans have no near-ties.
    return tiny_config(
        vocab_size=len(vocab_tokens()), max_position_embeddings=32, initializer_range=0.2
    )


@pytest.fixture(scope="session")
def models(config):
    import keras

    from bert_tf.models import MODEL_TYPES, BertEncoder, build_model

    keras.utils.set_random_seed(1)
    num_labels = {"classifier": len(CLASSIFIER_LABELS), "ner": len(NER_TAGS)}
    return {
        t: build_model(t, BertEncoder(config), num_labels=num_labels.get(t)) for t in MODEL_TYPES
    }


@pytest.fixture(scope="session")
def export_root(tmp_path_factory, models, tokenizer, vocab_file, config):
    """{model type: version directory}; every type exported to <root>/<type>/1/."""
    from bert_tf.checkpoints.native import write_checkpoint
    from bert_tf.export import model_export

    root = tmp_path_factory.mktemp("exports")
    prefix = write_checkpoint(models["classifier"], str(root / "ckpt" / "model.ckpt"))
    config.to_json_file(str(root / "bert_config.json"))
    script = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bert_tf.export_saved_model",
            "--model_type=classifier",
            f"--init_checkpoint={prefix}",
            f"--bert_config_file={root / 'bert_config.json'}",
            f"--vocab_file={vocab_file}",
            f"--max_seq_length={MAX_SEQ_LENGTH}",
            f"--label_list={','.join(CLASSIFIER_LABELS)}",
            f"--export_dir={root / 'classifier'}",
        ],
        env=python_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    paths = {}
    for model_type, options in EXPORT_OPTIONS.items():
        module = model_export.make_serving_module(
            model_type, models[model_type], tokenizer, MAX_SEQ_LENGTH, **options
        )
        paths[model_type] = model_export.export_saved_model(module, str(root / model_type))
    output, _ = script.communicate()
    assert script.returncode == 0, output
    paths["classifier"] = str(root / "classifier" / "1")
    return paths
