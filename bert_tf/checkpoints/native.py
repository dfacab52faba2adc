"""Our checkpoint format: `tf.train.Checkpoint(model=<model>)`, what `--init_checkpoint` takes."""

import re

import tensorflow as tf
from tensorflow.core.protobuf import trackable_object_graph_pb2

from bert_tf.checkpoints.tf1 import reading
from bert_tf.models import BertEncoder
from bert_tf.models.heads import HEADS, build_model_for_layers, head_of

# An encoder's transformer block in our object graph: under `model/encoder/` in a task model's
# checkpoint, under `model/` in a bare encoder's training checkpoint.
ENCODER_LAYER = re.compile(r"^model/(?:encoder/)?transformer_layer_(\d+)/")


def count_layers(names, layer_pattern=ENCODER_LAYER):
    """The number of distinct transformer blocks among `names` (object paths, or TF1 names
    with the pattern `bert/encoder/layer_(\\d+)/`)."""
    return len({match[1] for match in map(layer_pattern.match, names) if match})


def _root(model):
    # A bare encoder is saved as `model/encoder/...`, the path every task model uses,
    # so one reader takes the encoder out of any of our checkpoints.
    return tf.train.Checkpoint(encoder=model) if isinstance(model, BertEncoder) else model


def write_checkpoint(model, prefix):
    """Writes `model` (a BertEncoder or a task model) as our checkpoint; returns its path."""
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


def describe_model(model):
    """`describe_shapes` of a model (a BertEncoder or a task model)."""
    return describe_shapes(model_shapes(model), head_of(model))


def model_shapes(model):
    """What `object_shapes` would find under `model/` in a checkpoint of `model` written as
    the Trainer writes it, `tf.train.Checkpoint(model=model, ...)`, without writing one: each
    variable's object path and shape. (A task model is written so by `write_checkpoint` too.)"""
    root = tf.train.Checkpoint(model=model)
    view = tf.train.TrackableView(root)
    found, stack, seen = {}, [(root, "")], set()
    while stack:
        node, prefix = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        children = view.children(node)
        if not children and hasattr(node, "shape") and hasattr(node, "dtype"):
            found[prefix.rstrip("/")] = list(node.shape)
        stack.extend((child, f"{prefix}{name}/") for name, child in children.items())
    return found


def describe_shapes(shapes, head=None):
    """What a model of these object shapes is, in words, e.g. "a pretrainer (BertPretrainer,
    2 layers, hidden 128)"; the head is named by its output layer (bert_tf.models.heads).

    Args:
        shapes: dict, object path -> shape, as `object_shapes` or `model_shapes` returns.
        head: optional Head row, when the model is known (the rows that share an output
            layer are told apart by nothing a checkpoint holds).
    """
    # A bare encoder is `model/` itself in a training checkpoint, `model/encoder/` in ours.
    words = shapes.get("model/encoder/embeddings/word_embeddings") or shapes.get(
        "model/embeddings/word_embeddings"
    )
    num_layers = count_layers(shapes)
    size = [
        f"{num_layers} layer{'s' * (num_layers != 1)}",
        f"hidden {words[-1]}" if words else "no embeddings",
    ]
    for layer in dict.fromkeys(row.layer for row in HEADS):
        kernel = shapes.get(f"model/{layer}/dense/_kernel")
        if kernel is None:
            continue
        rows = (
            [head] if head and head.layer == layer else [row for row in HEADS if row.layer == layer]
        )
        names = " or ".join(row.model_type for row in rows)
        classes = " or ".join(row.model_class.__name__ for row in rows)
        if any(row.takes_num_labels for row in rows):
            size.insert(0, f"{kernel[-1]} label{'s' * (kernel[-1] != 1)}")
        return f"a {names} ({classes}, {', '.join(size)})"
    return f"an encoder (BertEncoder, no head, {', '.join(size)})"


def model_differences(model, shapes):
    """How the checkpoint of these object shapes differs from `model`: a list of lines naming
    each variable the checkpoint lacks, holds at another shape, or holds besides; [] when it
    holds exactly the model."""
    expected = model_shapes(model)
    differences = []
    for path, shape in sorted(expected.items()):
        if path not in shapes:
            differences.append(f"{path} missing")
        elif list(shapes[path]) != shape:
            differences.append(f"{path} of shape {list(shapes[path])}, not {shape}")
    differences += [
        f"an extra {path}"
        for path in sorted(shapes)
        if path.startswith("model/") and path not in expected
    ]
    return differences


def build_model_for_checkpoint(config, path):
    """Builds the model whose head our checkpoint at `path` holds (a BertEncoder if none).

    The head is found by its output layer's object path (bert_tf.models.heads).
    """
    shapes = object_shapes(path)

    def output_width(head):
        kernel = shapes.get(f"model/{head.layer}/dense/_kernel")
        return None if kernel is None else kernel[-1]

    return build_model_for_layers(BertEncoder(config), output_width)
