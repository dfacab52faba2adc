"""The whole-process measurement of bench/data_prep.py: wall time and peak memory of a process
tree, checked on processes whose sizes the test sets."""

import sys

import pytest

from bench import data_prep

pytestmark = [
    pytest.mark.slow,  # starts processes
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
]

# A process that holds `mib` MiB of touched memory for a while, then exits.
_HOLD = "import time; block = bytearray({mib} << 20); time.sleep(1.0)"


def test_peak_memory_of_a_process_tree_counts_every_process():
    # The parent holds 150 MiB and starts a child that holds 250 MiB at the same time.
    script = (
        "import subprocess, sys, time\n"
        f"child = subprocess.Popen([sys.executable, '-c', {_HOLD.format(mib=250)!r}])\n"
        "block = bytearray(150 << 20)\n"
        "child.wait()\n"
    )
    wall, largest, together = data_prep.whole_process([sys.executable, "-c", script])
    assert wall >= 1.0
    # The largest process holds its 250 MiB plus Python's own ~10 MiB, not the parent's too.
    assert 250 <= largest < 300
    assert together >= 400


def test_a_process_that_fails_is_an_error_with_its_stderr():
    with pytest.raises(RuntimeError, match="exited with 3:\n.*broken input"):
        data_prep.whole_process(
            [sys.executable, "-c", "import sys; sys.stderr.write('broken input'); sys.exit(3)"]
        )
