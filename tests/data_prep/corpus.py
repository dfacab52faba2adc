"""A tiny synthetic corpus and vocab for data_prep tests."""

import random

WORDS = [
    "the",
    "cat",
    "sat",
    "on",
    "mat",
    "dog",
    "ran",
    "far",
    "away",
    "from",
    "home",
    "big",
    "small",
    "red",
    "blue",
    "tree",
    "house",
    "river",
    "stone",
    "bird",
]
# Words made of two or three pieces, for whole-word masking.
SPLIT_WORDS = {
    "running": ["run", "##ning"],
    "unhappily": ["un", "##happi", "##ly"],
    "jumped": ["jump", "##ed"],
}
SPECIALS = ["[PAD]", "[unused0]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def vocab_tokens():
    pieces = [p for word in SPLIT_WORDS.values() for p in word]
    return SPECIALS + WORDS + pieces + ["."]


def write_vocab(tmp_path, tokens=None):
    path = tmp_path / "vocab.txt"
    path.write_text("".join(t + "\n" for t in (tokens or vocab_tokens())), encoding="utf-8")
    return str(path)


def write_corpus(tmp_path, num_documents=30, seed=0, name="corpus.txt"):
    """Documents of 1-12 sentences of 3-15 words, blank line between documents."""
    rng = random.Random(seed)
    vocabulary = WORDS + list(SPLIT_WORDS)
    docs = []
    for _ in range(num_documents):
        sentences = [
            " ".join(rng.choice(vocabulary) for _ in range(rng.randint(3, 15))) + " ."
            for _ in range(rng.randint(1, 12))
        ]
        docs.append("\n".join(sentences))
    path = tmp_path / name
    path.write_text("\n\n".join(docs) + "\n", encoding="utf-8")
    return str(path)
