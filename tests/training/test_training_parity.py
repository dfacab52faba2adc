"""Training parity: the project's Trainer and AdamW follow the original's update, step for step.

Reference: a tiny Hugging Face BERT (dropout 0) trained in PyTorch on the same batches with
google-research/bert's AdamWeightDecayOptimizer (bench/torch_reference.py: no bias correction,
decay 0.01 except LayerNorm and biases, epsilon 1e-6, global-norm clip 1.0, linear warmup then
linear decay to 0), its losses computed as the original's model_fn computes them. The
project's model is the same weights imported with its Hugging Face loader.
"""

import numpy as np
import pytest
import tensorflow as tf

from bert_tf.checkpoints import load_pretrained, read_huggingface_config
from bert_tf.losses import pretraining_losses
from bert_tf.models import BertEncoder, build_model
from bert_tf.optimization import create_optimizer
from bert_tf.training.trainer import Trainer

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
from bench.torch_reference import AdamWeightDecay  # noqa: E402  (needs torch)
from tests.checkpoints import hf_reference  # noqa: E402  (needs torch)

# Training runs of more than a few seconds: `make test` runs them, `make test-fast` does not.
pytestmark = pytest.mark.slow

STEPS, WARMUP, LEARNING_RATE = 20, 4, 5e-3
BATCH, SEQ, PREDICTIONS, NUM_LABELS = 8, 12, 3, 3
TOLERANCE = 1e-4


def _pretraining_batches(rng):
    batches = []
    for _ in range(STEPS):
        mask = np.ones((BATCH, SEQ), np.int32)
        mask[BATCH // 2 :, SEQ - 4 :] = 0  # padded rows
        ids = rng.integers(5, hf_reference.HF_CONFIG["vocab_size"], (BATCH, SEQ)) * mask
        weights = np.ones((BATCH, PREDICTIONS), np.float32)
        weights[::3, -1] = 0.0  # fewer real predictions in some rows
        batches.append(
            {
                "input_word_ids": ids.astype(np.int32),
                "input_mask": mask,
                "input_type_ids": (np.arange(SEQ)[None, :] >= SEQ // 2).astype(np.int32) * mask,
                "masked_lm_positions": rng.integers(1, SEQ - 4, (BATCH, PREDICTIONS)).astype(
                    np.int32
                ),
                "masked_lm_ids": rng.integers(
                    5, hf_reference.HF_CONFIG["vocab_size"], (BATCH, PREDICTIONS)
                ).astype(np.int32),
                "masked_lm_weights": weights,
                "next_sentence_labels": rng.integers(0, 2, (BATCH,)).astype(np.int32),
            }
        )
    return batches


def _original_pretraining_loss(hf_model, batch):
    """get_masked_lm_output + get_next_sentence_output of the original run_pretraining.py."""
    out = hf_model(**hf_reference.hf_inputs(batch))
    rows = torch.arange(BATCH)[:, None]
    positions = torch.tensor(batch["masked_lm_positions"], dtype=torch.long)
    log_probs = torch.log_softmax(out.prediction_logits[rows, positions], dim=-1)
    ids = torch.tensor(batch["masked_lm_ids"], dtype=torch.long)
    per_example = -log_probs.gather(-1, ids[..., None])[..., 0]
    weights = torch.tensor(batch["masked_lm_weights"])
    masked_lm = (weights * per_example).sum() / (weights.sum() + 1e-5)
    labels = torch.tensor(batch["next_sentence_labels"], dtype=torch.long)
    next_sentence = torch.nn.functional.cross_entropy(out.seq_relationship_logits, labels)
    return masked_lm + next_sentence


def _classifier_batches(rng):
    batches = _pretraining_batches(rng)
    return [
        {
            **{k: b[k] for k in ("input_word_ids", "input_mask", "input_type_ids")},
            "label_ids": rng.integers(0, NUM_LABELS, (BATCH,)).astype(np.int32),
        }
        for b in batches
    ]


def _original_classifier_loss(hf_model, batch):
    """run_classifier.py's create_model: mean cross-entropy of the pooled-output logits."""
    logits = hf_model(**hf_reference.hf_inputs(batch)).logits
    return torch.nn.functional.cross_entropy(
        logits, torch.tensor(batch["label_ids"], dtype=torch.long)
    )


def _classifier_loss(batch, outputs):
    return {
        "loss": tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=batch["label_ids"], logits=tf.cast(outputs["logits"], tf.float32)
            )
        )
    }


