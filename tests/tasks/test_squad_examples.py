"""SQuAD reader: whitespace words, answer location, and errors that name the file and question."""

import pytest

from bert_tf.errors import DataError
from bert_tf.tasks.squad_examples import read_squad_file, split_context
from tests.tasks.squad_files import CONTEXT, QUESTIONS, squad_json, write_json


def test_split_context_maps_each_character_to_its_word():
    # Hand-worked: whitespace maps to the word before it, -1 before the first word; U+00A0
    # stays inside a word, as in run_squad.py.
    doc_tokens, char_to_word_offset = split_context(" ab\tc\u00a0d  e")
    assert doc_tokens == ["ab", "c\u00a0d", "e"]
    assert char_to_word_offset == [-1, 0, 0, 0, 1, 1, 1, 1, 1, 2]


def test_training_answers_are_located_on_their_words(tmp_path):
    examples = read_squad_file(
        write_json(tmp_path, squad_json()), is_training=True, version_2_with_negative=False
    )
    # Hand-worked from CONTEXT's whitespace words: 0 The, 1 café, 2 "Procope", 3 (founded,
    # 4 1686), ... 7 Paris, ... 13 forty ... 16 coffee ... 21 Francesco, 22 Procopio, ...
    # 25 Palermo.
    expected = {
        "q-cafe": (1, 2),
        "q-year": (4, 4),
        "q-city": (7, 7),
        "q-drink": (13, 16),
        "q-owner": (21, 22),
        "q-from": (25, 25),
    }
    assert {e.qas_id: (e.start_position, e.end_position) for e in examples} == expected
    for example, (_, question, answer, _) in zip(examples, QUESTIONS):
        assert example.question_text == question
        assert example.orig_answer_text == answer
        assert example.answers == (answer,)


def test_impossible_questions_only_in_v2(tmp_path):
    path = write_json(tmp_path, squad_json(QUESTIONS[:1], impossible=[("q-none", "Who?")]))
    v2 = read_squad_file(path, is_training=True, version_2_with_negative=True)
    assert [(e.is_impossible, e.start_position, e.orig_answer_text) for e in v2] == [
        (False, 1, 'café "Procope"'),
        (True, -1, ""),
    ]
    v1 = read_squad_file(path, is_training=False, version_2_with_negative=False)
    assert [e.is_impossible for e in v1] == [False, False]


def test_answer_start_not_on_its_text_names_file_and_question(tmp_path):
    bad = [("q-bad", "Where?", "Paris", CONTEXT.index("Paris") - 7)]
    with pytest.raises(DataError, match=r"train\.json.*q-bad.*Paris"):
        read_squad_file(write_json(tmp_path, squad_json(bad)), True, False)


def test_answer_with_a_no_break_space_is_skipped_as_the_original_does(tmp_path):
    context = "The race is 10\u00a0km long. It starts in Paris."
    questions = [
        ("q-nbsp", "How long?", "10\u00a0km", context.index("10")),
        ("q-city", "Where?", "Paris", context.index("Paris")),
    ]
    examples = read_squad_file(write_json(tmp_path, squad_json(questions, context)), True, False)
    assert [e.qas_id for e in examples] == ["q-city"]
    assert examples[0].orig_answer_text == "Paris"


def test_malformed_json_names_file_line_and_column(tmp_path):
    path = tmp_path / "dev.json"
    path.write_text('{"data": [\n  {"paragraphs": [}\n]}', encoding="utf-8")
    with pytest.raises(DataError, match=r"dev\.json:2:19: malformed JSON"):
        read_squad_file(str(path), False, False)


def test_missing_field_names_file_and_question(tmp_path):
    value = squad_json(QUESTIONS[:1])
    del value["data"][0]["paragraphs"][0]["qas"][0]["question"]
    with pytest.raises(DataError, match=r"dev\.json: question 'q-cafe': missing field 'question'"):
        read_squad_file(write_json(tmp_path, value, "dev.json"), False, False)
