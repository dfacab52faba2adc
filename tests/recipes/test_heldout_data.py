"""The recipe's held-out splits keep dev text out of training; its corpus readers."""

import json

from recipes import heldout_data


def _write_sst2(tmp_path, rows):
    path = tmp_path / "train.tsv"
    path.write_text("sentence\tlabel\n" + "".join(f"{t} \t{label}\n" for t, label in rows))
    return str(path)


def test_sst2_holds_out_whole_sentences_and_every_phrase_inside_them(tmp_path):
    rows = [
        ("a fine , warm film", 1),
        ("fine , warm", 1),
        ("warm", 1),
        ("a fine", 1),
        ("a dull film", 0),
        ("dull", 0),
        ("dull film", 0),
        ("film", 1),
        ("warmth", 1),
        ("no fine film at all", 0),
    ]
    path = _write_sst2(tmp_path, rows)
    # Sentences: rows inside no other row ("warm" is inside "fine , warm", not inside "warmth").
    assert sorted(
        t for t, _ in heldout_data.sst2_sentences([(t, str(label)) for t, label in rows])
    ) == ["a dull film", "a fine , warm film", "no fine film at all", "warmth"]
    for seed in range(6):
        train, dev = heldout_data.split_sst2(path, 1, seed)
        ((sentence, _),) = dev
        inside = {t for t, _ in rows if f" {t} " in f" {sentence} "}
        assert {t for t, _ in train} == {t for t, _ in rows} - inside


def test_mrpc_dev_pairs_share_no_sentence_with_train(tmp_path):
    header = "\ufeffQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\n"
    pairs = [("1", "s1", "s2"), ("0", "s2", "s3"), ("1", "s4", "s5"), ("0", "s6", "s7")]
    path = tmp_path / "train.tsv"
    path.write_text(
        header + "".join(f"{q}\t{i}\t{i + 1}\t{a}\t{b}\n" for i, (q, a, b) in enumerate(pairs)),
        encoding="utf-8",
    )
    for seed in range(6):
        columns, train, dev = heldout_data.split_mrpc(str(path), 1, seed)
        assert columns[0] == "Quality" and len(dev) == 1
        dev_sentences = set(dev[0][3:5])
        assert all(not dev_sentences & set(row[3:5]) for row in train)
        assert len(train) == 3 - ("s2" in dev_sentences)


def test_conll_split_keeps_documents_whole(tmp_path):
    documents = [
        "-DOCSTART- -X- O O\n\nEU NNP I-NP I-ORG\n\n",
        "-DOCSTART- -X- O O\n\nPeter NNP I-NP I-PER\nBlackburn NNP I-NP I-PER\n\n",
        "-DOCSTART- -X- O O\n\nBRUSSELS NNP I-NP I-LOC\n\n",
    ]
    path = tmp_path / "eng.train"
    path.write_text("".join(documents))
    train, dev = heldout_data.split_conll(str(path), 1, seed=0)
    assert len(train) == 2 and len(dev) == 1
    assert sorted("".join(d) for d in train + dev) == sorted(documents)


def test_wikitext_articles_become_documents_of_sentences(tmp_path):
    path = tmp_path / "valid.txt"
    path.write_text(
        " \n = Lobster = \n \n The lobster is a 1 @,@ 000 @-@ gram <unk> animal . "
        "It lives in the sea . \n \n = = Range = = \n Found in Europe . \n"
        " = Crab = \n Crabs walk sideways . \n"
    )
    assert heldout_data.wikitext_documents(str(path)) == [
        ["The lobster is a 1,000-gram animal .", "It lives in the sea .", "Found in Europe ."],
        ["Crabs walk sideways ."],
    ]


def _squad_file(tmp_path, num_articles):
    data = [
        {
            "title": f"article{a}",
            "paragraphs": [
                {
                    "context": f"context {a} {p}",
                    "qas": [
                        {
                            "id": f"{a}-{p}-{q}",
                            "question": f"q {q}?",
                            "answers": [{"text": str(a), "answer_start": 8}],
                        }
                        for q in range(3)
                    ],
                }
                for p in range(2)
            ],
        }
        for a in range(num_articles)
    ]
    path = tmp_path / "squad.json"
    path.write_text(json.dumps({"version": "1.1", "data": data}))
    return str(path)


def _contexts(dataset):
    return {p["context"] for a in dataset["data"] for p in a["paragraphs"]}


def test_squad_holds_out_whole_articles_and_no_context_of_them(tmp_path):
    path = _squad_file(tmp_path, 6)
    for seed in range(4):
        train, dev = heldout_data.split_squad(path, 2, seed)
        assert len(dev["data"]) == 2 and len(train["data"]) == 4
        assert not {a["title"] for a in train["data"]} & {a["title"] for a in dev["data"]}
        assert not _contexts(train) & _contexts(dev)
        assert all(len(p["qas"]) == 3 for a in dev["data"] for p in a["paragraphs"])


def test_squad_question_sample_keeps_the_picked_questions_with_their_context(tmp_path):
    train, _ = heldout_data.split_squad(_squad_file(tmp_path, 6), 2, 0)
    sample = heldout_data.sample_squad_questions(train, 5, 0)
    picked = [
        (p["context"], qa["id"]) for a in sample["data"] for p in a["paragraphs"] for qa in p["qas"]
    ]
    assert len(picked) == len(set(picked)) == 5
    original = {
        qa["id"]: p["context"] for a in train["data"] for p in a["paragraphs"] for qa in p["qas"]
    }
    assert all(original[qid] == context for context, qid in picked)


def test_squad_training_file_keeps_the_first_answer_of_each_question(tmp_path):
    train, _ = heldout_data.split_squad(_squad_file(tmp_path, 3), 1, 0)
    for article in train["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                qa["answers"].append({"text": "other", "answer_start": 0})
    trimmed = heldout_data.first_answers(train)
    assert all(
        len(qa["answers"]) == 1 and qa["answers"][0]["text"] != "other"
        for a in trimmed["data"]
        for p in a["paragraphs"]
        for qa in p["qas"]
    )
    assert all(
        len(qa["answers"]) == 2 for a in train["data"] for p in a["paragraphs"] for qa in p["qas"]
    )  # the input is left as it was
