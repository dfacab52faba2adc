"""Fixtures shared by the task tests: a tiny uncased WordPiece vocab and its Tokenizer."""

import string

import pytest

# Whole words the task tests use, then every letter and digit alone and as a "##" piece, so any
# lower-case ASCII text tokenizes without [UNK] (unknown words fall back to single characters).
TINY_VOCAB_WORDS = (
    "the",
    "a",
    "cat",
    "dog",
    "sat",
    "on",
    "mat",
    "is",
    "was",
    "not",
    "man",
    "woman",
    "he",
    "she",
    "it",
    "and",
    "of",
    "to",
    "in",
    "plane",
    "taking",
    "off",
    "playing",
    "flute",
    "what",
    "who",
    "good",
    "bad",
    "movie",
    "runs",
    "walks",
    "into",
    "room",
    "##s",
    "##ing",
    "##ed",
)


def tiny_vocab_tokens():
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    characters = list(string.ascii_lowercase + string.digits)
    punctuation = list(string.punctuation)
    return (
        specials
        + list(TINY_VOCAB_WORDS)
        + characters
        + punctuation
        + ["##" + c for c in characters]
    )


@pytest.fixture(scope="session")
def tiny_vocab_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("vocab") / "vocab.txt"
    tokens = list(dict.fromkeys(tiny_vocab_tokens()))  # words and letters overlap ("a")
    path.write_text("".join(token + "\n" for token in tokens), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="session")
def tokenizer(tiny_vocab_file):
    from bert_tf.tokenization import Tokenizer

    return Tokenizer(tiny_vocab_file, do_lower_case=True)
