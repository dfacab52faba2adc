import csv
import os

import numpy as np
import pytest

from bert_tf.errors import DataError
from bert_tf.models import BertEncoder
from bert_tf.tasks.swag import SwagExample, SwagTask
from tests.keras_helpers import tiny_config
from tests.original_bert import original_features

HEADER = (
    ",video-id,fold-ind,startphrase,sent1,sent2,gold-source,ending0,ending1,ending2,ending3,label\n"
)
# Rows in the released format, with quoted fields holding commas and doubled quotes.
TRAIN = HEADER + (
    '0,anetv_jkn6uvmqwh4,2,"Members of the procession walk down the street. The",'
    "Members of the procession walk down the street.,The,gold0-orig,"
    'man walks into the room.,"dog sat, on the mat.",cat sat.,"she said ""good"".",1\n'
    "1,lsmdc3001_21_JUMP_STREET-422,11783,A woman sat. She,A woman sat.,She,gold1-orig,"
    "walks.,runs.,sat.,was not.,3\n"
)
TEST = HEADER.replace(",label\n", "\n") + (
    "7,anetv_x,5,The man. He,The man.,He,gold0-orig,walks.,runs.,sat.,is.\n"
)


def write(directory, name, text):
    with open(os.path.join(directory, name), "w", encoding="utf-8", newline="") as f:
        f.write(text)
    return str(directory)


def test_reads_the_released_csv_format(tmp_path, tokenizer):
    write(tmp_path, "train.csv", TRAIN)
    write(tmp_path, "test.csv", TEST)
    task = SwagTask(tokenizer, 16, str(tmp_path))
    train = task.read_examples("train")
    assert train[0] == SwagExample(
        split="train",
        index=0,
        video_id="anetv_jkn6uvmqwh4",
        fold_ind="2",
        context="Members of the procession walk down the street.",
        start_ending="The",
        endings=(
            "man walks into the room.",
            "dog sat, on the mat.",
            "cat sat.",
            'she said "good".',
        ),
        label=1,
    )
    assert train[1].label == 3
    test = task.read_examples("test")
    assert [(e.index, e.context, e.label) for e in test] == [(7, "The man.", None)]


@pytest.mark.parametrize(
    "text, message",
    [
        (
            HEADER.replace("ending2,", "") + "0,v,1,s,a,b,g,e0,e1,e3,1\n",
            r"train.csv:1: header lacks column\(s\) ending2",
        ),
        (HEADER + "0,v,1,s,a,b,g,e0,e1,e2,e3,4\n", r"train.csv:2: label '4' is not one of"),
        (
            HEADER + "0,v,1,s,a,b,g,e0,e1,e2,e3,1\n1,v,1,s,a,b,g,e0,e1,e2,1\n",
            r"train.csv:3: expected 12 comma-separated fields",
        ),
        (HEADER + "0,v,1,s,a,b,g,e0,e1,e2,e3,1,extra\n", r"train.csv:2: expected 12"),
    ],
)
def test_bad_rows_raise_with_file_and_line(text, message, tmp_path, tokenizer):
    task = SwagTask(tokenizer, 16, write(tmp_path, "train.csv", text))
    with pytest.raises(DataError, match=message):
        task.read_examples("train")


def test_missing_label_column_is_an_error_outside_test(tmp_path, tokenizer):
    task = SwagTask(tokenizer, 16, write(tmp_path, "val.csv", TEST))
    with pytest.raises(DataError, match=r"val.csv:1: header lacks column\(s\) label"):
        task.read_examples("dev")


def test_features_pack_sent1_with_sent2_and_each_ending(tmp_path, tokenizer):
    write(tmp_path, "train.csv", TRAIN)
    task = SwagTask(tokenizer, 12, str(tmp_path))
    examples = task.read_examples("train")
    features = task.make_features(examples, is_training=True)
    assert features["input_word_ids"].shape == (2, 4, 12)
    assert features["label_ids"].tolist() == [1, 3]
    for i, example in enumerate(examples):
        for choice, ending in enumerate(example.endings):
            # pytorch-pretrained-bert run_swag.py: A = sent1 tokens, B = sent2 tokens + ending
            # tokens, cut with _truncate_seq_pair to max_seq_length - 3.
            ids, mask, types = original_features(
                tokenizer, example.context, example.start_ending + " " + ending, 12
            )
            assert features["input_word_ids"][i, choice].tolist() == ids
            assert features["input_mask"][i, choice].tolist() == mask
            assert features["input_type_ids"][i, choice].tolist() == types


def test_multiple_choice_forward_loss_metrics_and_predictions(tmp_path, tokenizer):
    write(tmp_path, "val.csv", TRAIN)
    task = SwagTask(tokenizer, 16, str(tmp_path))
    examples = task.read_examples("dev")
    features = task.make_features(examples, is_training=False)
    model = task.build_model(BertEncoder(tiny_config(vocab_size=tokenizer.vocab_size)))
    outputs = model({k: features[k] for k in ("input_word_ids", "input_mask", "input_type_ids")})
    logits = np.asarray(outputs["logits"], np.float64)
    assert logits.shape == (2, 4)
    log_softmax = logits - np.log(np.sum(np.exp(logits), axis=-1, keepdims=True))
    loss = float(task.loss(features, outputs))
    assert np.isfinite(loss)
    assert loss == pytest.approx(-np.mean(log_softmax[[0, 1], [1, 3]]), rel=1e-5)

    chosen = np.array([[0, 5, 0, 0], [0, 5, 0, 0]], np.float32)  # right once, wrong once
    assert task.evaluate(examples, features, {"logits": chosen}) == {"accuracy": 0.5}
    [path] = task.write_predictions(examples, features, {"logits": chosen}, str(tmp_path / "out"))
    assert os.path.basename(path) == "swag_predictions.csv"
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == [
        "index",
        "video-id",
        "fold-ind",
        "pred",
        "logit0",
        "logit1",
        "logit2",
        "logit3",
    ]
    assert rows[1] == ["0", "anetv_jkn6uvmqwh4", "2", "1", "0", "5", "0", "0"]
    assert rows[2][:4] == ["1", "lsmdc3001_21_JUMP_STREET-422", "11783", "1"]
    assert len(rows) == 3
