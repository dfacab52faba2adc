"""tf.data readers for the pretraining TFRecords of `create_pretraining_data.py`.

Each record holds the features of bert_tf.pretraining_features. Model Garden writes
`input_word_ids` / `input_type_ids` instead of `input_ids` / `segment_ids`; both
spellings are read and mapped to the model's input names.
"""

import os

import tensorflow as tf

from bert_tf import pretraining_features
from bert_tf.errors import InputError

# Record feature name -> model input name, for the two spellings in use.
_ORIGINAL_NAMES = {"input_ids": "input_word_ids", "segment_ids": "input_type_ids"}
_MODEL_GARDEN_NAMES = {"input_word_ids": "input_word_ids", "input_type_ids": "input_type_ids"}


# Records whose ids are checked against vocab_size before training, from each file's start;
# the rest are checked as they are read (the check costs a reduce over each example's ids).
_RECORDS_CHECKED_FIRST = 100


def _hidden(path):
    return os.path.basename(path.rstrip("/")).startswith(".")


def list_input_files(input_pattern):
    """Expands a comma-separated list of glob patterns into a sorted list of files.

    Hidden names (a leading '.') are left out: tf.io.gfile.glob's `*` matches them, and they
    are the temporary files of a write in progress or of one that was killed
    (bert_tf.file_io.temporary_path).

    Raises InputError naming the pattern when it matches nothing.
    """
    files = []
    for pattern in input_pattern.split(","):
        pattern = pattern.strip()
        if not pattern:
            continue
        matched = [path for path in tf.io.gfile.glob(pattern) if not _hidden(path)]
        if not matched:
            raise InputError(f"input_file pattern {pattern!r} matches no files")
        files.extend(matched)
    if not files:
        raise InputError(f"input_file {input_pattern!r} names no files")
    return sorted(set(files))


def _first_example(path):
    try:
        for record in tf.data.TFRecordDataset(path).take(1):
            return tf.train.Example.FromString(record.numpy())
    except tf.errors.DataLossError:
        raise InputError(
            f"{path}: not a TFRecord file (raw text takes input_format=text)"
        ) from None
    raise InputError(f"{path} holds no records")


def find_damaged_record(files):
    """Reads every record of `files`, to name the one a tf.data DataLossError came from.

    Returns:
        an InputError naming the first file and record that cannot be read, or None.
    """
    for path in files:
        count = 0
        try:
            for _ in tf.data.TFRecordDataset(path):
                count += 1
        except tf.errors.DataLossError as error:
            return InputError(
                f"{path}: record {count + 1} is truncated or damaged ({error.message})"
            )
    return None


def _ids_out_of_range(path, number, example, vocab_size):
    """An InputError naming the record's first token id outside [0, vocab_size), or None."""
    features = example.features.feature
    for name in ("input_ids", "input_word_ids", "masked_lm_ids"):
        values = features[name].int64_list.value if name in features else ()
        bad = [value for value in values if not 0 <= value < vocab_size]
        if bad:
            value = max(bad, key=abs)
            cause = (
                "a negative id"
                if value < 0
                else "the records were made with a larger vocab than the model's config has"
            )
            return InputError(
                f"{path}: record {number} has {name} {value}, outside the "
                f"config's vocab_size={vocab_size} ({cause})"
            )
    return None


def find_ids_out_of_range(files, vocab_size, max_records=None):
    """Reads the records of `files` (the first `max_records` of each, or all) for token ids
    that the model's embedding table of vocab_size rows does not have.

    Returns:
        an InputError naming the first file, record, feature and id out of range, or None.
    """
    for path in files:
        dataset = tf.data.TFRecordDataset(path)
        if max_records is not None:
            dataset = dataset.take(max_records)
        for number, record in enumerate(dataset, 1):
            error = _ids_out_of_range(
                path, number, tf.train.Example.FromString(record.numpy()), vocab_size
            )
            if error:
                return error
    return None


def _feature_length(example, name):
    feature = example.features.feature[name]
    return len(feature.int64_list.value) or len(feature.float_list.value)


def check_record_shapes(path, max_seq_length, max_predictions_per_seq):
    """Checks the first record of `path` against the flags; returns its id-name mapping.

    Returns:
        dict record feature name -> model input name for the token and segment ids.

    Raises:
        InputError naming the file and the setting the record disagrees with.
    """
    example = _first_example(path)
    keys = set(example.features.feature.keys())
    if "input_ids" in keys:
        names = _ORIGINAL_NAMES
    elif "input_word_ids" in keys:
        names = _MODEL_GARDEN_NAMES
    else:
        raise InputError(
            f"records in {path} have neither input_ids nor input_word_ids "
            f"(features: {sorted(keys)})"
        )
    ids_name = next(iter(names))
    seq_length = _feature_length(example, ids_name)
    if seq_length != max_seq_length:
        raise InputError(
            f"records in {path} have max_seq_length={seq_length} "
            f"but max_seq_length={max_seq_length} was given"
        )
    num_predictions = _feature_length(example, "masked_lm_positions")
    if num_predictions != max_predictions_per_seq:
        raise InputError(
            f"records in {path} have max_predictions_per_seq={num_predictions} "
            f"but max_predictions_per_seq={max_predictions_per_seq} was given"
        )
    return names


