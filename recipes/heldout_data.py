"""Held-out splits of real training files, and pretraining text.

Splits (each a directory in the format its script reads, so the scripts run on it unchanged):
- SST-2: GLUE's train.tsv rows are phrases of parse trees, many the sub-phrases of one sentence.
  A sentence is a row contained in no other row; held-out sentences form dev.tsv, and every row
  that occurs inside a held-out sentence leaves the training set, so no dev text was trained on.
- SST-2, small: a random sample of the SST-2 training rows above, the same dev.tsv.
- MRPC: held-out pairs form dev.tsv; a training pair that shares a sentence with one leaves.
- CoNLL-2003: held-out documents (-DOCSTART- to -DOCSTART-) form eng.testa.
- SQuAD v1.1: held-out whole articles (every paragraph and question of a title) form the dev
  file; questions on one article share its context, so a split by question would leak it.

Pretraining text (one sentence per line, a blank line between documents): the files given, with
WikiText's article headings and Shakespeare's speeches made into documents, plus, when asked, the
text (never the labels) of the training splits above: task-adaptive pretraining (Gururangan et
al. 2020), which uses no held-out text.
"""

import collections
import csv
import json
import os
import random
import re

from bert_tf.file_io import write_text_atomically

SST2_HEADER = "sentence\tlabel\n"


