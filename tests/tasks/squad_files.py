"""A small SQuAD JSON file for the SQuAD tests: its context, questions and writer."""

import json

# Accents, punctuation glued to words, runs of spaces, a tab and a newline.
CONTEXT = (
    'The  café "Procope" (founded 1686) is in Paris,\tnear the river.  Voltaire drank '
    "forty cups of coffee a day!\nIts owner, Francesco Procopio, was from Palermo."
)
QUESTIONS = [
    ("q-cafe", "What is the cafe?", 'café "Procope"', CONTEXT.index("café")),
    ("q-year", "When was it founded?", "1686", CONTEXT.index("1686")),
    ("q-city", "Where is it?", "Paris", CONTEXT.index("Paris")),
    ("q-drink", "What did he drink?", "forty cups of coffee", CONTEXT.index("forty")),
    ("q-owner", "Who was the owner?", "Francesco Procopio", CONTEXT.index("Francesco")),
    ("q-from", "Where was he from?", "Palermo", CONTEXT.index("Palermo")),
]


def squad_json(questions=QUESTIONS, context=CONTEXT, impossible=()):
    qas = [
        {
            "id": qid,
            "question": q,
            "answers": [{"text": a, "answer_start": s}],
            "is_impossible": False,
        }
        for qid, q, a, s in questions
    ]
    qas += [
        {"id": qid, "question": q, "answers": [], "is_impossible": True} for qid, q in impossible
    ]
    return {
        "version": "test",
        "data": [{"title": "t", "paragraphs": [{"context": context, "qas": qas}]}],
    }


def write_json(tmp_path, value, name="train.json"):
    path = tmp_path / name
    path.write_text(json.dumps(value), encoding="utf-8")
    return str(path)
