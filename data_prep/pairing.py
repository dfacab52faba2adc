"""Segment pairs for masked LM + next sentence prediction, as the original
create_pretraining_data.py.

Each document is cut into chunks of whole sentences up to a target length (sometimes shorter, so
the model also sees short inputs); a chunk is split into segment A and B at a random sentence
boundary. Half of the time (always for one-sentence chunks) B is replaced by text from another
document (next_sentence_label 1), and the sentences of the chunk not used are put back so they
start the next chunk. Packing whole sentences instead of cutting text at random keeps segment A
and B on sentence boundaries, which next sentence prediction needs.

Differences from the original, for scale: the random document is drawn from the same chunk of
the input (several MiB of whole documents, see documents.read_chunks), not from the whole
corpus; truncation draws the number of tokens cut from the front of a segment as
Binomial(cut, 0.5), which is the distribution of the original's one coin per popped token.
"""

import bisect
import dataclasses

import numpy as np


@dataclasses.dataclass
class SegmentPairs:
    """Segment pairs as slices of TokenizedChunk.tokens, before truncation.

    Every field is an int64 array [num_pairs] except is_random_next (bool).
    """

    a_start: np.ndarray
    a_length: np.ndarray
    b_start: np.ndarray
    b_length: np.ndarray
    is_random_next: np.ndarray


def create_segment_pairs(chunk, max_seq_length, short_seq_prob, rng):
    """One pass over the chunk's documents (in a random order), as the original's
    create_instances_from_document for each document.

    Args:
      chunk: documents.TokenizedChunk.
      max_seq_length: length of the packed sequence, [CLS] and two [SEP] included.
      short_seq_prob: probability that a document uses a random shorter target length.
      rng: random.Random (scalar draws are much faster there than in numpy).

    Returns:
      SegmentPairs.
    """
    max_num_tokens = max_seq_length - 3
    starts = chunk.sentence_starts.tolist()
    document_starts = chunk.document_starts.tolist()
    num_documents = len(document_starts) - 1
    # Per pair, sentence indices: A is [a_first, a_end), B is [b_first, b_end).
    a_first, a_end_list, b_first, b_end_list, is_random = [], [], [], [], []
    # Bound methods and int(random() * n) instead of randint: this loop is the hot Python part.
    random, bisect_left = rng.random, bisect.bisect_left
    order = list(range(num_documents))
    rng.shuffle(order)
    for doc in order:
        end = document_starts[doc + 1]
        target_seq_length = max_num_tokens
        if random() < short_seq_prob:
            target_seq_length = 2 + int(random() * (max_num_tokens - 1))
        chunk_start = document_starts[doc]
        while chunk_start < end:
            # The original adds sentences until the chunk reaches the target length or the document
            # ends; the last sentence i is found by bisection on the sentence offsets.
            i = (
                bisect_left(starts, starts[chunk_start] + target_seq_length, chunk_start + 1, end)
                - 1
            )
            num_sentences = i + 1 - chunk_start
            a_end = chunk_start + (
                1 + int(random() * (num_sentences - 1)) if num_sentences >= 2 else 1
            )
            a_first.append(chunk_start)
            a_end_list.append(a_end)
            if num_sentences == 1 or random() < 0.5:
                for _ in range(10):
                    other = int(random() * num_documents)
                    if other != doc:
                        break
                other_first, other_end = document_starts[other], document_starts[other + 1]
                j = other_first + int(random() * (other_end - other_first))
                # Whole sentences from j on until the remaining target length is reached (at
                # least one).
                target_b_length = target_seq_length - (starts[a_end] - starts[chunk_start])
                b_first.append(j)
                b_end_list.append(
                    bisect_left(starts, starts[j] + max(target_b_length, 1), j + 1, other_end)
                )
                is_random.append(True)
                chunk_start = a_end  # the unused sentences start the next chunk
            else:
                b_first.append(a_end)
                b_end_list.append(i + 1)
                is_random.append(False)
                chunk_start = i + 1
    s = chunk.sentence_starts
    a_first, a_end, b_first, b_end = (
        np.asarray(x, np.int64).reshape(-1) for x in (a_first, a_end_list, b_first, b_end_list)
    )
    return SegmentPairs(
        s[a_first],
        s[a_end] - s[a_first],
        s[b_first],
        s[b_end] - s[b_first],
        np.asarray(is_random, bool),
    )


def truncate_pairs(pairs, max_num_tokens, rng):
    """The original truncate_seq_pair, vectorized: tokens are cut from the longer segment (B on a
    tie) until the pair fits, each cut from the front or the back with probability 1/2.

    Args:
      pairs: SegmentPairs.
      max_num_tokens: budget for A + B.
      rng: numpy Generator.

    Returns:
      (a_start, a_length, b_start, b_length), int64 arrays [num_pairs] after truncation.
    """
    la, lb = pairs.a_length, pairs.b_length
    short = np.minimum(la, lb)
    over = la + lb > max_num_tokens
    # Popping from the longer one until it fits either only shortens the longer segment, or,
    # once both are equal, alternates B, A, B, ... which leaves A with the extra token.
    one_sided = 2 * short <= max_num_tokens
    new_a = np.where(
        one_sided, np.where(la > lb, max_num_tokens - lb, la), (max_num_tokens + 1) // 2
    )
    new_b = np.where(one_sided, np.where(la > lb, lb, max_num_tokens - la), max_num_tokens // 2)
    new_a = np.where(over, new_a, la)
    new_b = np.where(over, new_b, lb)
    a_front = rng.binomial(la - new_a, 0.5)
    b_front = rng.binomial(lb - new_b, 0.5)
    return pairs.a_start + a_front, new_a, pairs.b_start + b_front, new_b
