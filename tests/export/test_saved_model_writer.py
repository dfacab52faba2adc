"""Versioned writes: refusal of an existing version, overwrite, and no version left by a failure."""

import os
import subprocess
import sys

import pytest
import tensorflow as tf

from bert_tf.export import model_export
from bert_tf.export.saved_model_writer import next_version, write_version
from tests.export.conftest import CLASSIFIER_LABELS, python_env


def write_marker(text):
    def write(path):
        with open(os.path.join(path, "saved_model.pb"), "w") as f:
            f.write(text)

    return write


def read_marker(path):
    with open(os.path.join(path, "saved_model.pb")) as f:
        return f.read()


def test_next_version_counts_only_all_digit_directories(tmp_path):
    assert next_version(str(tmp_path / "missing")) == 1
    for name in ("1", "3", "foo", ".tmp-7-abc", "12a"):
        (tmp_path / name).mkdir()
    (tmp_path / "9").write_text("a file, not a version")
    assert next_version(str(tmp_path)) == 4


def test_existing_version_is_refused_then_overwritten(tmp_path):
    write_version(str(tmp_path), 1, write_marker("first"))
    with pytest.raises(FileExistsError, match="version 1 already exists.*overwrite=True"):
        write_version(str(tmp_path), 1, write_marker("second"))
    assert read_marker(tmp_path / "1") == "first"
    write_version(str(tmp_path), 1, write_marker("second"), overwrite=True)
    assert read_marker(tmp_path / "1") == "second"
    assert sorted(os.listdir(tmp_path)) == ["1"]  # no temporary or old directory left


def test_a_full_disk_names_the_version_and_leaves_no_temporary_directory(tmp_path):
    def write_then_run_out_of_room(path):
        with open(os.path.join(path, "saved_model.pb"), "w") as f:
            f.write("half written")
        raise tf.errors.UnknownError(
            None, None, f"{path}/variables/variables.data-00000-of-00001; No space left on device"
        )

    with pytest.raises(OSError) as raised:
        write_version(str(tmp_path), 3, write_then_run_out_of_room)
    assert str(raised.value).startswith(f"{tmp_path / '3'}: not written: No space left on device")
    assert os.listdir(tmp_path) == []


def test_interrupted_export_leaves_no_version(tmp_path, models, tokenizer, monkeypatch):
    def save_then_fail(obj, path, signatures=None, options=None):
        with open(os.path.join(path, "saved_model.pb"), "w") as f:
            f.write("half written")
        raise OSError("disk full")

    monkeypatch.setattr(tf.saved_model, "save", save_then_fail)
    module = model_export.make_serving_module(
        "classifier",
        models["classifier"],
        tokenizer,
        max_seq_length=8,
        num_labels=len(CLASSIFIER_LABELS),
    )
    with pytest.raises(OSError, match="disk full"):
        model_export.export_saved_model(module, str(tmp_path))
    assert not [name for name in os.listdir(tmp_path) if name.isdigit()]
    assert os.listdir(tmp_path) == []


@pytest.mark.slow
def test_script_refuses_an_existing_version(export_root, tmp_path):
    export_dir = os.path.dirname(export_root["classifier"])
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bert_tf.export_saved_model",
            "--model_type=classifier",
            "--init_checkpoint=unused",
            "--bert_config_file=unused",
            "--vocab_file=unused",
            "--num_labels=3",
            f"--export_dir={export_dir}",
            "--version=1",
        ],
        env=python_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "version 1 already exists" in done.stderr and "--overwrite" in done.stderr


def test_a_version_has_the_modes_a_server_of_another_user_can_read(tmp_path):
    def write_private(path):  # as mkdtemp (0700) and TensorFlow's asset copies (0600) do
        os.makedirs(os.path.join(path, "assets"), mode=0o700)
        with open(os.path.join(path, "assets", "vocab.txt"), "w") as f:
            f.write("[PAD]\n")
        os.chmod(os.path.join(path, "assets", "vocab.txt"), 0o600)

    old_umask = os.umask(0o022)
    try:
        version = write_version(str(tmp_path), 1, write_private)
    finally:
        os.umask(old_umask)
    assert os.stat(version).st_mode & 0o777 == 0o755
    assert os.stat(os.path.join(version, "assets")).st_mode & 0o777 == 0o755
    assert os.stat(os.path.join(version, "assets", "vocab.txt")).st_mode & 0o777 == 0o644
