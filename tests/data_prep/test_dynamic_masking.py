"""Dynamic masking: same feature dict as the records, new masks every epoch."""

import numpy as np
import tensorflow as tf

from bert_tf.tokenization import Tokenizer
from data_prep.dynamic_masking import dynamic_masking_dataset
from tests.data_prep import corpus
from tests.data_prep.test_pretraining_data import original_feature_spec


def test_features_match_record_spec_and_masks_change_across_epochs(tmp_path):
    tokenizer = Tokenizer(corpus.write_vocab(tmp_path))
    dataset = dynamic_masking_dataset(
        [corpus.write_corpus(tmp_path, 10)],
        tokenizer,
        max_seq_length=32,
        max_predictions_per_seq=6,
        batch_size=8,
        seed=3,
    )
    spec = original_feature_spec(32, 6)
    epochs = [next(iter(dataset)) for _ in range(2)]
    for batch in epochs:
        assert set(batch) == set(spec)
        for name, feature in spec.items():
            assert batch[name].dtype == feature.dtype and batch[name].shape == [8] + feature.shape
        weights = batch["masked_lm_weights"].numpy()
        positions = batch["masked_lm_positions"].numpy()
        lengths = batch["input_mask"].numpy().sum(axis=1)
        assert (weights.sum(axis=1) >= 1).all()
        labels = batch["masked_lm_ids"].numpy()[weights > 0]
        assert not np.isin(labels, [tokenizer.cls_id, tokenizer.sep_id, tokenizer.pad_id]).any()
        assert (positions[weights > 0] < np.repeat(lengths, weights.sum(axis=1).astype(int))).all()
    # Same first segments both epochs, different masks. Random next segments are redrawn, which
    # can change how much of A truncation keeps, so only the head of A is compared: every sentence
    # of the corpus has at least 4 tokens.
    first_segments = []
    for batch in epochs:
        ids = batch["input_ids"].numpy().copy()
        weights = batch["masked_lm_weights"].numpy() > 0
        rows = np.nonzero(weights)[0]
        ids[rows, batch["masked_lm_positions"].numpy()[weights]] = batch["masked_lm_ids"].numpy()[
            weights
        ]
        in_a = (batch["segment_ids"].numpy() == 0) & (batch["input_mask"].numpy() == 1)
        first_segments.append(np.where(in_a, ids, -1)[:, :5])
    np.testing.assert_array_equal(first_segments[0], first_segments[1])
    assert not np.array_equal(epochs[0]["masked_lm_positions"], epochs[1]["masked_lm_positions"])
    assert tf.reduce_all(epochs[0]["input_ids"][:, 0] == tokenizer.cls_id)


def test_next_sentence_pairs_never_cross_from_one_file_into_the_next(tmp_path):
    from data_prep.dynamic_masking import _sentence_pairs

    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("a one\na two\n")
    second.write_text("b one\nb two\n")
    pairs = _sentence_pairs([str(first), str(second)], seed=0, shuffle_buffer_size=4)
    real_next = {(a.decode(), b.decode()) for a, b, is_random in pairs.take(2).as_numpy_iterator()
                 if not is_random}
    assert ("a two", "b one") not in real_next
    assert real_next <= {("a one", "a two"), ("b one", "b two")}
