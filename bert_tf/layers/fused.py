"""LayerNorm, dropout and the attention softmax as XLA kernels with hand-written gradients.

Written op by op, TensorFlow runs LayerNorm, dropout and softmax (and their
automatic gradients) as a dozen element-wise ops and reductions each, every one
a pass over the activations (the README's Benchmarks table has what this saves,
and where it does not pay). Here each site of the encoder is one
compiled kernel forward and one backward, which read their inputs once:

    LayerNorm(residual + dropout(x))     each transformer sublayer's output
    dropout(LayerNorm(x))                the embeddings
    dropout(softmax(scores + mask))      the attention probabilities

Dropout keeps each element with probability 1 - rate and scales it by
1 / (1 - rate), as keras.layers.Dropout does (a keep test on a uniform draw of
tf.random.stateless_uniform from a two-int seed that the caller takes from a
keras.random.SeedGenerator, one per site); the forward kernel hands its mask,
one byte an element, to the backward one. Statistics are computed
in float32 whatever the input dtype (mixed precision keeps them stable); outputs
and input gradients have the input's dtype, gamma and beta gradients float32.
Without dropout (inference, or a rate of 0) the forward runs as the same
function's plain ops, so that an exported graph calls no XLA function.
"""

import tensorflow as tf


def _keep_mask(shape, rate, seed):
    """bool Tensor of `shape`, True with probability 1 - rate; None if rate is 0."""
    if not rate:
        return None
    # ThreeFry: XLA's CPU code for it is much faster than for Philox or the default
    # algorithm.
    return tf.random.stateless_uniform(shape, seed, dtype=tf.float32, alg="threefry") >= rate


def _dropped(x, keep, rate):
    """x * 1 / (1 - rate) where `keep`, else 0; x itself if keep is None."""
    return x if keep is None else tf.where(keep, x * (1.0 / (1.0 - rate)), 0.0)


def _forward(kernel, seed):
    """The forward XLA kernel while dropout applies (seed given: training), else its Python
    function as plain ops: an inference graph, such as an exported SavedModel, then calls
    no XLA function, which TF Serving's CPU build runs only with
    --xla_cpu_compilation_enabled (export with --jit_compile to compile the whole model)."""
    return kernel if seed is not None else kernel.python_function


def _normalized(h, epsilon):
    """(h - mean) / sqrt(variance + epsilon) over the last axis, and that 1 / sqrt."""
    mean = tf.reduce_mean(h, axis=-1, keepdims=True)
    centered = h - mean
    inverse_std = tf.math.rsqrt(
        tf.reduce_mean(centered * centered, axis=-1, keepdims=True) + epsilon
    )
    return centered * inverse_std, inverse_std


def _layer_norm_backward(h, gamma, dy, epsilon):
    """(dh, dgamma, dbeta) of y = normalized(h) * gamma + beta, all float32."""
    normalized, inverse_std = _normalized(h, epsilon)
    rows = list(range(len(h.shape) - 1))
    dgamma = tf.reduce_sum(dy * normalized, axis=rows)
    dbeta = tf.reduce_sum(dy, axis=rows)
    g = dy * gamma
    dh = inverse_std * (
        g
        - tf.reduce_mean(g, axis=-1, keepdims=True)
        - normalized * tf.reduce_mean(g * normalized, axis=-1, keepdims=True)
    )
    return dh, dgamma, dbeta


@tf.function(jit_compile=True)
def _add_layer_norm_forward(x, residual, gamma, beta, seed, rate, epsilon):
    keep = _keep_mask(tf.shape(x), rate, seed)
    h = tf.cast(residual, tf.float32) + _dropped(tf.cast(x, tf.float32), keep, rate)
    return tf.cast(_normalized(h, epsilon)[0] * gamma + beta, x.dtype), keep


@tf.function(jit_compile=True)
def _add_layer_norm_backward(x, residual, gamma, keep, dy, rate, epsilon):
    h = tf.cast(residual, tf.float32) + _dropped(tf.cast(x, tf.float32), keep, rate)
    dh, dgamma, dbeta = _layer_norm_backward(h, gamma, tf.cast(dy, tf.float32), epsilon)
    return (tf.cast(_dropped(dh, keep, rate), x.dtype), tf.cast(dh, residual.dtype), dgamma, dbeta)


