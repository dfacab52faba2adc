"""bert_tf: BERT (Devlin et al. 2018) in TensorFlow 2 / Keras 3."""

import os

# Keras 3 picks its backend at import time; this package is written for TensorFlow.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
