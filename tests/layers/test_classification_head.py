import numpy as np

from bert_tf.layers import ClassificationHead
from tests.keras_helpers import assert_config_round_trips
from tests.numpy_reference import dense


def test_dense_projection_of_the_last_axis_in_float32():
    head = ClassificationHead(num_classes=3, dropout_rate=0.5)
    head.build((None, None, 8))
    x = np.random.default_rng(0).normal(size=(2, 5, 8)).astype("float32")
    got = head(x, training=False)
    assert got.dtype == "float32" and tuple(got.shape) == (2, 5, 3)
    np.testing.assert_allclose(np.asarray(got), dense(x.astype(np.float64), head.dense), atol=1e-5)


def test_config_round_trip():
    assert (
        assert_config_round_trips(ClassificationHead(num_classes=3, dropout_rate=0.2)).num_classes
        == 3
    )
