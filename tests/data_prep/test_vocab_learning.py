"""build_vocab: Google's layout, roughly the requested size, loadable by the tokenizer."""

import random

from bert_tf.tokenization import Tokenizer
from data_prep import vocab_learning


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
