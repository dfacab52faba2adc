import keras
import numpy as np
import pytest

from bert_tf.models import (
    BertClassifier,
    BertEncoder,
    BertMultipleChoice,
    BertPretrainer,
    BertSpanLabeler,
    BertTokenClassifier,
)
from tests.keras_helpers import assert_config_round_trips, random_inputs, tiny_config


@pytest.fixture(scope="module")
def encoder():
    return BertEncoder(tiny_config())


def dense_of(head, x):
    kernel, bias = (np.asarray(w) for w in head.dense.weights)
    return x @ kernel + bias


def test_pretrainer_mlm_is_tied_to_word_embeddings(encoder):
    model = BertPretrainer(encoder)
    inputs = dict(random_inputs(), masked_lm_positions=np.array([[1, 2], [3, 0], [4, 4]]))
    outputs = model(inputs)
    assert tuple(outputs["mlm_logits"].shape) == (3, 2, 60)
    assert tuple(outputs["nsp_logits"].shape) == (3, 2)
    # The vocabulary projection has no kernel of its own: only the bias is new.
    assert [
        tuple(w.shape) for w in model.masked_lm.weights if len(w.shape) == 1 and w.shape[0] == 60
    ]
    assert not any(tuple(w.shape) == (32, 60) for w in model.weights)
    pooled = np.asarray(encoder(inputs)["pooled_output"])
    np.testing.assert_allclose(
        outputs["nsp_logits"], dense_of(model.next_sentence, pooled), atol=1e-5
    )


def test_classifier_reads_pooled_output(encoder):
    model = BertClassifier(encoder, num_labels=3)
    inputs = random_inputs()
    pooled = np.asarray(encoder(inputs)["pooled_output"])
    np.testing.assert_allclose(
        model(inputs)["logits"], dense_of(model.classifier, pooled), atol=1e-5
    )
    assert tuple(BertClassifier(encoder, num_labels=1)(inputs)["logits"].shape) == (3, 1)


def test_token_classifier_scores_every_position(encoder):
    model = BertTokenClassifier(encoder, num_labels=5)
    inputs = random_inputs()
    sequence = np.asarray(encoder(inputs)["sequence_output"])
    np.testing.assert_allclose(
        model(inputs)["logits"], dense_of(model.classifier, sequence), atol=1e-5
    )


def test_span_labeler_start_and_end(encoder):
    model = BertSpanLabeler(encoder)
    inputs = random_inputs()
    outputs = model(inputs)
    both = dense_of(model.span, np.asarray(encoder(inputs)["sequence_output"]))
    np.testing.assert_allclose(outputs["start_logits"], both[..., 0], atol=1e-5)
    np.testing.assert_allclose(outputs["end_logits"], both[..., 1], atol=1e-5)


def test_multiple_choice_scores_each_choice_independently(encoder):
    model = BertMultipleChoice(encoder)
    choices = [random_inputs(batch_size=2, seq_length=6, seed=s) for s in range(4)]
    stacked = {name: np.stack([c[name] for c in choices], axis=1) for name in choices[0]}
    logits = np.asarray(model(stacked)["logits"])
    assert logits.shape == (2, 4)
    for i, choice in enumerate(choices):
        pooled = np.asarray(encoder(choice)["pooled_output"])
        np.testing.assert_allclose(
            logits[:, i], dense_of(model.classifier, pooled)[:, 0], atol=1e-5
        )


@pytest.mark.parametrize(
    "make",
    [
        lambda e: BertPretrainer(e),
        lambda e: BertClassifier(e, num_labels=3, dropout_rate=0.2),
        lambda e: BertTokenClassifier(e, num_labels=9),
        lambda e: BertSpanLabeler(e),
        lambda e: BertMultipleChoice(e),
    ],
)
def test_config_round_trip(encoder, make):
    model = make(encoder)
    restored = assert_config_round_trips(model)
    assert restored.encoder.config == encoder.config
    assert len(restored.weights) == len(model.weights)


def test_keras_file_round_trip(encoder, tmp_path):
    model = BertClassifier(encoder, num_labels=2)
    path = str(tmp_path / "classifier.keras")
    model.save(path)
    inputs = random_inputs()
    np.testing.assert_allclose(
        keras.saving.load_model(path)(inputs)["logits"], model(inputs)["logits"], atol=1e-6
    )
