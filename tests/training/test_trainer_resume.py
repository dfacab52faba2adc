"""The Trainer continues from the newest checkpoint of output_dir that reads, reading it once,
and its CheckpointManager continues the list that decision leaves in the state file."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from bert_tf.config import BertConfig
from bert_tf.losses import pretraining_losses
from bert_tf.models.bert_encoder import BertEncoder
from bert_tf.models.bert_pretrainer import BertPretrainer
from bert_tf.training.trainer import Trainer
from tests.checkpoints.test_damaged import flip_a_byte

CONFIG = BertConfig(
    vocab_size=30,
    hidden_size=16,
    num_hidden_layers=1,
    num_attention_heads=2,
    intermediate_size=32,
    max_position_embeddings=16,
    type_vocab_size=2,
)


def _trainer(output_dir, optimizer=keras.optimizers.Adam, keep_checkpoint_max=5):
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    with strategy.scope():
        model = BertPretrainer(BertEncoder(CONFIG))
        optimizer = optimizer()
    return Trainer(
        strategy,
        model,
        optimizer,
        pretraining_losses,
        str(output_dir),
        global_batch_size=2,
        enable_xla=False,
        keep_checkpoint_max=keep_checkpoint_max,
    )


def _saved(output_dir, step, optimizer=keras.optimizers.Adam):
    trainer = _trainer(output_dir, optimizer)
    trainer.global_step.assign(step)
    for variable in trainer.model.weights:  # weights of this step: a resume must find them
        variable.assign(tf.fill(variable.shape, tf.cast(step, variable.dtype)))
    trainer.save()
    return trainer.manager.latest_checkpoint


def test_a_trainer_restores_the_newest_checkpoint_reading_it_once(tmp_path, monkeypatch):
    _saved(tmp_path, 3)
    path = _saved(tmp_path, 7)
    reads = []
    original = tf.train.Checkpoint.read  # what Checkpoint.restore calls
    monkeypatch.setattr(
        tf.train.Checkpoint,
        "read",
        lambda self, *args, **kwargs: reads.append(args) or original(self, *args, **kwargs),
    )
    trainer = _trainer(tmp_path)
    assert reads == [(path,)]
    assert (int(trainer.global_step.numpy()), trainer.checkpoint_step) == (7, 7)
    for variable in trainer.model.weights:
        np.testing.assert_array_equal(variable.numpy(), np.full(variable.shape, 7))


def test_a_trainer_skips_a_damaged_latest_and_its_manager_continues_the_list(tmp_path):
    first, second, third = (_saved(tmp_path, step) for step in (1, 2, 3))
    flip_a_byte(third + ".data-00000-of-00001")  # fails the checksum of one tensor
    trainer = _trainer(tmp_path, keep_checkpoint_max=3)
    assert int(trainer.global_step.numpy()) == 2
    assert trainer.manager.checkpoints == [first, second]
    trainer.global_step.assign(4)
    trainer.save()
    fourth = trainer.manager.latest_checkpoint
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert list(state.all_model_checkpoint_paths) == [first, second, fourth]


def test_a_trainer_refuses_a_checkpoint_lacking_some_of_its_objects(tmp_path):
    _saved(tmp_path, 3, optimizer=keras.optimizers.SGD)  # no Adam moments
    with pytest.raises(AssertionError):
        _trainer(tmp_path)
