"""Google's TF1 checkpoint layout: reading, writing, the name table, and errors."""

import pathlib

import numpy as np
import pytest
import tensorflow as tf

from bert_tf.checkpoints import load_tf1_checkpoint, save_tf1_checkpoint, tf1_weight_table
from bert_tf.config import BertConfig
from bert_tf.errors import CheckpointError
from bert_tf.models import BertClassifier, BertEncoder, BertPretrainer, BertSpanLabeler

pytest.importorskip("torch")
pytest.importorskip("transformers")
from tests.checkpoints import hf_reference  # noqa: E402  (needs torch)

SHARED_CHECKPOINTS = (
    pathlib.Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "checkpoints"
)
TINY_REAL = SHARED_CHECKPOINTS / "tf1_random_tiny"
MEDIUM_INDEX = SHARED_CHECKPOINTS / "google_bert_medium_index_only"
POSITIONS = np.array([[1, 4, 9], [2, 3, 6]], np.int32)
TOLERANCE = 1e-4


def _our_config(**overrides):
    values = {k: v for k, v in hf_reference.HF_CONFIG.items() if k != "hidden_act"}
    return BertConfig(**values, hidden_act="gelu", **overrides)


def _our_outputs(pretrainer, batch):
    encoded = pretrainer.encoder(batch)
    heads = pretrainer({**batch, "masked_lm_positions": POSITIONS})
    return [
        np.asarray(x)
        for x in (
            encoded["sequence_output"],
            encoded["pooled_output"],
            heads["mlm_logits"],
            heads["nsp_logits"],
        )
    ]


def _assert_same_outputs(ours, theirs, label):
    for name, a, b in zip(
        ("sequence_output", "pooled_output", "mlm_logits", "nsp_logits"), ours, theirs
    ):
        diff = float(np.max(np.abs(a - b)))
        print(f"{label} max abs diff {name}: {diff:.3g}")
        assert diff <= TOLERANCE, f"{name}: {diff}"


def _index_variables(path):
    """Reads VARIABLES_from_index.txt lines `name dtype=1 [d0, d1] bytes=N` into {name: shape}."""
    shapes = {}
    for line in path.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, rest = line.partition(" dtype=")
        shape = rest[rest.index("[") + 1 : rest.index("]")]
        shapes[name] = tuple(int(d) for d in shape.split(",") if d.strip())
    return shapes


@pytest.fixture(scope="module")
def hf_model():
    return hf_reference.random_hf_model()


@pytest.fixture(scope="module")
def tf1_prefix(hf_model, tmp_path_factory):
    prefix = str(tmp_path_factory.mktemp("tf1") / "bert_model.ckpt")
    return hf_reference.write_tf1_checkpoint(prefix, hf_model)


def test_original_names_with_adam_slots_give_hf_outputs(hf_model, tf1_prefix):
    pretrainer = BertPretrainer(BertEncoder(_our_config()))
    unused = load_tf1_checkpoint(pretrainer, tf1_prefix)
    assert unused == []  # adam_m, adam_v and global_step are not model variables
    batch = hf_reference.padded_two_segment_batch(hf_model.config.vocab_size)
    _assert_same_outputs(
        _our_outputs(pretrainer, batch),
        hf_reference.hf_pretraining_outputs(hf_model, batch, POSITIONS),
        "tf1",
    )


def test_encoder_takes_the_encoder_and_reports_the_heads_unused(tf1_prefix):
    encoder = BertEncoder(_our_config())
    unused = load_tf1_checkpoint(encoder, tf1_prefix)
    assert unused and all(name.startswith("cls/") for name in unused)


