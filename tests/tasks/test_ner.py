"""CoNLL-2003 NER task: reader, first-piece labels, long-sentence splitting, conlleval metrics."""

import os

import numpy as np
import pytest

from bert_tf.errors import DataError
from bert_tf.tasks import conlleval
from bert_tf.tasks.ner import (
    CONLL2003_LABELS,
    NerTask,
    convert_tag_scheme,
    detect_tag_scheme,
    read_conll_file,
)

# The original format: -DOCSTART-, IOB1 tags, `word POS chunk NER`.
TRAIN = """-DOCSTART- -X- O O

EU NNP I-NP I-ORG
rejects VBZ I-VP O
German JJ I-NP I-MISC
call NN I-NP O
. . O O

Peter NNP I-NP I-PER
Blackburn NNP I-NP I-PER
met VBD I-VP O
Ann NNP I-NP I-PER
Bob NNP I-NP B-PER
"""


def write_split(tmp_path, name, text):
    (tmp_path / name).write_text(text, encoding="utf-8")
    return str(tmp_path)


def oracle_outputs(task, features):
    """Logits that put each first piece's gold tag on top."""
    logits = np.zeros(features["label_ids"].shape + (len(task.label_list),), np.float32)
    np.put_along_axis(logits, features["label_ids"][..., None], 5.0, axis=-1)
    return {"logits": logits}


def test_reader_skips_docstart_and_splits_sentences(tmp_path):
    examples = read_conll_file(os.path.join(write_split(tmp_path, "eng.train", TRAIN), "eng.train"))
    assert [e.words for e in examples] == [
        ["EU", "rejects", "German", "call", "."],
        ["Peter", "Blackburn", "met", "Ann", "Bob"],
    ]
    assert examples[1].labels == ["I-PER", "I-PER", "O", "I-PER", "B-PER"]
    assert examples[1].source.endswith("eng.train:9")


def test_line_with_too_few_columns_names_file_and_line(tmp_path, tokenizer):
    data_dir = write_split(tmp_path, "eng.testa", "EU NNP I-NP I-ORG\nrejects\n")
    with pytest.raises(DataError, match=r"eng\.testa:2: expected a word and its tag"):
        NerTask(tokenizer, data_dir=data_dir).read_examples("dev")
    write_split(tmp_path, "eng.testa", "EU NNP I-NP I-ORG\n\nrejects VBZ O\n")
    with pytest.raises(
        DataError, match=r"eng\.testa:3: 3 fields where the file's first line has 4"
    ):
        NerTask(tokenizer, data_dir=data_dir).read_examples("dev")


def test_unknown_tag_names_file_and_line(tmp_path, tokenizer):
    data_dir = write_split(tmp_path, "test.txt", "\nEU NNP I-NP I-ORG\nBonn NNP I-NP I-GPE\n")
    with pytest.raises(DataError, match=r"test\.txt:3: tag 'I-GPE' is not in the label list"):
        NerTask(tokenizer, data_dir=data_dir).read_examples("test")


def test_tag_schemes_are_detected_and_converted():
    iob1 = ["I-PER", "I-PER", "B-PER", "O", "I-LOC", "I-ORG"]
    iob2 = ["B-PER", "I-PER", "B-PER", "O", "B-LOC", "B-ORG"]
    assert convert_tag_scheme(iob1, "IOB2") == iob2 and convert_tag_scheme(iob2, "IOB1") == iob1
    assert detect_tag_scheme([iob1]) == "IOB1"
    assert detect_tag_scheme([iob2]) == "IOB2"
    assert detect_tag_scheme([["B-PER", "E-PER", "S-LOC"]]) == "IOBES"
    # Both spell the same entities for conlleval.
    counts = conlleval.count_chunks(list(zip(iob1, iob2)))
    assert counts.correct_chunks == counts.found_gold == 4


def test_task_converts_iob1_data_to_iob2(tmp_path, tokenizer):
    task = NerTask(tokenizer, data_dir=write_split(tmp_path, "eng.train", TRAIN), tag_scheme="IOB2")
    examples = task.read_examples("train")
    assert task.detected_tag_schemes == {"train": "IOB1"}
    assert examples[1].labels == ["B-PER", "I-PER", "O", "B-PER", "B-PER"]


def test_labels_sit_on_each_words_first_piece(tmp_path, tokenizer):
    task = NerTask(tokenizer, max_seq_length=32, data_dir=write_split(tmp_path, "eng.train", TRAIN))
    examples = task.read_examples("train")
    features = task.make_features(examples[:1], is_training=True)
    tokens = tokenizer.convert_ids_to_tokens(features["input_word_ids"][0].tolist())
    # "EU" -> e ##u, "rejects" -> r ##e ##j ##e ##c ##t ##s, "German" -> g ##e ..., "call" ...
    pieces = [tokenizer.tokenize(w) for w in examples[0].words]
    first_positions = np.cumsum([1] + [len(p) for p in pieces[:-1]])
    assert tokens[0] == "[CLS]" and tokens[sum(map(len, pieces)) + 1] == "[SEP]"
    assert np.flatnonzero(features["label_weights"][0]).tolist() == first_positions.tolist()
    labels = [task.label_list[i] for i in features["label_ids"][0][first_positions]]
    assert labels == ["I-ORG", "O", "I-MISC", "O", "O"]
    assert features["word_index"][0][first_positions].tolist() == [0, 1, 2, 3, 4]
    assert features["label_weights"][0].sum() == 5 and (features["word_index"][0] >= 0).sum() == 5