def _read_tsv(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


class _PhraseIndex:
    """Finds the indexed phrases that contain a query phrase, word-aligned."""

    def __init__(self):
        self.phrases = []
        self._by_word = collections.defaultdict(list)

    def add(self, phrase):
        for word in set(phrase.split()):
            self._by_word[word].append(len(self.phrases))
        self.phrases.append(f" {phrase} ")

    def contains(self, phrase):
        words = phrase.split()
        if not words:
            return True
        candidates = min((self._by_word.get(w, ()) for w in words), key=len)
        needle = f" {phrase} "
        return any(needle in self.phrases[i] for i in candidates)


def sst2_sentences(rows):
    """The rows contained in no longer row: [(sentence, label)], longest first."""
    index = _PhraseIndex()
    sentences = []
    for text, label in sorted(rows, key=lambda row: -len(row[0])):
        if not index.contains(text):
            index.add(text)
            sentences.append((text, label))
    return sentences


def split_sst2(train_tsv, num_dev_sentences, seed):
    """(train rows, dev rows): dev holds whole held-out sentences, train no phrase of them."""
    rows = [(r[0].strip(), r[1]) for r in _read_tsv(train_tsv)[1:]]
    sentences = sst2_sentences(rows)
    dev = random.Random(seed).sample(sentences, num_dev_sentences)
    held_out = _PhraseIndex()
    for text, _ in dev:
        held_out.add(text)
    train = [row for row in rows if not held_out.contains(row[0])]
    return train, dev


def write_sst2(directory, train, dev):
    os.makedirs(directory, exist_ok=True)
    for name, rows in (("train.tsv", train), ("dev.tsv", dev)):
        write_text_atomically(
            os.path.join(directory, name),
            SST2_HEADER + "".join(f"{text}\t{label}\n" for text, label in rows),
        )


def split_mrpc(train_tsv, num_dev_pairs, seed):
    """(header, train rows, dev rows) of MRPC's TSV; no sentence of dev is in train."""
    header, *rows = _read_tsv(train_tsv)
    dev_index = set(random.Random(seed).sample(range(len(rows)), num_dev_pairs))
    dev = [rows[i] for i in sorted(dev_index)]
    dev_sentences = {s for row in dev for s in row[3:5]}
    train = [
        row
        for i, row in enumerate(rows)
        if i not in dev_index and not dev_sentences.intersection(row[3:5])
    ]
    return header, train, dev


def write_mrpc(directory, header, train, dev):
    os.makedirs(directory, exist_ok=True)
    for name, rows in (("train.tsv", train), ("dev.tsv", dev)):
        write_text_atomically(
            os.path.join(directory, name), "".join("\t".join(row) + "\n" for row in [header] + rows)
        )


def _conll_documents(path):
    """The documents of a CoNLL file: lists of lines, each starting at its -DOCSTART- line."""
    documents = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("-DOCSTART-") or not documents:
                documents.append([])
            documents[-1].append(line)
    return documents


def split_conll(train_file, num_dev_documents, seed):
    """(train documents, dev documents) of a CoNLL file, as lists of lines."""
    documents = _conll_documents(train_file)
    dev_index = set(random.Random(seed).sample(range(len(documents)), num_dev_documents))
    return (
        [d for i, d in enumerate(documents) if i not in dev_index],
        [d for i, d in enumerate(documents) if i in dev_index],
    )


def split_squad(squad_json, num_dev_articles, seed):
    """(train, dev): SQuAD JSON datasets ({"version", "data"}) of whole articles, dev holding
    num_dev_articles of them picked at random."""
    with open(squad_json, encoding="utf-8") as f:
        dataset = json.load(f)
    articles = dataset["data"]
    dev_index = set(random.Random(seed).sample(range(len(articles)), num_dev_articles))
    return tuple(
        {
            "version": dataset.get("version", "1.1"),
            "data": [a for i, a in enumerate(articles) if (i in dev_index) == is_dev],
        }
        for is_dev in (False, True)
    )


def sample_squad_questions(dataset, num_questions, seed):
    """A SQuAD dataset with num_questions of its questions picked at random; paragraphs keep
    their context and lose the questions not picked (those left without one are dropped)."""
    keys = [
        (a, p, q)
        for a, article in enumerate(dataset["data"])
        for p, paragraph in enumerate(article["paragraphs"])
        for q in range(len(paragraph["qas"]))
    ]
    kept = set(random.Random(seed).sample(keys, min(num_questions, len(keys))))
    data = []
    for a, article in enumerate(dataset["data"]):
        paragraphs = [
            {**paragraph, "qas": [qa for q, qa in enumerate(paragraph["qas"]) if (a, p, q) in kept]}
            for p, paragraph in enumerate(article["paragraphs"])
        ]
        paragraphs = [paragraph for paragraph in paragraphs if paragraph["qas"]]
        if paragraphs:
            data.append({**article, "paragraphs": paragraphs})
    return {**dataset, "data": data}


def first_answers(dataset):
    """The dataset with each question's first answer only: a training file's shape (SQuAD's dev
    questions carry several annotators' answers; training takes the first, as the original)."""
    return {
        **dataset,
        "data": [
            {
                **article,
                "paragraphs": [
                    {
                        **paragraph,
                        "qas": [{**qa, "answers": qa["answers"][:1]} for qa in paragraph["qas"]],
                    }
                    for paragraph in article["paragraphs"]
                ],
            }
            for article in dataset["data"]
        ],
    }


def write_squad(path, dataset):
    write_text_atomically(path, json.dumps(dataset, ensure_ascii=False))


def write_conll(directory, train, dev):
    """eng.train and eng.testa (the dev file run_ner reads) of lists of documents' lines."""
    os.makedirs(directory, exist_ok=True)
    for name, documents in (("eng.train", train), ("eng.testa", dev)):
        write_text_atomically(
            os.path.join(directory, name),
            "".join(line for document in documents for line in document),
        )


def write_splits(
    shared_data,
    output_dir,
    seed=0,
    sst2_dev_sentences=1000,
    sst2_small_rows=1000,
    mrpc_dev_pairs=400,
    conll_dev_documents=100,
):
    """Writes the four task directories under output_dir; returns {task dir: {split: size}}."""
    sizes = {}
    train, dev = split_sst2(
        os.path.join(shared_data, "glue/SST-2/train.tsv"), sst2_dev_sentences, seed
    )
    write_sst2(os.path.join(output_dir, "SST-2"), train, dev)
    sizes["SST-2"] = {"train": len(train), "dev": len(dev)}
    small = random.Random(seed).sample(train, sst2_small_rows)
    write_sst2(os.path.join(output_dir, "SST-2-small"), small, dev)
    sizes["SST-2-small"] = {"train": len(small), "dev": len(dev)}

    header, train, dev = split_mrpc(
        os.path.join(shared_data, "glue/MRPC/train.tsv"), mrpc_dev_pairs, seed
    )
    write_mrpc(os.path.join(output_dir, "MRPC"), header, train, dev)
    sizes["MRPC"] = {"train": len(train), "dev": len(dev)}

    train, dev = split_conll(
        os.path.join(shared_data, "conll2003/eng.train"), conll_dev_documents, seed
    )
    write_conll(os.path.join(output_dir, "CoNLL"), train, dev)
    sizes["CoNLL"] = {"train documents": len(train), "dev documents": len(dev)}
    return sizes


def wikitext_documents(path):
    """WikiText (tokenized): an article starts at each ` = Title = ` line; paragraphs are cut into
    sentences after ' . ', and the tokenizer's `@-@`-style joiners are undone."""
    documents = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if re.fullmatch(r"= [^=].* =", line):
                documents.append([])
            elif line and not line.startswith("= ") and documents:
                line = re.sub(r" @(.)@ ", r"\1", re.sub(r" ?<unk>", "", line))
                documents[-1].extend(s.strip() for s in re.split(r"(?<= \.) ", line) if s.strip())
    return documents


def shakespeare_documents(path, speeches_per_document=20):
    """Tiny Shakespeare: speeches (blocks between blank lines) grouped into documents of
    consecutive speeches; a speech's lines are its sentences."""
    with open(path, encoding="utf-8") as f:
        speeches = [block.strip().splitlines() for block in f.read().split("\n\n") if block.strip()]
    return [
        [line for speech in speeches[i : i + speeches_per_document] for line in speech]
        for i in range(0, len(speeches), speeches_per_document)
    ]


def sentence_file_documents(path):
    """A file already in the pretraining format."""
    documents = [[]]
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                documents[-1].append(line.strip())
            elif documents[-1]:
                documents.append([])
    return [d for d in documents if d]


def task_documents(splits_dir):
    """The text of the training splits: each SST-2 sentence and each MRPC pair a document, CoNLL's
    documents as they are (a sentence per line)."""
    rows = [r for r in _read_tsv(os.path.join(splits_dir, "SST-2/train.tsv"))[1:]]
    documents = [[text] for text, _ in sst2_sentences([(r[0], r[1]) for r in rows])]
    documents += [row[3:5] for row in _read_tsv(os.path.join(splits_dir, "MRPC/train.tsv"))[1:]]
    for document in _conll_documents(os.path.join(splits_dir, "CoNLL/eng.train")):
        sentences, words = [], []
        for line in document[1:] + ["\n"]:
            if line.strip():
                words.append(line.split()[0])
            elif words:
                sentences.append(" ".join(words))
                words = []
        if sentences:
            documents.append(sentences)
    return documents


def write_documents(path, documents):
    write_text_atomically(path, "\n".join("\n".join(d) + "\n" for d in documents))
