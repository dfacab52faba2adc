"""Dropout then a dense projection: the output layer of NSP and of every fine-tuning head."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="bert_tf")
class ClassificationHead(keras.layers.Layer):
    """Projects the last axis to `num_classes` logits, after dropout.

    It is the original `output_weights`/`output_bias` pair: NSP on the pooled output
    (no dropout), sequence classification and multiple choice on the pooled output,
    token classification and span labeling on the sequence output.

    Args:
        num_classes: int, number of logits.
        dropout_rate: float, dropout applied to the input.
        initializer_range: float, stddev of the truncated-normal initializer.

    Call args:
        inputs: float Tensor of shape [..., hidden_size].

    Returns:
        float32 Tensor of shape [..., num_classes].
    """

    def __init__(self, num_classes, dropout_rate=0.1, initializer_range=0.02, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.dropout_rate = dropout_rate
        self.initializer_range = initializer_range
        self.dropout = keras.layers.Dropout(dropout_rate, dtype=self.dtype_policy)
        self.dense = keras.layers.Dense(
            num_classes,
            kernel_initializer=keras.initializers.TruncatedNormal(stddev=initializer_range),
            name="dense",
            dtype=self.dtype_policy,
        )

    def build(self, input_shape):
        self.dense.build(input_shape)

    def call(self, inputs, training=None):
        return ops.cast(self.dense(self.dropout(inputs, training=training)), "float32")

    def get_config(self):
        config = super().get_config()
        config.update(
            num_classes=self.num_classes,
            dropout_rate=self.dropout_rate,
            initializer_range=self.initializer_range,
        )
        return config
