"""The WordPiece tokenizer of the project, on tensorflow-text, equal to the original BERT tokenizer.

The original (google-research/bert tokenization.py) runs, per text:
  1. _clean_text: drop U+0000, U+FFFD and control characters (Cc/Cf except \\t \\n \\r);
  2. split CJK ideographs into single-character words and split on whitespace;
  3. uncased only: lower-case, NFD, drop combining marks (Mn);
  4. split off punctuation (ASCII 33-47, 58-64, 91-96, 123-126 and Unicode P*);
  5. WordPiece: greedy longest match with "##" continuations; a word longer than
     max_input_chars_per_word characters, or one with an unmatched remainder, becomes [UNK].

Steps 1-4 are regex and ICU ops here, step 5 is tensorflow-text's FastWordpieceTokenizer
(linear-time, same output as the greedy longest match). tensorflow-text's own
BertTokenizer/BasicTokenizer is not used: its lower_case applies NFKC case folding (so "ﬁ" becomes
"fi" and full-width letters become ASCII), which the original does not, and its word length
limit counts bytes where the original counts characters.

Everything runs in-graph, so the same object tokenizes in tf.data, in tf.function and inside an
exported SavedModel (the WordPiece model is a constant tracked by this tf.Module).
"""

import tensorflow as tf
import tensorflow_text as tf_text

from bert_tf.errors import DataError

CLS_TOKEN = "[CLS]"
SEP_TOKEN = "[SEP]"
PAD_TOKEN = "[PAD]"
MASK_TOKEN = "[MASK]"
UNK_TOKEN = "[UNK]"

# Cc minus \t \n \r, all of Cf, and U+FFFD (what a decoder puts for bytes that are not UTF-8).
_DROPPED_CHARS = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\p{Cf}\x{FFFD}]"
# What the original treats as word boundaries after cleaning: " ", \t, \n, \r and Zs, plus the
# line/paragraph separators that Python's str.split() also splits on.
WHITESPACE_PATTERN = r"[\t\n\r\p{Zs}\x{2028}\x{2029}]+"
PUNCTUATION_PATTERN = r"[!-/]|[:-@]|[\[-`]|[{-~]|\p{P}"
CJK_PATTERN = "|".join(
    r"[\x{{{:X}}}-\x{{{:X}}}]".format(*span)
    for span in [
        (0x4E00, 0x9FFF),
        (0x3400, 0x4DBF),
        (0x20000, 0x2A6DF),
        (0x2A700, 0x2B73F),
        (0x2B740, 0x2B81F),
        (0x2B820, 0x2CEAF),
        (0xF900, 0xFAFF),
        (0x2F800, 0x2FA1F),
    ]
)
_SPLIT_OFF = "(" + PUNCTUATION_PATTERN + "|" + CJK_PATTERN + ")"


def load_vocab(vocab_file):
    """Reads a vocab file (one token per line, id = line number) into a list of tokens."""
    if not tf.io.gfile.exists(vocab_file):
        raise FileNotFoundError(f"vocab file not found: {vocab_file}")
    with tf.io.gfile.GFile(vocab_file, "r") as f:
        text = f.read()
    # As the original's load_vocab: one token per line, surrounding whitespace stripped.
    return [line.strip() for line in text.split("\n")[: -1 if text.endswith("\n") else None]]


def split_words(texts, do_lower_case):
    """Normalizes and splits texts into the words WordPiece sees (steps 1-4 of the original).

    Args:
      texts: tf.string Tensor of shape [batch_size].
      do_lower_case: lower-case, NFD and strip accents.

    Returns:
      tf.string RaggedTensor of shape [batch_size, (words)].
    """
    texts = tf.strings.regex_replace(texts, _DROPPED_CHARS, "")
    if do_lower_case:
        texts = tf.strings.lower(texts, encoding="utf-8")
        texts = tf_text.normalize_utf8(texts, "NFD")
        texts = tf.strings.regex_replace(texts, r"\p{Mn}", "")
    # Spacing out punctuation and ideographs, then one whitespace split, is twice as fast as
    # tf_text.regex_split with kept delimiters and gives the same words.
    texts = tf.strings.regex_replace(texts, _SPLIT_OFF, r" \1 ")
    texts = tf.strings.regex_replace(texts, WHITESPACE_PATTERN, " ")
    return tf.strings.split(texts)


