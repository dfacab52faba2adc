"""SQuAD v1.1 and v2.0 questions, read from the JSON files or the TFDS `squad` builder.

As google-research/bert run_squad.py's reader: each context is split on whitespace into
`doc_tokens`, every character is mapped to its word (char_to_word_offset), and a training
answer is located by its answer_start. One departure, on bad input: the original skips a
training question whose answer_start does not point at its text with a warning; here it is an
error naming the file and the question id.
"""

import dataclasses
import json

from absl import logging

from bert_tf.errors import DataError
from bert_tf.file_io import read_text


@dataclasses.dataclass
class SquadExample:
    """One question on one context.

    Attributes:
      qas_id: the question id.
      question_text: the question.
      doc_tokens: the context split on whitespace.
      orig_answer_text: training only: the answer text ("" for an impossible question).
      start_position, end_position: training only: indices in doc_tokens of the answer's first
        and last words (-1 for an impossible question).
      is_impossible: v2.0: the question has no answer in the context.
      answers: every gold answer text in the file (empty for a v2.0 impossible question or an
        unlabeled file), what evaluate() scores against.
    """

    qas_id: str
    question_text: str
    doc_tokens: list
    orig_answer_text: str = None
    start_position: int = None
    end_position: int = None
    is_impossible: bool = False
    answers: tuple = ()


def _is_whitespace(c):
    # run_squad.py's own test, narrower than str.isspace(): U+00A0 stays inside a word.
    return c in " \t\r\n" or ord(c) == 0x202F


def split_context(paragraph_text):
    """Whitespace words of a context and, for each character, the index of its word.

    Returns:
      (doc_tokens, char_to_word_offset): list of str, list of int of len(paragraph_text); a
      whitespace character maps to the word before it (-1 before the first word).
    """
    doc_tokens = []
    char_to_word_offset = []
    prev_is_whitespace = True
    for c in paragraph_text:
        if _is_whitespace(c):
            prev_is_whitespace = True
        else:
            if prev_is_whitespace:
                doc_tokens.append(c)
            else:
                doc_tokens[-1] += c
            prev_is_whitespace = False
        char_to_word_offset.append(len(doc_tokens) - 1)
    return doc_tokens, char_to_word_offset


def _field(record, key, where):
    try:
        return record[key]
    except (KeyError, TypeError):
        raise DataError(f"{where}: missing field {key!r}") from None


def parse_squad_data(data, source, is_training, version_2_with_negative):
    """Examples from the "data" list of a SQuAD JSON file.

    Args:
      data: list of articles {"paragraphs": [{"context", "qas": [{"id", "question", "answers",
        "is_impossible" (v2.0)}]}]}.
      source: the file name, for error messages.
      is_training: locate the answer of each question (exactly one, unless impossible).
      version_2_with_negative: read `is_impossible`.

    Returns:
      list of SquadExample.

    Raises:
      DataError naming source and the question id when a field is missing, a training question
      has not exactly one answer, or an answer_start does not point at the answer text.
    """
    examples = []
    for article in data:
        for paragraph in _field(article, "paragraphs", source):
            context = _field(paragraph, "context", source)
            doc_tokens, char_to_word_offset = split_context(context)
            for qa in _field(paragraph, "qas", source):
                qas_id = _field(qa, "id", source)
                where = f"{source}: question {qas_id!r}"
                answers = _field(qa, "answers", where)
                is_impossible = bool(qa.get("is_impossible", False)) and version_2_with_negative
                example = SquadExample(
                    qas_id=qas_id,
                    question_text=_field(qa, "question", where),
                    doc_tokens=doc_tokens,
                    is_impossible=is_impossible,
                    answers=tuple(_field(a, "text", where) for a in answers),
                )
                if is_training and not _locate_answer(
                    example, answers, context, char_to_word_offset, where
                ):
                    continue
                examples.append(example)
    return examples


def _locate_answer(example, answers, context, char_to_word_offset, where):
    """Sets the training answer's words on `example`, as run_squad.py's reader.

    Returns False for an answer the original also skips: its text is at answer_start,
    but its words differ from the context's whitespace-split words (a no-break space
    U+00A0 inside the answer, for example, which str.split() splits and the context
    split does not). An answer_start that does not point at the answer text is an error.
    """
    if example.is_impossible:
        example.orig_answer_text, example.start_position, example.end_position = "", -1, -1
        return True
    if len(answers) != 1:
        raise DataError(
            f"{where}: for training, each question should have exactly 1 answer, got {len(answers)}"
        )
    text = _field(answers[0], "text", where)
    offset = _field(answers[0], "answer_start", where)
    if not text:
        raise DataError(f"{where}: empty answer text")
    if not isinstance(offset, int) or offset < 0 or offset + len(text) > len(char_to_word_offset):
        raise DataError(
            f"{where}: answer_start {offset} with answer {text!r} is outside its "
            f"context of {len(char_to_word_offset)} characters"
        )
    if context[offset : offset + len(text)] != text:
        raise DataError(
            f"{where}: answer {text!r} not found at answer_start {offset}, where "
            f"the context reads {context[offset : offset + len(text)]!r}"
        )
    start = char_to_word_offset[offset]
    end = char_to_word_offset[offset + len(text) - 1]
    actual_text = " ".join(example.doc_tokens[start : end + 1])
    cleaned_answer_text = " ".join(text.split())
    if actual_text.find(cleaned_answer_text) == -1:
        logging.warning(
            "%s: skipped, as the original does: could not find answer %r in %r",
            where,
            cleaned_answer_text,
            actual_text,
        )
        return False
    example.orig_answer_text, example.start_position, example.end_position = text, start, end
    return True


def read_squad_file(path, is_training, version_2_with_negative):
    """Examples of a SQuAD JSON file; malformed JSON raises DataError naming path, line, column."""
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as e:
        raise DataError(f"{path}:{e.lineno}:{e.colno}: malformed JSON: {e.msg}") from None
    examples = parse_squad_data(
        _field(data, "data", path), path, is_training, version_2_with_negative
    )
    if not examples:
        raise DataError(f"{path}: no questions")
    return examples


def read_squad_tfds(name, split, is_training, version_2_with_negative, data_dir=None):
    """Examples of the TFDS `squad` builder (`squad/v1.1`, `squad/v2.0`), via the JSON reader."""
    import tensorflow_datasets as tfds  # Only this source needs it.

    def text(value):
        return value.decode("utf-8") if isinstance(value, bytes) else str(value)

    data = []
    for record in tfds.as_numpy(tfds.load(name, split=split, data_dir=data_dir)):
        answers = record["answers"]
        qa = {
            "id": text(record["id"]),
            "question": text(record["question"]),
            "answers": [
                {"text": text(t), "answer_start": int(s)}
                for t, s in zip(answers["text"], answers["answer_start"])
            ],
        }
        if "is_impossible" in record:
            qa["is_impossible"] = bool(record["is_impossible"])
        data.append({"paragraphs": [{"context": text(record["context"]), "qas": [qa]}]})
    return parse_squad_data(data, f"tfds:{name}:{split}", is_training, version_2_with_negative)