def dropout_add_layer_norm(x, residual, gamma, beta, rate, seed, epsilon):
    """LayerNorm(residual + dropout(x)) over the last axis.

    Args:
        x: float Tensor of shape [..., width], the sublayer output dropout applies to.
        residual: float Tensor of the same shape, added after dropout.
        gamma, beta: float32 Tensors of shape [width], LayerNorm's scale and offset.
        rate: float, dropout rate; 0 for none (inference).
        seed: int32 Tensor of shape [2], the dropout seed; None if rate is 0.
        epsilon: float, added to the variance.

    Returns:
        Tensor of x's shape and dtype.
    """

    @tf.custom_gradient
    def fused(x, residual, gamma, beta):
        y, keep = _forward(_add_layer_norm_forward, seed)(
            x, residual, gamma, beta, seed, rate, epsilon
        )

        def grad(dy):
            return _add_layer_norm_backward(x, residual, gamma, keep, dy, rate, epsilon)

        return y, grad

    return fused(x, residual, tf.cast(gamma, tf.float32), tf.cast(beta, tf.float32))


@tf.function(jit_compile=True)
def _layer_norm_dropout_forward(x, gamma, beta, seed, rate, epsilon):
    keep = _keep_mask(tf.shape(x), rate, seed)
    normalized = _normalized(tf.cast(x, tf.float32), epsilon)[0] * gamma + beta
    return tf.cast(_dropped(normalized, keep, rate), x.dtype), keep


@tf.function(jit_compile=True)
def _layer_norm_dropout_backward(x, gamma, keep, dy, rate, epsilon):
    dy = _dropped(tf.cast(dy, tf.float32), keep, rate)
    dx, dgamma, dbeta = _layer_norm_backward(tf.cast(x, tf.float32), gamma, dy, epsilon)
    return tf.cast(dx, x.dtype), dgamma, dbeta


def layer_norm_dropout(x, gamma, beta, rate, seed, epsilon):
    """dropout(LayerNorm(x)) over the last axis; arguments as `dropout_add_layer_norm`'s.

    Returns:
        Tensor of x's shape and dtype.
    """

    @tf.custom_gradient
    def fused(x, gamma, beta):
        y, keep = _forward(_layer_norm_dropout_forward, seed)(x, gamma, beta, seed, rate, epsilon)

        def grad(dy):
            return _layer_norm_dropout_backward(x, gamma, keep, dy, rate, epsilon)

        return y, grad

    return fused(x, tf.cast(gamma, tf.float32), tf.cast(beta, tf.float32))


@tf.function(jit_compile=True)
def _softmax_dropout_forward(scores, adder, seed, scale, rate):
    keep = _keep_mask(tf.shape(scores), rate, seed)
    probs = tf.nn.softmax(tf.cast(scores, tf.float32) * scale + adder, axis=-1)
    return tf.cast(_dropped(probs, keep, rate), scores.dtype), probs, keep


@tf.function(jit_compile=True)
def _softmax_dropout_backward(probs, keep, dy, scale, rate):
    dprobs = _dropped(tf.cast(dy, tf.float32), keep, rate)
    return (scale * probs) * (dprobs - tf.reduce_sum(dprobs * probs, axis=-1, keepdims=True))


def softmax_dropout(scores, scale, adder, rate, seed):
    """dropout(softmax(scores * scale + adder)) over the last axis, the softmax in float32.

    Args:
        scores: float Tensor of shape [batch_size, heads, from_seq, to_seq].
        scale: float, multiplies the scores (1 / sqrt(head_size)).
        adder: float32 Tensor broadcasting to scores, e.g. [batch_size, 1, 1, to_seq]:
            0 for keys to attend to, a large negative number for padding. No gradient.
        rate: float, dropout rate; 0 for none (inference).
        seed: int32 Tensor of shape [2], the dropout seed; None if rate is 0.

    Returns:
        Tensor of scores' shape and dtype.
    """

    @tf.custom_gradient
    def fused(scores):
        dropped, probs, keep = _forward(_softmax_dropout_forward, seed)(
            scores, adder, seed, scale, rate
        )

        def grad(dy):
            return tf.cast(_softmax_dropout_backward(probs, keep, dy, scale, rate), scores.dtype)

        return dropped, grad

    return fused(scores)


def dropout_arguments(rate, seed_generator, training):
    """(rate, seed) for the functions above: the layer's rate and a fresh seed when training.

    Args:
        rate: float, the layer's dropout rate.
        seed_generator: keras.random.SeedGenerator of the dropout site (None if rate is 0);
            advanced once.
        training: bool or None, whether dropout applies.

    Returns:
        (float rate, int32 Tensor of shape [2]) when training with rate > 0, else (0.0, None).
    """
    if not training or not rate:
        return 0.0, None
    # Keras' seed state is int64; stateless random ops under XLA take int32 seeds.
    return rate, tf.cast(tf.math.floormod(seed_generator.next(), tf.int32.max - 1), tf.int32)