class _VocabLookup:
    """Tokens by id and ids by token (the first id of a repeated token)."""

    def __init__(self, tokens):
        self.tokens = tokens
        self.token_to_id = {}
        for i, token in enumerate(tokens):
            self.token_to_id.setdefault(token, i)


class Tokenizer(tf.Module):
    """BERT WordPiece tokenizer with the exact behaviour of the original, on tensorflow-text.

    Args:
      vocab_file: path of the vocab file, one token per line.
      do_lower_case: lower-case, NFD and strip accents (the "uncased" models).
      max_chars_per_token: words longer than this many characters become [UNK]
        (max_input_chars_per_word of the original).

    Example:
      >>> tokenizer = Tokenizer("vocab.txt")
      >>> tokenizer.tokenize("Unaffable!")  # ['un', '##aff', '##able', '!']
      >>> tokenizer.tokenize_ids(tf.constant(["Unaffable!"]))  # int32 RaggedTensor [1, (4)]
    """

    def __init__(self, vocab_file, do_lower_case=True, max_chars_per_token=200, name=None):
        super().__init__(name=name)
        self.vocab_file = vocab_file
        self.do_lower_case = do_lower_case
        self.max_chars_per_token = max_chars_per_token
        # Kept in a plain object: a list or dict attribute of a tf.Module is wrapped for
        # checkpoint tracking, which costs seconds for a 30k-token vocab.
        self._lookup = _VocabLookup(load_vocab(vocab_file))
        self.vocab_size = len(self.vocab)
        missing = [
            t
            for t in (CLS_TOKEN, SEP_TOKEN, MASK_TOKEN, UNK_TOKEN)
            if t not in self._lookup.token_to_id
        ]
        if missing:
            raise DataError(
                f"vocab file {vocab_file} lacks the special token(s) {', '.join(missing)}"
            )
        self.cls_id = self._lookup.token_to_id[CLS_TOKEN]
        self.sep_id = self._lookup.token_to_id[SEP_TOKEN]
        self.mask_id = self._lookup.token_to_id[MASK_TOKEN]
        self.unk_id = self._lookup.token_to_id[UNK_TOKEN]
        # Google's vocabs put [PAD] at id 0; a vocab without it pads with 0 like the original does.
        self.pad_id = self._lookup.token_to_id.get(PAD_TOKEN, 0)
        self._wordpiece = tf_text.FastWordpieceTokenizer(
            vocab=self.vocab,
            suffix_indicator="##",
            # The length limit is applied in characters below; bytes must never cut in first
            # (4 bytes per character at most in UTF-8, plus room for the "##" prefix).
            max_bytes_per_word=4 * max_chars_per_token + 8,
            token_out_type=tf.int32,
            unknown_token=UNK_TOKEN,
            no_pretokenization=True,
        )
        self._tokenize_ids_fn = tf.function(
            self.tokenize_ids, input_signature=[tf.TensorSpec([None], tf.string)]
        )

    @property
    def vocab(self):
        """list of str: the token of each id."""
        return self._lookup.tokens

    def tokenize_ids(self, texts):
        """Tokenizes texts into WordPiece ids, in-graph.

        Args:
          texts: tf.string Tensor of shape [batch_size].

        Returns:
          int32 RaggedTensor of shape [batch_size, (pieces)].
        """
        words = split_words(tf.convert_to_tensor(texts, tf.string), self.do_lower_case)
        word_values = words.flat_values
        too_long = tf.strings.length(word_values, unit="UTF8_CHAR") > self.max_chars_per_token
        word_values = tf.where(too_long, UNK_TOKEN, word_values)
        pieces = self._wordpiece.tokenize(word_values)  # [num_words, (pieces)]
        return tf.RaggedTensor.from_row_splits(
            pieces.values, tf.gather(pieces.row_splits, words.row_splits)
        )

    def tokenize_ids_ragged(self, texts):
        """Python list of texts -> eager int32 RaggedTensor [len(texts), (pieces)], one TF call."""
        return self._tokenize_ids_fn(tf.constant(list(texts), tf.string, shape=[len(texts)]))

    def tokenize_ids_batch(self, texts):
        """Python list of texts -> list of lists of int ids, in one TF call."""
        return self.tokenize_ids_ragged(texts).to_list()

    def tokenize_batch(self, texts):
        """Python list of texts -> list of lists of word pieces, in one TF call."""
        return [self.convert_ids_to_tokens(ids) for ids in self.tokenize_ids_batch(texts)]

    def tokenize(self, text):
        """One text -> list of word pieces."""
        return self.tokenize_batch([text])[0]

    def tokenize_words(self, words):
        """Pieces of each whitespace-separated word, for aligning word labels (SQuAD, NER).

        Each word is tokenized on its own, as the original run_squad.py does per doc token.
        """
        return self.tokenize_batch(words)

    def convert_tokens_to_ids(self, tokens):
        return [self._lookup.token_to_id[token] for token in tokens]

    def convert_ids_to_tokens(self, ids):
        tokens = self._lookup.tokens
        return [tokens[i] for i in ids]


