"""The Trainer's update: accumulation, global clipping, NaN stop."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from bert_tf.config import BertConfig
from bert_tf.errors import NonFiniteLossError
from bert_tf.inputs import pretraining_dataset
from bert_tf.losses import pretraining_losses
from bert_tf.models.bert_encoder import BertEncoder
from bert_tf.models.bert_pretrainer import BertPretrainer
from bert_tf.training.trainer import Trainer
from tests.training.records import VOCAB_SIZE, structured_examples, write_records

CONFIG = BertConfig(
    vocab_size=VOCAB_SIZE,
    hidden_size=16,
    num_hidden_layers=1,
    num_attention_heads=2,
    intermediate_size=32,
    max_position_embeddings=16,
    type_vocab_size=2,
    hidden_dropout_prob=0.0,
    attention_probs_dropout_prob=0.0,
)


def _trainer(output_dir, optimizer, batch_size=8, loss_fn=pretraining_losses, **kwargs):
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = BertPretrainer(BertEncoder(CONFIG))
        optimizer = optimizer()
    return Trainer(
        strategy,
        model,
        optimizer,
        loss_fn,
        str(output_dir),
        global_batch_size=batch_size,
        steps_per_loop=1,
        log_steps=1,
        **kwargs,
    )


def _dataset_fn(pattern):
    return lambda batch_size, context: pretraining_dataset(
        pattern, 16, 3, batch_size, True, context, shuffle=False
    )


def test_accumulated_micro_batches_give_the_update_of_one_big_batch(tmp_path):
    # Every example has 3 real predictions, so micro-batch losses share a normalizer.
    pattern = write_records(tmp_path / "a.tfrecord", structured_examples(16))
    sgd = lambda: keras.optimizers.SGD(0.5)
    whole = _trainer(tmp_path / "whole", sgd)
    accumulated = _trainer(tmp_path / "acc", sgd, gradient_accumulation_steps=4)
    before = [v.numpy() for v in whole.model.trainable_variables]
    np.testing.assert_array_equal(before[0], accumulated.model.trainable_variables[0].numpy())
    whole.train(_dataset_fn(pattern), 2)
    accumulated.train(_dataset_fn(pattern), 2)
    moved = 0
    for v0, a, b in zip(
        before, whole.model.trainable_variables, accumulated.model.trainable_variables
    ):
        np.testing.assert_allclose(b.numpy(), a.numpy(), atol=2e-6, err_msg=a.path)
        moved += not np.allclose(v0, a.numpy())
    assert moved > 10
    assert int(accumulated.global_step.numpy()) == 2


def test_gradients_are_clipped_by_their_global_norm(tmp_path):
    pattern = write_records(tmp_path / "a.tfrecord", structured_examples(8))
    trainer = _trainer(tmp_path / "out", lambda: keras.optimizers.SGD(1.0), clip_norm=1e-3)
    before = [v.numpy() for v in trainer.model.trainable_variables]
    results = trainer.train(_dataset_fn(pattern), 1)
    # SGD with lr 1: the update is the clipped gradient, whose norm over all variables is 1e-3.
    update_norm = np.sqrt(
        sum(np.sum((v.numpy() - b) ** 2) for v, b in zip(trainer.model.trainable_variables, before))
    )
    assert results["gradient_norm"] > 0.1
    assert update_norm == pytest.approx(1e-3, rel=1e-3)


def test_nan_loss_stops_with_the_step_and_keeps_the_last_good_checkpoint(tmp_path):
    good = structured_examples(16)
    poisoned = structured_examples(8, seed=3)
    for example in poisoned:
        example["masked_lm_weights"] = np.full(3, np.nan, np.float32)
    pattern = write_records(tmp_path / "a.tfrecord", good + poisoned)
    trainer = _trainer(
        tmp_path / "out", lambda: keras.optimizers.SGD(0.1), batch_size=4, save_checkpoints_steps=2
    )
    with pytest.raises(NonFiniteLossError, match=r"not finite\) at step 5;.*ckpt-4"):
        trainer.train(_dataset_fn(pattern), 10)
    assert tf.train.latest_checkpoint(str(tmp_path / "out")).endswith("ckpt-4")


def test_no_checkpoint_is_saved_once_the_loss_explodes_and_the_nan_names_the_last_good_one(
    tmp_path,
):
    good = structured_examples(16)
    exploding = structured_examples(8, seed=3)  # a loss 1e4 times the good one's, still finite
    for example in exploding:
        example["masked_lm_weights"] = np.full(3, 1e4, np.float32)

    def loss_scaled_by_the_weights(batch, outputs):
        # The masked LM loss divides by the weights' sum: scale it back, to explode it.
        metrics = pretraining_losses(batch, outputs)
        metrics["loss"] *= tf.reduce_max(batch["masked_lm_weights"])
        return metrics

    poisoned = structured_examples(4, seed=4)
    for example in poisoned:
        example["masked_lm_weights"] = np.full(3, np.nan, np.float32)
    pattern = write_records(tmp_path / "a.tfrecord", good + exploding + poisoned)
    trainer = _trainer(
        tmp_path / "out",
        lambda: keras.optimizers.SGD(0.0),
        batch_size=4,
        save_checkpoints_steps=2,
        loss_fn=loss_scaled_by_the_weights,
    )
    with pytest.raises(NonFiniteLossError) as raised:
        trainer.train(_dataset_fn(pattern), 10)
    # Steps 1-4 good (ckpt-2, ckpt-4 saved), 5-6 exploding (ckpt-6 not saved), 7 NaN.
    assert str(raised.value).startswith(
        "loss is nan (not finite) at step 7, after it exploded (over 10x its running mean) at "
        f"step 5; training stopped. The last good checkpoint, {tmp_path / 'out' / 'ckpt-4'}, "
        "is kept"
    )
    assert tf.train.latest_checkpoint(str(tmp_path / "out")).endswith("ckpt-4")
    assert not tf.io.gfile.glob(str(tmp_path / "out" / "ckpt-6*"))


def test_a_nan_before_any_checkpoint_says_none_was_saved(tmp_path):
    poisoned = structured_examples(8, seed=3)
    for example in poisoned:
        example["masked_lm_weights"] = np.full(3, np.nan, np.float32)
    pattern = write_records(tmp_path / "a.tfrecord", poisoned)
    trainer = _trainer(tmp_path / "out", lambda: keras.optimizers.SGD(0.1), batch_size=4)
    with pytest.raises(
        NonFiniteLossError,
        match=r"at step 1; training stopped\. No checkpoint "
        r"was saved before it;",
    ):
        trainer.train(_dataset_fn(pattern), 10)


def test_a_checkpoint_save_killed_part_way_leaves_no_temporary_directory_for_the_next_run(tmp_path):
    (tmp_path / "out" / "ckpt-7_temp").mkdir(parents=True)
    (tmp_path / "out" / "ckpt-7_temp" / "part-00000-of-00001.index").write_bytes(b"half")
    _trainer(tmp_path / "out", lambda: keras.optimizers.SGD(0.1))
    assert not (tmp_path / "out" / "ckpt-7_temp").exists()
