"""--jit_compile: the exported model is an XLA program and answers as the Keras model.

The classifier is exported by the script with --jit_compile from the session's checkpoint;
the SavedModel must mark a function for XLA compilation (TensorFlow's _XlaMustCompile
attribute, what TF Serving's --xla_cpu_compilation_enabled is for), and a fresh process
that loads it must answer both signatures at several batch sizes, the empty batch
included (each shape is one compilation), as the in-process Keras model does.
"""

import os

import numpy as np
from tensorflow.core.protobuf import saved_model_pb2

from tests.export.conftest import (CLASSIFIER_LABELS, MAX_SEQ_LENGTH, export_script,
                                   load_and_call)
from tests.export.references import ids_of, pack_rows, single_or_pair
from tests.export.test_serving_signatures import ATOL, TEXTS_A, TEXTS_B, token_id_requests


def xla_functions(version_dir):
    """Names of the SavedModel's graph functions that must be compiled by XLA."""
    saved_model = saved_model_pb2.SavedModel()
    with open(os.path.join(version_dir, "saved_model.pb"), "rb") as f:
        saved_model.ParseFromString(f.read())
    return [function.signature.name
            for function in saved_model.meta_graphs[0].graph_def.library.function
            if function.attr["_XlaMustCompile"].b]


def test_jit_compiled_classifier_answers_as_keras(export_root, models, tokenizer, vocab_file,
                                                  tmp_path):
    exports = os.path.dirname(os.path.dirname(export_root["classifier"]))  # conftest's root
    done = export_script(tmp_path / "jit", f"--init_checkpoint={exports}/ckpt/model.ckpt",
                         f"--bert_config_file={exports}/bert_config.json",
                         f"--vocab_file={vocab_file}", f"--max_seq_length={MAX_SEQ_LENGTH}",
                         "--jit_compile")
    assert done.returncode == 0, done.stderr[-3000:]
    version_dir = str(tmp_path / "jit" / "1")
    assert xla_functions(version_dir)
    assert not xla_functions(export_root["classifier"])

    texts = {"all": (TEXTS_A, TEXTS_B), "one": (TEXTS_A[:1], TEXTS_B[:1]), "none": ([], [])}
    strings = lambda values: np.array(values, dtype=object)  # noqa: E731
    requests = {key: (version_dir, "serving_default", {"text_a": strings(a), "text_b": strings(b)})
                for key, (a, b) in texts.items()}
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
    np.testing.assert_allclose(results["ids"]["logits"],
                               models["classifier"](id_inputs)["logits"], atol=ATOL)
