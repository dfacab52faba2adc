"""XLA in exports: the default SavedModel runs no XLA program; --jit_compile's is one.

TF Serving's CPU server runs a function marked for XLA compilation (TensorFlow's
_XlaMustCompile attribute) only when started with --xla_cpu_compilation_enabled, so no
function a signature calls, directly or not, may carry the mark in a default export. The
training kernels' custom gradients (XLA functions) are saved beside, uncalled by the
signatures, so that a gradient through a loaded export still works: it must equal the
Keras model's. The classifier exported by the script with --jit_compile must carry the mark,
and a fresh process that loads it must answer both signatures at several batch sizes, the
empty batch included (each shape is one compilation), as the in-process Keras model does.
"""

import os

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from tests.export.conftest import CLASSIFIER_LABELS, MAX_SEQ_LENGTH, export_script, load_and_call
from tests.export.references import ids_of, pack_rows, single_or_pair
from tests.export.test_serving_signatures import ATOL, TEXTS_A, TEXTS_B, token_id_requests

# Script runs in subprocesses: `make test` runs them, `make test-fast` does not.
pytestmark = pytest.mark.slow


def xla_functions_called(version_dir):
    """Names of the functions that the SavedModel's graph calls, directly or through other
    functions, and that XLA must compile."""
    saved_model = saved_model_pb2.SavedModel()
    with open(os.path.join(version_dir, "saved_model.pb"), "rb") as f:
        saved_model.ParseFromString(f.read())
    graph = saved_model.meta_graphs[0].graph_def
    functions = {function.signature.name: function for function in graph.library.function}

    def callees(nodes):
        return {
            name
            for node in nodes
            for attr in node.attr.values()
            for name in [attr.func.name, *(func.name for func in attr.list.func)]
            if name
        }

    called, pending = set(), callees(graph.node)
    while pending:
        name = pending.pop()
        called.add(name)
        pending |= callees(functions[name].node_def) - called
    return sorted(name for name in called if functions[name].attr["_XlaMustCompile"].b)


def test_a_default_export_calls_no_xla_function_and_its_gradients_equal_keras(
    export_root, models, tokenizer
):
    assert not xla_functions_called(export_root["encoder"])
    import tensorflow_text  # noqa: F401  (the export's text ops, loaded with it)

    loaded = tf.saved_model.load(export_root["encoder"])
    _, _, inputs = token_id_requests(export_root, tokenizer)["encoder_ids"]
    model = models["encoder"]
    with tf.GradientTape(persistent=True) as tape:
        served = loaded.signatures["serve_token_ids"](**inputs)["pooled_output"]
        expected = model(inputs, training=False)["pooled_output"]
        served_loss, expected_loss = tf.reduce_sum(served**2), tf.reduce_sum(expected**2)
    # model_variables is saved as the list model.variables, in its order.
    for served_grad, expected_grad, variable in zip(
        tape.gradient(served_loss, loaded.model_variables),
        tape.gradient(expected_loss, model.variables),
        model.variables,
    ):
        assert (served_grad is None) == (expected_grad is None), variable.path
        if expected_grad is not None:
            np.testing.assert_allclose(
                tf.convert_to_tensor(served_grad),
                tf.convert_to_tensor(expected_grad),
                atol=ATOL,
                err_msg=variable.path,
            )


def test_jit_compiled_classifier_answers_as_keras(
    export_root, models, tokenizer, vocab_file, tmp_path
):
    exports = os.path.dirname(os.path.dirname(export_root["classifier"]))  # conftest's root
    done = export_script(
        tmp_path / "jit",
        f"--init_checkpoint={exports}/ckpt/model.ckpt",
        f"--bert_config_file={exports}/bert_config.json",
        f"--vocab_file={vocab_file}",
        f"--max_seq_length={MAX_SEQ_LENGTH}",
        "--jit_compile",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    version_dir = str(tmp_path / "jit" / "1")
    assert xla_functions_called(version_dir)
    assert not xla_functions_called(export_root["classifier"])

    texts = {"all": (TEXTS_A, TEXTS_B), "one": (TEXTS_A[:1], TEXTS_B[:1]), "none": ([], [])}
    strings = lambda values: np.array(values, dtype=object)  # noqa: E731
    requests = {
        key: (version_dir, "serving_default", {"text_a": strings(a), "text_b": strings(b)})
        for key, (a, b) in texts.items()
    }
    _, _, id_inputs = token_id_requests(export_root, tokenizer)["classifier_ids"]
    requests["ids"] = (version_dir, "serve_token_ids", id_inputs)
    results = load_and_call(tmp_path, requests)
    assert isinstance(results, dict), results.stderr[-3000:]

    assert results["none"]["logits"].shape == (0, len(CLASSIFIER_LABELS))
    for key in ("all", "one"):
        a, b = texts[key]
        inputs = pack_rows(tokenizer, single_or_pair(ids_of(tokenizer, a), ids_of(tokenizer, b)))
        logits = np.asarray(models["classifier"](inputs)["logits"])
        np.testing.assert_allclose(results[key]["logits"], logits, atol=ATOL)
        np.testing.assert_array_equal(results[key]["label_id"], logits.argmax(-1))
    np.testing.assert_allclose(
        results["ids"]["logits"], models["classifier"](id_inputs)["logits"], atol=ATOL
    )
