"""Times keras-hub's BertMaskedLM training step beside ours, in one process, in turns.

keras-hub is the peer the pretraining issue names (its BertMaskedLM compiled with
jit_compile). A figure measured on another machine says little on a shared CPU
whose speed drifts by half from minute to minute; here each round times our step
(`bench.train_step.pretraining_step`), keras-hub's step with jit_compile and
without, and a 2048^3 float32 matmul, one after the other, so all see the same
machine. The model is the same (the config's sizes, dropout 0.1, MLM at
`max_predictions_per_seq` positions), so are the batch and the FLOPs formula
(`bench.train_step.step_flops`; keras-hub has no NSP head, whose FLOPs the
formula leaves out too); its optimizer is Keras' AdamW with the original's
settings (weight decay 0.01, epsilon 1e-6, global-norm clip 1.0). Each round also
times the step's own matmuls alone, at their shapes (`bench.train_step.step_matmuls`,
forward and backward): both steps run these products on the same kernels, so no step
takes less, which bounds the speed-up any step can have over keras-hub's.

Needs keras-hub, which the project does not depend on:

    pip install -r bench/requirements-peer.txt
    python -m bench.keras_hub_peer --bert_config_file=official_configs/bert_base_uncased.json

It takes bench.train_step's flags but --enable_xla (float32 only), --rounds, and
--nobert_tf_without_xla and --nokeras_hub_without_jit to leave out our step with
--noenable_xla and keras-hub's step without jit_compile.
"""

import os
import statistics
import tempfile

import keras
import tensorflow as tf
from absl import app, flags

from bench import train_step
from bench.keras_hub_backbone import keras_hub_backbone
from bert_tf import hardware
from bert_tf.config import BertConfig

flags.DEFINE_integer("rounds", 3, "Rounds; each times every contender once.")
flags.DEFINE_bool("bert_tf_without_xla", True, "Also time our step with --noenable_xla.")
flags.DEFINE_bool("keras_hub_without_jit", True, "Also time keras-hub's step without jit_compile.")
FLAGS = flags.FLAGS


def keras_hub_step(config, data, jit_compile):
    """keras-hub's BertMaskedLM on `data` repeated, compiled; returns run(steps), which blocks."""
    import keras_hub  # an optional dependency: imported only when it is benchmarked

    backbone = keras_hub_backbone(config)
    model = keras_hub.models.BertMaskedLM(backbone=backbone, preprocessor=None)
    model.compile(
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer=keras.optimizers.AdamW(
            1e-4, weight_decay=0.01, epsilon=1e-6, global_clipnorm=1.0
        ),
        weighted_metrics=[],
        jit_compile=jit_compile,
    )
    inputs = {
        "token_ids": data["input_word_ids"],
        "segment_ids": data["input_type_ids"],
        "padding_mask": data["input_mask"],
        "mask_positions": data["masked_lm_positions"],
    }
    dataset = tf.data.Dataset.from_tensors(
        (inputs, data["masked_lm_ids"], data["masked_lm_weights"])
    ).repeat()
    return lambda steps: model.fit(dataset, steps_per_epoch=steps, epochs=1, verbose=0)


PEER = "keras-hub, jit_compile"


