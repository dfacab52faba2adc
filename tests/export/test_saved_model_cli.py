"""`saved_model_cli show --all` lists each signature with its input names and dtypes."""

import os
import re
import subprocess
import sys

import pytest

from tests.export.conftest import python_env


@pytest.mark.slow
def test_saved_model_cli_lists_signatures(export_root):
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    done = subprocess.run(
        [cli, "show", "--dir", export_root["classifier"], "--all"],
        env=python_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    signatures = re.split(r"signature_def\['", done.stdout)
    by_name = {block.split("'")[0]: block for block in signatures[1:]}
    serving = by_name["serving_default"].split("output(s):")
    assert re.search(
        r"inputs\['text_a'\] tensor_info:\s+dtype: DT_STRING\s+shape: \(-1\)", serving[0]
    )
    assert re.search(r"inputs\['text_b'\] tensor_info:\s+dtype: DT_STRING", serving[0])
    for output, dtype in [
        ("label", "DT_STRING"),
        ("label_id", "DT_INT32"),
        ("probabilities", "DT_FLOAT"),
        ("logits", "DT_FLOAT"),
    ]:
        assert re.search(rf"outputs\['{output}'\] tensor_info:\s+dtype: {dtype}", serving[1])
    token_ids = by_name["serve_token_ids"].split("output(s):")[0]
    for name in ("input_word_ids", "input_mask", "input_type_ids"):
        assert re.search(
            rf"inputs\['{name}'\] tensor_info:\s+dtype: DT_INT32\s+shape: \(-1, -1\)", token_ids
        )
