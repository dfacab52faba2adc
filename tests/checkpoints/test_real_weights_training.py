"""Fine-tuning the real all-MiniLM-L6-v2 weights follows PyTorch step for step.

30 updates of a sentence classifier on the real sentences of sample_data/sentiment, dropout
off: the project's Trainer and AdamW against Hugging Face's BertForSequenceClassification
trained in PyTorch with the original's AdamWeightDecay (bench/torch_reference.py), the same
weights (the classifier head included) and the same batches. The tiny random models of
tests/training/test_training_parity.py pin the update; real weights add real scales (six
layers, a 30,522-row embedding, the erf GELU) over enough steps for drift to show.
"""

import os

import numpy as np
import pytest
import tensorflow as tf

from bench.real_checkpoint import INSTALL, minilm_directory
from bert_tf.checkpoints import load_pretrained, read_huggingface_config
from bert_tf.models import BertEncoder, build_model
from bert_tf.optimization import create_optimizer
from bert_tf.tasks.glue import GlueTask
from bert_tf.tokenization import Tokenizer
from bert_tf.training.trainer import Trainer

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
from bench.torch_reference import AdamWeightDecay  # noqa: E402  (needs torch)

STEPS, WARMUP, LEARNING_RATE, BATCH, MAX_SEQ_LENGTH = 30, 3, 5e-5, 4, 24
TOLERANCE = 1e-3
SENTIMENT = os.path.join(os.path.dirname(__file__), "..", "..", "sample_data", "sentiment")


@pytest.fixture(scope="module")
def checkpoint():
    directory = minilm_directory()
    if directory is None:
        pytest.skip(f"all-MiniLM-L6-v2 is not installed ({INSTALL})")
    return directory


def _batches(directory):
    """STEPS batches of real training sentences, in file order."""
    task = GlueTask(
        "sst-2",
        Tokenizer(os.path.join(directory, "vocab.txt"), do_lower_case=True),
        MAX_SEQ_LENGTH,
        data_dir=SENTIMENT,
    )
    features = task.make_features(task.read_examples("train"), is_training=True)
    assert len(features["input_word_ids"]) >= STEPS * BATCH
    return [
        {
            key: features[key][i * BATCH : (i + 1) * BATCH]
            for key in ("input_word_ids", "input_mask", "input_type_ids", "label_ids")
        }
        for i in range(STEPS)
    ], task


def _pytorch_losses(model, batches):
    optimizer = AdamWeightDecay(model, LEARNING_RATE, STEPS, WARMUP)
    losses = []
    for step, batch in enumerate(batches):
        ids, mask, types = (
            torch.tensor(batch[k], dtype=torch.long)
            for k in ("input_word_ids", "input_mask", "input_type_ids")
        )
        logits = model(input_ids=ids, attention_mask=mask, token_type_ids=types).logits
        loss = torch.nn.functional.cross_entropy(
            logits, torch.tensor(batch["label_ids"], dtype=torch.long)
        )
        losses.append(loss.item())
        loss.backward()
        optimizer.step(step)
    return losses


def _our_losses(directory, batches, task, output_dir):
    config = read_huggingface_config(directory)
    config.hidden_dropout_prob = config.attention_probs_dropout_prob = 0.0
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    with strategy.scope():
        model = build_model("classifier", BertEncoder(config), 2)
        load_pretrained(model, directory)  # the encoder, pooler and head PyTorch starts from
        optimizer = create_optimizer("adamw", LEARNING_RATE, STEPS, WARMUP)
    trainer = Trainer(
        strategy,
        model,
        optimizer,
        lambda batch, outputs: {"loss": task.loss(batch, outputs)},
        output_dir,
        global_batch_size=BATCH,
        steps_per_loop=1,
        log_steps=STEPS,
        save_checkpoints_steps=STEPS * 10,
    )
    stacked = {k: np.concatenate([b[k] for b in batches]) for k in batches[0]}
    iterator = iter(
        trainer.distribute_dataset(
            lambda batch_size, _: tf.data.Dataset.from_tensor_slices(stacked).batch(batch_size)
        )
    )
    return [float(trainer.run_steps(iterator, 1)[0]["loss"]) for _ in batches]


@pytest.mark.slow  # two 22M-parameter models trained 30 steps: about a minute on 2 cores
def test_fine_tuning_the_real_weights_follows_pytorch_for_30_steps(checkpoint, tmp_path):
    batches, task = _batches(checkpoint)
    torch.manual_seed(0)  # the head's (and, when absent from the file, the pooler's) weights
    hf_model = transformers.BertForSequenceClassification.from_pretrained(
        checkpoint, num_labels=2, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0
    )
    hf_model.save_pretrained(tmp_path / "start", safe_serialization=True)
    hf_model.train()  # dropout is 0: train mode computes what eval mode does
    expected = _pytorch_losses(hf_model, batches)
    got = _our_losses(str(tmp_path / "start"), batches, task, str(tmp_path / "ours"))
    assert min(expected[-5:]) < expected[0] - 0.1  # the reference learns
    np.testing.assert_allclose(got, expected, atol=TOLERANCE, rtol=0)
