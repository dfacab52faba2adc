"""Learns a WordPiece vocab with tensorflow-text's learner, laid out like Google's BERT vocabs.

Words are counted after the project tokenizer's own normalization and splitting
(bert_tf.tokenization.split_words), so the learned pieces match what Tokenizer will look up;
the learner's BertTokenizer then only re-splits already split words.

Layout (Google's): the first reserved token ([PAD]), up to 99 [unusedN] slots, the other reserved
tokens ([UNK] [CLS] [SEP] [MASK]), the remaining [unusedN] slots, then the learned pieces.
"""

import tensorflow as tf
from tensorflow_text.tools.wordpiece_vocab import bert_vocab_from_dataset

from bert_tf.data_prep.documents import check_text_files
from bert_tf.errors import ConfigError, DataError
from bert_tf.file_io import write_text_atomically
from bert_tf.tokenization import split_words

_UNUSED_BEFORE_RESERVED = 99  # Google's vocabs: [unused0]..[unused98] sit between [PAD] and [UNK]


def vocab_layout(reserved_tokens, num_unused, learned):
    """Reserved tokens, [unusedN] slots and learned pieces in Google's order (learned ones that
    repeat a reserved token are dropped)."""
    unused = [f"[unused{i}]" for i in range(num_unused)]
    head = min(num_unused, _UNUSED_BEFORE_RESERVED)
    special = list(reserved_tokens[:1]) + unused[:head] + list(reserved_tokens[1:]) + unused[head:]
    taken = set(special)
    return special + [t for t in learned if t not in taken]


def learn_vocab(input_files, vocab_size, do_lower_case, reserved_tokens, num_unused):
    """Learns a vocab of about `vocab_size` tokens (reserved and unused ones included).

    Args:
      input_files: text files, one sentence per line.

    Returns:
      list of tokens, id = index.

    Raises:
      ConfigError when vocab_size leaves no room for learned tokens, DataError when the files
      hold no text or one is mostly not UTF-8 (documents.check_text_files).
    """
    specials = list(reserved_tokens) + [f"[unused{i}]" for i in range(num_unused)]
    if vocab_size <= len(specials):
        raise ConfigError(
            f"vocab_size={vocab_size} leaves no room for learned tokens beside "
            f"the {len(specials)} reserved and unused ones"
        )
    check_text_files(input_files)
    # Bytes that are not UTF-8 become U+FFFD, which split_words drops as the tokenizer does.
    lines = (
        tf.data.TextLineDataset(input_files)
        .map(lambda line: tf.strings.unicode_transcode(line, "UTF-8", "UTF-8", errors="replace"))
        .filter(lambda line: tf.strings.length(tf.strings.strip(line)) > 0)
    )
    if next(iter(lines.take(1)), None) is None:
        raise DataError(f"no text to learn a vocabulary from in {', '.join(input_files)}")
    words = lines.batch(1024).map(
        lambda batch: tf.strings.reduce_join(
            split_words(batch, do_lower_case), axis=-1, separator=" "
        )
    )
    learned = bert_vocab_from_dataset.bert_vocab_from_dataset(
        words.unbatch().prefetch(tf.data.AUTOTUNE),
        vocab_size=vocab_size,
        reserved_tokens=specials,
        bert_tokenizer_params={"lower_case": False},
        learn_params={},
    )
    return vocab_layout(reserved_tokens, num_unused, learned)


def write_vocab(tokens, output_file):
    """One token per line, written to a temporary file and renamed."""
    write_text_atomically(output_file, "".join(token + "\n" for token in tokens))
