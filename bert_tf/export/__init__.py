"""SavedModel export for TF Serving, and feature extraction.

text_inputs.py         in-graph text -> packed model inputs, word/byte offsets
span_decoding.py       in-graph best answer span (SQuAD)
serving_modules.py     one tf.Module per model type: serving_default, serve_token_ids
saved_model_writer.py  atomic <export_dir>/<version>/ writes
model_export.py        model type -> model, weights, serving module, SavedModel
feature_extraction.py  extract_features.py's JSON lines
"""
