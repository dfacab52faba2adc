"""The Trainer resumes from the checkpoint it is given, once, and only if output_dir's state file
names it (as bert_tf.checkpoints.resume_or_initialize leaves it)."""

import keras
import pytest
import tensorflow as tf

from bert_tf.config import BertConfig
from bert_tf.losses import pretraining_losses
from bert_tf.models.bert_encoder import BertEncoder
from bert_tf.models.bert_pretrainer import BertPretrainer
from bert_tf.training.trainer import Trainer

CONFIG = BertConfig(
    vocab_size=30,
    hidden_size=16,
    num_hidden_layers=1,
    num_attention_heads=2,
    intermediate_size=32,
    max_position_embeddings=16,
    type_vocab_size=2,
)


def _trainer(output_dir, optimizer=keras.optimizers.Adam, resume_from=None):
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
        resume_from=resume_from,
    )


def _saved(output_dir, step, optimizer=keras.optimizers.Adam):
    trainer = _trainer(output_dir, optimizer, tf.train.latest_checkpoint(str(output_dir)))
    trainer.global_step.assign(step)
    trainer.save()
    return trainer.manager.latest_checkpoint


def test_a_trainer_restores_resume_from_once(tmp_path, monkeypatch):
    path = _saved(tmp_path, 7)
    restores = []
    original = tf.train.Checkpoint.restore
    monkeypatch.setattr(
        tf.train.Checkpoint,
        "restore",
        lambda self, *args, **kwargs: restores.append(args) or original(self, *args, **kwargs),
    )
    assert int(_trainer(tmp_path, resume_from=path).global_step.numpy()) == 7
    assert restores == [(path,)]


def test_a_trainer_refuses_a_resume_from_the_state_file_does_not_name(tmp_path):
    first = _saved(tmp_path, 1)
    _saved(tmp_path, 2)
    with pytest.raises(ValueError, match=f"resume_from is {first}, but .* names .*ckpt-2 as"):
        _trainer(tmp_path, resume_from=first)
    with pytest.raises(ValueError, match="resume_from is None, but .* names .*ckpt-2 as"):
        _trainer(tmp_path)


def test_a_trainer_refuses_a_checkpoint_lacking_some_of_its_objects(tmp_path):
    path = _saved(tmp_path, 3, optimizer=keras.optimizers.SGD)  # no Adam moments
    with pytest.raises(AssertionError):
        _trainer(tmp_path, resume_from=path)
