"""Does pretraining pay off? A small BERT pretrained on real text, fine-tuned beside a random-init
twin on held-out real data, with one table of figures at the end.

    python -m recipes.pretraining --shared_data=../shared/data --work_dir=~/bert_tf_recipe

Stages (each is skipped when its output exists, and every script resumes from its checkpoints, so
an interrupted recipe continues where it stopped when run again with the same flags):
 1. held-out splits of SST-2, MRPC and CoNLL-2003 training files (recipes/heldout_data.py);
 2. the pretraining text: Wikipedia, WikiText-2, Shakespeare and the text of the training splits;
    10 Wikipedia documents are held out for the MLM evaluation;
 3. a WordPiece vocabulary learned from it (data_prep.build_vocab);
 4. run_pretraining on the text itself (--input_format=text: the original's pairing and masking,
    anew every epoch, each epoch shuffled as a whole), then every kept checkpoint scored on
    records of the held-out text (a TensorBoard curve in pretrain/eval_heldout/);
 5. fine-tuning from the checkpoint and from random init with the same command and seeds.
Runs go `--parallel_runs` at a time: on a CPU, one small model leaves cores idle. Random-init
runs need no checkpoint and start beside the pretraining.

Every command is logged as it runs, and the table (mean, sample standard deviation, min-max over
seeds) is printed and written to work_dir/results.md.
"""

import concurrent.futures
import os
import random
import re
import statistics

from absl import app, flags

from bert_tf.file_io import write_text_atomically
from recipes import commands, heldout_data

flags.DEFINE_string("shared_data", None, "The data folder: corpus/, glue/, conll2003/.")
flags.DEFINE_string(
    "work_dir",
    os.path.expanduser("~/bert_tf_recipe"),
    "Where every output goes (outside the repository).",
)
flags.DEFINE_string(
    "bert_config_file",
    "official_configs/bert_tiny_uncased_L-2_H-128_A-2.json",
    "The model; its vocab_size is replaced by the learned vocabulary's.",
)
flags.DEFINE_integer("vocab_size", 8192, "Target size of the learned vocabulary.")
flags.DEFINE_integer("train_batch_size", 64, "Pretraining batch size.")
flags.DEFINE_integer("num_train_steps", 1000, "Pretraining steps.")
flags.DEFINE_float("learning_rate", 1e-3, "Pretraining peak learning rate (10% warmup).")
flags.DEFINE_bool(
    "task_text", True, "Pretrain on the text (not the labels) of the training splits too."
)
flags.DEFINE_float("finetune_learning_rate", 1e-4, "Fine-tuning learning rate, every task.")
flags.DEFINE_list("seeds", ["1", "2", "3"], "Fine-tuning seeds.")
flags.DEFINE_list("tasks", ["SST-2", "SST-2-small", "MRPC", "CoNLL"], "Tasks to fine-tune.")
flags.DEFINE_integer("parallel_runs", os.cpu_count() or 1, "Scripts run at once.")
flags.mark_flag_as_required("shared_data")
FLAGS = flags.FLAGS

ROOT = commands.ROOT
MAX_SEQ_LENGTH = 128
MAX_PREDICTIONS = 20
HELDOUT_WIKI_DOCUMENTS = 10

# task -> (script, task flags, metrics reported). Same batch and learning rate for every task;
# one epoch of SST-2's 50,000 phrases, ten of the 1,000-row sample.
TASKS = {
    "SST-2": (
        "run_classifier",
        ["--task_name=SST-2", "--max_seq_length=64", "--num_train_epochs=1"],
        ["accuracy"],
    ),
    "SST-2-small": (
        "run_classifier",
        ["--task_name=SST-2", "--max_seq_length=64", "--num_train_epochs=10"],
        ["accuracy"],
    ),
    "MRPC": (
        "run_classifier",
        ["--task_name=MRPC", "--max_seq_length=128", "--num_train_epochs=3"],
        ["f1", "accuracy"],
    ),
    "CoNLL": ("run_ner", ["--max_seq_length=64", "--num_train_epochs=2"], ["f1"]),
}


def _path(*parts):
    return os.path.join(FLAGS.work_dir, *parts)


def _run(args, log_name):
    commands.run_module(args, _path("logs", log_name + ".log"))


