"""Our own checkpoint format: `tf.train.Checkpoint(model=<model>)`, what `--init_checkpoint` takes."""

import tensorflow as tf

from bert_tf.models import BertClassifier, BertEncoder, BertPretrainer, BertSpanLabeler


def _root(model):
    # A bare encoder is saved as `model/encoder/...`, the path every task model uses,
    # so one reader takes the encoder out of any of our checkpoints.
    return tf.train.Checkpoint(encoder=model) if isinstance(model, BertEncoder) else model


def write_checkpoint(model, prefix):
    """Writes `model` (a BertEncoder or a task model) as our checkpoint; returns the written path."""
    return tf.train.Checkpoint(model=_root(model)).write(prefix)


def read_checkpoint(model, path):
    """Restores every weight of `model` from our checkpoint at `path`.

    Raises an AssertionError naming the unmatched objects if the checkpoint lacks any of them.
    """
    status = tf.train.Checkpoint(model=_root(model)).read(path)
    status.assert_existing_objects_matched().expect_partial()
    return model


def build_model_for_checkpoint(config, path):
    """Builds the model whose heads our checkpoint at `path` holds (a BertEncoder if none).

    A `classifier` head gives a BertClassifier; BertTokenClassifier and BertMultipleChoice
    store the same object path and shapes, so they read it too.
    """
    shapes = tf.train.load_checkpoint(path).get_variable_to_shape_map()
    encoder = BertEncoder(config)
    if any(name.startswith("model/masked_lm/") for name in shapes):
        return BertPretrainer(encoder)
    if any(name.startswith("model/span/") for name in shapes):
        return BertSpanLabeler(encoder)
    kernel = "model/classifier/dense/_kernel/.ATTRIBUTES/VARIABLE_VALUE"
    if kernel in shapes:
        return BertClassifier(encoder, num_labels=int(shapes[kernel][-1]))
    return encoder
