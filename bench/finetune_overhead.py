"""Prints how much of a `--do_train --do_eval` fine-tuning run is not its steps.

A run should take its training steps, one dev evaluation per checkpoint and its start-up
(reading data, building the model, tracing and compiling the first loop), nothing more: the
rest (checkpoint saves, best/ copies, summaries, the final evaluation, checkpoint reads, the
deletion of the training iterator when Trainer.train returns) is the overhead, printed as a
share of the training time (target: <= 10%). Runs SST-2 on
sample_data/sentiment with demo.sh's settings, for demo.sh's model shape and for BERT-Tiny,
in this process; the vocabulary is made of the sample's words (and single characters).

    python -m bench.finetune_overhead
"""

import json
import os
import string
import tempfile
import time

from absl import app, flags

from bert_tf import hardware
from bert_tf.tasks.glue import GlueTask
from bert_tf.tokenization import Tokenizer
from bert_tf.training import evaluation
from bert_tf.training.finetuning import Finetuner, FinetuningOptions
from bert_tf.training.trainer import Trainer

flags.DEFINE_string("data_dir", "sample_data/sentiment", "SST-2 files (train, dev, test.tsv).")
flags.DEFINE_float("num_train_epochs", 4.0, "Epochs (demo.sh's DEMO_EPOCHS).")
flags.DEFINE_integer("save_checkpoints_steps", 40, "Steps between checkpoints and dev evals.")
FLAGS = flags.FLAGS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO_CONFIG = {
    "hidden_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 256,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "attention_probs_dropout_prob": 0.1,
    "max_position_embeddings": 128,
    "type_vocab_size": 2,
    "initializer_range": 0.02,
}


def write_vocab(data_dir, path):
    words = set()
    for name in ("train.tsv", "dev.tsv", "test.tsv"):
        with open(os.path.join(data_dir, name), encoding="utf-8") as f:
            words.update(f.read().lower().split())
    characters = string.ascii_lowercase + string.digits + string.punctuation
    tokens = (
        ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        + list(characters)
        + ["##" + c for c in characters]
        + sorted(words - set(characters))
    )
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(token + "\n" for token in dict.fromkeys(tokens)))
    return path


class Clock:
    """Wall seconds of each training loop call, model run over dev/test and checkpoint save.

    The first loop call and the first model run also trace (and compile) their step: that
    part, their time above the later calls' rate, is start-up.
    """

    def __init__(self):
        self.loops, self.runs, self.saves = [], [], []  # (seconds, steps) / seconds
        self.first_loop_start = None
        self.last_event_end = None  # of the loops, runs and saves
        self.training_teardown = 0.0  # from the last event of Trainer.train to its return
        patched = {
            (Trainer, "run_steps"): self._loop,
            (evaluation.Predictor, "__call__"): self._run,
            (Trainer, "_save_checkpoint"): self._save,
            (Trainer, "train"): self._train,
        }
        self._originals = {key: getattr(*key) for key in patched}
        for (owner, name), wrap in patched.items():
            setattr(owner, name, wrap(getattr(owner, name)))

    def _loop(self, run_steps):
        def timed(trainer, iterator, num_steps):
            start = time.perf_counter()
            if self.first_loop_start is None:
                self.first_loop_start = start
            metrics, bad_step = run_steps(trainer, iterator, num_steps)
            metrics = {key: value.numpy() for key, value in metrics.items()}
            self.last_event_end = time.perf_counter()
            self.loops.append((self.last_event_end - start, num_steps))
            return metrics, bad_step

        return timed

    def _run(self, predict):
        def timed(predictor, dataset_fn, batch_size):
            start = time.perf_counter()
            outputs = predict(predictor, dataset_fn, batch_size)
            self.last_event_end = time.perf_counter()
            self.runs.append(self.last_event_end - start)
            return outputs

        return timed

    def _save(self, save):
        def timed(trainer, checkpoint_number):
            start = time.perf_counter()
            path = save(trainer, checkpoint_number)
            self.last_event_end = time.perf_counter()
            self.saves.append(self.last_event_end - start)
            return path

        return timed

    def _train(self, train):
        def timed(trainer, *args, **kwargs):
            results = train(trainer, *args, **kwargs)
            # Its last event (the final save and dev run) to its return: mostly the deletion
            # of the training iterator as the function's locals go (README: Fine-tuning).
            self.training_teardown += time.perf_counter() - self.last_event_end
            return results

        return timed

    def close(self):
        for (owner, name), original in self._originals.items():
            setattr(owner, name, original)

    def split(self):
        """(steps, tracing of the first loop, dev runs, tracing of the first run) seconds."""
        later = self.loops[1:]
        per_step = (
            sum(s for s, _ in later) / sum(n for _, n in later)
            if later
            else self.loops[0][0] / self.loops[0][1]
        )
        first_steps = per_step * self.loops[0][1]
        steps = first_steps + sum(s for s, _ in later)
        per_run = sum(self.runs[1:]) / len(self.runs[1:]) if len(self.runs) > 1 else 0.0
        runs = per_run * len(self.runs) if len(self.runs) > 1 else sum(self.runs)
        return (
            steps,
            max(self.loops[0][0] - first_steps, 0.0),
            runs,
            max(sum(self.runs) - runs, 0.0),
        )


