"""Pretraining data preparation: vocab learning, pretraining TFRecords, dynamic masking."""