def to_model_inputs(features, names=_ORIGINAL_NAMES):
    """One example's features (record names, int64) -> the model's names, int32 ids and a
    scalar next_sentence_labels."""
    # int64 is what tf.train.Example stores; the model and TPUs want int32.
    inputs = {
        names.get(key, key): (value if value.dtype == tf.float32 else tf.cast(value, tf.int32))
        for key, value in features.items()
    }
    inputs["next_sentence_labels"] = inputs["next_sentence_labels"][0]
    return inputs


# What the decoder's check of the ids says, for run_pretraining to find the record it means.
IDS_OUT_OF_RANGE = "token ids outside [0, vocab_size)"


def _decoder(names, max_seq_length, max_predictions_per_seq, vocab_size=None):
    ids_name, type_ids_name = names  # the records' spelling of input_ids and segment_ids
    spelling = {"input_ids": ids_name, "segment_ids": type_ids_name}
    spec = {
        spelling.get(name, name): tf.io.FixedLenFeature(shape, tf.as_dtype(dtype))
        for name, (dtype, shape) in pretraining_features.feature_shapes(
            max_seq_length, max_predictions_per_seq
        ).items()
    }

    def decode(record):
        features = tf.io.parse_single_example(record, spec)
        if vocab_size is not None:
            # Past the table, a gather fails on CPU but reads zeros on GPU and under XLA, and
            # the masked LM loss of such a label is NaN: name the cause instead.
            ids = tf.concat([features[ids_name], features["masked_lm_ids"]], axis=0)
            check = tf.debugging.Assert(
                tf.logical_and(tf.reduce_min(ids) >= 0, tf.reduce_max(ids) < vocab_size),
                [IDS_OUT_OF_RANGE, vocab_size],
            )
            with tf.control_dependencies([check]):
                features = {key: tf.identity(value) for key, value in features.items()}
        return to_model_inputs(features, names)

    return decode


def pretraining_dataset(
    input_pattern,
    max_seq_length,
    max_predictions_per_seq,
    batch_size,
    is_training,
    input_context=None,
    shuffle=None,
    seed=None,
    vocab_size=None,
):
    """Builds the (per-replica) batched dataset of pretraining examples.

    Args:
        input_pattern: str, comma-separated glob patterns of TFRecord files.
        max_seq_length, max_predictions_per_seq: int, the lengths the records must have.
        batch_size: int, examples per batch (per replica when used with a strategy).
        is_training: bool; training repeats forever and reads files in parallel.
        input_context: optional tf.distribute.InputContext; with several input
            pipelines each reads its own shard of the files (of the records when
            there are fewer files than pipelines).
        shuffle: bool, whether to shuffle; defaults to `is_training`.
        seed: optional int seed for the shuffles.
        vocab_size: optional int, the rows of the model's embedding table: the first records
            of each file are checked before reading (an InputError names the file, record and
            id), and every example as it is read (tf.errors.InvalidArgumentError whose
            message holds IDS_OUT_OF_RANGE; find_ids_out_of_range names the record).

    Returns:
        tf.data.Dataset of dicts: `input_word_ids`, `input_mask`, `input_type_ids`
        (int32 [batch_size, max_seq_length]), `masked_lm_positions`, `masked_lm_ids`
        (int32 [batch_size, max_predictions_per_seq]), `masked_lm_weights` (float32
        [batch_size, max_predictions_per_seq]) and `next_sentence_labels` (int32
        [batch_size]). Batches are always full (drop_remainder), as the original's
        input_fn makes them for TPUs; evaluation therefore skips a final partial batch.
    """
    shuffle = is_training if shuffle is None else shuffle
    files = list_input_files(input_pattern)
    names = None
    for path in files:
        names = check_record_shapes(path, max_seq_length, max_predictions_per_seq)
    if vocab_size is not None:
        error = find_ids_out_of_range(files, vocab_size, _RECORDS_CHECKED_FIRST)
        if error:
            raise error
    dataset = tf.data.Dataset.from_tensor_slices(files)
    num_pipelines = input_context.num_input_pipelines if input_context else 1
    shard_files = num_pipelines > 1 and len(files) >= num_pipelines
    if shard_files:
        dataset = dataset.shard(num_pipelines, input_context.input_pipeline_id)
    if is_training:
        dataset = dataset.repeat()
    if shuffle:
        dataset = dataset.shuffle(len(files), seed=seed)
    # Reading several files at once mixes documents from different shards, which
    # the original does with parallel_interleave for the same reason.
    dataset = dataset.interleave(
        tf.data.TFRecordDataset,
        cycle_length=min(len(files), 8) if shuffle else 1,
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=not shuffle,
    )
    if num_pipelines > 1 and not shard_files:
        dataset = dataset.shard(num_pipelines, input_context.input_pipeline_id)
    if shuffle:
        dataset = dataset.shuffle(100, seed=seed)
    dataset = dataset.map(
        _decoder(names, max_seq_length, max_predictions_per_seq, vocab_size),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    dataset = dataset.batch(batch_size, drop_remainder=True)
    return dataset.prefetch(tf.data.AUTOTUNE)
