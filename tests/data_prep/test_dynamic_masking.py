"""Dynamic masking: epoch e is create_pretraining_data's dupe pass e, shuffled as a whole; masks
change every epoch."""

import numpy as np

from bert_tf.data_prep import pretraining_data
from bert_tf.data_prep.dynamic_masking import dynamic_masking_dataset
from bert_tf.inputs import pretraining_dataset
from tests.data_prep import corpus
from tests.data_prep.test_pretraining_data import MAX_PREDICTIONS, MAX_SEQ_LENGTH, run


def _options(tmp_path, **overrides):
    values = dict(
        vocab_file=corpus.write_vocab(tmp_path),
        max_seq_length=MAX_SEQ_LENGTH,
        max_predictions_per_seq=MAX_PREDICTIONS,
        random_seed=7,
    )
    values.update(overrides)
    return pretraining_data.Options(**values)


def _stack(dataset, num_batches):
    batches = list(dataset.take(num_batches).as_numpy_iterator())
    return {name: np.concatenate([b[name] for b in batches]) for name in batches[0]}


def _rows(features, begin, end):
    """The examples of rows [begin, end) as a sorted list of tuples (an order-free multiset)."""
    return sorted(
        tuple(
            np.concatenate(
                [features[name][i].ravel().astype(np.float64) for name in sorted(features)]
            )
        )
        for i in range(begin, end)
    )


def test_text_epochs_equal_the_records_of_create_pretraining_data(tmp_path):
    text = corpus.write_corpus(tmp_path, num_documents=60)
    outputs, summary = run(tmp_path, [text], dupe_factor=2, do_whole_word_mask=True)
    records = _stack(
        pretraining_dataset(outputs[0], MAX_SEQ_LENGTH, MAX_PREDICTIONS, 1, is_training=False),
        summary.instances,
    )
    options = _options(tmp_path, do_whole_word_mask=True)
    one_epoch = _stack(dynamic_masking_dataset([text], options, 1, is_training=False), 10**6)
    epoch_size = len(one_epoch["input_word_ids"])
    assert 0 < epoch_size < summary.instances
    for name in records:  # Not training: epoch 0 in create_pretraining_data's order.
        np.testing.assert_array_equal(one_epoch[name], records[name][:epoch_size], err_msg=name)
    # Training repeats epochs, each shuffled as a whole; a buffer of one keeps epochs apart.
    dynamic = _stack(
        dynamic_masking_dataset([text], options, 8, is_training=True, shuffle_buffer_size=1),
        summary.instances // 8,
    )
    assert set(dynamic) == set(records)
    n = len(dynamic["input_word_ids"])
    assert _rows(dynamic, 0, epoch_size) == _rows(records, 0, epoch_size)
    # Epoch 1 is cut short by the batches taken: its rows are among pass 1's.
    assert set(_rows(dynamic, epoch_size, n)) <= set(_rows(records, epoch_size, summary.instances))
    assert not np.array_equal(
        dynamic["input_word_ids"][:epoch_size], records["input_word_ids"][:epoch_size]
    )
    # Epoch 1 pairs and masks the same text anew.
    assert not np.array_equal(
        dynamic["masked_lm_positions"][: epoch_size // 2],
        dynamic["masked_lm_positions"][epoch_size : epoch_size * 3 // 2],
    )


def test_text_batches_mask_15_percent_80_10_10(tmp_path):
    text = corpus.write_corpus(tmp_path, num_documents=150)
    vocab = corpus.vocab_tokens()
    batches = _stack(dynamic_masking_dataset([text], _options(tmp_path), 32, is_training=True), 100)
    lengths = batches["input_mask"].sum(axis=1)
    weights = batches["masked_lm_weights"]
    expected = np.minimum(MAX_PREDICTIONS, np.maximum(1, np.round(lengths * 0.15)))
    np.testing.assert_array_equal(weights.sum(axis=1), expected)
    rows, cols = np.nonzero(weights)
    labels = batches["masked_lm_ids"][rows, cols]
    shown = batches["input_word_ids"][rows, batches["masked_lm_positions"][rows, cols]]
    mask_id = vocab.index("[MASK]")
    assert len(labels) > 10000
    assert abs(np.mean(shown == mask_id) - 0.8) < 0.02
    assert abs(np.mean(shown == labels) - 0.1 - 0.1 / len(vocab)) < 0.02
    assert not np.isin(labels, [vocab.index("[CLS]"), vocab.index("[SEP]"), 0]).any()
