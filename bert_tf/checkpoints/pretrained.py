"""One entry point for every `--init_checkpoint`: ours, Google's TF1 layout, or Hugging Face;
and the one decision of where a run starts."""

import os
import re

import tensorflow as tf
from absl import logging
from tensorflow.python.checkpoint import checkpoint_management

from bert_tf.checkpoints import huggingface, native, tf1
from bert_tf.errors import CheckpointError
from bert_tf.models import BertEncoder, head_of

# The encoder's transformer blocks in the TF1 names that Hugging Face names are renamed into
# (ours: native.ENCODER_LAYER).
_TF1_LAYER = re.compile(r"^bert/encoder/layer_(\d+)/")


def checkpoint_format(path):
    """Returns ("ours" | "tf1" | "huggingface", resolved path) for a checkpoint path.

    Args:
        path: our checkpoint prefix or a directory of them (the latest is taken), a TF1
            `bert_model.ckpt` prefix, or a Hugging Face directory or weights file.
    """
    if os.path.isdir(path) and tf.train.latest_checkpoint(path):
        return "ours", tf.train.latest_checkpoint(path)
    if os.path.isdir(path) or path.endswith((".safetensors", ".bin")):
        return "huggingface", path
    if tf.io.gfile.exists(path + ".index"):
        with tf1.reading(path):
            names = tf.train.load_checkpoint(path).get_variable_to_shape_map()
        return ("tf1" if any(name.startswith("bert/") for name in names) else "ours"), path
    raise CheckpointError(
        f"{path}: not a checkpoint (no {path}.index), nor a Hugging Face directory or weights file"
    )


def _check_depth(model, source, names, layer_pattern):
    """Refuses a checkpoint whose encoder has another number of transformer blocks than `model`.

    Loading by name would otherwise take the first blocks of a deeper checkpoint and silently
    drop the rest, and fail on a shallower one's first missing weight without saying why.
    """
    encoder = model if isinstance(model, BertEncoder) else model.encoder
    found = native.count_layers(names, layer_pattern)
    expected = encoder.config.num_hidden_layers
    if found != expected:
        raise CheckpointError(
            f"{source}: the checkpoint's encoder has {found} layers, the model "
            f"(num_hidden_layers in its config) has {expected}"
        )


def _check_head(model, path, shapes):
    """Refuses our checkpoint at `path` when it lacks the head of `model` (a task model).

    Restoring would otherwise fail with TensorFlow's "Python objects not bound", which names
    neither the head nor what the checkpoint holds.
    """
    head = head_of(model)
    if head is None:
        return
    missing = {
        name.split("/")[1]
        for name in native.model_shapes(model)
        if name not in shapes and not name.startswith("model/encoder/")
    }
    if missing:
        raise CheckpointError(
            f"{path}: no {head.model_type} head ({', '.join(sorted(missing))} of "
            f"{head.model_class.__name__}) in this checkpoint, which holds "
            f"{native.describe_shapes(shapes)}; the checkpoints of a run that trains a "
            f"{head.model_type} model have it"
        )


def load_pretrained(model, path, heads="require"):
    """Loads weights into `model` from a checkpoint in any of the three formats.

    Args:
        model: a BertEncoder or a task model holding one (see bert_tf.models).
        path: see `checkpoint_format`.
        heads: "require" loads the model's heads too (and fails when they are absent);
            "ignore" loads the encoder only, for fine-tuning with fresh heads.

    Raises:
        CheckpointError naming the path and what is missing, damaged or of another shape,
        the two layer counts when the checkpoint's encoder is of another depth, or the
        missing head and what the checkpoint holds instead.
    """
    kind, path = checkpoint_format(path)
    if kind == "ours":
        shapes = native.object_shapes(path)
        _check_depth(model, path, shapes, native.ENCODER_LAYER)
        target = model if heads == "require" or isinstance(model, BertEncoder) else model.encoder
        _check_head(target, path, shapes)
        native.read_checkpoint(target, path)
    else:
        tensors = (
            tf1.open_tf1_checkpoint(path)
            if kind == "tf1"
            else huggingface.open_huggingface_weights(path)
        )
        _check_depth(model, tensors.source, tensors.shapes, _TF1_LAYER)
        tf1.assign_tf1_weights(model, tensors, heads)
    logging.info(
        "Loaded %s (%s format%s) into %s",
        path,
        kind,
        ", encoder only" if heads == "ignore" else "",
        type(model).__name__,
    )


def _index_reads(path):
    try:
        with tf1.reading(path):
            tf.train.load_checkpoint(path)
        return True
    except CheckpointError:
        return False


def _one_line(error):
    return " ".join(str(error.__cause__ or error).split())


