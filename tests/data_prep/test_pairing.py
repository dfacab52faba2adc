"""pairing.create_segment_pairs against a sentence-by-sentence port of the original loop."""

import random

import numpy as np

from bert_tf.data_prep import documents, pairing


def original_pairs(sentences_by_doc, max_seq_length, short_seq_prob, rng):
    """google-research/bert create_instances_from_document for every document, sentence by
    sentence, with the same draws as pairing (int(random() * n) for randint) so the streams match.

    Returns:
      list of (tokens_a, tokens_b, is_random_next) before truncation.
    """
    max_num_tokens = max_seq_length - 3
    order = list(range(len(sentences_by_doc)))
    rng.shuffle(order)
    out = []
    for doc in order:
        document = sentences_by_doc[doc]
        target_seq_length = max_num_tokens
        if rng.random() < short_seq_prob:
            target_seq_length = 2 + int(rng.random() * (max_num_tokens - 1))
        current_chunk, current_length, i = [], 0, 0
        while i < len(document):
            current_chunk.append(document[i])
            current_length += len(document[i])
            if i == len(document) - 1 or current_length >= target_seq_length:
                a_end = 1
                if len(current_chunk) >= 2:
                    a_end = 1 + int(rng.random() * (len(current_chunk) - 1))
                tokens_a = [t for s in current_chunk[:a_end] for t in s]
                if len(current_chunk) == 1 or rng.random() < 0.5:
                    for _ in range(10):
                        other = int(rng.random() * len(sentences_by_doc))
                        if other != doc:
                            break
                    random_document = sentences_by_doc[other]
                    random_start = int(rng.random() * len(random_document))
                    tokens_b = []
                    for j in range(random_start, len(random_document)):
                        tokens_b.extend(random_document[j])
                        if len(tokens_b) >= target_seq_length - len(tokens_a):
                            break
                    out.append((tokens_a, tokens_b, True))
                    i -= len(current_chunk) - a_end  # put the unused segments back
                else:
                    tokens_b = [t for s in current_chunk[a_end:] for t in s]
                    out.append((tokens_a, tokens_b, False))
                current_chunk, current_length = [], 0
            i += 1
    return out


def test_segment_pairs_follow_original_loop():
    rng = random.Random(3)
    docs = [
        [
            [rng.randrange(1000) for _ in range(rng.randint(1, 20))]
            for _ in range(rng.randint(1, 15))
        ]
        for _ in range(40)
    ]
    lines = [s for doc in docs for s in doc]
    text = documents.TextChunk(
        [" ".join(map(str, s)) for s in lines], [d for d, doc in enumerate(docs) for _ in doc]
    )
    chunk = documents.tokenize_chunk(
        text,
        lambda ls: (
            np.array([t for s in lines for t in s], np.int32),
            np.array([len(s) for s in lines]),
        ),
    )
    for max_seq_length, short_seq_prob in [(32, 0.1), (16, 0.5), (128, 0.0)]:
        expected = original_pairs(docs, max_seq_length, short_seq_prob, random.Random(7))
        pairs = pairing.create_segment_pairs(
            chunk, max_seq_length, short_seq_prob, random.Random(7)
        )
        got = [
            (chunk.tokens[a : a + la].tolist(), chunk.tokens[b : b + lb].tolist(), bool(r))
            for a, la, b, lb, r in zip(
                pairs.a_start, pairs.a_length, pairs.b_start, pairs.b_length, pairs.is_random_next
            )
        ]
        assert got == expected


def test_truncation_matches_popping_one_token_at_a_time():
    la = np.array([10, 3, 60, 40, 7])
    lb = np.array([10, 70, 5, 40, 2])
    pairs = pairing.SegmentPairs(np.zeros(5, np.int64), la, np.full(5, 1000), lb, np.zeros(5, bool))
    _, new_a, _, new_b = pairing.truncate_pairs(pairs, 20, np.random.default_rng(0))
    for i in range(5):
        a, b = la[i], lb[i]
        while a + b > 20:  # the original _truncate_seq_pair: pop from the longer, B on a tie
            if a > b:
                a -= 1
            else:
                b -= 1
        assert (new_a[i], new_b[i]) == (a, b)
