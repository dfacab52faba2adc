"""Running the project's scripts from a recipe or a benchmark: one process each, logged."""

import os
import subprocess
import sys

from absl import logging

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_module(args, log_path, env=None):
    """Runs `python -m args...` from the repository root, its output appended to log_path.

    Args:
        args: list of str, the module and its flags.
        log_path: str, the log file (its directory is created).
        env: optional dict, the process's environment (default: this one's).

    Raises:
        RuntimeError naming the module and the log when it exits with a non-zero status.
    """
    command = [sys.executable, "-m", *args]
    logging.info("%s", " ".join(command))
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    with open(log_path, "a", encoding="utf-8") as log:
        result = subprocess.run(
            command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, check=False, env=env
        )
    if result.returncode:
        raise RuntimeError(f"{args[0]} failed (exit {result.returncode}); see {log_path}")
