"""Tokenizer parity with Hugging Face's BertTokenizerFast, and pack_inputs against the original
truncation."""

import pathlib
import unicodedata

import numpy as np
import pytest
import tensorflow as tf

from bert_tf.errors import DataError
from bert_tf.tokenization import Tokenizer, pack_inputs
from tests.original_bert import truncate_seq_pair

SHARED_DATA = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "data"

# Covers accents, CJK, ASCII and Unicode punctuation, emoji, control and format characters,
# U+FFFD, non-ASCII spaces, runs of spaces, long words (the limit is 200 characters).
TRICKY_TEXTS = [
    "Hello, World! It's   a    test.",
    "Héllo wörld Ça va? naïve café, Ångström résumé ÉCOLE",
    "北京大学 is in 中国。 漢字とかな、カタカナ 한국어",
    "$5 + 3 = 8; a|b ~c ^d `e` <f> {g} [h] (i) @j #k %l &m *n _o",
    "emoji 🙂🙃 and ✓ ★ ☃ mixed🙂in words",
    "control\x00chars\x07 here\x1b and\u200bzero\u200dwidth\ufeff bom \ufffd replacement",
    "tabs\tand\nnewlines\r\nand\u00a0nbsp\u2003em space\u3000ideographic",
    "«quotes» „low“ ‘single’ — dash – en … ellipsis ¿qué? ¡sí!",
    "a" * 199 + " " + "b" * 200 + " " + "c" * 201 + " " + "é" * 150 + " " + "x" * 500,
    "unaffable unwanted running runner runs",
    "",
    "   ",
]


def write_vocab(tmp_path, tokens, name="vocab.txt"):
    path = tmp_path / name
    path.write_text("".join(t + "\n" for t in tokens), encoding="utf-8")
    return str(path)


def small_vocab(lower):
    words = [
        "hello",
        "world",
        "it",
        "s",
        "a",
        "test",
        "un",
        "##aff",
        "##able",
        "##want",
        "##ed",
        "run",
        "##ning",
        "##ner",
        "##s",
        "na",
        "##ive",
        "cafe",
        "caf",
        "##e",
        "ecole",
        "is",
        "in",
        "北",
        "京",
        "大",
        "学",
        "中",
        "国",
        "漢",
        "字",
        "and",
        "emoji",
        "mixed",
        "words",
        "here",
        "control",
        "chars",
        "zero",
        "width",
        "bom",
        "tabs",
        "newlines",
        "nbsp",
        "em",
        "space",
        "quotes",
        "low",
        "single",
        "dash",
        "en",
        "ellipsis",
        "que",
        "si",
        "x",
        "##x",
        "##xx",
        "##xxxx",
        "##xxxxxxxx",
        "c",
        "##c",
        "b",
        "##b",
        "##bb",
        "##bbbb",
        "e",
        "##é",
        "é",
        "replacement",
        "ideographic",
        "a",
        "##a",
        "##aa",
        "##aaaa",
        "##aaaaaaaa",
    ]
    words += list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~«»„“‘’—–…¿¡。、") + ["5", "3", "8", "🙂"]
    if not lower:
        words += [
            "Hello",
            "World",
            "It",
            "Ça",
            "Ångström",
            "ÉCOLE",
            "café",
            "naïve",
            "wörld",
            "Héllo",
        ]
    return ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + list(dict.fromkeys(words))


def reference_tokenizer(vocab_file, lower):
    """Hugging Face's BERT tokenizer configured like the original (accents follow lower-casing)."""
    transformers = pytest.importorskip("transformers")
    reference = transformers.BertTokenizerFast(
        vocab=vocab_file, do_lower_case=lower, strip_accents=lower
    )
    reference.backend_tokenizer.model.max_input_chars_per_word = 200
    return reference


@pytest.mark.parametrize("lower", [True, False])
def test_ids_equal_huggingface_on_tricky_text(tmp_path, lower):
    vocab_file = write_vocab(tmp_path, small_vocab(lower))
    ours = Tokenizer(vocab_file, do_lower_case=lower)
    reference = reference_tokenizer(vocab_file, lower)
    expected = reference(TRICKY_TEXTS, add_special_tokens=False)["input_ids"]
    assert ours.tokenize_ids_batch(TRICKY_TEXTS) == expected
    assert ours.tokenize(TRICKY_TEXTS[0]) == reference.convert_ids_to_tokens(expected[0])


def test_long_words_become_unk_by_character_count(tmp_path):
    vocab_file = write_vocab(tmp_path, small_vocab(False))
    tokenizer = Tokenizer(vocab_file, do_lower_case=False)
    # 150 two-byte characters are 300 bytes but only 150 characters: not [UNK].
    assert tokenizer.tokenize("é" * 150)[0] == "é"
    assert tokenizer.tokenize("b" * 200) != ["[UNK]"]
    assert tokenizer.tokenize("b" * 201) == ["[UNK]"]
    assert Tokenizer(vocab_file, max_chars_per_token=10).tokenize("b" * 11) == ["[UNK]"]


def test_final_sigma_lowercases_like_python(tmp_path):
    # The original lower-cases with str.lower, which writes a word-final sigma as ς; Hugging Face
    # lower-cases character by character (σ), so this case is checked against Python itself.
    text = "ΟΔΟΣ. Σ"
    words = [unicodedata.normalize("NFD", w.lower()) for w in ["ΟΔΟΣ", ".", "Σ"]]
    vocab_file = write_vocab(tmp_path, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + words)
    assert Tokenizer(vocab_file).tokenize(text) == words


