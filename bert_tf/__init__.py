"""bert_tf: BERT (Devlin et al. 2018) in TensorFlow 2 / Keras 3.

Importing the package or any library module changes nothing in the process (no environment
variable, file descriptor, flag or argv reading); the scripts' command-line concerns live in
`bert_tf.cli`.
"""
