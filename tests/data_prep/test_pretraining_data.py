"""create_pretraining_data: record format, masking statistics, pairing, determinism, bad input."""

import os

import numpy as np
import pytest
import tensorflow as tf

from bert_tf.data_prep import pretraining_data
from bert_tf.errors import DataError, InputError
from tests.data_prep import corpus

MAX_SEQ_LENGTH = 32
MAX_PREDICTIONS = 6


def original_feature_spec(max_seq_length, max_predictions_per_seq):
    """name_to_features of google-research/bert run_pretraining.py input_fn_builder."""
    return {
        "input_ids": tf.io.FixedLenFeature([max_seq_length], tf.int64),
        "input_mask": tf.io.FixedLenFeature([max_seq_length], tf.int64),
        "segment_ids": tf.io.FixedLenFeature([max_seq_length], tf.int64),
        "masked_lm_positions": tf.io.FixedLenFeature([max_predictions_per_seq], tf.int64),
        "masked_lm_ids": tf.io.FixedLenFeature([max_predictions_per_seq], tf.int64),
        "masked_lm_weights": tf.io.FixedLenFeature([max_predictions_per_seq], tf.float32),
        "next_sentence_labels": tf.io.FixedLenFeature([1], tf.int64),
    }


def run(
    tmp_path, input_files, num_outputs=1, name="out", num_workers=1, workers="auto", **overrides
):
    options = dict(
        vocab_file=corpus.write_vocab(tmp_path),
        max_seq_length=MAX_SEQ_LENGTH,
        max_predictions_per_seq=MAX_PREDICTIONS,
        dupe_factor=3,
        random_seed=7,
    )
    options.update(overrides)
    outputs = [str(tmp_path / f"{name}-{i}.tfrecord") for i in range(num_outputs)]
    summary = pretraining_data.create_pretraining_data(
        input_files,
        outputs,
        pretraining_data.Options(**options),
        num_workers=num_workers,
        workers=workers,
    )
    return outputs, summary


def read_records(paths, max_seq_length=MAX_SEQ_LENGTH, max_predictions=MAX_PREDICTIONS):
    spec = original_feature_spec(max_seq_length, max_predictions)
    records = list(tf.data.TFRecordDataset(paths).as_numpy_iterator())
    parsed = tf.io.parse_example(records, spec)
    return {k: v.numpy() for k, v in parsed.items()}, records


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("records")
    outputs, summary = run(
        tmp_path, [corpus.write_corpus(tmp_path, num_documents=150)], num_outputs=2, dupe_factor=5
    )
    features, raw = read_records(outputs)
    vocab = corpus.vocab_tokens()
    return features, raw, summary, vocab


def test_records_parse_with_original_feature_spec(records):
    features, raw, summary, _ = records
    assert len(raw) == summary.instances > 2000


def test_records_equal_protobuf_serialization(records):
    features, raw, _, _ = records
    for i in range(0, len(raw), 97):
        example = tf.train.Example()
        for name, values in features.items():
            row = values[i].tolist()
            if values.dtype == np.float32:
                example.features.feature[name].float_list.value.extend(row)
            else:
                example.features.feature[name].int64_list.value.extend(row)
        assert raw[i] == example.SerializeToString(deterministic=True)


def test_sequences_are_cls_a_sep_b_sep_within_length(records):
    features, _, _, vocab = records
    cls_id, sep_id = vocab.index("[CLS]"), vocab.index("[SEP]")
    lengths = features["input_mask"].sum(axis=1)
    assert lengths.max() <= MAX_SEQ_LENGTH
    for ids, segments, mask, length in zip(
        features["input_ids"], features["segment_ids"], features["input_mask"], lengths
    ):
        assert mask.tolist() == [1] * length + [0] * (MAX_SEQ_LENGTH - length)
        seps = np.flatnonzero(ids[:length] == sep_id)
        # [SEP] may also be a random replacement of a masked token, so check the structural ones.
        assert ids[0] == cls_id and ids[length - 1] == sep_id
        a_end = np.flatnonzero(segments[:length] == 1)[0] - 1
        assert ids[a_end] == sep_id and a_end >= 2 and length - a_end >= 3
        assert segments[: a_end + 1].sum() == 0 and segments[a_end + 1 : length].all()
        assert (ids[length:] == 0).all() and (segments[length:] == 0).all()
        del seps


