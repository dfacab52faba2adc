"""The pretraining example: its features, shared by the record writer (data_prep), the record
reader (bert_tf.inputs) and dynamic masking. No TensorFlow here: data-prep workers import it.

The original create_pretraining_data.py's tf.train.Example features, all int64 but
masked_lm_weights:
    input_ids, input_mask, segment_ids:      [max_seq_length]
    masked_lm_positions, masked_lm_ids,
    masked_lm_weights:                       [max_predictions_per_seq]
    next_sentence_labels:                    [1], 1 when segment B is a random next segment
"""

SEQUENCE = "max_seq_length"
PREDICTIONS = "max_predictions_per_seq"

# name -> (numpy dtype name, length: SEQUENCE, PREDICTIONS or an int)
FEATURES = {
    "input_ids": ("int64", SEQUENCE),
    "input_mask": ("int64", SEQUENCE),
    "segment_ids": ("int64", SEQUENCE),
    "masked_lm_positions": ("int64", PREDICTIONS),
    "masked_lm_ids": ("int64", PREDICTIONS),
    "masked_lm_weights": ("float32", PREDICTIONS),
    "next_sentence_labels": ("int64", 1),
}


def feature_shapes(max_seq_length, max_predictions_per_seq):
    """name -> (dtype name, [length]) of one example."""
    lengths = {SEQUENCE: max_seq_length, PREDICTIONS: max_predictions_per_seq}
    return {
        name: (dtype, [lengths.get(length, length)]) for name, (dtype, length) in FEATURES.items()
    }
