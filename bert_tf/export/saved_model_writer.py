"""Writes a SavedModel version directory the way TF Serving expects, atomically.

TF Serving watches <export_dir>/ and loads every all-digit subdirectory as a version. The
SavedModel is written to a hidden temporary directory beside it (".tmp-<version>-...",
which TF Serving ignores) and renamed to <version> only once complete, so a server never
sees a half-written version and an interrupted export leaves no version behind. Local
file systems only: the rename is what makes it atomic.
"""

import os
import shutil
import tempfile

from bert_tf.errors import ConfigError
from bert_tf.file_io import no_room_error


def existing_versions(export_dir):
    """Sorted int versions (all-digit subdirectories) under export_dir; [] if it does not exist."""
    if not os.path.isdir(export_dir):
        return []
    return sorted(
        int(name)
        for name in os.listdir(export_dir)
        if name.isdigit() and os.path.isdir(os.path.join(export_dir, name))
    )


def next_version(export_dir):
    """One more than the highest existing version, or 1."""
    versions = existing_versions(export_dir)
    return versions[-1] + 1 if versions else 1


def _give_usual_permissions(root):
    """Modes as a plain mkdir/open under the current umask would give: mkdtemp makes 0700
    and TensorFlow writes assets 0600, which a server running as another user cannot read."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(root, 0o777 & ~umask)
    for directory, subdirectories, files in os.walk(root):
        for name in subdirectories:
            os.chmod(os.path.join(directory, name), 0o777 & ~umask)
        for name in files:
            os.chmod(os.path.join(directory, name), 0o666 & ~umask)


def write_version(export_dir, version, write_fn, overwrite=False):
    """Calls write_fn(path) on an empty temporary directory, then renames it <export_dir>/<version>.

    Args:
        export_dir: str, the model's base directory (what TF Serving's --model_base_path names).
        version: int >= 0.
        write_fn: callable taking the directory to write the SavedModel into.
        overwrite: bool, replace an existing version instead of refusing.

    Returns:
        str, the path of the version directory.

    Raises:
        FileExistsError if the version exists and not overwrite; OSError naming the version
        directory when the disk is full (the temporary directory is removed).
    """
    if int(version) < 0:
        raise ConfigError(f"version must be >= 0, got {version}")
    target = os.path.join(export_dir, str(int(version)))
    if os.path.exists(target) and not overwrite:
        raise FileExistsError(
            f"version {version} already exists at {target}; pass overwrite=True "
            "to replace it or choose another version"
        )
    os.makedirs(export_dir, exist_ok=True)
    temp_dir = tempfile.mkdtemp(prefix=f".tmp-{int(version)}-", dir=export_dir)
    try:
        write_fn(temp_dir)
        _give_usual_permissions(temp_dir)
        if os.path.exists(target):
            # A directory cannot be renamed over a non-empty one: move the old version out
            # of TF Serving's sight first (it then serves the previous versions briefly).
            old_dir = tempfile.mkdtemp(prefix=f".old-{int(version)}-", dir=export_dir)
            os.replace(target, old_dir)
            os.replace(temp_dir, target)
            shutil.rmtree(old_dir, ignore_errors=True)
        else:
            os.replace(temp_dir, target)
    except BaseException as error:
        shutil.rmtree(temp_dir, ignore_errors=True)
        no_room = no_room_error(error, target)
        if no_room is not None:
            raise no_room from error
        raise
    return target
