"""Small file helpers the task modules share."""

import os
import tempfile


def write_text_atomically(path, text):
    """Writes `text` (UTF-8) to `path` via a temp file in the same folder and os.replace.

    A reader never sees a half-written file, and an interrupted run leaves the old one intact.
    """
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
