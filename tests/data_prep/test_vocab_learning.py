"""build_vocab: Google's layout, roughly the requested size, loadable by the tokenizer."""

import random

from bert_tf.data_prep import vocab_learning
from bert_tf.tokenization import Tokenizer


def test_learned_vocab_has_google_layout_and_loads(tmp_path):
    rng = random.Random(0)
    stems = ["walk", "talk", "jump", "play", "work", "read", "cook", "paint", "sing", "swim"]
    suffixes = ["", "s", "ed", "ing", "er", "ers"]
    text = tmp_path / "corpus.txt"
    text.write_text(
        "\n".join(
            " ".join(rng.choice(stems) + rng.choice(suffixes) for _ in range(12))
            for _ in range(400)
        )
        + "\n"
    )
    output = tmp_path / "vocab.txt"
    learned = vocab_learning.learn_vocab(
        [str(text)],
        vocab_size=80,
        do_lower_case=True,
        reserved_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
        num_unused=3,
    )
    vocab_learning.write_vocab(learned, str(output))
    tokens = output.read_text().splitlines()
    assert tokens[:8] == [
        "[PAD]",
        "[unused0]",
        "[unused1]",
        "[unused2]",
        "[UNK]",
        "[CLS]",
        "[SEP]",
        "[MASK]",
    ]
    assert len(set(tokens)) == len(tokens)
    assert 40 <= len(tokens) <= 80 + 8
    tokenizer = Tokenizer(str(output))
    assert "[UNK]" not in tokenizer.tokenize("walking painters swim")


def test_bytes_that_are_not_utf8_never_become_a_token(tmp_path):
    # A few bad lines (fewer than half) are kept, their bad bytes dropped as the tokenizer does.
    text = tmp_path / "corpus.txt"
    good = "".join(f"the cat sat on mat number {i % 10} .\n" for i in range(40))
    text.write_bytes(good.encode() + b"caf\xe9 \xff\xfe na\xefve \x80\x81\x82\n" * 10)
    learned = vocab_learning.learn_vocab(
        [str(text)],
        vocab_size=60,
        do_lower_case=True,
        reserved_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
        num_unused=0,
    )
    assert "cat" in learned
    assert not [token for token in learned if "\ufffd" in token]
