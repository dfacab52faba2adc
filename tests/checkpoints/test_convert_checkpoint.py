"""The convert_checkpoint script, run as users run it: HF → ours → TF1 → ours.

The HF and TF1 imports run the script in a subprocess; the TF1 export in between calls the
library, as the script's --to_tf1 does, to keep this file fast (each subprocess imports TF).
"""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from bert_tf.checkpoints import convert_to_ours, convert_to_tf1, read_checkpoint
from bert_tf.config import BertConfig
from bert_tf.model_settings import ModelSettings
from bert_tf.models import BertEncoder, BertPretrainer

pytest.importorskip("torch")
from tests.checkpoints import hf_reference  # noqa: E402  (needs torch)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _convert(*flags):
    result = subprocess.run(
        [sys.executable, "-m", "bert_tf.convert_checkpoint", *flags],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def hf_dir(tmp_path_factory):
    model = hf_reference.random_hf_model()
    directory = tmp_path_factory.mktemp("hf")
    model.save_pretrained(str(directory))
    (directory / "vocab.txt").write_text("[PAD]\n[UNK]\n")
    return model, directory


@pytest.mark.slow
def test_hf_to_ours_to_tf1_to_ours_keeps_every_weight(hf_dir, tmp_path):
    hf_model, directory = hf_dir
    ours = tmp_path / "ours"
    _convert(f"--input_checkpoint={directory}", f"--output_dir={ours}")
    assert sorted(os.listdir(ours)) == [
        "bert_config.json",
        "model.ckpt.data-00000-of-00001",
        "model.ckpt.index",
        "model_settings.json",
        "vocab.txt",
    ]
    assert ModelSettings.read(str(ours)).model_type == "pretrainer"
    config = BertConfig.from_json_file(str(ours / "bert_config.json"))
    assert config.hidden_act == "gelu_new"
    pretrainer = read_checkpoint(BertPretrainer(BertEncoder(config)), str(ours / "model.ckpt"))
    np.testing.assert_array_equal(
        pretrainer.encoder.embeddings.word_embeddings.numpy(),
        hf_model.bert.embeddings.word_embeddings.weight.detach().numpy(),
    )

    google = tmp_path / "google"
    convert_to_tf1(str(ours / "model.ckpt"), str(ours / "bert_config.json"), str(google))
    reader = tf.train.load_checkpoint(str(google / "bert_model.ckpt"))
    state = hf_model.state_dict()
    for hf_name, (tf1_name, transposed) in hf_reference.tf1_names_of_hf(2).items():
        value = state[hf_name].numpy()
        np.testing.assert_array_equal(reader.get_tensor(tf1_name), value.T if transposed else value)

    again = tmp_path / "again"
    _convert(
        "--checkpoint_format=tf1",
        f"--input_checkpoint={google / 'bert_model.ckpt'}",
        f"--bert_config_file={google / 'bert_config.json'}",
        f"--output_dir={again}",
    )
    restored = read_checkpoint(BertPretrainer(BertEncoder(config)), str(again / "model.ckpt"))
    for a, b in zip(pretrainer.weights, restored.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_non_empty_output_dir_is_refused_and_left_alone(hf_dir, tmp_path):
    _, directory = hf_dir
    (tmp_path / "old.txt").write_text("keep me")
    with pytest.raises(
        FileExistsError, match=f"{tmp_path}: output directory exists and is not empty"
    ):
        convert_to_ours(str(directory), "huggingface", None, str(tmp_path))
    assert os.listdir(tmp_path) == ["old.txt"]
    assert not [
        name for name in os.listdir(tmp_path.parent) if name.startswith(f".{tmp_path.name}.")
    ]
