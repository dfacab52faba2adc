"""bert_tf: BERT (Devlin et al. 2018) in TensorFlow 2 / Keras 3."""

import os
import sys

# Keras 3 picks its backend at import time; this package is written for TensorFlow.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# TensorFlow's C++ start-up lines (CUDA probing, oneDNN, CPU features) come before any figure
# a user came for: silenced, unless TF_CPP_MIN_LOG_LEVEL is set or a script is given
# --verbosity (absl's flag, also -v).
# Two lines (CUDA stubs probed by XLA's logging, which TF_CPP_MIN_LOG_LEVEL does not reach)
# are written while TensorFlow is imported: that import runs with stderr closed.
VERBOSE = any(arg.startswith(("--verbosity", "-v")) for arg in sys.argv[1:])
if not VERBOSE and "TF_CPP_MIN_LOG_LEVEL" not in os.environ:
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    _stderr, _devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(_devnull, 2)
    try:
        import tensorflow  # noqa: F401  pylint: disable=unused-import
    finally:
        os.dup2(_stderr, 2)
        os.close(_stderr)
        os.close(_devnull)


def _plain_logs():
    """Log lines as `HH:MM:SS message` (`warning: ` before warnings), above any progress bar;
    INFO lines of this project only, not TensorFlow's (what it saves, traces and renames)."""
    import logging  # pylint: disable=import-outside-toplevel

    from absl import logging as absl_logging  # pylint: disable=import-outside-toplevel

    from bert_tf.progress import log_above_bars  # pylint: disable=import-outside-toplevel

    class PlainFormatter(logging.Formatter):
        def format(self, record):
            level = "" if record.levelno < logging.WARNING else f"{record.levelname.lower()}: "
            return f"{self.formatTime(record, '%H:%M:%S')} {level}{record.getMessage()}"

    ours = tuple(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), name)
                 for name in ("bert_tf", "data_prep"))
    handler = absl_logging.get_absl_handler().python_handler
    handler.setFormatter(PlainFormatter())
    handler.addFilter(lambda record: record.levelno >= logging.WARNING
                      or os.path.abspath(record.pathname).startswith(ours))
    log_above_bars(handler)
    tf_logger = logging.getLogger("tensorflow")
    tf_logger.setLevel(logging.WARNING)
    tf_logger.handlers.clear()  # its lines go once, through absl's handler


def _fail(error):
    """Ends the script with `error: <the message's first line>` and exit status 1.

    What is logged after it (TensorFlow warns of every value a failed checkpoint read left
    unrestored, when the objects are deleted at exit) would bury the line: only errors are.
    """
    import logging  # pylint: disable=import-outside-toplevel

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

    Expected errors end the script with one line, `error: ...`, and exit status 1: a bad
    flag value, and what the scripts raise for bad input (ValueError and its subclasses
    ConfigError, InputError, CheckpointError; OSError for files; absl's UsageError). Their
    messages name the flag, file or line. Any other exception is a bug and keeps its
    traceback; --verbosity (or -v) shows the traceback of expected errors too.
    """
    from absl import app, flags  # pylint: disable=import-outside-toplevel

    from bert_tf.common_flags import check_limits  # pylint: disable=import-outside-toplevel

    check_limits()
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
        except (ValueError, OSError, app.UsageError) as error:
            if VERBOSE:
                raise
            return _fail(error)

    app.run(checked_main, flags_parser=parse_flags)