def test_masking_statistics_match_original_rates(records):
    features, _, summary, vocab = records
    mask_id = vocab.index("[MASK]")
    weights = features["masked_lm_weights"]
    lengths = features["input_mask"].sum(axis=1)
    num_masked = weights.sum(axis=1)
    expected = np.minimum(MAX_PREDICTIONS, np.maximum(1, np.round(lengths * 0.15)))
    # Every instance has enough candidates, so exactly num_to_predict tokens are masked.
    np.testing.assert_array_equal(num_masked, expected)
    rows, cols = np.nonzero(weights)
    positions = features["masked_lm_positions"][rows, cols]
    labels = features["masked_lm_ids"][rows, cols]
    shown = features["input_ids"][rows, positions]
    n = len(positions)
    # Binomial standard deviation at n of several thousand is < 0.01; 0.03 is a safe tolerance.
    assert abs(np.mean(shown == mask_id) - 0.8) < 0.03
    kept = np.mean(shown == labels)
    assert abs(kept - 0.1 - 0.1 / len(vocab)) < 0.03  # a random id equals the label by chance too
    assert abs(np.mean((shown != mask_id) & (shown != labels)) - 0.1) < 0.03
    assert n == summary.masked


def test_special_tokens_and_padding_never_masked(records):
    features, _, _, vocab = records
    cls_id, sep_id = vocab.index("[CLS]"), vocab.index("[SEP]")
    weights = features["masked_lm_weights"]
    rows, cols = np.nonzero(weights)
    positions = features["masked_lm_positions"][rows, cols]
    labels = features["masked_lm_ids"][rows, cols]
    assert not np.isin(labels, [cls_id, sep_id, 0]).any()
    assert (positions < features["input_mask"].sum(axis=1)[rows]).all()
    assert (features["masked_lm_positions"][weights == 0] == 0).all()
    assert (features["masked_lm_ids"][weights == 0] == 0).all()


def test_masked_positions_sorted_and_unique(records):
    features, _, _, _ = records
    for positions, weights in zip(features["masked_lm_positions"], features["masked_lm_weights"]):
        real = positions[weights > 0]
        assert (np.diff(real) > 0).all()


def test_next_sentence_labels_balanced(records):
    features, _, summary, _ = records
    random_next = features["next_sentence_labels"].mean()
    # Chunks of one sentence are always random next, and with 32-token sequences many chunks are
    # one sentence, so the rate is above one half here (52.5% on Wikipedia with 128 tokens).
    assert 0.45 < random_next < 0.7
    assert summary.random_next == features["next_sentence_labels"].sum()


def test_whole_word_masking_masks_whole_words(tmp_path):
    outputs, _ = run(
        tmp_path, [corpus.write_corpus(tmp_path, num_documents=60)], do_whole_word_mask=True
    )
    features, _ = read_records(outputs)
    vocab = corpus.vocab_tokens()
    mask_id = vocab.index("[MASK]")
    special = (vocab.index("[CLS]"), vocab.index("[SEP]"))
    is_continuation = np.array([t.startswith("##") for t in vocab])
    words_checked = mixed_words = 0
    for ids, positions, labels, weights in zip(
        features["input_ids"],
        features["masked_lm_positions"],
        features["masked_lm_ids"],
        features["masked_lm_weights"],
    ):
        masked = set(positions[weights > 0].tolist())
        original = ids.copy()
        original[positions[weights > 0]] = labels[weights > 0]
        # Group positions into words: a "##" piece joins the word before it, unless that is
        # [CLS] or [SEP] (front truncation can leave a segment starting with a "##" piece).
        words, current = [], []
        for j, token in enumerate(original):
            if current and is_continuation[token] and original[j - 1] not in special:
                current.append(j)
            else:
                if current:
                    words.append(current)
                current = [j]
        words.append(current)
        for word in words:
            covered = [j in masked for j in word]
            assert all(covered) or not any(covered), (original, word, masked)
            if all(covered) and len(word) > 1:
                words_checked += 1
                shown = ids[word] == mask_id
                mixed_words += shown.any() and not shown.all()
    # One 80/10/10 choice per word: a word is [MASK] throughout or nowhere, except when a random
    # replacement happens to draw [MASK] (1 in 46 here). The original's per-piece choice mixes
    # about a third of the multi-piece words (1 - 0.8^2 - 0.2^2).
    assert words_checked > 50
    assert mixed_words / words_checked < 0.05


