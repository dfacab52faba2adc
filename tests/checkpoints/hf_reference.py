"""Reference models for the checkpoint tests: random HF BERTs and a TF1 name table of their own.

The table here is written out independently of bert_tf/checkpoints (no regexes, no shared
code), so a test that goes HF → this table → TF1 file → bert_tf checks the library's table.
"""

import numpy as np
import tensorflow as tf
import torch
import transformers

# The tanh GELU: what the original code (and our "gelu") computes.
HF_CONFIG = dict(
    vocab_size=100,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=48,
    max_position_embeddings=16,
    type_vocab_size=2,
    hidden_act="gelu_new",
)

_BLOCK_DENSES = [
    ("attention.self.query", "attention/self/query"),
    ("attention.self.key", "attention/self/key"),
    ("attention.self.value", "attention/self/value"),
    ("attention.output.dense", "attention/output/dense"),
    ("intermediate.dense", "intermediate/dense"),
    ("output.dense", "output/dense"),
]
_BLOCK_LAYER_NORMS = [
    ("attention.output.LayerNorm", "attention/output/LayerNorm"),
    ("output.LayerNorm", "output/LayerNorm"),
]


def tf1_names_of_hf(num_layers):
    """Returns {HF BertForPreTraining name: (TF1 name, True if the matrix is transposed)}."""
    names = {
        "bert.embeddings.word_embeddings.weight": ("bert/embeddings/word_embeddings", False),
        "bert.embeddings.position_embeddings.weight": (
            "bert/embeddings/position_embeddings",
            False,
        ),
        "bert.embeddings.token_type_embeddings.weight": (
            "bert/embeddings/token_type_embeddings",
            False,
        ),
        "bert.embeddings.LayerNorm.weight": ("bert/embeddings/LayerNorm/gamma", False),
        "bert.embeddings.LayerNorm.bias": ("bert/embeddings/LayerNorm/beta", False),
        "bert.pooler.dense.weight": ("bert/pooler/dense/kernel", True),
        "bert.pooler.dense.bias": ("bert/pooler/dense/bias", False),
        "cls.predictions.transform.dense.weight": ("cls/predictions/transform/dense/kernel", True),
        "cls.predictions.transform.dense.bias": ("cls/predictions/transform/dense/bias", False),
        "cls.predictions.transform.LayerNorm.weight": (
            "cls/predictions/transform/LayerNorm/gamma",
            False,
        ),
        "cls.predictions.transform.LayerNorm.bias": (
            "cls/predictions/transform/LayerNorm/beta",
            False,
        ),
        "cls.predictions.bias": ("cls/predictions/output_bias", False),
        "cls.seq_relationship.weight": ("cls/seq_relationship/output_weights", False),
        "cls.seq_relationship.bias": ("cls/seq_relationship/output_bias", False),
    }
    for i in range(num_layers):
        for hf, tf1 in _BLOCK_DENSES:
            names[f"bert.encoder.layer.{i}.{hf}.weight"] = (
                f"bert/encoder/layer_{i}/{tf1}/kernel",
                True,
            )
            names[f"bert.encoder.layer.{i}.{hf}.bias"] = (
                f"bert/encoder/layer_{i}/{tf1}/bias",
                False,
            )
        for hf, tf1 in _BLOCK_LAYER_NORMS:
            names[f"bert.encoder.layer.{i}.{hf}.weight"] = (
                f"bert/encoder/layer_{i}/{tf1}/gamma",
                False,
            )
            names[f"bert.encoder.layer.{i}.{hf}.bias"] = (
                f"bert/encoder/layer_{i}/{tf1}/beta",
                False,
            )
    return names


def random_hf_model(model_class=transformers.BertForPreTraining, seed=0, **overrides):
    """A HF BERT model in eval mode with noise on every weight (biases and LayerNorms too), so a
    weight that is mapped to the wrong place or left unloaded shows in the outputs."""
    torch.manual_seed(seed)
    model = model_class(transformers.BertConfig(**{**HF_CONFIG, **overrides})).eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.05)
    return model


def write_tf1_checkpoint(prefix, hf_model, extra=None):
    """Writes `hf_model` as Google's run_pretraining.py would: TF1 names, Adam slots, global_step.

    Args:
        extra: optional {TF1 name: numpy array} added as is (e.g. a fine-tuning head).
    """
    state = hf_model.state_dict()
    tensors = {}
    for hf_name, (tf1_name, transposed) in tf1_names_of_hf(
        hf_model.config.num_hidden_layers
    ).items():
        value = state[hf_name].numpy()
        tensors[tf1_name] = value.T if transposed else value
    tensors.update(extra or {})
    rng = np.random.default_rng(1)
    for name, value in list(tensors.items()):
        tensors[f"{name}/adam_m"] = rng.normal(size=value.shape).astype(np.float32)
        tensors[f"{name}/adam_v"] = rng.random(size=value.shape).astype(np.float32)
    names = sorted(tensors)
    tf.raw_ops.SaveV2(
        prefix=prefix,
        tensor_names=names + ["global_step"],
        shape_and_slices=[""] * (len(names) + 1),
        tensors=[tensors[name] for name in names] + [np.int64(1000)],
    )
    return prefix


def hf_model_from_tf1(read_tensor, config):
    """Builds a BertForPreTraining holding the weights of a TF1 checkpoint (the table inverted)."""
    model = transformers.BertForPreTraining(config).eval()
    state = {}
    for hf_name, (tf1_name, transposed) in tf1_names_of_hf(config.num_hidden_layers).items():
        value = np.asarray(read_tensor(tf1_name), np.float32)
        state[hf_name] = torch.from_numpy(np.ascontiguousarray(value.T if transposed else value))
    state["cls.predictions.decoder.weight"] = state["bert.embeddings.word_embeddings.weight"]
    state["cls.predictions.decoder.bias"] = state["cls.predictions.bias"]
    model.load_state_dict(state, strict=True)
    return model


def hf_inputs(batch):
    return {
        "input_ids": torch.tensor(batch["input_word_ids"], dtype=torch.long),
        "attention_mask": torch.tensor(batch["input_mask"], dtype=torch.long),
        "token_type_ids": torch.tensor(batch["input_type_ids"], dtype=torch.long),
    }


def hf_pretraining_outputs(hf_model, batch, masked_lm_positions):
    """Returns numpy (sequence_output, pooled_output, mlm_logits at the positions, nsp_logits)."""
    with torch.no_grad():
        base = hf_model.bert(**hf_inputs(batch))
        heads = hf_model(**hf_inputs(batch))
    rows = np.arange(len(masked_lm_positions))[:, None]
    mlm = heads.prediction_logits.numpy()[rows, masked_lm_positions]
    return (
        base.last_hidden_state.numpy(),
        base.pooler_output.numpy(),
        mlm,
        heads.seq_relationship_logits.numpy(),
    )


def padded_two_segment_batch(vocab_size, seq_length=12):
    """Two sequences: the first two segments without padding, the second padded at the end."""
    rng = np.random.default_rng(0)
    ids = rng.integers(5, vocab_size, size=(2, seq_length)).astype(np.int32)
    mask = np.ones_like(ids)
    mask[1, seq_length * 2 // 3 :] = 0
    ids[1, seq_length * 2 // 3 :] = 0
    type_ids = np.zeros_like(ids)
    type_ids[0, seq_length // 2 :] = 1
    type_ids[1, seq_length // 3 : seq_length * 2 // 3] = 1
    return {"input_word_ids": ids, "input_mask": mask, "input_type_ids": type_ids}
