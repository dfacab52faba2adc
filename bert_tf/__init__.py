"""bert_tf: BERT (Devlin et al. 2018) in TensorFlow 2 / Keras 3."""

import os
import sys

# Keras 3 picks its backend at import time; this package is written for TensorFlow.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# TensorFlow's C++ start-up lines (CUDA probing, oneDNN, CPU features) come before any figure
# a user came for: silenced, unless TF_CPP_MIN_LOG_LEVEL is set or a script is given
# --verbosity (absl's flag, also -v).
if not any(arg.startswith(("--verbosity", "-v")) for arg in sys.argv[1:]):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def run_script(main):
    """absl's app.run(main) for a script started as `python -m` or as a console script.

    absl's --help lists the flags of the module sys.argv[0] names: none for a console
    script's wrapper, and none of those a script defines through a helper module. Every flag
    of this project's modules is made a key flag of that module first, so --help lists them.
    """
    from absl import app, flags  # pylint: disable=import-outside-toplevel

    for module, module_flags in flags.FLAGS.flags_by_module_dict().items():
        if module.startswith(("bert_tf", "data_prep")) or module == sys.argv[0]:
            for flag in module_flags:
                flags.FLAGS.register_key_flag_for_module(sys.argv[0], flag)
    app.run(main)