def _rewrite_state(output_dir, state, kept):
    """Writes output_dir's `checkpoint` file as CheckpointManager does: kept[-1] the latest.

    Older checkpoints stay listed (for max_to_keep) if their index reads; a later run resumes
    from one of them only if it restores.
    """
    paths, timestamps = state.all_model_checkpoint_paths, state.all_model_checkpoint_timestamps
    stamped = dict(zip(paths, timestamps)) if len(paths) == len(timestamps) else {}
    kept = [path for path in kept[:-1] if _index_reads(path)] + kept[-1:]
    checkpoint_management.update_checkpoint_state_internal(
        output_dir,
        kept[-1],
        all_model_checkpoint_paths=kept,
        save_relative_paths=True,
        all_model_checkpoint_timestamps=[stamped[path] for path in kept] if stamped else None,
        last_preserved_timestamp=state.last_preserved_timestamp,
    )


def _check_same_model(model, output_dir, shapes):
    """Refuses to resume `model` from a checkpoint of output_dir (its `native.object_shapes`)
    that holds another model: a run of another size, or of another task, given the same
    output_dir."""
    differences = native.model_differences(model, shapes)
    if not differences:
        return
    held = native.describe_shapes(shapes)
    wanted = native.describe_model(model)
    if native.describe_shapes(shapes, head_of(model)) == wanted:  # differing in what words omit
        held = f"{held} with {differences[0]}"
    raise CheckpointError(
        f"{output_dir}: its checkpoints hold {held}; this run trains {wanted} "
        "— use another output_dir"
    )


def resume_or_initialize(model, output_dir, init_checkpoint=None, heads="require", checkpoint=None):
    """The one decision every script makes before training, evaluating or predicting.

    A run whose output_dir holds a checkpoint continues from the newest one it can restore, and
    restores it here: the restore is the check, so the file is read once. A newer one that
    cannot be read (a run killed while the file system was writing it, a damaged disk, files
    deleted by hand: a missing file, a short one, or bytes that fail the checksums TensorFlow
    stores for every tensor) is skipped with one warning line naming it. The `checkpoint` state
    file is then rewritten to name the chosen one as the latest, after the older ones whose
    index still reads, so that tf.train.CheckpointManager (its max_to_keep list,
    `latest_checkpoint`), the preemption handler and later runs all see the same choice. The
    skipped files stay on disk, listed nowhere; a later save at their step replaces them.

    Only a fresh run reads init_checkpoint, in any of the three formats.

    Args:
        model: see `load_pretrained`.
        output_dir: str, the run's checkpoint directory.
        init_checkpoint: optional str, see `checkpoint_format`.
        heads: see `load_pretrained`; fine-tuning passes "ignore" (fresh task heads).
        checkpoint: optional tf.train.Checkpoint with `model` as its `model`: what the run
            restores, as it saves it (the Trainer's: the optimizer state and the step too),
            every one of its objects found in the file. None: the weights alone, for an
            evaluation or a prediction, which then needs only them to read.

    Returns:
        str, the checkpoint of output_dir restored, which its `checkpoint` state file now
        names as the latest, or None (init_checkpoint, if any, was loaded into model).

    Raises:
        CheckpointError when output_dir has checkpoints and none of them can be read, or when
        they hold another model (another head or size).
        AssertionError when the checkpoint read lacks one of `checkpoint`'s objects (the
        slots of another optimizer).
    """
    checkpoint = checkpoint or tf.train.Checkpoint(model=model)
    state = tf.train.get_checkpoint_state(output_dir)
    saved = list(state.all_model_checkpoint_paths) if state else []
    skipped = []
    for path in reversed(saved):
        try:
            shapes = native.object_shapes(path)  # its index
        except CheckpointError as error:
            skipped.append((path, error))
            continue
        _check_same_model(model, output_dir, shapes)
        try:
            status = checkpoint.restore(path)
        except tf.errors.OpError as error:  # its data
            skipped.append((path, error))
            continue
        status.assert_existing_objects_matched().expect_partial()
        for damaged, error in skipped:
            logging.warning(
                "Not resuming from %s, which cannot be read (%s); resuming from %s, "
                "the newest checkpoint that can",
                damaged,
                _one_line(error),
                path,
            )
        if skipped:
            _rewrite_state(output_dir, state, saved[: saved.index(path) + 1])
        return path
    if saved:
        raise CheckpointError(
            f"{output_dir}: none of its checkpoints ({', '.join(saved)}) "
            "can be read; move them away to start afresh"
        )
    if init_checkpoint:
        load_pretrained(model, init_checkpoint, heads)
    return None
