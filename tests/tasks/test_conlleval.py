"""conlleval counting against hand-worked cases of the perl script's rules."""

import pytest

from bert_tf.errors import DataError
from bert_tf.tasks import conlleval


def counts_of(gold, guessed):
    """Counts one sentence given as space-separated gold and guessed tags."""
    return conlleval.count_chunks(list(zip(gold.split(), guessed.split())) + [None])


def test_iob1_b_tag_separates_adjacent_entities_of_one_type():
    # IOB1: "I-PER I-PER B-PER" is two persons; guessing one long person gets nothing right.
    counts = counts_of("I-PER I-PER B-PER O", "I-PER I-PER I-PER O")
    assert (counts.found_gold, counts.found_guessed, counts.correct_chunks) == (2, 1, 0)
    assert counts.correct_tags == 3 and counts.tokens == 4


def test_iob1_and_iob2_spellings_of_the_same_entities_match_fully():
    iob1 = "I-ORG I-ORG O I-PER B-PER O I-LOC"
    iob2 = "B-ORG I-ORG O B-PER B-PER O B-LOC"
    counts = counts_of(iob1, iob2)
    assert (counts.found_gold, counts.found_guessed, counts.correct_chunks) == (4, 4, 4)
    scores = conlleval.scores(counts)
    assert scores["f1"] == 100.0
    # Token accuracy compares the tags themselves: three I-/B- spellings differ.
    assert scores["accuracy"] == pytest.approx(100 * 4 / 7)


def test_entity_at_the_end_of_the_sentence_and_of_the_input_is_counted():
    counts = conlleval.count_chunks([("O", "O"), ("B-LOC", "B-LOC"), ("I-LOC", "I-LOC")])
    assert counts.correct_chunks == 1 and counts.correct_by_type["LOC"] == 1


def test_a_sentence_boundary_ends_entities():
    # The same tags across a boundary are two entities in both columns.
    pairs = [("I-PER", "I-PER"), None, ("I-PER", "I-PER")]
    counts = conlleval.count_chunks(pairs)
    assert (counts.found_gold, counts.correct_chunks, counts.tokens) == (2, 2, 2)


def test_a_guess_starting_with_i_after_o_starts_an_entity():
    counts = counts_of("B-MISC I-MISC O", "O I-MISC O")
    assert (counts.found_gold, counts.found_guessed, counts.correct_chunks) == (1, 1, 0)
    counts = counts_of("O B-MISC I-MISC", "O I-MISC I-MISC")  # IOB2 gold, IOB1-style guess
    assert counts.correct_chunks == 1


def test_wrong_type_or_boundary_is_not_correct_and_per_type_scores():
    counts = counts_of("B-PER I-PER O B-LOC O B-ORG", "B-PER O O B-ORG O B-ORG")
    # PER guessed shorter: wrong. LOC guessed as ORG: wrong. Last ORG: right.
    scores = conlleval.scores(counts)
    assert (counts.found_gold, counts.found_guessed, counts.correct_chunks) == (3, 3, 1)
    assert scores["precision"] == scores["recall"] == pytest.approx(100 / 3)
    assert scores["ORG_precision"] == 50.0 and scores["ORG_recall"] == 100.0
    assert scores["ORG_f1"] == pytest.approx(200 / 3)
    assert scores["LOC_precision"] == 0.0 and scores["LOC_recall"] == 0.0


def test_iobe_and_bracket_tags_follow_the_script():
    # IOE: "I-NP E-NP E-NP" is two chunks (E after E starts one); "[" and "]" are one-token
    # chunks each, so "[-VP ]-VP" guessed as "[-VP [-VP" is two right chunks.
    counts = counts_of("I-NP E-NP E-NP [-VP ]-VP", "I-NP E-NP E-NP [-VP [-VP")
    assert (counts.found_gold, counts.found_guessed, counts.correct_chunks) == (4, 4, 4)
    assert counts.correct_tags == 4
    # "." tokens start no chunk of their own.
    counts = counts_of(". B-PER . O", ". B-PER . O")
    assert (counts.found_gold, counts.correct_chunks) == (1, 1)


def test_types_with_hyphens_split_at_the_first_hyphen():
    assert conlleval.split_tag("B-GPE-LOC") == ("B", "GPE-LOC")
    assert conlleval.split_tag("O") == ("O", "")


def test_report_matches_the_script_format():
    counts = counts_of("B-PER I-PER O B-LOC", "B-PER I-PER O O")
    assert conlleval.report(counts) == (
        "processed 4 tokens with 2 phrases; found: 1 phrases; correct: 1.\n"
        "accuracy:  75.00%; precision: 100.00%; recall:  50.00%; FB1:  66.67\n"
        "              LOC: precision:   0.00%; recall:   0.00%; FB1:   0.00  0\n"
        "              PER: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n"
    )


def test_reader_handles_boundaries_and_rejects_short_or_ragged_lines(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("EU B-ORG B-ORG\nrejects O O\n\n-X- O O\nPeter B-PER B-PER\n", encoding="utf-8")
    counts = conlleval.evaluate_file(path)
    assert (counts.tokens, counts.correct_chunks) == (3, 2)

    path.write_text("EU B-ORG B-ORG\nrejects O\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"out\.txt:2: unexpected number of fields"):
        conlleval.evaluate_file(path)
    path.write_text("EU\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"out\.txt:1: unexpected number of fields in line"):
        conlleval.evaluate_file(path)
