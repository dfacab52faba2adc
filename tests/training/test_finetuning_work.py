"""A fine-tuning run does no work twice: each checkpoint evaluated once, each read once."""

import collections

import numpy as np
import pytest
import tensorflow as tf

from bert_tf.checkpoints.native import write_checkpoint
from bert_tf.config import BertConfig
from bert_tf.models import BertEncoder
from bert_tf.tasks.glue import GlueTask
from bert_tf.training import evaluation, finetuning
from bert_tf.training.finetuning import Finetuner
from bert_tf.training.strategy import distribute_dataset
from tests.tasks.conftest import tiny_vocab_file, tokenizer  # noqa: F401 (fixtures)
from tests.tasks.test_end_to_end import options, write_config
from tests.tasks.test_glue import GLUE_FILES, write_files

NUM_STEPS = 3  # 2 training examples, batch 2, 3 epochs; a checkpoint at every step


@pytest.fixture
def counted(monkeypatch):
    """Counts the model runs over each split (with the checkpoint step whose weights ran) and
    every read of a checkpoint (tf.train.Checkpoint.read, which its restore calls)."""
    runs, reads = [], collections.Counter()
    real_call = evaluation.Predictor.__call__

    def call(predictor, dataset_fn, global_batch_size):
        runs.append(dataset_fn)
        return real_call(predictor, dataset_fn, global_batch_size)

    monkeypatch.setattr(evaluation.Predictor, "__call__", call)

    real_read = tf.train.Checkpoint.read

    def read(checkpoint, path, *args, **kwargs):
        reads[str(path)] += 1
        return real_read(checkpoint, path, *args, **kwargs)

    monkeypatch.setattr(tf.train.Checkpoint, "read", read)
    return runs, reads


@pytest.fixture
def run_parts(tmp_path, tokenizer):  # noqa: F811 (a fixture)
    config = write_config(tmp_path / "bert_config.json", tokenizer.vocab_size)
    init = write_checkpoint(
        BertEncoder(BertConfig.from_json_file(config)), str(tmp_path / "init" / "model.ckpt")
    )
    (tmp_path / "data").mkdir()
    data_dir = write_files(tmp_path / "data", GLUE_FILES["sst2"])
    return config, init, data_dir


def test_train_eval_predict_evaluates_each_checkpoint_once_and_reads_the_start_once(
    tmp_path,
    tokenizer,
    run_parts,
    counted,  # noqa: F811 (the fixture)
):
    config, init, data_dir = run_parts
    runs, reads = counted
    task = GlueTask("sst2", tokenizer, 24, data_dir=data_dir)
    splits_read = []
    read_examples = task.read_examples
    task.read_examples = lambda split: splits_read.append(split) or read_examples(split)
    finetuner = Finetuner(
        task,
        options(config, tmp_path / "out", init_checkpoint=init, num_train_epochs=float(NUM_STEPS)),
    )
    results = finetuner.run()

    dev, test = finetuner._dataset_fns["dev"], finetuner._dataset_fns["test"]
    # One dev run per checkpoint (the final evaluation reuses the last), one test run.
    assert runs == [dev] * NUM_STEPS + [test]
    assert results["global_step"] == NUM_STEPS
    # Each split read once; the prediction step traced once (dev and test batches: one shape).
    assert sorted(splits_read) == ["dev", "test", "train"]
    assert finetuner._predictor._step.experimental_get_tracing_count() == 1
    # The starting checkpoint is read once; the fine-tuned ones are written, never read back.
    assert reads == {init: 1}


def test_eval_and_predict_after_training_read_the_final_checkpoint_once(
    tmp_path,
    tokenizer,
    run_parts,
    counted,  # noqa: F811 (the fixture)
):
    config, init, data_dir = run_parts
    runs, reads = counted
    output_dir = tmp_path / "out"
    Finetuner(
        GlueTask("sst2", tokenizer, 24, data_dir=data_dir),
        options(config, output_dir, init_checkpoint=init, do_eval=False, do_predict=False),
    ).run()
    reads.clear()
    runs.clear()
    finetuner = Finetuner(
        GlueTask("sst2", tokenizer, 24, data_dir=data_dir),
        options(config, output_dir, do_train=False),
    )
    results = finetuner.run()

    final = tf.train.latest_checkpoint(str(output_dir))
    # The resume decision restores it, the read being its check: not again for predict.
    assert reads == {final: 1}
    assert runs == [finetuner._dataset_fns["dev"], finetuner._dataset_fns["test"]]
    assert results["global_step"] == int(final.rsplit("-", 1)[-1])


def test_one_cpu_replica_reads_its_dataset_itself_without_autotuning():
    # tf.distribute's MultiDeviceIterator runs its own autotuned pipeline, and deleting an
    # autotuned iterator waits for the autotuning thread to wake (strategy.distribute_dataset):
    # a one-CPU fine-tuning loop reads the dataset itself, and the dataset does not autotune.
    dataset_fn = finetuning._dataset_fn({"x": np.arange(8)}, True, seed=0)
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    dataset = distribute_dataset(strategy, lambda context: dataset_fn(4, context))
    assert isinstance(dataset, tf.data.Dataset)
    assert not dataset.options().autotune.enabled
    batch = strategy.run(lambda batch: batch["x"] * 2, args=(next(iter(dataset)),))
    assert batch.shape == (4,) and set(batch.numpy()) <= set(range(0, 16, 2))