def test_tokenize_words_tokenizes_each_word_alone(tmp_path):
    vocab_file = write_vocab(tmp_path, small_vocab(True))
    tokenizer = Tokenizer(vocab_file)
    assert tokenizer.tokenize_words(["Unaffable", "running!", "北京"]) == [
        ["un", "##aff", "##able"],
        ["run", "##ning", "!"],
        ["北", "京"],
    ]


def test_tokenize_ids_runs_in_graph(tmp_path):
    vocab_file = write_vocab(tmp_path, small_vocab(True))
    tokenizer = Tokenizer(vocab_file)
    fn = tf.function(lambda texts: tokenizer.tokenize_ids(texts).to_tensor())
    ids = fn(tf.constant(["hello world", "unaffable"])).numpy()
    assert ids.dtype == np.int32
    assert tokenizer.convert_ids_to_tokens(ids[1]) == ["un", "##aff", "##able"]


def test_special_token_ids_and_conversions(tmp_path):
    vocab = small_vocab(True)
    tokenizer = Tokenizer(write_vocab(tmp_path, vocab))
    assert (
        tokenizer.pad_id,
        tokenizer.unk_id,
        tokenizer.cls_id,
        tokenizer.sep_id,
        tokenizer.mask_id,
    ) == (0, 1, 2, 3, 4)
    assert tokenizer.convert_tokens_to_ids(["hello", "##aff"]) == [5, vocab.index("##aff")]
    assert tokenizer.convert_ids_to_tokens([5, 1]) == ["hello", "[UNK]"]
    assert tokenizer.vocab_size == len(small_vocab(True))


def test_vocab_missing_special_token_names_file_and_token(tmp_path):
    vocab_file = write_vocab(tmp_path, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello"])
    with pytest.raises(DataError, match=r"vocab\.txt.*\[MASK\]"):
        Tokenizer(vocab_file)


def test_missing_vocab_file_names_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        Tokenizer(str(tmp_path / "nope.txt"))


@pytest.mark.parametrize(
    "len_a,len_b",
    [
        (3, 4),
        (10, 2),
        (2, 10),
        (7, 7),
        (8, 7),
        (7, 8),
        (20, 20),
        (13, 1),
        (1, 13),
        (0, 12),
        (6, 3),
        (5, 0),
        (14, 0),
    ],
)
def test_pack_inputs_truncates_like_original(len_a, len_b):
    """convert_single_example of run_classifier.py: a pair only `if tokens_b:`."""
    max_seq_length = 12
    a = list(range(100, 100 + len_a))
    b = list(range(200, 200 + len_b))
    ta, tb = list(a), list(b)
    if tb:
        truncate_seq_pair(ta, tb, max_seq_length - 3)
        expected_ids = [1] + ta + [2] + tb + [2]
        expected_types = [0] * (len(ta) + 2) + [1] * (len(tb) + 1)
    else:
        ta = ta[: max_seq_length - 2]
        expected_ids = [1] + ta + [2]
        expected_types = [0] * len(expected_ids)
    pad = max_seq_length - len(expected_ids)
    packed = pack_inputs(
        [tf.ragged.constant([a], tf.int32), tf.ragged.constant([b], tf.int32)],
        max_seq_length,
        cls_id=1,
        sep_id=2,
    )
    assert packed["input_word_ids"].numpy()[0].tolist() == expected_ids + [0] * pad
    assert packed["input_type_ids"].numpy()[0].tolist() == expected_types + [0] * pad
    assert packed["input_mask"].numpy()[0].tolist() == [1] * len(expected_ids) + [0] * pad
    assert all(t.dtype == tf.int32 for t in packed.values())


def test_pack_inputs_single_segment_keeps_head():
    packed = pack_inputs(
        [tf.ragged.constant([[5, 6, 7, 8, 9], [5]], tf.int32)], 5, cls_id=1, sep_id=2
    )
    assert packed["input_word_ids"].numpy().tolist() == [[1, 5, 6, 7, 2], [1, 5, 2, 0, 0]]
    assert packed["input_type_ids"].numpy().sum() == 0


def corpus_lines(count):
    lines = []
    for path in sorted((SHARED_DATA / "corpus").rglob("*")):
        if path.is_file() and path.name != "README":
            with open(path, encoding="utf-8", errors="replace") as f:
                lines += [line for _, line in zip(range(count // 4), f) if line.strip()]
    return lines


@pytest.mark.shared_data
@pytest.mark.parametrize(
    "vocab_name,lower", [("bert_uncased_vocab.txt", True), ("bert_cased_vocab.txt", False)]
)
def test_ids_equal_huggingface_on_google_vocabs(vocab_name, lower):
    vocab_file = SHARED_DATA / "vocab" / vocab_name
    if not vocab_file.exists():
        pytest.skip(f"{vocab_file} is absent")
    lines = corpus_lines(400) + TRICKY_TEXTS
    ours = Tokenizer(str(vocab_file), do_lower_case=lower)
    reference = reference_tokenizer(str(vocab_file), lower)
    expected = reference(lines, add_special_tokens=False)["input_ids"]
    got = ours.tokenize_ids_batch(lines)
    mismatches = [(line, g, e) for line, g, e in zip(lines, got, expected) if g != e]
    assert not mismatches, mismatches[:3]
