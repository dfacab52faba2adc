"""google-research/bert's optimizer written out in PyTorch: the reference our training follows.

`AdamWeightDecay` is the original optimization.py's AdamWeightDecayOptimizer.apply_gradients
after tf.clip_by_global_norm(grads, 1.0): no bias correction, epsilon 1e-6, weight decay 0.01
added to the update of every weight except LayerNorm and biases (`_do_use_weight_decay`);
`learning_rate` is create_optimizer's schedule: linear warmup, then polynomial decay (power 1)
to 0 at num_train_steps. The training-parity tests and bench/finetune_real_weights.py train
Hugging Face BERTs with it; nothing here imports TensorFlow.
"""

import torch


def learning_rate(step, peak, num_train_steps, num_warmup_steps):
    """The rate of update `step` (0-based), as the original's create_optimizer computes it."""
    decayed = peak * (1 - min(step, num_train_steps) / num_train_steps)
    return peak * step / num_warmup_steps if step < num_warmup_steps else decayed


class AdamWeightDecay:
    """The original update, applied to a torch module's parameters that have gradients.

    Args:
        model: a torch.nn.Module (its parameter names decide the weight-decay exclusions).
        peak: the peak learning rate.
        num_train_steps, num_warmup_steps: the schedule, as the original's flags.
    """

    def __init__(self, model, peak, num_train_steps, num_warmup_steps):
        self.model = model
        self.schedule = (peak, num_train_steps, num_warmup_steps)
        self.slots = {}

    def step(self, step):
        """Clips the gradients to global norm 1.0, applies update `step` and clears them."""
        parameters = [(name, p) for name, p in self.model.named_parameters() if p.grad is not None]
        norm = torch.sqrt(sum((p.grad.double() ** 2).sum() for _, p in parameters))
        scale = 1.0 / max(float(norm), 1.0)
        rate = learning_rate(step, *self.schedule)
        with torch.no_grad():
            for name, p in parameters:
                m, v = self.slots.setdefault(name, (torch.zeros_like(p), torch.zeros_like(p)))
                g = p.grad * scale
                m.mul_(0.9).add_(0.1 * g)
                v.mul_(0.999).add_(0.001 * g * g)
                update = m / (v.sqrt() + 1e-6)
                if "LayerNorm" not in name and "bias" not in name:
                    update = update + 0.01 * p
                p.sub_(rate * update)
                p.grad = None