def test_export_writes_the_original_names_and_reads_back_identical(tf1_prefix, tmp_path):
    source = BertPretrainer(BertEncoder(_our_config()))
    load_tf1_checkpoint(source, tf1_prefix)
    exported = str(tmp_path / "bert_model.ckpt")
    save_tf1_checkpoint(source, exported)

    written = tf.train.load_checkpoint(exported).get_variable_to_shape_map()
    expected = {name for name, _ in hf_reference.tf1_names_of_hf(2).values()}
    assert set(written) == expected
    original = tf.train.load_checkpoint(tf1_prefix)
    for name in expected:
        np.testing.assert_array_equal(
            tf.train.load_checkpoint(exported).get_tensor(name), original.get_tensor(name)
        )

    # The original code's way in: a TF1 graph of variables under these names, a v1 Saver.
    with tf.Graph().as_default():
        variables = {
            name: tf.compat.v1.get_variable(name, shape) for name, shape in written.items()
        }
        with tf.compat.v1.Session() as session:
            tf.compat.v1.train.Saver(variables).restore(session, exported)
            kernel = session.run(variables["bert/encoder/layer_1/intermediate/dense/kernel"])
    np.testing.assert_array_equal(
        kernel, original.get_tensor("bert/encoder/layer_1/intermediate/dense/kernel")
    )

    restored = BertPretrainer(BertEncoder(_our_config()))
    load_tf1_checkpoint(restored, exported)
    for a, b in zip(source.weights, restored.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_run_classifier_and_run_squad_heads_map_transposed(hf_model, tmp_path):
    rng = np.random.default_rng(3)
    classifier_weights = rng.normal(size=(3, 32)).astype(np.float32)
    squad_weights = rng.normal(size=(2, 32)).astype(np.float32)
    prefix = hf_reference.write_tf1_checkpoint(
        str(tmp_path / "model.ckpt"),
        hf_model,
        extra={
            "output_weights": classifier_weights,
            "output_bias": np.arange(3, dtype=np.float32),
            "cls/squad/output_weights": squad_weights,
            "cls/squad/output_bias": np.array([5.0, 6.0], np.float32),
        },
    )
    classifier = BertClassifier(BertEncoder(_our_config()), num_labels=3)
    load_tf1_checkpoint(classifier, prefix)
    np.testing.assert_array_equal(classifier.classifier.dense.kernel.numpy(), classifier_weights.T)
    np.testing.assert_array_equal(classifier.classifier.dense.bias.numpy(), [0.0, 1.0, 2.0])
    span = BertSpanLabeler(BertEncoder(_our_config()))
    load_tf1_checkpoint(span, prefix)
    np.testing.assert_array_equal(span.span.dense.kernel.numpy(), squad_weights.T)
    np.testing.assert_array_equal(span.span.dense.bias.numpy(), [5.0, 6.0])


def test_missing_head_is_an_error_unless_heads_are_ignored(tf1_prefix):
    classifier = BertClassifier(BertEncoder(_our_config()), num_labels=3)
    fresh_kernel = classifier.classifier.dense.kernel.numpy()
    with pytest.raises(
        CheckpointError, match=r"bert_model\.ckpt: missing variable 'output_weights'"
    ):
        load_tf1_checkpoint(classifier, tf1_prefix)
    load_tf1_checkpoint(classifier, tf1_prefix, heads="ignore")
    np.testing.assert_array_equal(classifier.classifier.dense.kernel.numpy(), fresh_kernel)
    word_embeddings = tf.train.load_checkpoint(tf1_prefix).get_tensor(
        "bert/embeddings/word_embeddings"
    )
    np.testing.assert_array_equal(
        classifier.encoder.embeddings.word_embeddings.numpy(), word_embeddings
    )


def _write(prefix, tensors):
    names = sorted(tensors)
    tf.raw_ops.SaveV2(
        prefix=prefix,
        tensor_names=names,
        shape_and_slices=[""] * len(names),
        tensors=[tensors[n] for n in names],
    )
    return prefix


def test_missing_or_misshaped_variable_names_file_variable_and_shapes(tf1_prefix, tmp_path):
    reader = tf.train.load_checkpoint(tf1_prefix)
    tensors = {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}
    missing = dict(tensors)
    del missing["bert/encoder/layer_1/output/dense/bias"]
    prefix = _write(str(tmp_path / "missing.ckpt"), missing)
    encoder = BertEncoder(_our_config())
    before = encoder.embeddings.word_embeddings.numpy()
    with pytest.raises(
        CheckpointError,
        match=r"missing\.ckpt: missing variable "
        r"'bert/encoder/layer_1/output/dense/bias'.*\[32\]",
    ):
        load_tf1_checkpoint(encoder, prefix)
    # Nothing was assigned: a failed load leaves the model as it was.
    np.testing.assert_array_equal(encoder.embeddings.word_embeddings.numpy(), before)

    misshaped = dict(tensors)
    misshaped["bert/encoder/layer_0/intermediate/dense/kernel"] = np.zeros((32, 50), np.float32)
    prefix = _write(str(tmp_path / "misshaped.ckpt"), misshaped)
    with pytest.raises(
        CheckpointError,
        match=r"misshaped\.ckpt: variable 'bert/encoder/layer_0/"
        r"intermediate/dense/kernel' has shape \[32, 50\], "
        r"the model expects \[32, 48\]",
    ):
        load_tf1_checkpoint(encoder, prefix)


def test_not_a_checkpoint_names_the_path(tmp_path):
    with pytest.raises(CheckpointError, match="nothing.ckpt"):
        load_tf1_checkpoint(BertEncoder(_our_config()), str(tmp_path / "nothing.ckpt"))


@pytest.mark.shared_data
@pytest.mark.skipif(not MEDIUM_INDEX.is_dir(), reason="needs ../shared/data")
def test_name_table_is_exactly_the_google_bert_medium_index():
    expected = {
        name: shape
        for name, shape in _index_variables(MEDIUM_INDEX / "VARIABLES_from_index.txt").items()
        if name != "global_step" and not name.endswith(("/adam_m", "/adam_v"))
    }
    config = BertConfig.from_json_file(str(MEDIUM_INDEX / "bert_config.json"))
    table = tf1_weight_table(BertPretrainer(BertEncoder(config)))
    assert {row.name: row.tf1_shape for row in table} == expected


@pytest.mark.shared_data
@pytest.mark.skipif(not TINY_REAL.is_dir(), reason="needs ../shared/data")
def test_real_tf1_written_checkpoint_matches_hf_loaded_with_the_same_weights():
    prefix = str(TINY_REAL / "bert_model.ckpt")
    config = BertConfig.from_json_file(str(TINY_REAL / "bert_config.json"))
    pretrainer = BertPretrainer(BertEncoder(config))
    assert load_tf1_checkpoint(pretrainer, prefix) == []
    reader = tf.train.load_checkpoint(prefix)
    hf_model = hf_reference.hf_model_from_tf1(
        reader.get_tensor,
        hf_reference.transformers.BertConfig(
            vocab_size=config.vocab_size,
            hidden_size=config.hidden_size,
            num_hidden_layers=config.num_hidden_layers,
            num_attention_heads=config.num_attention_heads,
            intermediate_size=config.intermediate_size,
            hidden_act="gelu_new",
            max_position_embeddings=config.max_position_embeddings,
            type_vocab_size=config.type_vocab_size,
        ),
    )
    batch = hf_reference.padded_two_segment_batch(config.vocab_size)
    _assert_same_outputs(
        _our_outputs(pretrainer, batch),
        hf_reference.hf_pretraining_outputs(hf_model, batch, POSITIONS),
        "real tf1",
    )
