"""The command-line layer every absl script starts through; the library never imports it.

Importing this module prepares the process for a script, before TensorFlow loads (each script
imports it first, so `python -m bert_tf.run_classifier` and the `bert-*` console scripts both
come here before any TensorFlow import):
- TensorFlow's C++ start-up lines (oneDNN, CUDA probing, CPU features) come before any figure
  a user came for. Unless the script is given --verbosity (absl's flag, also -v) or
  TF_CPP_MIN_LOG_LEVEL is set, TF_CPP_MIN_LOG_LEVEL=3 hides TensorFlow's C++ log lines but
  fatal ones (its ERROR lines at start-up are CUDA probes on a CPU), and the lines written
  while TensorFlow imports (absl's C++ log, which that variable does not reach) pass through
  a filter that drops only those start-up lines: everything else reaches stderr.

`run_script(main)` then runs the script: plain `HH:MM:SS message` log lines, `--help` listing
the script's flags, and one `error: ...` line for what the user can fix.
"""

import logging
import os
import re
import sys

from absl import app, flags
from absl import logging as absl_logging

from bert_tf.errors import PREEMPTED_EXIT_STATUS, Preempted, UserError
from bert_tf.progress import log_above_bars

VERBOSE = any(arg.startswith(("--verbosity", "-v")) for arg in sys.argv[1:])

# What TensorFlow 2.21 writes to stderr while it imports, before its log level applies.
_STARTUP_LINE = re.compile(
    rb"All log messages before absl::InitializeLog\(\) is called|\] oneDNN custom operations"
    rb"|cudart_stub\.cc|cpu_feature_guard\.cc|^To enable the following instructions"
)

# The packages whose INFO lines a plain log shows (TensorFlow's own go unless --verbosity).
_OUR_DIRS = tuple(
    os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), name)
    for name in ("bert_tf", "data_prep")
)


def _import_tensorflow_without_startup_lines():
    """Imports TensorFlow with fd 2 going through a forked filter of its start-up lines.

    The filter is a child process, so what TensorFlow writes before aborting the parent is
    still passed on.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(write_end)
        with os.fdopen(read_end, "rb") as lines:
            for line in lines:
                if not _STARTUP_LINE.search(line):
                    os.write(2, line)
        os._exit(0)
    os.close(read_end)
    stderr = os.dup(2)
    os.dup2(write_end, 2)
    os.close(write_end)
    try:
        import tensorflow  # noqa: F401
    finally:
        os.dup2(stderr, 2)
        os.close(stderr)
        os.waitpid(pid, 0)


if not VERBOSE and "TF_CPP_MIN_LOG_LEVEL" not in os.environ and "tensorflow" not in sys.modules:
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    _import_tensorflow_without_startup_lines()


class _PlainFormatter(logging.Formatter):
    def format(self, record):
        level = "" if record.levelno < logging.WARNING else f"{record.levelname.lower()}: "
        return f"{self.formatTime(record, '%H:%M:%S')} {level}{record.getMessage()}"


def _plain_logs():
    """Log lines as `HH:MM:SS message` (`warning: ` before warnings), above any progress bar;
    INFO lines of this project only, not TensorFlow's (what it saves, traces and renames)."""
    handler = absl_logging.get_absl_handler().python_handler
    handler.setFormatter(_PlainFormatter())
    handler.addFilter(
        lambda record: (
            record.levelno >= logging.WARNING
            or os.path.abspath(record.pathname).startswith(_OUR_DIRS)
        )
    )
    log_above_bars(handler)
    tf_logger = logging.getLogger("tensorflow")
    tf_logger.setLevel(logging.WARNING)
    tf_logger.handlers.clear()  # its lines go once, through absl's handler


def _fail(error):
    """Ends the script with `error: <the message's first line>` and exit status 1.

    What is logged after it (TensorFlow warns of every value a failed checkpoint read left
    unrestored, when the objects are deleted at exit) would bury the line: only errors are.
    """
    lines = str(error).strip().splitlines() or [type(error).__name__]
    sys.stderr.write(f"error: {lines[0]}\n")
    logging.getLogger().setLevel(logging.ERROR)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    sys.exit(1)


def run_script(main):
    """absl's app.run(main) for a script started as `python -m` or as a console script.

    absl's --help lists the flags of the module sys.argv[0] names: none for a console
    script's wrapper, and none of those a script defines through a helper module. Every flag
    of this project's modules is made a key flag of that module first, so --help lists them.

    Log lines are plain (time and message) unless --verbosity is given, which keeps absl's
    format and TensorFlow's own lines.

    What the user can fix ends the script with `error: ...` and exit status 1: a bad flag
    (absl's flag errors and UsageError), a bad file or setting (bert_tf.errors.UserError and
    its subclasses; OSError). Their messages name the flag, file, line or value. Any other
    exception is a bug and keeps its traceback; --verbosity (or -v) shows the traceback of
    the expected errors too.

    A run stopped by SIGTERM after saving a checkpoint (bert_tf.errors.Preempted) prints its
    one line, `saved ckpt-N at step N; run the same command to resume`, and exits with status
    PREEMPTED_EXIT_STATUS (42).
    """
    for module, module_flags in flags.FLAGS.flags_by_module_dict().items():
        if module.startswith(("bert_tf", "data_prep")) or module == sys.argv[0]:
            for flag in module_flags:
                flags.FLAGS.register_key_flag_for_module(sys.argv[0], flag)

    def parse_flags(argv):
        try:
            return flags.FLAGS(argv)
        except flags.Error as error:
            return _fail(error)

    def checked_main(argv):
        if not VERBOSE:
            _plain_logs()
        try:
            return main(argv)
        except Preempted as stop:
            sys.stderr.write(f"{stop}\n")
            logging.getLogger().setLevel(logging.ERROR)
            sys.exit(PREEMPTED_EXIT_STATUS)
        except (UserError, OSError, app.UsageError) as error:
            if VERBOSE:
                raise
            return _fail(error)

    app.run(checked_main, flags_parser=parse_flags)