def run(name, config, vocab, data_dir, workdir):
    config_file = os.path.join(workdir, "bert_config.json")
    with open(config_file, "w", encoding="utf-8") as f:
        json.dump(config, f)
    options = FinetuningOptions(
        bert_config_file=config_file,
        vocab_file=vocab,
        output_dir=os.path.join(workdir, "out"),
        do_train=True,
        do_eval=True,
        max_seq_length=32,
        train_batch_size=16,
        learning_rate=5e-4,
        num_train_epochs=FLAGS.num_train_epochs,
        save_checkpoints_steps=FLAGS.save_checkpoints_steps,
        log_steps=FLAGS.save_checkpoints_steps,
        seed=1,
    )
    task = GlueTask("sst2", Tokenizer(vocab, do_lower_case=True), 32, data_dir=data_dir)
    clock = Clock()
    start = time.perf_counter()
    try:
        finetuner = Finetuner(task, options)
        results = finetuner.run()
    finally:
        clock.close()
    total = time.perf_counter() - start
    steps, loop_tracing, runs, run_tracing = clock.split()
    start_up = clock.first_loop_start - start + loop_tracing + run_tracing
    overhead = total - start_up - steps - runs
    print(
        f"{name}: {hardware.describe()}  {sum(n for _, n in clock.loops)} steps, "
        f"{len(clock.saves)} checkpoints, {len(clock.runs)} model runs over dev, accuracy "
        f"{results.get('accuracy', float('nan')):.3f}"
    )
    print(
        f"  total {total:.1f} s = start-up {start_up:.1f} s (data, model, tracing) + steps "
        f"{steps:.1f} s + dev evaluations {runs:.1f} s + overhead {overhead:.1f} s (checkpoint "
        f"saves {sum(clock.saves):.1f} s, the end of Trainer.train {clock.training_teardown:.1f} "
        f"s): {overhead / steps:.0%} of the training time (target <= 10%), "
        f"{(overhead - sum(clock.saves) - clock.training_teardown) / steps:.0%} besides these"
    )


def main(argv):
    del argv
    data_dir = os.path.join(ROOT, FLAGS.data_dir)
    with open(
        os.path.join(ROOT, "official_configs", "bert_tiny_uncased_L-2_H-128_A-2.json"),
        encoding="utf-8",
    ) as f:
        tiny = json.load(f)
    for name, config in (("demo-sized (H-64, 2 layers)", DEMO_CONFIG), ("BERT-Tiny", tiny)):
        with tempfile.TemporaryDirectory() as workdir:
            vocab = write_vocab(data_dir, os.path.join(workdir, "vocab.txt"))
            with open(vocab, encoding="utf-8") as f:
                vocab_size = len(f.read().splitlines())
            config = dict(config, vocab_size=max(config.get("vocab_size", 0), vocab_size))
            run(name, config, vocab, data_dir, workdir)


if __name__ == "__main__":
    app.run(main)
