"""Pretraining examples straight from raw text, paired and masked anew every epoch (RoBERTa's
dynamic masking), for corpora that fit in memory.

The text is read and tokenized once. Each epoch then makes create_pretraining_data's pass over
every chunk (the original's packing into pairs, truncation and masking: data_prep.instances) with
the epoch in its seed, so epoch e holds exactly the instances of dupe pass e of
create_pretraining_data run with the same options, and shuffles all of them, as the original
shuffles all its instances before writing. (Records of create_pretraining_data are shuffled only
within a pass over a chunk, so they come chunk after chunk: read in order, a model trains on one
file of the corpus after another.) The examples are the records' (bert_tf.pretraining_features),
mapped to the model's input names as the record reader maps them, so run_pretraining reads either
source the same way.
"""

import itertools

import numpy as np
import tensorflow as tf

from bert_tf import inputs, pretraining_features
from bert_tf.data_prep import chunk_tokenizer, documents, instances, pretraining_data
from bert_tf.errors import InputError

_EXAMPLES_PER_YIELD = 1024


def tokenized_chunks(input_files, options):
    """[(file index, chunk index, documents.TokenizedChunk)] of all files, as
    create_pretraining_data cuts them."""
    tokenize = chunk_tokenizer.ChunkTokenizer(options.vocab_file, options.do_lower_case)
    chunks = []
    for file_index, chunk_index, text in pretraining_data.text_chunks(
        input_files, options.input_chunk_bytes, pretraining_data.Summary()
    ):
        chunk = documents.tokenize_chunk(text, tokenize)
        if chunk.num_documents:
            chunks.append((file_index, chunk_index, chunk))
    if not chunks:
        raise InputError(f"no text to pretrain on in {', '.join(input_files)}")
    return chunks, pretraining_data.vocab_ids(tokenize.tokenizer)


def dynamic_masking_dataset(
    input_files,
    options,
    batch_size,
    is_training,
    input_context=None,
    shuffle_buffer_size=10000,
):
    """Batches of pretraining examples from text files, new pairs and masks each epoch.

    Args:
      input_files: list of text files, one sentence per line, a blank line between documents.
      options: data_prep.pretraining_data.Options (its dupe_factor is not used: epochs repeat).
      batch_size: int, examples per batch (per replica when used with a strategy).
      is_training: bool; training repeats forever (epoch 0, 1, ...), each epoch shuffled as a
        whole; otherwise one pass, epoch 0, in create_pretraining_data's order.
      input_context: optional tf.distribute.InputContext; each input pipeline keeps its share.
      shuffle_buffer_size: int, examples in a shuffle buffer that also mixes consecutive epochs.

    Returns:
      tf.data.Dataset of the dicts bert_tf.inputs.pretraining_dataset returns.
    """
    chunks, vocab = tokenized_chunks(input_files, options)
    shapes = pretraining_features.feature_shapes(
        options.max_seq_length, options.max_predictions_per_seq
    )

    def epoch_features(epoch):
        batches = [
            features
            for file_index, chunk_index, chunk in chunks
            for features, _ in instances.pass_batches(
                chunk, (options.random_seed, file_index, chunk_index, epoch), options, vocab
            )
        ]
        return {
            name: np.concatenate([b[name] for b in batches]).astype(dtype)
            for name, (dtype, _) in shapes.items()
        }

    def generate():
        for epoch in itertools.count() if is_training else [0]:
            features = epoch_features(epoch)
            order = np.arange(len(features["input_ids"]))
            if is_training:
                np.random.default_rng([options.random_seed, epoch]).shuffle(order)
            for begin in range(0, len(order), _EXAMPLES_PER_YIELD):
                rows = order[begin : begin + _EXAMPLES_PER_YIELD]
                yield {name: values[rows] for name, values in features.items()}

    signature = {
        name: tf.TensorSpec([None] + shape, dtype) for name, (dtype, shape) in shapes.items()
    }
    dataset = tf.data.Dataset.from_generator(generate, output_signature=signature).unbatch()
    if input_context and input_context.num_input_pipelines > 1:
        dataset = dataset.shard(input_context.num_input_pipelines, input_context.input_pipeline_id)
    if is_training:
        dataset = dataset.shuffle(shuffle_buffer_size, seed=options.random_seed)
    dataset = dataset.map(inputs.to_model_inputs, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