def prepare_text():
    """Stages 1-3: splits, corpus, vocabulary, config, held-out records."""
    if not os.path.exists(_path("splits", "sizes.txt")):
        sizes = heldout_data.write_splits(FLAGS.shared_data, _path("splits"))
        write_text_atomically(_path("splits", "sizes.txt"), f"{sizes}\n")
    corpus = os.path.join(FLAGS.shared_data, "corpus")
    if not os.path.exists(_path("corpus", "wiki.txt")):
        wiki = heldout_data.sentence_file_documents(os.path.join(corpus, "wiki_sentences.txt"))
        random.Random(0).shuffle(wiki)
        heldout_data.write_documents(_path("heldout", "heldout.txt"), wiki[:HELDOUT_WIKI_DOCUMENTS])
        wikitext = [
            heldout_data.wikitext_documents(os.path.join(corpus, "wikitext-2_tokenized", f))
            for f in ("valid.txt", "test.txt")
        ]
        heldout_data.write_documents(_path("corpus", "wikitext.txt"), sum(wikitext, []))
        heldout_data.write_documents(
            _path("corpus", "shakespeare.txt"),
            heldout_data.shakespeare_documents(
                os.path.join(corpus, "tiny_shakespeare", "input.txt")
            ),
        )
        if FLAGS.task_text:
            heldout_data.write_documents(
                _path("corpus", "tasks.txt"), heldout_data.task_documents(_path("splits"))
            )
        # Written last: its presence says the corpus is complete.
        heldout_data.write_documents(_path("corpus", "wiki.txt"), wiki[HELDOUT_WIKI_DOCUMENTS:])
    if not os.path.exists(_path("vocab.txt")):
        _run(
            [
                "bert_tf.data_prep.build_vocab",
                f"--input_file={_path('corpus', '*.txt')}",
                f"--output_file={_path('vocab.txt')}",
                f"--vocab_size={FLAGS.vocab_size}",
                "--do_lower_case",
            ],
            "build_vocab",
        )
    if not os.path.exists(_path("bert_config.json")):
        with open(_path("vocab.txt"), encoding="utf-8") as f:
            vocab_size = sum(1 for _ in f)
        with open(os.path.join(ROOT, FLAGS.bert_config_file), encoding="utf-8") as f:
            config = re.sub(r'"vocab_size": \d+', f'"vocab_size": {vocab_size}', f.read())
        write_text_atomically(_path("bert_config.json"), config)
    if not os.path.exists(_path("records", "heldout-0.tfrecord")):
        _run(
            [
                "bert_tf.data_prep.create_pretraining_data",
                f"--input_file={_path('heldout', 'heldout.txt')}",
                f"--output_file={_path('records', 'heldout-0.tfrecord')}",
                f"--vocab_file={_path('vocab.txt')}",
                "--do_lower_case",
                f"--max_seq_length={MAX_SEQ_LENGTH}",
                f"--max_predictions_per_seq={MAX_PREDICTIONS}",
                "--masked_lm_prob=0.15",
                "--dupe_factor=1",
                "--random_seed=12345",
                "--do_whole_word_mask",
            ],
            "records_heldout",
        )


def _pretraining_args(*extra):
    return [
        "bert_tf.run_pretraining",
        f"--bert_config_file={_path('bert_config.json')}",
        f"--max_seq_length={MAX_SEQ_LENGTH}",
        f"--max_predictions_per_seq={MAX_PREDICTIONS}",
        "--enable_xla",
        *extra,
    ]


def pretrain():
    """Stage 4: pretraining (resumes by itself), then the held-out MLM curve."""
    if not os.path.exists(_path("pretrain", "eval_results.txt")):
        _run(
            _pretraining_args(
                "--input_format=text",
                f"--input_file={_path('corpus', '*.txt')}",
                f"--vocab_file={_path('vocab.txt')}",
                "--do_lower_case",
                "--do_whole_word_mask",
                "--masked_lm_prob=0.15",
                f"--output_dir={_path('pretrain')}",
                "--do_train",
                "--do_eval",
                f"--train_batch_size={FLAGS.train_batch_size}",
                f"--num_train_steps={FLAGS.num_train_steps}",
                f"--num_warmup_steps={FLAGS.num_train_steps // 10}",
                f"--learning_rate={FLAGS.learning_rate}",
                "--save_checkpoints_steps=250",
                "--keep_checkpoint_max=20",
                "--steps_per_loop=100",
                "--log_steps=100",
                "--seed=12345",
            ),
            "pretrain",
        )
    import tensorflow as tf

    state = tf.train.get_checkpoint_state(_path("pretrain"))
    writer = tf.summary.create_file_writer(_path("pretrain", "eval_heldout"))
    curve = {}
    for prefix in state.all_model_checkpoint_paths:
        step = int(prefix.rsplit("-", 1)[1])
        out = _path("heldout_eval", f"step-{step}")
        if not os.path.exists(os.path.join(out, "eval_results.txt")):
            _run(
                _pretraining_args(
                    f"--input_file={_path('records', 'heldout-0.tfrecord')}",
                    f"--output_dir={out}",
                    f"--init_checkpoint={prefix}",
                    "--do_eval",
                    "--max_eval_steps=1000",
                ),
                f"heldout_eval_{step}",
            )
        curve[step] = _read_results(os.path.join(out, "eval_results.txt"))
        with writer.as_default(step=step):
            for name in ("masked_lm_accuracy", "masked_lm_loss", "next_sentence_accuracy"):
                tf.summary.scalar(name, curve[step][name])
    writer.flush()
    return curve


