"""Chunk-level precision, recall and F1 counted exactly as the CoNLL `conlleval` perl script.

The script (conlleval, version 2004-01-26, used for the CoNLL-2000 and CoNLL-2003 shared tasks)
reads lines `... gold guessed` separated by a delimiter (one space by default), a blank line or a
line whose first field is `-X-` being a sentence boundary. A tag is `PREFIX-TYPE` (split at the
first hyphen, so types may hold hyphens) or a bare prefix. Chunks start and end by the prefix
rules of its `startOfChunk` / `endOfChunk` (B, I, O, E, and the one-token chunks `[` `]`; `.` is
neither in nor out), and a chunk changes wherever the type changes. That makes IOB1 (`I-` starts a
chunk after O or another type; `B-` only between two chunks of one type) and IOB2 (`B-` starts
every chunk) read the same way. An `S-` prefix has no rule of its own in the script: like the
script, this counts `S-X S-X` as one chunk.

A guessed chunk is correct when it starts and ends on the same tokens as a gold chunk, with the
same type. Precision, recall and FB1 are percentages (as the script prints them); accuracy is the
share of non-boundary tokens whose tag and type are both right.
"""

import collections
import dataclasses
import os

from bert_tf.errors import DataError

_BOUNDARY = "-X-"


def end_of_chunk(prev_tag, tag, prev_type, type_):
    """The script's endOfChunk: did a chunk end between the previous token and this one?"""
    chunk_end = (prev_tag, tag) in {
        ("B", "B"),
        ("B", "O"),
        ("I", "B"),
        ("I", "O"),
        ("E", "E"),
        ("E", "I"),
        ("E", "O"),
    }
    if prev_tag != "O" and prev_tag != "." and prev_type != type_:
        chunk_end = True
    # The script's 1998-12-22 correction: [ and ] chunks have length 1.
    if prev_tag in ("]", "["):
        chunk_end = True
    return chunk_end


def start_of_chunk(prev_tag, tag, prev_type, type_):
    """The script's startOfChunk: does a chunk start at this token?"""
    chunk_start = (prev_tag, tag) in {
        ("B", "B"),
        ("I", "B"),
        ("O", "B"),
        ("O", "I"),
        ("E", "E"),
        ("E", "I"),
        ("O", "E"),
    }
    if tag != "O" and tag != "." and prev_type != type_:
        chunk_start = True
    if tag in ("[", "]"):
        chunk_start = True
    return chunk_start


def split_tag(tag):
    """`B-MISC` -> ("B", "MISC"); `O` -> ("O", ""). Splits at the first hyphen, as the script."""
    prefix, hyphen, type_ = tag.partition("-")
    if not hyphen:
        return tag, ""
    # The script's `$type ? $type : ""`: perl takes the type "0" for false.
    return prefix, "" if type_ == "0" else type_


@dataclasses.dataclass
class ChunkCounts:
    """What the script counts; `*_by_type` are per chunk type."""

    correct_chunks: int = 0
    found_gold: int = 0
    found_guessed: int = 0
    correct_tags: int = 0
    tokens: int = 0
    correct_by_type: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    gold_by_type: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    guessed_by_type: collections.Counter = dataclasses.field(default_factory=collections.Counter)


def count_chunks(tag_pairs):
    """The script's main loop.

    Args:
      tag_pairs: iterable of (gold_tag, guessed_tag) strings, one per token, with None for a
        sentence boundary.

    Returns:
      ChunkCounts.
    """
    counts = ChunkCounts()
    in_correct = False
    last_correct, last_correct_type = "O", ""
    last_guessed, last_guessed_type = "O", ""
    for pair in tag_pairs:
        is_boundary = pair is None
        if is_boundary:
            correct, correct_type, guessed, guessed_type = "O", "", "O", ""
        else:
            correct, correct_type = split_tag(pair[0])
            guessed, guessed_type = split_tag(pair[1])

        gold_ends = end_of_chunk(last_correct, correct, last_correct_type, correct_type)
        guess_ends = end_of_chunk(last_guessed, guessed, last_guessed_type, guessed_type)
        if in_correct:
            if gold_ends and guess_ends and last_guessed_type == last_correct_type:
                in_correct = False
                counts.correct_chunks += 1
                counts.correct_by_type[last_correct_type] += 1
            elif gold_ends != guess_ends or guessed_type != correct_type:
                in_correct = False

        gold_starts = start_of_chunk(last_correct, correct, last_correct_type, correct_type)
        guess_starts = start_of_chunk(last_guessed, guessed, last_guessed_type, guessed_type)
        if gold_starts and guess_starts and guessed_type == correct_type:
            in_correct = True
        if gold_starts:
            counts.found_gold += 1
            counts.gold_by_type[correct_type] += 1
        if guess_starts:
            counts.found_guessed += 1
            counts.guessed_by_type[guessed_type] += 1
        if not is_boundary:
            if correct == guessed and guessed_type == correct_type:
                counts.correct_tags += 1
            counts.tokens += 1

        last_guessed, last_correct = guessed, correct
        last_guessed_type, last_correct_type = guessed_type, correct_type
    if in_correct:
        counts.correct_chunks += 1
        counts.correct_by_type[last_correct_type] += 1
    return counts