def _hf_model(model_class, tmp_path, **overrides):
    model = hf_reference.random_hf_model(
        model_class, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, **overrides
    )
    model.save_pretrained(tmp_path / "hf", safe_serialization=True)
    model.train()  # dropout is 0: train mode computes what eval mode does
    return model


def _reference_losses(hf_model, batches, loss_fn):
    optimizer = AdamWeightDecay(hf_model, LEARNING_RATE, STEPS, WARMUP)
    losses = []
    for step, batch in enumerate(batches):
        loss = loss_fn(hf_model, batch)
        losses.append(float(loss))
        loss.backward()
        optimizer.step(step)
    return losses


def _our_losses(tmp_path, model_type, batches, loss_fn, num_labels=None, **trainer_options):
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    config = read_huggingface_config(str(tmp_path / "hf"))
    with strategy.scope():
        model = build_model(model_type, BertEncoder(config), num_labels)
        load_pretrained(model, str(tmp_path / "hf"))
        optimizer = create_optimizer(
            "adamw",
            LEARNING_RATE,
            STEPS,
            WARMUP,
            adam_bias_correction=trainer_options.pop("bias", False),
        )
    trainer = Trainer(
        strategy,
        model,
        optimizer,
        loss_fn,
        str(tmp_path / "ours"),
        global_batch_size=BATCH,
        steps_per_loop=1,
        log_steps=STEPS,
        save_checkpoints_steps=STEPS * 10,
        **trainer_options,
    )
    stacked = {k: np.concatenate([b[k] for b in batches]) for k in batches[0]}
    dataset_fn = lambda batch_size, _: tf.data.Dataset.from_tensor_slices(stacked).batch(batch_size)
    iterator = iter(trainer.distribute_dataset(dataset_fn))
    return [float(trainer.run_steps(iterator, 1)[0]["loss"]) for _ in batches]


@pytest.fixture(scope="module")
def pretraining_reference(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("pretraining")
    hf_model = _hf_model(transformers.BertForPreTraining, tmp_path)
    batches = _pretraining_batches(np.random.default_rng(0))
    return tmp_path, batches, _reference_losses(hf_model, batches, _original_pretraining_loss)


def test_pretraining_follows_the_original_adam_weight_decay_step_for_step(pretraining_reference):
    tmp_path, batches, expected = pretraining_reference
    got = _our_losses(tmp_path, "pretrainer", batches, pretraining_losses)
    assert expected[-1] < expected[0] - 0.1  # the reference learns
    np.testing.assert_allclose(got, expected, atol=TOLERANCE, rtol=0)


def test_bias_corrected_adam_does_not_follow_it(pretraining_reference):
    """The comparison can fail: Keras' bias-corrected Adam moves the losses away."""
    tmp_path, batches, expected = pretraining_reference
    got = _our_losses(tmp_path, "pretrainer", batches, pretraining_losses, bias=True)
    assert np.max(np.abs(np.asarray(got) - expected)) > 100 * TOLERANCE


@pytest.mark.parametrize("accumulation", [1, 2])
def test_classifier_fine_tuning_follows_the_original_update(tmp_path, accumulation):
    """With 2 micro-batches of 4 the update is that of the whole batch of 8 (mean loss)."""
    hf_model = _hf_model(
        transformers.BertForSequenceClassification, tmp_path, num_labels=NUM_LABELS
    )
    batches = _classifier_batches(np.random.default_rng(1))
    expected = _reference_losses(hf_model, batches, _original_classifier_loss)
    got = _our_losses(
        tmp_path,
        "classifier",
        batches,
        _classifier_loss,
        NUM_LABELS,
        gradient_accumulation_steps=accumulation,
    )
    np.testing.assert_allclose(got, expected, atol=TOLERANCE, rtol=0)