def _read_results(path):
    with open(path, encoding="utf-8") as f:
        return {k.strip(): float(v) for k, v in (line.split("=") for line in f if "=" in line)}


def finetune(task, init, seed):
    """Stage 5, one run; returns its eval_results."""
    script, task_flags, _ = TASKS[task]
    out = _path("finetune", task, init, f"seed{seed}")
    if not os.path.exists(os.path.join(out, "eval_results.txt")):
        init_flags = [f"--init_checkpoint={_path('pretrain')}"] if init == "pretrained" else []
        _run(
            [
                f"bert_tf.{script}",
                f"--data_dir={_path('splits', task)}",
                f"--vocab_file={_path('vocab.txt')}",
                f"--bert_config_file={_path('bert_config.json')}",
                *task_flags,
                *init_flags,
                "--do_train",
                "--do_eval",
                "--eval_during_training=false",
                "--train_batch_size=32",
                f"--learning_rate={FLAGS.finetune_learning_rate}",
                "--save_checkpoints_steps=1000",
                "--enable_xla",
                f"--seed={seed}",
                f"--output_dir={out}",
            ],
            f"finetune_{task}_{init}_{seed}",
        )
    return _read_results(os.path.join(out, "eval_results.txt"))


def _describe(values):
    mean = statistics.mean(values)
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{mean:.3f} ± {spread:.3f} ({min(values):.3f}-{max(values):.3f})"


def _majority(task):
    """Accuracy and F1 (of class 1) of always predicting the dev set's majority class."""
    with open(_path("splits", task, "dev.tsv"), encoding="utf-8-sig") as f:
        labels = [row.split("\t")[0] for row in f.read().splitlines()[1:]]
    ones = labels.count("1") / len(labels)
    return max(ones, 1 - ones), (2 * ones / (1 + ones) if ones >= 0.5 else 0.0)


def results_table(runs, curve):
    lines = [
        "| task | metric | pretrained | random init | difference of means |",
        "| --- | --- | --- | --- | --- |",
    ]
    for task in FLAGS.tasks:
        for metric in TASKS[task][2]:
            values = {
                init: [runs[task, init, s][metric] for s in FLAGS.seeds]
                for init in ("pretrained", "random")
            }
            gain = statistics.mean(values["pretrained"]) - statistics.mean(values["random"])
            lines.append(
                f"| {task} | {metric} | {_describe(values['pretrained'])} | "
                f"{_describe(values['random'])} | {gain:+.3f} |"
            )
    if "MRPC" in FLAGS.tasks:
        accuracy, f1 = _majority("MRPC")
        lines.append(f"| MRPC, majority class | accuracy / f1 | {accuracy:.3f} / {f1:.3f} | | |")
    last = max(curve)
    lines.append("")
    lines.append(
        "Held-out Wikipedia MLM accuracy by pretraining step: "
        + ", ".join(f"{step}: {curve[step]['masked_lm_accuracy']:.3f}" for step in sorted(curve))
    )
    lines.append(f"NSP accuracy at step {last}: {curve[last]['next_sentence_accuracy']:.3f}")
    return "\n".join(lines) + "\n"


def main(argv):
    del argv
    FLAGS.work_dir = os.path.abspath(os.path.expanduser(FLAGS.work_dir))
    if os.path.commonpath([FLAGS.work_dir, ROOT]) == ROOT:
        raise app.UsageError(f"--work_dir={FLAGS.work_dir} is inside the repository")
    unknown = set(FLAGS.tasks) - set(TASKS)
    if unknown:
        raise app.UsageError(f"--tasks: unknown {sorted(unknown)}; known: {sorted(TASKS)}")
    prepare_text()
    runs = {}
    with concurrent.futures.ThreadPoolExecutor(FLAGS.parallel_runs) as pool:
        pretraining = pool.submit(pretrain)
        jobs = {
            (task, "random", seed): pool.submit(finetune, task, "random", seed)
            for seed in FLAGS.seeds
            for task in FLAGS.tasks
        }
        curve = pretraining.result()
        jobs.update(
            {
                (task, "pretrained", seed): pool.submit(finetune, task, "pretrained", seed)
                for seed in FLAGS.seeds
                for task in FLAGS.tasks
            }
        )
        for key, job in jobs.items():
            runs[key] = job.result()
    table = results_table(runs, curve)
    write_text_atomically(_path("results.md"), table)
    print(table)


if __name__ == "__main__":
    app.run(main)
