"""Our checkpoint format: writing, reading back, the encoder out of any model, the model type."""

import numpy as np
import pytest
import tensorflow as tf

from bert_tf.checkpoints import build_model_for_checkpoint, read_checkpoint, write_checkpoint
from bert_tf.config import BertConfig
from bert_tf.errors import CheckpointError
from bert_tf.models import (
    BertClassifier,
    BertEncoder,
    BertMultipleChoice,
    BertPretrainer,
    BertSpanLabeler,
    BertTokenClassifier,
)

CONFIG = BertConfig(
    vocab_size=40,
    hidden_size=16,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=32,
    max_position_embeddings=16,
    type_vocab_size=2,
)


def _assert_same_weights(a, b):
    assert len(a.weights) == len(b.weights)
    for x, y in zip(a.weights, b.weights):
        np.testing.assert_array_equal(x.numpy(), y.numpy())


@pytest.mark.parametrize(
    "build", [lambda e: e, BertPretrainer, lambda e: BertClassifier(e, 3), BertSpanLabeler]
)
def test_written_checkpoint_restores_every_weight(build, tmp_path):
    model = build(BertEncoder(CONFIG))
    path = write_checkpoint(model, str(tmp_path / "model.ckpt"))
    restored = read_checkpoint(build(BertEncoder(CONFIG)), path)
    _assert_same_weights(model, restored)


def test_encoder_reads_from_any_checkpoint_by_the_documented_path(tmp_path):
    for i, model in enumerate([BertEncoder(CONFIG), BertPretrainer(BertEncoder(CONFIG))]):
        path = write_checkpoint(model, str(tmp_path / f"model{i}.ckpt"))
        encoder = BertEncoder(CONFIG)
        tf.train.Checkpoint(model=tf.train.Checkpoint(encoder=encoder)).read(path).expect_partial()
        _assert_same_weights(model if isinstance(model, BertEncoder) else model.encoder, encoder)


def test_reading_heads_the_checkpoint_lacks_fails(tmp_path):
    path = write_checkpoint(BertEncoder(CONFIG), str(tmp_path / "model.ckpt"))
    with pytest.raises(CheckpointError, match="model.ckpt: .*not bound to checkpointed values"):
        read_checkpoint(BertPretrainer(BertEncoder(CONFIG)), path)


@pytest.mark.parametrize(
    "model, expected",
    [
        (lambda: BertEncoder(CONFIG), BertEncoder),
        (lambda: BertPretrainer(BertEncoder(CONFIG)), BertPretrainer),
        (lambda: BertSpanLabeler(BertEncoder(CONFIG)), BertSpanLabeler),
        (lambda: BertTokenClassifier(BertEncoder(CONFIG), 5), BertClassifier),
        (lambda: BertMultipleChoice(BertEncoder(CONFIG)), BertClassifier),
    ],
)
def test_model_for_checkpoint_has_the_heads_it_holds(model, expected, tmp_path):
    written = model()
    path = write_checkpoint(written, str(tmp_path / "model.ckpt"))
    built = build_model_for_checkpoint(CONFIG, path)
    assert type(built) is expected
    _assert_same_weights(written, read_checkpoint(built, path))


def test_a_training_checkpoint_with_optimizer_state_is_recognized_by_its_object_graph(tmp_path):
    """Trainer checkpoints key most tensors `optimizer/_trainable_variables/N`; the heads show
    only through the object graph, and the TF1 export must still carry the classifier."""
    import keras

    from bert_tf.checkpoints import open_tf1_checkpoint, save_tf1_checkpoint

    written = BertClassifier(BertEncoder(CONFIG), num_labels=3)
    optimizer = keras.optimizers.AdamW()
    optimizer.build(written.trainable_variables)
    path = tf.train.Checkpoint(model=written, optimizer=optimizer).write(str(tmp_path / "ckpt-7"))
    keys = tf.train.load_checkpoint(path).get_variable_to_shape_map()
    assert not any(key.startswith("model/classifier/") for key in keys)

    built = build_model_for_checkpoint(CONFIG, path)
    assert type(built) is BertClassifier and built.num_labels == 3
    _assert_same_weights(written, read_checkpoint(built, path))
    save_tf1_checkpoint(built, str(tmp_path / "tf1" / "bert_model.ckpt"))
    shapes = open_tf1_checkpoint(str(tmp_path / "tf1" / "bert_model.ckpt")).shapes
    assert list(shapes["output_weights"]) == [3, CONFIG.hidden_size]


def test_a_run_with_a_checkpoint_resumes_and_only_a_fresh_run_reads_init_checkpoint(tmp_path):
    from bert_tf.checkpoints import resume_or_initialize

    pretrained = BertEncoder(CONFIG)
    init = write_checkpoint(pretrained, str(tmp_path / "init" / "model.ckpt"))
    fresh = BertClassifier(BertEncoder(CONFIG), 3)
    head_before = fresh.classifier.dense.kernel.numpy()
    assert resume_or_initialize(fresh, str(tmp_path / "run"), init, heads="ignore") is None
    _assert_same_weights(pretrained, fresh.encoder)
    np.testing.assert_array_equal(fresh.classifier.dense.kernel.numpy(), head_before)

    manager = tf.train.CheckpointManager(
        tf.train.Checkpoint(model=fresh), str(tmp_path / "run"), max_to_keep=1
    )
    saved = manager.save(checkpoint_number=7)
    resumed = BertClassifier(BertEncoder(CONFIG), 3)
    assert resume_or_initialize(resumed, str(tmp_path / "run"), init, heads="ignore") == saved
    _assert_same_weights(fresh, resumed)  # the resumed run's weights, head included
