"""ChunkTokenizer: the project's tokenizer over many lines, batched and threaded."""

import random

import numpy as np

from bert_tf.data_prep import chunk_tokenizer
from bert_tf.tokenization import Tokenizer
from tests.data_prep import corpus


def test_threaded_batches_equal_one_call_per_line(tmp_path, monkeypatch):
    monkeypatch.setattr(chunk_tokenizer, "_LINES_PER_BATCH", 64)  # several batches per thread
    vocab = corpus.write_vocab(tmp_path)
    rng = random.Random(0)
    words = corpus.WORDS + list(corpus.SPLIT_WORDS) + ["Running!", "UNHAPPILY,", "zebra", ""]
    lines = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 12))) for _ in range(500)]
    tokenize = chunk_tokenizer.ChunkTokenizer(vocab, do_lower_case=True, num_threads=3)
    try:
        ids, lengths = tokenize(lines)
    finally:
        tokenize.close()
    expected = Tokenizer(vocab, do_lower_case=True).tokenize_ids_batch(lines)
    assert lengths.tolist() == [len(e) for e in expected]
    assert ids.dtype == np.int32 and ids.tolist() == [t for e in expected for t in e]
    assert tokenize([])[1].tolist() == []
