"""Fine-tuning predictions under MirroredStrategy on two logical CPUs equal one device's."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Runs in a fresh process: logical devices must be set before TensorFlow starts.
PREDICT = """
import sys, json, numpy as np, tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from bert_tf.tasks.glue import GlueTask
from bert_tf.tokenization import Tokenizer
from bert_tf.training.finetuning import FinetuningOptions, Finetuner
vocab, config, data, out, strategy = sys.argv[1:6]
task = GlueTask("sst2", Tokenizer(vocab), 16, data_dir=data)
options = FinetuningOptions(bert_config_file=config, output_dir=out, max_seq_length=16,
                            distribution_strategy=strategy, seed=0)
finetuner = Finetuner(task, options)
assert finetuner.strategy.num_replicas_in_sync == (2 if strategy == "mirrored" else 1)
tf.train.Checkpoint(model=finetuner.model).read(sys.argv[6]).assert_existing_objects_matched()
examples, features, outputs = finetuner._outputs("dev", 4, step=0)
np.save(out + "/logits.npy", outputs["logits"])
print(json.dumps(task.evaluate(examples, features, outputs)))
"""


@pytest.mark.slow
def test_mirrored_predictions_cover_every_example_in_order(tmp_path, tokenizer, tiny_vocab_file):
    import tensorflow as tf

    from bert_tf.config import BertConfig
    from bert_tf.models import BertClassifier, BertEncoder

    rows = ["sentence\tlabel"] + [
        f"{'good' if i % 3 else 'bad'} movie {i % 7}\t{int(i % 3 > 0)}" for i in range(11)
    ]  # 11: the last batch is split unevenly
    (tmp_path / "dev.tsv").write_text("\n".join(rows) + "\n")
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
    )
    config.to_json_file(str(tmp_path / "bert_config.json"))
    checkpoint = tf.train.Checkpoint(model=BertClassifier(BertEncoder(config), num_labels=2)).write(
        str(tmp_path / "weights" / "model.ckpt")
    )

    logits, results = {}, {}
    for strategy in ("one_device", "mirrored"):
        out = tmp_path / strategy
        out.mkdir()
        run = subprocess.run(
            [
                sys.executable,
                "-c",
                PREDICT,
                tiny_vocab_file,
                str(tmp_path / "bert_config.json"),
                str(tmp_path),
                str(out),
                strategy,
                checkpoint,
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr[-3000:]
        results[strategy] = json.loads(run.stdout.strip().splitlines()[-1])
        logits[strategy] = np.load(out / "logits.npy")
    assert logits["mirrored"].shape == (11, 2)
    np.testing.assert_allclose(logits["mirrored"], logits["one_device"], atol=1e-5)
    assert results["mirrored"] == results["one_device"]
