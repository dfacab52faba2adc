"""Per-token (or pooled) encoder features, in the JSON-lines format of the original
extract_features.py.

Input: one example per line, "text_a" or "text_a ||| text_b" (the original's rule, blank
lines included). Output, one JSON object per input line:
  pooling "none": {"linex_index": i, "features": [{"token": "[CLS]", "layers":
                  [{"index": -1, "values": [...]}, ...]}, ...]}, one entry per real token;
  pooling "cls" / "mean": {"linex_index": i, "embedding": [...]}, the [CLS] vector or the
                  mean over the real tokens ([CLS] and [SEP] included) of each requested
                  layer (bert_tf.export.pooling), concatenated in the order of `layers`,
                  then L2-normalized when asked.
Values are rounded to 6 decimals as the original does.
"""

import io
import json
import re

import numpy as np
import tensorflow as tf

from bert_tf.errors import ConfigError, DataError
from bert_tf.export.pooling import POOLING_MODES, normalized, pool
from bert_tf.file_io import atomic_output, read_text
from bert_tf.tokenization import pack_inputs

_PAIR = re.compile(r"^(.*) \|\|\| (.*)$")


def read_examples(input_file):
    """Lines of input_file -> list of (text_a, text_b) with text_b "" for a single text."""
    examples = []
    for line in io.StringIO(read_text(input_file)):
        match = _PAIR.match(line.strip())
        examples.append(match.groups() if match else (line.strip(), ""))
    if not examples:
        raise DataError(f"{input_file}: no lines to extract features from")
    return examples


class FeatureExtractor:
    """Runs the encoder on packed text and returns every layer's output.

    Args:
        encoder: a BertEncoder with its weights.
        tokenizer: the Tokenizer.
        max_seq_length: int, length of the packed sequences.
    """

    def __init__(self, encoder, tokenizer, max_seq_length):
        encoder.config.check_vocab_size(
            tokenizer.vocab_size, tokenizer.vocab_file, "the model's config"
        )
        self.encoder = encoder
        self.tokenizer = tokenizer
        self.max_seq_length = max_seq_length
        self._run = tf.function(
            self._features,
            input_signature=[tf.TensorSpec([None], tf.string), tf.TensorSpec([None], tf.string)],
        )

    def _features(self, text_a, text_b):
        inputs = pack_inputs(
            [self.tokenizer.tokenize_ids(text_a), self.tokenizer.tokenize_ids(text_b)],
            self.max_seq_length,
            self.tokenizer.cls_id,
            self.tokenizer.sep_id,
        )
        outputs = self.encoder(inputs, training=False)
        return (
            inputs["input_word_ids"],
            inputs["input_mask"],
            tf.stack(outputs["encoder_outputs"], axis=0),
        )

    def extract(self, examples):
        """examples: list of (text_a, text_b) -> (input_word_ids [batch, seq] int32,
        input_mask [batch, seq] int32, layers [num_layers, batch, seq, hidden] float32), numpy."""
        text_a = tf.constant([a for a, _ in examples], tf.string, shape=[len(examples)])
        text_b = tf.constant([b for _, b in examples], tf.string, shape=[len(examples)])
        return tuple(t.numpy() for t in self._run(text_a, text_b))


def feature_records(
    extractor, examples, layer_indexes, pooling="none", normalize=False, batch_size=8
):
    """Yields one JSON-ready dict per example (see the module docstring)."""
    if pooling not in POOLING_MODES:
        raise ConfigError(f"pooling must be one of {', '.join(POOLING_MODES)}, got {pooling!r}")
    tokens = extractor.tokenizer.vocab
    for start in range(0, len(examples), batch_size):
        word_ids, mask, layers = extractor.extract(examples[start : start + batch_size])
        num_layers = layers.shape[0]
        for layer_index in layer_indexes:
            if not -num_layers <= layer_index < num_layers:
                raise ConfigError(
                    f"layers: {layer_index} is not a layer of a {num_layers}-layer model"
                )
        if pooling != "none":
            embeddings = np.concatenate(
                [pool(layers[index], mask, pooling).numpy() for index in layer_indexes], axis=-1
            )
            if normalize:
                embeddings = normalized(embeddings).numpy()
        for row in range(word_ids.shape[0]):
            record = {"linex_index": start + row}
            if pooling == "none":
                record["features"] = [
                    {
                        "token": tokens[word_ids[row, position]],
                        "layers": [
                            {"index": index, "values": _rounded(layers[index, row, position])}
                            for index in layer_indexes
                        ],
                    }
                    for position in range(int(mask[row].sum()))
                ]
            else:
                record["embedding"] = _rounded(embeddings[row])
            yield record


def _rounded(values):
    return [round(float(x), 6) for x in values]


def write_json_lines(records, output_file):
    """Writes one JSON object per line, atomically (a temp file beside output_file, then rename)."""
    with atomic_output(output_file) as temp_path:
        with tf.io.gfile.GFile(temp_path, "w") as writer:
            for record in records:
                writer.write(json.dumps(record) + "\n")
