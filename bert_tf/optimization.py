"""Optimizers of the original BERT: AdamW or LAMB, linear warmup and decay, decay exclusions."""

import keras
import tensorflow as tf
from keras import ops

from bert_tf.errors import ConfigError

# Variable names (the last component of the variable path) that get no weight decay.
# The original excluded "LayerNorm", "layer_norm" and "bias" by scope; our LayerNorm
# variables are called gamma/beta, and "bias" also matches the MLM `output_bias`.
NO_DECAY_VARIABLE_NAMES = ("gamma", "beta", "bias")


@keras.saving.register_keras_serializable(package="bert_tf")
class WarmupLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """The original's learning rate: linear warmup, then linear decay to 0.

    lr(step) = learning_rate * step / num_warmup_steps           if step < num_warmup_steps
             = learning_rate * (1 - min(step, num_train_steps) / num_train_steps)  otherwise

    The decay counts from step 0, not from the end of warmup, as the original's
    polynomial_decay does. `step` is the number of updates already applied, so
    the first update (step 0) of a run with warmup uses a learning rate of 0.

    Args:
        learning_rate: float, the peak learning rate.
        num_train_steps: int, the step at which the rate reaches 0.
        num_warmup_steps: int, warmup length; 0 for none.
    """

    def __init__(self, learning_rate, num_train_steps, num_warmup_steps=0):
        self.learning_rate = float(learning_rate)
        self.num_train_steps = int(num_train_steps)
        self.num_warmup_steps = int(num_warmup_steps)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        decayed = self.learning_rate * (
            1.0 - ops.minimum(step, float(self.num_train_steps)) / max(self.num_train_steps, 1)
        )
        if not self.num_warmup_steps:
            return decayed
        warmup = self.learning_rate * step / self.num_warmup_steps
        return ops.where(step < self.num_warmup_steps, warmup, decayed)

    def get_config(self):
        return {
            "learning_rate": self.learning_rate,
            "num_train_steps": self.num_train_steps,
            "num_warmup_steps": self.num_warmup_steps,
        }


@tf.function(jit_compile=True)
def _adam_weight_decay_update(gradient, m, v, w, step_size, decay, beta_1, beta_2, epsilon):
    """One AdamW update of one variable as a single XLA kernel; returns (m, v, w).

    Computed unfused (one TensorFlow op per term, each a pass over memory) it
    costs a sixth of a BERT-Base training step on a CPU; fused it reads g, m, v
    and w once and writes m, v and w once.
    """
    m = m + (gradient - m) * (1.0 - beta_1)
    v = v + (tf.square(gradient) - v) * (1.0 - beta_2)
    w = w - w * decay - step_size * m / (tf.sqrt(v) + epsilon)
    return m, v, w


@keras.saving.register_keras_serializable(package="bert_tf")
class AdamWeightDecay(keras.optimizers.AdamW):
    """Keras AdamW that can update exactly as the original AdamWeightDecayOptimizer.

    The original has no bias correction:
        m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
        w = w - lr * (m / (sqrt(v) + eps) + weight_decay * w)
    With `bias_correction=False` (the default, faithful to the original and to the
    published BERT checkpoints) this is the update. With `bias_correction=True` it
    is Keras' AdamW, which scales the Adam term's lr (not the decay's) by
    sqrt(1 - b2^t) / (1 - b1^t) as Model Garden's BERT optimizer (built on Keras
    Adam) does; early steps then move further, so warmup matters less.

    Both run each variable's update, weight decay included, as one XLA-compiled
    kernel (Keras applies the decay as a separate pass before the Adam term; the
    update is the same since the Adam term does not read w).

    Args:
        bias_correction: bool, see above.
        Other arguments as keras.optimizers.AdamW (`amsgrad` is not supported).
    """

    def __init__(self, bias_correction=False, **kwargs):
        super().__init__(**kwargs)
        if self.amsgrad:
            raise ValueError("AdamWeightDecay does not support amsgrad")
        self.bias_correction = bias_correction

    def _apply_weight_decay(self, variables):
        """Nothing: update_step applies the decay in the same kernel as the Adam term."""

    def update_step(self, gradient, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        step_size = lr
        if self.bias_correction:
            step = ops.cast(self.iterations + 1, variable.dtype)
            step_size = (
                lr * ops.sqrt(1 - ops.power(self.beta_2, step)) / (1 - ops.power(self.beta_1, step))
            )
        decay = lr * (self.weight_decay if self._use_weight_decay(variable) else 0.0)
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        new_m, new_v, new_w = _adam_weight_decay_update(
            ops.cast(gradient, variable.dtype),
            tf.convert_to_tensor(m),
            tf.convert_to_tensor(v),
            tf.convert_to_tensor(variable),
            step_size,
            decay,
            self.beta_1,
            self.beta_2,
            self.epsilon,
        )
        self.assign(m, new_m)
        self.assign(v, new_v)
        self.assign(variable, new_w)

    def get_config(self):
        config = super().get_config()
        config["bias_correction"] = self.bias_correction
        return config


OPTIMIZERS = ("adamw", "lamb")


def create_optimizer(
    optimizer_type,
    learning_rate,
    num_train_steps,
    num_warmup_steps,
    weight_decay_rate=0.01,
    adam_bias_correction=False,
):
    """The pretraining/fine-tuning optimizer of the original, with its schedule.

    Gradient clipping (global norm 1.0) is not set here: the training loop clips
    after summing the gradients of all replicas and micro-batches, which Keras'
    `global_clipnorm` would do per replica.

    Args:
        optimizer_type: "adamw" (the original's AdamWeightDecayOptimizer) or "lamb"
            (keras.optimizers.Lamb; its weight decay is decoupled, applied as in AdamW,
            and its trust ratio covers every variable).
        learning_rate: float, peak learning rate.
        num_train_steps: int, steps until the rate decays to 0.
        num_warmup_steps: int, linear warmup steps.
        weight_decay_rate: float, decoupled weight decay; LayerNorm and bias
            variables are excluded.
        adam_bias_correction: bool, see AdamWeightDecay.

    Returns:
        a keras.optimizers.Optimizer.
    """
    schedule = WarmupLinearDecay(learning_rate, num_train_steps, num_warmup_steps)
    common = dict(
        learning_rate=schedule,
        weight_decay=weight_decay_rate,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-6,
    )
    if optimizer_type == "adamw":
        optimizer = AdamWeightDecay(bias_correction=adam_bias_correction, **common)
    elif optimizer_type == "lamb":
        optimizer = keras.optimizers.Lamb(**common)
    else:
        raise ConfigError(f"optimizer must be adamw or lamb, got {optimizer_type!r}")
    optimizer.exclude_from_weight_decay(var_names=list(NO_DECAY_VARIABLE_NAMES))
    return optimizer
