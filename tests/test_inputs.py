import re

import numpy as np
import pytest
import tensorflow as tf

from bert_tf.errors import InputError
from bert_tf.inputs import (
    IDS_OUT_OF_RANGE,
    find_ids_out_of_range,
    list_input_files,
    pretraining_dataset,
)
from tests.training.records import structured_examples, write_records


@pytest.mark.parametrize("model_garden_names", [False, True])
def test_records_map_to_model_inputs_and_labels(tmp_path, model_garden_names):
    examples = structured_examples(5, seq_length=16, max_predictions_per_seq=3)
    write_records(tmp_path / "a.tfrecord", examples, model_garden_names)
    dataset = pretraining_dataset(
        str(tmp_path / "*.tfrecord"), 16, 3, batch_size=2, is_training=False
    )
    batches = list(dataset)
    assert len(batches) == 2  # 5 records, batch 2, the partial batch dropped
    batch = batches[0]
    assert set(batch) == {
        "input_word_ids",
        "input_mask",
        "input_type_ids",
        "masked_lm_positions",
        "masked_lm_ids",
        "masked_lm_weights",
        "next_sentence_labels",
    }
    np.testing.assert_array_equal(batch["input_word_ids"][1], examples[1]["input_ids"])
    np.testing.assert_array_equal(batch["input_type_ids"][0], examples[0]["segment_ids"])
    np.testing.assert_array_equal(
        batch["next_sentence_labels"],
        [examples[0]["next_sentence_labels"][0], examples[1]["next_sentence_labels"][0]],
    )
    assert batch["input_word_ids"].dtype == tf.int32 and batch["masked_lm_ids"].dtype == tf.int32
    assert batch["masked_lm_weights"].dtype == tf.float32
    assert batch["next_sentence_labels"].shape == (2,)


def test_training_dataset_repeats_in_full_batches(tmp_path):
    write_records(tmp_path / "a.tfrecord", structured_examples(3))
    dataset = pretraining_dataset(str(tmp_path / "a.tfrecord"), 16, 3, 2, is_training=True, seed=1)
    shapes = [b["input_word_ids"].shape for b in dataset.take(5)]
    assert shapes == [(2, 16)] * 5


def test_each_input_pipeline_reads_its_own_files(tmp_path):
    for i in range(2):
        write_records(tmp_path / f"{i}.tfrecord", structured_examples(2, seed=i))
    seen = []
    for pipeline in range(2):
        context = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=pipeline)
        dataset = pretraining_dataset(str(tmp_path / "*.tfrecord"), 16, 3, 2, False, context)
        seen.append([tuple(x) for b in dataset for x in b["input_word_ids"].numpy()])
    assert len(seen[0]) == len(seen[1]) == 2 and not set(seen[0]) & set(seen[1])


def test_missing_input_pattern_is_named(tmp_path):
    pattern = str(tmp_path / "nothing*.tfrecord")
    with pytest.raises(InputError, match="nothing\\*.tfrecord"):
        pretraining_dataset(pattern, 16, 3, 2, True)


def test_records_with_other_max_predictions_per_seq_are_an_error(tmp_path):
    path = write_records(tmp_path / "a.tfrecord", structured_examples(2, max_predictions_per_seq=3))
    with pytest.raises(
        InputError,
        match=r"a.tfrecord have max_predictions_per_seq=3 but "
        r"max_predictions_per_seq=5 was given",
    ):
        pretraining_dataset(path, 16, 5, 2, True)


def test_records_with_other_max_seq_length_are_an_error(tmp_path):
    path = write_records(tmp_path / "a.tfrecord", structured_examples(2, seq_length=16))
    with pytest.raises(InputError, match="max_seq_length=16 but max_seq_length=32 was given"):
        pretraining_dataset(path, 32, 3, 2, True)


def test_a_text_file_given_as_records_is_named(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("A sentence of raw text.\nAnother one.\n" * 20)
    with pytest.raises(InputError, match=f"{path}: not a TFRecord file"):
        pretraining_dataset(str(path), 16, 3, 2, True)


def test_a_truncated_shard_is_named_with_its_record(tmp_path):
    from bert_tf.inputs import find_damaged_record

    intact = write_records(tmp_path / "a.tfrecord", structured_examples(4))
    damaged = write_records(tmp_path / "b.tfrecord", structured_examples(4))
    with open(damaged, "rb") as f:
        data = f.read()
    with open(damaged, "wb") as f:
        f.write(data[: len(data) * 3 // 4 + 20])  # records 1-3 whole, the 4th cut in its data
    dataset = pretraining_dataset(str(tmp_path / "*.tfrecord"), 16, 3, 8, False)
    with pytest.raises(tf.errors.DataLossError):
        list(dataset)
    error = find_damaged_record([intact, damaged])
    assert isinstance(error, InputError)
    assert str(error).startswith(f"{damaged}: record 4 is truncated or damaged")
    assert find_damaged_record([intact]) is None


def test_hidden_temporary_files_are_not_input_files(tmp_path):
    write_records(tmp_path / "a.tfrecord", structured_examples(4))
    (tmp_path / ".b.tfrecord.tmp-0123456789ab").write_bytes(b"half a record")
    assert list_input_files(str(tmp_path / "*")) == [str(tmp_path / "a.tfrecord")]
    assert list_input_files(str(tmp_path / "*tfrecord*")) == [str(tmp_path / "a.tfrecord")]


def test_ids_past_vocab_size_are_named_before_reading_and_checked_while_reading(tmp_path):
    examples = structured_examples(130)
    examples[120]["input_ids"][3] = 99  # past the first records checked before reading
    path = write_records(tmp_path / "a.tfrecord", examples)
    dataset = pretraining_dataset(path, 16, 3, 2, False, vocab_size=60)
    with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(IDS_OUT_OF_RANGE)):
        list(dataset)
    error = find_ids_out_of_range([path], 60)
    assert str(error) == (
        f"{path}: record 121 has input_ids 99, outside the config's "
        "vocab_size=60 (the records were made with a larger vocab than the "
        "model's config has)"
    )
    assert len(list(pretraining_dataset(path, 16, 3, 2, False, vocab_size=100))) == 65
    examples[0]["masked_lm_ids"][0] = -1
    write_records(path, examples)
    with pytest.raises(
        InputError,
        match=r"record 1 has masked_lm_ids -1, outside the config's "
        r"vocab_size=100 \(a negative id\)",
    ):
        pretraining_dataset(path, 16, 3, 2, False, vocab_size=100)
