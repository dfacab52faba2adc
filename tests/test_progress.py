"""Progress bars: drawn on a terminal only, and log lines print whole above them."""

import io
import logging
import sys

import tqdm

from bert_tf.progress import log_above_bars, progress_bar


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_no_bar_is_drawn_when_stderr_is_not_a_terminal(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    bar = progress_bar(10, "train")
    bar.update(5)
    bar.close()
    assert stream.getvalue() == ""


def test_on_a_terminal_the_bar_has_an_eta_and_log_lines_print_above_it(monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    handler = logging.StreamHandler(terminal)
    logger = logging.getLogger("test_progress")
    logger.addHandler(handler)
    log_above_bars(handler)
    bar = progress_bar(10, "train")
    assert isinstance(bar, tqdm.tqdm)
    bar.update(4)
    logger.warning("step 4/10: loss = 1.5")
    bar.update(6)
    bar.close()
    logger.removeHandler(handler)
    text = terminal.getvalue()
    assert "train:  40%" in text and "<" in text  # tqdm's elapsed<remaining
    assert "\nstep 4/10: loss = 1.5\n" in text.replace("\r", "\n")
