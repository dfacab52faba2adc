"""Progress bars with an ETA for long work, on a terminal only; log lines print above them.

Where stderr is not a terminal (a log file, CI, a pipe), no bar is drawn: the scripts' log
lines (one per logged training step, with its ETA) are the record of progress.
"""

import sys

import tqdm


class _NoBar:
    def update(self, n=1):
        del n

    def close(self):
        pass


def progress_bar(total, desc, unit="step", initial=0, unit_scale=False):
    """A tqdm bar of `total` units on stderr when it is a terminal, else an object that draws
    nothing; both have update(n) and close()."""
    if not sys.stderr.isatty():
        return _NoBar()
    return tqdm.tqdm(
        total=total,
        desc=desc,
        unit=unit,
        initial=initial,
        unit_scale=unit_scale,
        file=sys.stderr,
        dynamic_ncols=True,
        leave=False,
    )


class _AboveBars:
    """A stream for the log handler that clears the bars, writes the line and redraws them."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        tqdm.tqdm.write(text.rstrip("\n"), file=self._stream)

    def flush(self):
        self._stream.flush()


def log_above_bars(handler):
    """Makes the logging.StreamHandler `handler` print above the bars on a terminal."""
    if sys.stderr.isatty() and handler.stream is sys.stderr:
        handler.setStream(_AboveBars(handler.stream))