def _prf(correct, guessed, gold):
    precision = 100.0 * correct / guessed if guessed > 0 else 0.0
    recall = 100.0 * correct / gold if gold > 0 else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return precision, recall, f1


def scores(counts):
    """Overall and per-type figures, in percent as the script prints them.

    Returns:
      dict with `accuracy`, `precision`, `recall`, `f1` and, for each chunk type T found in gold
      or guesses, `T_precision`, `T_recall`, `T_f1`.
    """
    precision, recall, f1 = _prf(counts.correct_chunks, counts.found_guessed, counts.found_gold)
    result = {
        "accuracy": 100.0 * counts.correct_tags / counts.tokens if counts.tokens else 0.0,
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }
    for type_ in sorted(set(counts.gold_by_type) | set(counts.guessed_by_type)):
        p, r, f = _prf(
            counts.correct_by_type[type_], counts.guessed_by_type[type_], counts.gold_by_type[type_]
        )
        result.update({f"{type_}_precision": p, f"{type_}_recall": r, f"{type_}_f1": f})
    return result


def report(counts):
    """The script's printed report (without -l), as a string.

    One difference: the script prints the line of the empty type (bare tags such as `.`) twice,
    its duplicate check taking "" for false; it is printed once here.
    """
    s = scores(counts)
    lines = [
        f"processed {counts.tokens} tokens with {counts.found_gold} phrases; "
        f"found: {counts.found_guessed} phrases; correct: {counts.correct_chunks}."
    ]
    if counts.tokens > 0:
        lines.append(
            f"accuracy: {s['accuracy']:6.2f}%; precision: {s['precision']:6.2f}%; "
            f"recall: {s['recall']:6.2f}%; FB1: {s['f1']:6.2f}"
        )
    for type_ in sorted(set(counts.gold_by_type) | set(counts.guessed_by_type)):
        lines.append(
            f"{type_:>17}: precision: {s[type_ + '_precision']:6.2f}%; "
            f"recall: {s[type_ + '_recall']:6.2f}%; FB1: {s[type_ + '_f1']:6.2f}  "
            f"{counts.guessed_by_type[type_]}"
        )
    return "\n".join(lines) + "\n"


def read_tag_pairs(lines, source="<lines>", delimiter=" "):
    """Parses the script's input format into count_chunks' (gold, guessed) pairs.

    Args:
      lines: iterable of text lines (trailing newline allowed).
      source: file name for error messages.
      delimiter: field separator (the script's -d).

    Yields:
      (gold_tag, guessed_tag), or None for a sentence boundary.

    Raises:
      DataError naming source and line number when a line has fewer than 2 fields, or a number
      of fields different from the first line's, where the script stops too.
    """
    num_fields = None
    for line_number, line in enumerate(lines, 1):
        features = line.rstrip("\n").split(delimiter)
        # perl's split drops trailing empty fields (a line "" gives no fields).
        while features and features[-1] == "":
            features.pop()
        if num_fields is None:
            num_fields = len(features) if features else None
        elif features and len(features) != num_fields:
            raise DataError(
                f"{source}:{line_number}: unexpected number of fields: "
                f"{len(features)} ({num_fields})"
            )
        if not features or features[0] == _BOUNDARY:
            yield None
            continue
        if len(features) < 2:
            raise DataError(
                f"{source}:{line_number}: unexpected number of fields in line {line.rstrip()!r}"
            )
        yield features[-2], features[-1]


def evaluate_file(path, delimiter=" "):
    """Counts a file in the script's format; returns ChunkCounts."""
    with open(os.fspath(path), encoding="utf-8") as f:
        return count_chunks(read_tag_pairs(f, source=os.fspath(path), delimiter=delimiter))
