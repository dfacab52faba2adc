"""pyproject.toml: every package is listed, every console script names a script's entry point,
the wheel puts nothing but bert_tf at the top of site-packages, and the shipped configs are found
by name."""

import ast
import importlib.util
import os
import pathlib
import subprocess
import sys
import sysconfig
import tomllib

import pytest

from bert_tf.config import BertConfig

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _package_dir(name):
    """Where `name` is imported from: the source tree, or the installed wheel (make test-wheel)."""
    return os.path.dirname(importlib.import_module(name).__file__)


def _pyproject():
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)


def _installed():
    return os.environ.get("BERT_TF_TEST_INSTALLED") == "1"


def test_every_package_of_the_tree_is_in_the_wheel():
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    # followlinks: in the repository bert_tf/data_prep is a link to data_prep/.
    found = {
        os.path.relpath(root, os.path.dirname(_package_dir("bert_tf"))).replace(os.sep, ".")
        for root, _, files in os.walk(_package_dir("bert_tf"), followlinks=True)
        if "__init__.py" in files
    }
    assert found <= listed
    assert {"bert_tf.data_prep", "bert_tf.official_configs"} <= listed


def test_the_wheel_installs_one_top_level_package_and_data_prep_inside_it():
    setuptools = _pyproject()["tool"]["setuptools"]
    assert {name.split(".")[0] for name in setuptools["packages"]} == {"bert_tf"}
    assert "py-modules" not in setuptools
    # The repository's data_prep/ is the package bert_tf.data_prep, by one name everywhere.
    assert setuptools["package-dir"]["bert_tf.data_prep"] == "data_prep"
    if not _installed():
        assert os.path.realpath(os.path.join(REPO, "bert_tf", "data_prep")) == os.path.join(
            REPO, "data_prep"
        )


@pytest.mark.slow
def test_data_prep_is_bert_tf_data_prep_and_not_a_top_level_package_outside_the_repository(
    tmp_path,
):
    env = dict(os.environ)
    if not _installed():  # bert_tf alone on the path, as installed, without the repository's root
        os.symlink(os.path.join(REPO, "bert_tf"), tmp_path / "bert_tf")
        env["PYTHONPATH"] = str(tmp_path)
    code = (
        "import importlib.util, bert_tf.data_prep.pretraining_data; "
        "print(importlib.util.find_spec('data_prep') is None)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def _help(command, cwd):
    """A script's --help: absl prints the usage and exits with status 1."""
    return subprocess.Popen(
        command + ["--help"], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _check_help(process, docstring_start=""):
    out, err = process.communicate(timeout=300)
    assert process.returncode in (0, 1) and "Traceback" not in err, (process.args, err[-2000:])
    assert out.lstrip().startswith(docstring_start), (process.args, out[:300])
    assert "flags:" in out, (process.args, out[:300])


@pytest.mark.slow
def test_the_readme_data_prep_commands_run_from_the_repository():
    if _installed():
        pytest.skip("the wheel test runs without the repository's data_prep/")
    processes = [
        _help([sys.executable, "-m", f"data_prep.{name}"], REPO)
        for name in ("build_vocab", "create_pretraining_data")
    ]
    for process, start in zip(processes, ("Learns a WordPiece vocab", "Creates masked LM")):
        _check_help(process, start)


@pytest.mark.slow
def test_every_console_script_of_the_installed_wheel_runs():
    if not _installed():
        pytest.skip("console scripts exist once the wheel is installed (make test-wheel)")
    scripts = sysconfig.get_path("scripts")
    started = []
    for command in _pyproject()["project"]["scripts"]:
        started.append(_help([os.path.join(scripts, command)], REPO))
        if len(started) == 2:  # two at a time: each imports TensorFlow
            _check_help(started.pop(0))
    for process in started:
        _check_help(process)


def test_console_scripts_are_the_absl_mains_named_after_the_original_scripts():
    scripts = _pyproject()["project"]["scripts"]
    for command, target in scripts.items():
        module_name, function = target.split(":")
        # Parsed, not imported: the scripts' absl flags share names and one process holds one set.
        with open(importlib.util.find_spec(module_name).origin, encoding="utf-8") as f:
            tree = ast.parse(f.read())
        run = next(
            node
            for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name == function
        )
        assert "run_script(main)" in ast.unparse(run), target
        assert command == "bert-" + module_name.rsplit(".", 1)[1].replace("_", "-")
    mains = {
        f"{top}.{name[:-3]}"
        for top in ("bert_tf", "bert_tf.data_prep")
        for name in os.listdir(_package_dir(top))
        if name.endswith(".py")
        and name != "__init__.py"
        and "cli.run_script(main)"
        in pathlib.Path(_package_dir(top), name).read_text(encoding="utf-8")
    }
    assert mains == {target.split(":")[0] for target in scripts.values()}


def test_a_shipped_config_is_found_by_its_name(tmp_path):
    with open(os.path.join(REPO, "official_configs", "bert_base_uncased.json")) as f:
        assert '"hidden_size": 768' in f.read()
    assert BertConfig.from_json_file("bert_base_uncased").hidden_size == 768
    assert BertConfig.from_json_file("bert_tiny_uncased_L-2_H-128_A-2.json").hidden_size == 128
    own = tmp_path / "bert_base_uncased"  # a file of that name is read, not the shipped one
    own.write_text(BertConfig.from_json_file("bert_tiny_uncased_L-2_H-128_A-2").to_json_string())
    assert BertConfig.from_json_file(str(own)).hidden_size == 128


@pytest.mark.slow
def test_tensorflow_start_up_lines_are_silenced_unless_verbosity_is_asked():
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    # The scripts' command-line layer, not the library (see tests/test_library.py).
    code = "import os, bert_tf.cli; print(os.environ.get('TF_CPP_MIN_LOG_LEVEL'))"

    def level(*args):
        return subprocess.run(
            [sys.executable, "-c", code, *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    assert level() == "3"
    assert level("--verbosity=1") == "None"
    assert level("-v", "1") == "None"
    env["TF_CPP_MIN_LOG_LEVEL"] = "0"  # the user's own setting wins
    assert level() == "0"


def test_the_suite_runs_on_the_installed_wheel_when_make_test_wheel_asks():
    if not _installed():
        return  # the usual run: the source tree
    for name in ("bert_tf", "bert_tf.data_prep"):
        assert "site-packages" in _package_dir(name), _package_dir(name)