def test_same_seed_gives_identical_files(tmp_path):
    inputs = [
        corpus.write_corpus(tmp_path, 20, seed=1, name="a.txt"),
        corpus.write_corpus(tmp_path, 20, seed=2, name="b.txt"),
    ]
    first, _ = run(tmp_path, inputs, num_outputs=3, name="first")
    second, _ = run(tmp_path, inputs, num_outputs=3, name="second")
    other_seed, _ = run(tmp_path, inputs, num_outputs=3, name="third", random_seed=8)
    for a, b in zip(first, second):
        assert open(a, "rb").read() == open(b, "rb").read()
    assert open(first[0], "rb").read() != open(other_seed[0], "rb").read()
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".")]  # temporaries


def test_output_does_not_depend_on_the_number_of_workers(tmp_path):
    inputs = [
        corpus.write_corpus(tmp_path, 40, seed=1, name="a.txt"),
        corpus.write_corpus(tmp_path, 40, seed=2, name="b.txt"),
    ]
    # Small chunks, so each file is several chunks; each (chunk, pass) is a unit of work.
    one, summary = run(tmp_path, inputs, num_outputs=3, name="one", input_chunk_bytes=2000)
    for workers in ("threads", "processes"):
        two, _ = run(
            tmp_path,
            inputs,
            num_outputs=3,
            name=workers,
            num_workers=2,
            workers=workers,
            input_chunk_bytes=2000,
        )
        for a, b in zip(one, two):
            assert open(a, "rb").read() == open(b, "rb").read()
    # The chunk size, unlike the number of workers, is part of the layout.
    whole, _ = run(tmp_path, inputs, num_outputs=3, name="whole")
    assert open(whole[0], "rb").read() != open(one[0], "rb").read()
    assert summary.documents == 80 and summary.instances > 500


def test_outputs_get_instances_round_robin(tmp_path):
    outputs, summary = run(tmp_path, [corpus.write_corpus(tmp_path, 20)], num_outputs=3)
    counts = [sum(1 for _ in tf.data.TFRecordDataset(p)) for p in outputs]
    assert sum(counts) == summary.instances and max(counts) - min(counts) <= 1


def test_bad_utf8_empty_files_and_long_lines(tmp_path):
    bad = tmp_path / "bad.txt"
    long_line = " ".join(["cat"] * 200)
    bad.write_bytes(
        b"the cat \xff\xfe sat .\n\nthe dog ran .\n" + long_line.encode() + b"\n\nbird .\n"
    )
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    outputs, summary = run(tmp_path, [str(bad), str(empty)], num_outputs=2)
    assert summary.bad_utf8_lines == 1 and summary.documents == 3 and summary.files == 2
    features, _ = read_records(outputs)
    assert len(features["input_ids"]) == summary.instances > 0
    assert (features["input_mask"].sum(axis=1) <= MAX_SEQ_LENGTH).all()


def test_empty_input_is_an_error_and_writes_no_file(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"\n\n")
    with pytest.raises(
        DataError, match=f"no pretraining instance made from {empty}: .*0 documents"
    ):
        run(tmp_path, [str(empty)])
    assert sorted(os.listdir(tmp_path)) == ["empty.txt", "vocab.txt"]


def test_missing_input_pattern_is_named(tmp_path):
    with pytest.raises(InputError, match="nothing-here"):
        pretraining_data.expand_input_patterns(str(tmp_path / "nothing-here*.txt"))


def test_vocab_without_special_tokens_fails_clearly(tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("[PAD]\n[UNK]\ncat\n")
    options = pretraining_data.Options(vocab_file=str(vocab))
    with pytest.raises(DataError, match=r"vocab\.txt.*\[CLS\]"):
        pretraining_data.create_pretraining_data(
            [corpus.write_corpus(tmp_path)], [str(tmp_path / "o.tfrecord")], options
        )
