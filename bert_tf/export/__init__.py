"""SavedModel export for TF Serving, and feature extraction.

serving_modules.py     one tf.Module per model type: serving_default, serve_token_ids; a
                       task's in-graph features come from its module in bert_tf/tasks
saved_model_writer.py  atomic <export_dir>/<version>/ writes
model_export.py        model type -> serving module, SavedModel
feature_extraction.py  extract_features.py's JSON lines
"""
