"""Training under mixed_bfloat16: bfloat16 activations, float32 weights, losses and updates."""

import keras
import pytest
import tensorflow as tf

from bert_tf.config import BertConfig
from bert_tf.inputs import pretraining_dataset
from bert_tf.losses import pretraining_losses
from bert_tf.models.bert_encoder import BertEncoder
from bert_tf.models.bert_pretrainer import BertPretrainer
from bert_tf.optimization import create_optimizer
from bert_tf.training.strategy import set_precision
from bert_tf.training.trainer import Trainer
from tests.training.records import VOCAB_SIZE, structured_examples, write_records

# Dropout on: the fused dropout kernels run in bfloat16 too.
CONFIG = BertConfig(
    vocab_size=VOCAB_SIZE,
    hidden_size=16,
    num_hidden_layers=1,
    num_attention_heads=2,
    intermediate_size=32,
    max_position_embeddings=16,
    type_vocab_size=2,
)


@pytest.mark.slow
def test_mixed_bfloat16_keeps_weights_and_losses_float32_and_the_loss_falls(tmp_path):
    pattern = write_records(tmp_path / "a.tfrecord", structured_examples(16))
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    keras.utils.set_random_seed(0)
    set_precision("mixed_bfloat16")
    try:
        with strategy.scope():
            model = BertPretrainer(BertEncoder(CONFIG))
            optimizer = create_optimizer("adamw", 1e-3, num_train_steps=100, num_warmup_steps=0)
        trainer = Trainer(
            strategy, model, optimizer, pretraining_losses, str(tmp_path), global_batch_size=8
        )
        dataset_fn = lambda batch_size, context: pretraining_dataset(
            pattern, 16, 3, batch_size, True, context, shuffle=False
        )
        iterator = iter(trainer.distribute_dataset(dataset_fn))
        first, _ = trainer.run_steps(iterator, 1)
        trainer.run_steps(iterator, 40)
        last, _ = trainer.run_steps(iterator, 2)
        batch = next(iter(dataset_fn(8, None)))
        sequence_output = model.encoder(batch, training=True)["sequence_output"]
        losses = pretraining_losses(batch, model(batch, training=True))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert sequence_output.dtype == tf.bfloat16
    assert {name: loss.dtype for name, loss in losses.items()} == {
        name: tf.float32 for name in losses
    }
    assert {v.dtype for v in model.weights + optimizer.variables} <= {"float32", "int64"}
    # Two epochs over 16 examples of 3 predictions: the loss falls well below its start.
    assert float(last["loss"]) < float(first["loss"]) - 0.5
