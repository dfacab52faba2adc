"""Smoke test of `make demo`: the same chain with still smaller settings, every artifact checked."""

import os
import re
import subprocess
import sys

import pytest
import tensorflow as tf

pytestmark = pytest.mark.slow  # the demo, in subprocesses: in `make test`, not `make test-fast`

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORIGINAL_FEATURES = {
    "input_ids",
    "input_mask",
    "segment_ids",
    "masked_lm_positions",
    "masked_lm_ids",
    "masked_lm_weights",
    "next_sentence_labels",
}


def test_demo_chain_writes_every_artifact(tmp_path):
    out = tmp_path / "demo"
    # A user's shell: no TF_CPP_MIN_LOG_LEVEL (the suite's conftest sets one).
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    env.update(
        PYTHON=sys.executable, DEMO_OUTPUT=str(out), DEMO_PRETRAIN_STEPS="20", DEMO_EPOCHS="1"
    )
    result = subprocess.run(
        ["bash", "demo.sh", "a truly wonderful film", "a dull and awful play"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # A page a person reads: under 60 lines, each stage's key figure, no TensorFlow C++ log.
    printed = result.stdout + result.stderr
    assert len(printed.splitlines()) < 60, printed
    assert not re.search(
        r"^[IWEF]\d{4} |cudart|absl::InitializeLog|INFO:tensorflow", printed, re.MULTILINE
    ), printed
    for figure in (
        r"Wrote \d+ tokens",
        r"-> \d+ instances",
        r"Eval results: .*masked_lm_accuracy",
        r"Eval results: accuracy = ",
        r"Exported classifier",
    ):
        assert re.search(figure, printed), figure

    vocab = (out / "vocab.txt").read_text().split("\n")
    assert {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "film"} <= set(vocab)

    record = next(iter(tf.data.TFRecordDataset(str(out / "pretraining_data.tfrecord"))))
    example = tf.train.Example.FromString(record.numpy())
    assert set(example.features.feature) == ORIGINAL_FEATURES

    assert tf.train.latest_checkpoint(str(out / "pretraining")).endswith("ckpt-20")
    assert tf.io.gfile.glob(str(out / "pretraining" / "train" / "events.out.tfevents.*"))
    eval_keys = {
        line.split(" = ")[0]
        for line in (out / "pretraining" / "eval_results.txt").read_text().splitlines()
    }
    assert {"masked_lm_accuracy", "next_sentence_accuracy", "global_step"} <= eval_keys

    assert "accuracy = " in (out / "classifier" / "eval_results.txt").read_text()
    predictions = (out / "classifier" / "SST-2.tsv").read_text().splitlines()
    assert predictions[0] == "index\tprediction" and len(predictions) == 21

    assert (out / "export" / "1" / "saved_model.pb").exists()
    lines = [line.split("\t") for line in result.stdout.splitlines() if line.count("\t") == 2]
    assert [line[2] for line in lines] == ["a truly wonderful film", "a dull and awful play"]
    assert all(line[0] in ("negative", "positive") for line in lines)
    assert f"tensorboard --logdir {out}" in result.stdout