def measure(
    bert_config_file,
    *,
    seq_length=128,
    batch_size=8,
    max_predictions_per_seq=20,
    warmup_steps=2,
    steps=10,
    rounds=3,
    bert_tf_without_xla=True,
    keras_hub_without_jit=True,
):
    """Times the steps in turns, prints the figures and returns them: {"cpu", "ratios": {our
    step's name: (best, median) of keras-hub's jit_compile step's time over ours},
    "most_reachable": the speed-up over that step that its matmuls alone would give}."""
    config = BertConfig.from_json_file(bert_config_file)
    batch, seq, preds = batch_size, seq_length, max_predictions_per_seq
    data = train_step.synthetic_batch(config, batch, seq, preds)
    flops = train_step.step_flops(config, batch, seq, preds)
    cpu = hardware.describe()
    print(f"cpu: {cpu}")
    with tempfile.TemporaryDirectory() as output_dir:
        contenders = {"bert_tf": train_step.pretraining_step(config, data, output_dir)}
        if bert_tf_without_xla:
            contenders["bert_tf --noenable_xla"] = train_step.pretraining_step(
                config, data, os.path.join(output_dir, "without_xla"), enable_xla=False
            )
        contenders[PEER] = keras_hub_step(config, data, jit_compile=True)
        if keras_hub_without_jit:
            contenders["keras-hub"] = keras_hub_step(config, data, jit_compile=False)
        for run_steps in contenders.values():
            run_steps(warmup_steps)
        times = {name: [] for name in contenders}
        matmul_rates, matmuls_alone = [], []
        products = train_step.step_matmuls(config, batch, seq, preds)
        for round_index in range(rounds):
            matmul_rates.append(train_step.matmul_flops_per_second()[0])
            matmuls_alone.append(flops / train_step.matmuls_flops_per_second(products, repeats=1))
            for name, run_steps in contenders.items():
                times[name].append(train_step.seconds_per_step(run_steps, steps))
            print(
                f"round {round_index + 1}: "
                + ", ".join(f"{name} {times[name][-1][0]:.2f} s/step" for name in contenders)
                + f"; the step's matmuls alone {matmuls_alone[-1]:.2f} s"
                + f"; 2048^3 matmul {matmul_rates[-1] / 1e9:.0f} GFLOP/s",
                flush=True,
            )
    matmul_rate = max(matmul_rates)
    print(
        f"{config.num_hidden_layers} layers, hidden {config.hidden_size}, seq {seq}, "
        f"batch {batch}, {preds} predictions, float32; {rounds} rounds of {steps} steps; "
        f"{flops / 1e9:.1f} GFLOP/step; 2048^3 matmul {matmul_rate / 1e9:.0f} GFLOP/s (best)"
    )
    for name, seconds_by_round in times.items():
        best = min(seconds for seconds, _ in seconds_by_round)
        median = statistics.median(seconds for seconds, _ in seconds_by_round)
        cpu_seconds = statistics.median(cpu_seconds for _, cpu_seconds in seconds_by_round)
        print(
            f"{name:>24}: best {best:.2f} s/step ({batch / best:.2f} sequences/s, "
            f"{flops / best / 1e9:.0f} GFLOP/s, {flops / best / matmul_rate:.0%} of the matmul); "
            f"median {median:.2f} s/step; {cpu_seconds:.2f} CPU-s/step"
        )
    # Both steps run the same products through the same matmul kernels, so no step can take
    # less than those products alone: the floor of any speed-up over keras-hub.
    floor = min(matmuls_alone)
    peer_best = min(times[PEER])[0]
    ratios = {
        name: (
            peer_best / min(times[name])[0],
            statistics.median(p / o for (p, _), (o, _) in zip(times[PEER], times[name])),
        )
        for name in contenders
        if name.startswith("bert_tf")
    }
    for name, (best, median) in ratios.items():
        print(f"{name} / {PEER}: {best:.2f}x (best), {median:.2f}x (median of the rounds)  ({cpu})")
    print(
        f"the step's matmuls alone, at their shapes: {floor:.2f} s (best); a step at 1.3x "
        f"{PEER}'s best would take {peer_best / 1.3:.2f} s, "
        f"{'less than' if peer_best / 1.3 < floor else 'more than'} its matmuls; "
        f"the most any step could reach is {peer_best / floor:.2f}x {PEER}"
    )
    return {"cpu": cpu, "ratios": ratios, "most_reachable": peer_best / floor}


def main(argv):
    del argv
    if FLAGS.dtype != "float32":
        raise app.UsageError(f"--dtype={FLAGS.dtype}: this comparison runs in float32 only")
    measure(
        FLAGS.bert_config_file,
        seq_length=FLAGS.seq_length,
        batch_size=FLAGS.batch_size,
        max_predictions_per_seq=FLAGS.max_predictions_per_seq,
        warmup_steps=FLAGS.warmup_steps,
        steps=FLAGS.steps,
        rounds=FLAGS.rounds,
        bert_tf_without_xla=FLAGS.bert_tf_without_xla,
        keras_hub_without_jit=FLAGS.keras_hub_without_jit,
    )


if __name__ == "__main__":
    app.run(main)
