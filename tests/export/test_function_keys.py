"""--function_keys: an export of serve_token_ids alone loads and serves without tensorflow-text ops.

A fresh process that never imports tensorflow_text (so none of its ops is registered, as in
a server built without them) loads the token-ids-only exports and must match the Keras
models; the same process fails to load a default export, which holds those ops.
"""

import os

import numpy as np
import pytest

from bert_tf.export import model_export
from tests.export.conftest import EXPORT_OPTIONS, MAX_SEQ_LENGTH, export_script, load_and_call
from tests.export.test_serving_signatures import ATOL, token_id_requests

# Script runs in subprocesses: `make test` runs them, `make test-fast` does not.
pytestmark = pytest.mark.slow

TOKEN_IDS_ONLY = "serve_token_ids:serving_default"


@pytest.fixture(scope="module")
def token_ids_exports(export_root, models, tokenizer, vocab_file, tmp_path_factory):
    """{model type: version dir} of encoder, pretrainer, swag (library) and classifier (script)."""
    root = tmp_path_factory.mktemp("token_ids_only")
    paths = {}
    for model_type in ("encoder", "pretrainer", "swag"):
        module = model_export.make_serving_module(
            model_type, models[model_type], tokenizer, MAX_SEQ_LENGTH, **EXPORT_OPTIONS[model_type]
        )
        paths[model_type] = model_export.export_saved_model(
            module, str(root / model_type), function_keys={"serve_token_ids": "serving_default"}
        )
    exports = os.path.dirname(os.path.dirname(export_root["classifier"]))  # conftest's root
    done = export_script(
        root / "classifier",
        f"--init_checkpoint={exports}/ckpt/model.ckpt",
        f"--bert_config_file={exports}/bert_config.json",
        f"--vocab_file={vocab_file}",
        f"--max_seq_length={MAX_SEQ_LENGTH}",
        f"--function_keys={TOKEN_IDS_ONLY}",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    paths["classifier"] = str(root / "classifier" / "1")
    return paths


def test_token_ids_only_exports_load_without_tensorflow_text(
    token_ids_exports, export_root, models, tokenizer, tmp_path
):
    id_requests = token_id_requests(export_root, tokenizer)
    requests = {
        t: (path, "serving_default", id_requests[f"{t}_ids"][2])
        for t, path in token_ids_exports.items()
    }
    results = load_and_call(tmp_path, requests, "--without_tensorflow_text")
    assert isinstance(results, dict), results.stderr[-3000:]
    assert not results["tensorflow_text_imported"]
    for model_type, (_, _, inputs) in requests.items():
        expected = models[model_type](inputs)
        if model_type == "encoder":
            expected = dict(expected, encoder_outputs=np.stack(expected["encoder_outputs"], axis=1))
        assert sorted(results[model_type]) == sorted(expected)
        for name, value in expected.items():
            np.testing.assert_allclose(results[model_type][name], value, atol=ATOL)
    for path in token_ids_exports.values():
        assert os.path.isfile(os.path.join(path, "assets", "vocab.txt"))
    assert not os.path.exists(os.path.join(token_ids_exports["encoder"], "preprocessing"))


def test_default_export_needs_tensorflow_text(export_root, tokenizer, tmp_path):
    _, _, inputs = token_id_requests(export_root, tokenizer)["classifier_ids"]
    done = load_and_call(
        tmp_path,
        {"c": (export_root["classifier"], "serve_token_ids", inputs)},
        "--without_tensorflow_text",
    )
    assert not isinstance(done, dict), "a default export loaded without tensorflow_text"
    assert "not registered" in done.stderr


@pytest.mark.parametrize(
    "keys, message",
    [
        ("serve_txt:serving_default", "unknown serving function 'serve_txt'"),
        ("serve_text:x,serve_token_ids:x", "two functions share a signature name"),
        ("serve_text,serve_text:other", "serve_text is given twice"),
    ],
)
def test_bad_function_keys_are_named(tmp_path, keys, message):
    done = export_script(
        tmp_path,
        "--init_checkpoint=unused",
        "--bert_config_file=unused",
        "--vocab_file=unused",
        f"--function_keys={keys}",
    )
    assert done.returncode != 0
    assert "--function_keys" in done.stderr and message in done.stderr
