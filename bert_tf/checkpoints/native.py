"""Our own checkpoint format: `tf.train.Checkpoint(model=<model>)`, what `--init_checkpoint` takes."""

import tensorflow as tf
from tensorflow.core.protobuf import trackable_object_graph_pb2

from bert_tf.checkpoints.tf1 import reading
from bert_tf.models import BertEncoder
from bert_tf.models.heads import build_model_for_layers


def _root(model):
    # A bare encoder is saved as `model/encoder/...`, the path every task model uses,
    # so one reader takes the encoder out of any of our checkpoints.
    return tf.train.Checkpoint(encoder=model) if isinstance(model, BertEncoder) else model


def write_checkpoint(model, prefix):
    """Writes `model` (a BertEncoder or a task model) as our checkpoint; returns the written path."""
    return tf.train.Checkpoint(model=_root(model)).write(prefix)


def read_checkpoint(model, path):
    """Restores every weight of `model` from our checkpoint at `path`.

    Raises a CheckpointError naming `path` if the file cannot be read, if a weight has another
    shape (naming the first such variable and both shapes), or if the checkpoint lacks any.
    """
    with reading(path):
        status = tf.train.Checkpoint(model=_root(model)).read(path)
        status.assert_existing_objects_matched().expect_partial()
    return model


def object_shapes(path):
    """Maps each variable's object path (e.g. `model/classifier/dense/_kernel`) to its shape.

    A checkpoint keys each tensor by one path only, the shortest: in a training checkpoint
    that is often `optimizer/_trainable_variables/N`. The object graph it stores knows
    every path, so questions about the model are asked of the graph, not of the keys.
    """
    with reading(path):
        reader = tf.train.load_checkpoint(path)
        shapes = reader.get_variable_to_shape_map()
        graph = trackable_object_graph_pb2.TrackableObjectGraph()
        graph.ParseFromString(reader.get_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"))
    found, stack, seen = {}, [(0, "")], set()
    while stack:
        node_id, prefix = stack.pop()
        node = graph.nodes[node_id]
        for attribute in node.attributes:  # a variable reached by several paths gets each
            if attribute.name == "VARIABLE_VALUE" and attribute.checkpoint_key in shapes:
                found[prefix.rstrip("/")] = shapes[attribute.checkpoint_key]
        if node_id not in seen:
            seen.add(node_id)
            stack.extend((child.node_id, f"{prefix}{child.local_name}/") for child in node.children)
    return found


def build_model_for_checkpoint(config, path):
    """Builds the model whose head our checkpoint at `path` holds (a BertEncoder if none).

    The head is found by its output layer's object path (bert_tf.models.heads).
    """
    shapes = object_shapes(path)

    def output_width(head):
        kernel = shapes.get(f"model/{head.layer}/dense/_kernel")
        return None if kernel is None else kernel[-1]

    return build_model_for_layers(BertEncoder(config), output_width)