def test_long_sentence_is_split_on_words_and_stitched_back(tmp_path, tokenizer):
    words = [f"w{i}x" for i in range(40)]  # 3 pieces each: w ##i ##x ... (2-digit: 4 pieces)
    tags = ["I-PER" if i % 7 in (1, 2) else "O" for i in range(40)]
    text = "".join(f"{w} NNP I-NP {t}\n" for w, t in zip(words, tags))
    task = NerTask(tokenizer, max_seq_length=16, data_dir=write_split(tmp_path, "valid.txt", text))
    examples = task.read_examples("dev")
    features = task.make_features(examples, is_training=False)
    assert len(features["example_index"]) > 5
    assert features["input_mask"].sum(axis=1).max() <= 16
    # Every word appears exactly once as a first piece, in order.
    words_seen = features["word_index"][features["word_index"] >= 0].tolist()
    assert words_seen == list(range(40))
    outputs = oracle_outputs(task, features)
    assert task.predict(examples, features, outputs) == [tags]
    metrics = task.evaluate(examples, features, outputs)
    assert metrics["f1"] == metrics["precision"] == metrics["recall"] == 100.0


def test_written_predictions_are_read_by_conlleval(tmp_path, tokenizer):
    task = NerTask(tokenizer, max_seq_length=32, data_dir=write_split(tmp_path, "eng.testb", TRAIN))
    examples = task.read_examples("test")
    features = task.make_features(examples, is_training=False)
    outputs = oracle_outputs(task, features)
    # Break one prediction: "Bob" (B-PER, its own entity in IOB1) guessed as I-PER joins Ann's.
    bob = np.flatnonzero(features["word_index"][1] == 4)[0]
    outputs["logits"][1, bob] = 0.0
    outputs["logits"][1, bob, CONLL2003_LABELS.index("I-PER")] = 5.0
    [path] = task.write_predictions(examples, features, outputs, str(tmp_path / "out"))
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    assert lines[:2] == ["EU I-ORG I-ORG", "rejects O O"] and lines[4:6] == [". O O", ""]
    counts = conlleval.evaluate_file(path)
    # Gold: ORG, MISC, PER (Peter Blackburn), PER (Ann), PER (Bob). Guess: Ann Bob as one.
    assert (counts.found_gold, counts.found_guessed, counts.correct_chunks) == (5, 4, 3)
    assert task.evaluate(examples, features, outputs)["f1"] == pytest.approx(
        conlleval.scores(counts)["f1"]
    )


def test_token_classifier_loss_is_cross_entropy_on_first_pieces(tmp_path, tokenizer):
    from bert_tf.models import BertEncoder
    from tests.keras_helpers import tiny_config

    task = NerTask(tokenizer, max_seq_length=32, data_dir=write_split(tmp_path, "eng.train", TRAIN))
    features = task.make_features(task.read_examples("train"), is_training=True)
    model = task.build_model(BertEncoder(tiny_config(vocab_size=len(tokenizer.vocab))))
    inputs = {k: features[k] for k in ("input_word_ids", "input_mask", "input_type_ids")}
    logits = np.asarray(model(inputs)["logits"], np.float64)
    assert logits.shape == (2, 32, 9)
    loss = float(task.loss(features, {"logits": logits.astype(np.float32)}))
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    picked = np.take_along_axis(log_probs, features["label_ids"][..., None], -1)[..., 0]
    weights = features["label_weights"]
    assert np.isfinite(loss)
    assert loss == pytest.approx(-(picked * weights).sum() / weights.sum(), rel=1e-5)


def test_tfds_source_reads_the_conll2003_builder(tokenizer):
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=3):
        records = list(tfds.as_numpy(tfds.load("conll2003", split="dev")))
        examples = NerTask(tokenizer, data_source="tfds").read_examples("dev")
    assert [e.words for e in examples] == [[w.decode() for w in r["tokens"]] for r in records]
    assert [e.labels for e in examples] == [
        [CONLL2003_LABELS[t] for t in r["ner"]] for r in records
    ]


@pytest.mark.shared_data
def test_original_conll2003_train_file_has_the_published_entity_counts(tokenizer):
    path = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "conll2003")
    if not os.path.exists(os.path.join(path, "eng.train")):
        pytest.skip("../shared/data/conll2003 is absent")
    task = NerTask(tokenizer, data_dir=path)
    examples = task.read_examples("train")
    assert task.detected_tag_schemes["train"] == "IOB1"
    # Tjong Kim Sang and De Meulder (2003), tables 1 and 2: 203,621 tokens in the English
    # training set, and 6,600 PER, 7,140 LOC, 6,321 ORG, 3,438 MISC entities.
    assert sum(len(e.words) for e in examples) == 203621
    counts = conlleval.count_chunks(
        pair for e in examples for pair in [*zip(e.labels, e.labels), None]
    )
    assert dict(counts.gold_by_type) == {"PER": 6600, "LOC": 7140, "ORG": 6321, "MISC": 3438}
