"""The package is a library: importing it changes nothing in the process, data-prep workers load
no TensorFlow, and each option is defined once, on its dataclass, with the flags derived."""

import dataclasses
import os
import re
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _python(code, *args):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("TF_CPP_MIN_LOG_LEVEL", "KERAS_BACKEND")
    }
    env["PYTHONPATH"] = REPO
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.slow
def test_importing_the_library_changes_no_environment_descriptor_or_flag():
    code = """
import os, sys
from absl import flags
import keras, tensorflow  # what TensorFlow itself sets on import (TF2_BEHAVIOR, ...) is not ours
stderr, environ, defined = os.readlink("/proc/self/fd/2"), dict(os.environ), set(flags.FLAGS)
import bert_tf, bert_tf.models, bert_tf.training.finetuning, bert_tf.export.model_export
import bert_tf.tasks.squad, bert_tf.data_prep.pretraining_data
print(os.environ.get("TF_CPP_MIN_LOG_LEVEL"))
assert os.readlink("/proc/self/fd/2") == stderr, "fd 2 was redirected"
assert dict(os.environ) == environ, set(os.environ.items()) ^ set(environ.items())
assert set(flags.FLAGS) == defined, set(flags.FLAGS) - defined
"""
    # -v would have made the old package root keep TensorFlow's lines: argv is not read.
    result = _python(code, "-v")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "None"
    assert "oneDNN" in result.stderr  # TensorFlow's own start-up lines are not hidden


@pytest.mark.slow
@pytest.mark.parametrize(
    "module",
    [
        "bert_tf.pretraining_features",
        "bert_tf.options",
        "bert_tf.errors",
        "bert_tf.data_prep.instances",
    ],
)
def test_pure_python_modules_of_data_prep_workers_load_no_tensorflow(module):
    result = _python(f"import sys, {module}; print('tensorflow' in sys.modules)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.mark.slow
def test_a_data_prep_worker_process_reimporting_its_script_loads_no_tensorflow():
    # A spawned worker re-imports create_pretraining_data, with the parent's environment.
    code = (
        "import os, sys; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'; sys.argv = ['x']; "
        "import bert_tf.data_prep.create_pretraining_data; print('tensorflow' in sys.modules)"
    )
    result = _python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.mark.slow
def test_a_script_starts_without_tensorflow_start_up_lines_and_keeps_other_stderr():
    code = (
        "import os, sys; sys.argv = ['x']; from bert_tf import cli; "
        "os.write(2, b'still here\\n'); print(os.environ['TF_CPP_MIN_LOG_LEVEL'])"
    )
    result = _python(code)
    assert result.returncode == 0, result.stderr
    assert "oneDNN" not in result.stderr and "cudart" not in result.stderr, result.stderr
    assert result.stderr.strip() == "still here" and result.stdout.strip() == "3"


def _option_classes():
    from bert_tf.data_prep.pretraining_data import Options as DataPrepOptions
    from bert_tf.options import Options, TextOptions
    from bert_tf.tasks.squad import SquadOptions
    from bert_tf.training.finetuning import FinetuningOptions
    from bert_tf.training.pretraining import PretrainingOptions

    classes = (TextOptions, SquadOptions, FinetuningOptions, PretrainingOptions, DataPrepOptions)
    assert all(issubclass(c, Options) for c in classes)
    return classes


def _sources():
    for top in ("bert_tf", "data_prep"):
        for directory, _, names in os.walk(os.path.join(REPO, top)):
            for name in names:
                if name.endswith(".py"):
                    with open(os.path.join(directory, name), encoding="utf-8") as f:
                        yield os.path.relpath(os.path.join(directory, name), REPO), f.read()


def test_every_option_is_defined_once_with_its_help():
    """A field `name: type = option(...)` or a flag DEFINE_*("name", ...): one in the tree."""
    sources = dict(_sources())
    # Each script's own input and output (pretraining records, text lines, a corpus; a run's
    # directory, a conversion's new one) keep the original's flag names and a help of their own.
    names = {
        field.name
        for cls in _option_classes()
        for field in dataclasses.fields(cls)
        if field.name not in ("data", "input_file", "output_dir")
    }
    for name in sorted(names):
        pattern = re.compile(
            rf"^\s+{name}: [\w.| ]+ = (option|dataclasses\.field)\("
            rf"|DEFINE_\w+\(\s*\"{name}\"",
            re.M,
        )
        where = [path for path, text in sources.items() for _ in pattern.finditer(text)]
        assert len(where) == 1, (name, where)
    for cls in _option_classes():
        for field in dataclasses.fields(cls):
            assert field.name == "data" or field.metadata.get("help"), (cls, field.name)


@pytest.mark.slow
def test_an_option_out_of_range_is_refused_by_the_dataclass_and_by_the_flag():
    from bert_tf.errors import ConfigError
    from bert_tf.tasks.squad import SquadOptions

    with pytest.raises(ConfigError, match="doc_stride=0: must be positive"):
        SquadOptions(doc_stride=0)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bert_tf.run_squad",
            "--doc_stride=0",
            "--output_dir=/nonexistent",
            "--bert_config_file=x",
            "--vocab_file=x",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=REPO),
        check=False,
    )
    assert result.stderr.strip().splitlines()[-1] == (
        "error: flag --doc_stride=0: 0 is not a positive integer"
    )
