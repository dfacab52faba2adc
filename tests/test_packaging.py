"""pyproject.toml: every package is listed, every console script names a script's entry point,
and the shipped configs are found by name."""

import ast
import importlib.util
import os
import tomllib

from bert_tf.config import BertConfig

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _package_dir(name):
    """Where `name` is imported from: the source tree, or the installed wheel (make test-wheel)."""
    return os.path.dirname(importlib.import_module(name).__file__)


def _pyproject():
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)


def test_every_package_of_the_tree_is_in_the_wheel():
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    found = {os.path.relpath(root, os.path.dirname(_package_dir(top))).replace(os.sep, ".")
             for top in ("bert_tf", "data_prep")
             for root, _, files in os.walk(_package_dir(top)) if "__init__.py" in files}
    assert found <= listed
    assert "bert_tf.official_configs" in listed


def test_console_scripts_are_the_absl_mains_named_after_the_original_scripts():
    scripts = _pyproject()["project"]["scripts"]
    for command, target in scripts.items():
        module_name, function = target.split(":")
        # Parsed, not imported: the scripts' absl flags share names and one process holds one set.
        with open(importlib.util.find_spec(module_name).origin, encoding="utf-8") as f:
            tree = ast.parse(f.read())
        run = next(node for node in tree.body
                   if isinstance(node, ast.FunctionDef) and node.name == function)
        assert "run_script(main)" in ast.unparse(run), target
        assert command == "bert-" + module_name.rsplit(".", 1)[1].replace("_", "-")
    mains = {f"{top}.{name[:-3]}" for top in ("bert_tf", "data_prep")
             for name in os.listdir(_package_dir(top))
             if name.endswith(".py") and name != "__init__.py" and "cli.run_script(main)" in open(
                 os.path.join(_package_dir(top), name), encoding="utf-8").read()}
    assert mains == {target.split(":")[0] for target in scripts.values()}


def test_a_shipped_config_is_found_by_its_name(tmp_path):
    with open(os.path.join(REPO, "official_configs", "bert_base_uncased.json")) as f:
        assert '"hidden_size": 768' in f.read()
    assert BertConfig.from_json_file("bert_base_uncased").hidden_size == 768
    assert BertConfig.from_json_file("bert_tiny_uncased_L-2_H-128_A-2.json").hidden_size == 128
    own = tmp_path / "bert_base_uncased"  # a file of that name is read, not the shipped one
    own.write_text(BertConfig.from_json_file("bert_tiny_uncased_L-2_H-128_A-2").to_json_string())
    assert BertConfig.from_json_file(str(own)).hidden_size == 128


def test_tensorflow_start_up_lines_are_silenced_unless_verbosity_is_asked():
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    # The scripts' command-line layer, not the library (see tests/test_library.py).
    code = "import os, bert_tf.cli; print(os.environ.get('TF_CPP_MIN_LOG_LEVEL'))"

    def level(*args):
        return subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, env=env,
                              capture_output=True, text=True, check=True).stdout.strip()

    assert level() == "3"
    assert level("--verbosity=1") == "None"
    assert level("-v", "1") == "None"
    env["TF_CPP_MIN_LOG_LEVEL"] = "0"  # the user's own setting wins
    assert level() == "0"


def test_the_suite_runs_on_the_installed_wheel_when_make_test_wheel_asks():
    if os.environ.get("BERT_TF_TEST_INSTALLED") != "1":
        return  # the usual run: the source tree
    for name in ("bert_tf", "data_prep"):
        assert "site-packages" in _package_dir(name), _package_dir(name)