def pack_inputs(segments, max_seq_length, cls_id, sep_id):
    """Packs one or two segments into [CLS] a [SEP] (b [SEP]), truncated and zero padded.

    Truncation is the original _truncate_seq_pair: pop the last token of the longer segment
    (of b on a tie) until the pair fits. That equals a round-robin allocation of the budget
    starting with segment a, which is what tensorflow-text's RoundRobinTrimmer computes.
    A row whose segment b has no tokens is packed as a single segment, as the original
    `if tokens_b:` does, with the budget of max_seq_length - 2.

    Args:
        segments: list of one or two int32 RaggedTensors of shape [batch_size, (tokens)].
        max_seq_length: length of the packed sequences, special tokens included.
        cls_id, sep_id: ids of [CLS] and [SEP].

    Returns:
        dict of int32 Tensors of shape [batch_size, max_seq_length]: input_word_ids,
        input_mask (1 for real tokens), input_type_ids (0 for [CLS] a [SEP], 1 for b [SEP]).
    """
    if len(segments) not in (1, 2):
        raise ValueError(f"pack_inputs takes one or two segments, got {len(segments)}")
    segments = [tf.cast(s, tf.int32) for s in segments]
    packed = _pack(segments, max_seq_length, cls_id, sep_id)
    if len(segments) == 1:
        return packed
    single = _pack(segments[:1], max_seq_length, cls_id, sep_id)
    has_b = (segments[1].row_lengths() > 0)[:, None]
    return {name: tf.where(has_b, packed[name], single[name]) for name in packed}


def _pack(segments, max_seq_length, cls_id, sep_id):
    budget = max_seq_length - 1 - len(segments)
    trimmed = tf_text.RoundRobinTrimmer(max_seq_length=budget).trim(segments)
    word_ids, type_ids = tf_text.combine_segments(
        trimmed, start_of_sequence_id=cls_id, end_of_segment_id=sep_id
    )
    input_word_ids, input_mask = tf_text.pad_model_inputs(word_ids, max_seq_length)
    input_type_ids, _ = tf_text.pad_model_inputs(type_ids, max_seq_length)
    return {
        "input_word_ids": tf.cast(input_word_ids, tf.int32),
        "input_mask": tf.cast(input_mask, tf.int32),
        "input_type_ids": tf.cast(input_type_ids, tf.int32),
    }
