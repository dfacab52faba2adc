"""A real pretrained BERT, as a user meets it: all-MiniLM-L6-v2's Hugging Face directory
(bench/requirements-pretrained.txt) read with nothing but `--init_checkpoint`, against
Hugging Face's own tokenizer and PyTorch model on real text (tests/data/real_text.txt), and its
sentence embeddings (mean pooling, L2 normalization) computed by hand in PyTorch as
sentence-transformers computes them.

Skipped, with the install command, when the package is not installed.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from bench.real_checkpoint import INSTALL, minilm_directory
from bert_tf.checkpoints import load_pretrained
from bert_tf.config import BertConfig
from bert_tf.export import model_export
from bert_tf.model_settings import find_settings
from bert_tf.models import BertEncoder, build_model
from bert_tf.tokenization import Tokenizer, pack_inputs

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

DIRECTORY = minilm_directory()
pytestmark = pytest.mark.skipif(
    DIRECTORY is None, reason=f"all-MiniLM-L6-v2 is not installed ({INSTALL})"
)
TEXT_FILE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "real_text.txt")
MAX_SEQ_LENGTH = 128


@pytest.fixture(scope="module")
def sentences():
    with open(TEXT_FILE, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


@pytest.fixture(scope="module")
def settings():
    return find_settings(DIRECTORY)


@pytest.fixture(scope="module")
def tokenizer(settings):
    return Tokenizer(settings.vocab_file, do_lower_case=settings.do_lower_case)


@pytest.fixture(scope="module")
def hf_tokenizer():
    return transformers.BertTokenizer.from_pretrained(DIRECTORY)


@pytest.fixture(scope="module")
def encoder(settings):
    model = BertEncoder(BertConfig.from_json_file(settings.bert_config_file))
    load_pretrained(model, DIRECTORY)
    return model


@pytest.fixture(scope="module")
def hf_model():
    return transformers.BertModel.from_pretrained(DIRECTORY).eval()


def _packed(tokenizer, text_a, text_b):
    return {
        name: value.numpy()
        for name, value in pack_inputs(
            [
                tokenizer.tokenize_ids(tf.constant(text_a)),
                tokenizer.tokenize_ids(tf.constant(text_b)),
            ],
            MAX_SEQ_LENGTH,
            tokenizer.cls_id,
            tokenizer.sep_id,
        ).items()
    }


def _hf_packed(hf_tokenizer, text_a, text_b):
    encoded = hf_tokenizer(
        text_a,
        text_b if any(text_b) else None,
        padding="max_length",
        truncation="longest_first",
        max_length=MAX_SEQ_LENGTH,
        return_tensors="np",
    )
    return {
        "input_word_ids": encoded["input_ids"],
        "input_mask": encoded["attention_mask"],
        "input_type_ids": encoded["token_type_ids"],
    }


def test_the_directory_alone_gives_config_vocab_and_casing(settings):
    config = BertConfig.from_json_file(settings.bert_config_file)
    assert (
        config.num_hidden_layers,
        config.hidden_size,
        config.num_attention_heads,
        config.vocab_size,
    ) == (6, 384, 12, 30522)
    assert config.hidden_act == "gelu_exact"  # HF's "gelu" is the erf form
    assert settings.do_lower_case is True
    assert settings.vocab_file == os.path.join(DIRECTORY, "vocab.txt")


def test_token_ids_equal_hugging_face_on_real_sentences_and_pairs(
    sentences, tokenizer, hf_tokenizer
):
    assert len(sentences) >= 500
    singles = (sentences, [""] * len(sentences))
    pairs = (sentences[0::2], sentences[1::2])
    for text_a, text_b in (singles, pairs):
        ours = _packed(tokenizer, text_a, text_b)
        theirs = _hf_packed(hf_tokenizer, text_a, text_b)
        for name in ours:
            mismatched = np.flatnonzero((ours[name] != theirs[name]).any(axis=1))
            assert not mismatched.size, (name, [text_a[i] for i in mismatched[:3]])


def test_encoder_outputs_equal_hugging_face_pytorch(sentences, tokenizer, encoder, hf_model):
    text_a, text_b = sentences[:16], sentences[16:32]
    inputs = _packed(tokenizer, text_a, text_b)
    ours = encoder(inputs, training=False)
    with torch.no_grad():
        theirs = hf_model(
            input_ids=torch.tensor(inputs["input_word_ids"], dtype=torch.long),
            attention_mask=torch.tensor(inputs["input_mask"], dtype=torch.long),
            token_type_ids=torch.tensor(inputs["input_type_ids"], dtype=torch.long),
        )
    mask = inputs["input_mask"].astype(bool)
    np.testing.assert_allclose(
        ours["sequence_output"].numpy()[mask], theirs.last_hidden_state.numpy()[mask], atol=1e-4
    )
    np.testing.assert_allclose(
        ours["pooled_output"].numpy(), theirs.pooler_output.numpy(), atol=1e-4
    )


def _sentence_transformers_embeddings(hf_model, hf_tokenizer, texts):
    """sentence-transformers' all-MiniLM-L6-v2: BertModel, mean over the attention mask,
    then torch.nn.functional.normalize."""
    encoded = hf_tokenizer(
        texts, padding="max_length", truncation=True, max_length=MAX_SEQ_LENGTH, return_tensors="pt"
    )
    with torch.no_grad():
        tokens = hf_model(**encoded).last_hidden_state
    mask = encoded["attention_mask"].unsqueeze(-1).float()
    mean = (tokens * mask).sum(1) / torch.clamp(mask.sum(1), min=1e-9)
    return torch.nn.functional.normalize(mean, p=2, dim=1).numpy()


@pytest.mark.slow
def test_served_mean_pooled_embeddings_equal_sentence_transformers(
    sentences, tokenizer, encoder, hf_model, hf_tokenizer, tmp_path
):
    module = model_export.make_serving_module(
        "encoder", encoder, tokenizer, MAX_SEQ_LENGTH, pooling="mean", normalize=True
    )
    path = model_export.export_saved_model(module, str(tmp_path / "export"))
    import tensorflow_text  # noqa: F401  (the served tokenizer's ops)

    serve = tf.saved_model.load(path).signatures["serving_default"]
    texts = sentences[100:132]
    served = serve(text_a=tf.constant(texts), text_b=tf.constant([""] * len(texts)))
    expected = _sentence_transformers_embeddings(hf_model, hf_tokenizer, texts)
    np.testing.assert_allclose(served["sentence_embedding"].numpy(), expected, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(served["sentence_embedding"], axis=1), 1, atol=1e-6)


@pytest.mark.slow
def test_extract_features_from_the_directory_alone_gives_the_same_embeddings(
    sentences, hf_model, hf_tokenizer, tmp_path
):
    texts = sentences[200:210]
    (tmp_path / "input.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bert_tf.extract_features",
            f"--init_checkpoint={DIRECTORY}",
            f"--input_file={tmp_path / 'input.txt'}",
            f"--output_file={tmp_path / 'out.jsonl'}",
            "--layers=-1",
            "--pooling=mean",
            "--normalize",
            f"--max_seq_length={MAX_SEQ_LENGTH}",
        ],
        cwd=repo,
        env=dict(os.environ, PYTHONPATH=repo),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    with open(tmp_path / "out.jsonl", encoding="utf-8") as f:
        written = np.array([json.loads(line)["embedding"] for line in f])
    expected = _sentence_transformers_embeddings(hf_model, hf_tokenizer, texts)
    np.testing.assert_allclose(written, expected, atol=1e-5)


# A bfloat16 product keeps 8 bits of mantissa: served probabilities move by about 1e-3 here.
BFLOAT16_PROBABILITY_TOLERANCE = 0.02


def _served_classifier(dtype, tokenizer, tmp_path, head_weights):
    encoder = BertEncoder(
        BertConfig.from_json_file(find_settings(DIRECTORY).bert_config_file), dtype=dtype
    )
    model = build_model("classifier", encoder, num_labels=3)
    load_pretrained(model, DIRECTORY, heads="ignore")
    model.classifier.set_weights(head_weights)
    module = model_export.make_serving_module(
        "classifier", model, tokenizer, MAX_SEQ_LENGTH, num_labels=3
    )
    path = model_export.export_saved_model(module, str(tmp_path / dtype))
    import tensorflow_text  # noqa: F401  (the served tokenizer's ops)

    return tf.saved_model.load(path).signatures["serving_default"]


@pytest.mark.slow
def test_a_bfloat16_export_serves_the_float32_labels_in_float32(sentences, tokenizer, tmp_path):
    rng = np.random.default_rng(0)  # a head whose logits spread, as a fine-tuned one's do
    head_weights = [rng.normal(0, 0.5, (384, 3)).astype(np.float32), np.zeros(3, np.float32)]
    texts = tf.constant(sentences[300:364])
    served = {
        dtype: _served_classifier(dtype, tokenizer, tmp_path, head_weights)(
            text_a=texts, text_b=tf.fill(tf.shape(texts), "")
        )
        for dtype in ("float32", "mixed_bfloat16")
    }
    exact, bfloat16 = served["float32"], served["mixed_bfloat16"]
    assert bfloat16["probabilities"].dtype == tf.float32
    np.testing.assert_allclose(
        bfloat16["probabilities"], exact["probabilities"], atol=BFLOAT16_PROBABILITY_TOLERANCE
    )
    top2 = np.sort(exact["probabilities"].numpy(), axis=1)[:, -2:]
    clear = top2[:, 1] - top2[:, 0] > 2 * BFLOAT16_PROBABILITY_TOLERANCE
    assert clear.mean() > 0.5
    np.testing.assert_array_equal(
        bfloat16["label_id"].numpy()[clear], exact["label_id"].numpy()[clear]
    )
