"""The errors a user can fix, all derived from one base class, UserError.

A UserError says that something the user gave is wrong: a flag value, a file, a setting.
Its message names it (the field, the option, or the file and line) and reads as one line,
so the scripts print it as `error: <message>` without a traceback. Any other exception is
a bug and keeps its traceback; library code that is called wrongly by other code raises a
plain ValueError, not a UserError.

UserError also derives from ValueError, so callers that catch ValueError keep working.

- ConfigError: a bert_config.json, an option or a model setting that cannot work; the
  message names the field or option.
- InputError: the pretraining input files or their records (missing, empty, not
  TFRecords, or records that do not match the options).
- CheckpointError: a checkpoint that cannot be read or does not fit the model; the
  message names the file and the variable.
- DataError: a task's data file (GLUE TSV, SQuAD JSON, SWAG CSV, CoNLL file, the input of
  feature extraction, a vocab, pretraining text) that is malformed or empty; the message
  names the file and the line.
- NonFiniteLossError: the training loss became NaN or infinite (a learning rate or data
  the user can change); raised by bert_tf.training.trainer.

Preempted is not an error: training stopped on SIGTERM after saving a checkpoint. The scripts
print its message and exit with status PREEMPTED_EXIT_STATUS (42, the restart code of
TensorFlow's PreemptionCheckpointHandler, which cluster managers may be set to restart on).
"""

PREEMPTED_EXIT_STATUS = 42


class UserError(ValueError):
    """Something the user gave is wrong: a flag value, a file, a setting; the message names it."""


class ConfigError(UserError):
    """A bert_config.json, option or model setting that cannot work; the message names it."""


class InputError(UserError):
    """Pretraining input files or records that are missing or do not match the options."""


class CheckpointError(UserError):
    """A checkpoint that cannot be read or does not fit the model; names file and variable."""


class DataError(UserError):
    """A task's data file that is malformed or empty; the message names the file and line."""


class NonFiniteLossError(UserError):
    """The training loss became NaN or infinite."""


class Preempted(Exception):
    """Training stopped on SIGTERM after saving a checkpoint; the message says which and how to
    resume. Not a UserError: the run did what was asked of it."""
