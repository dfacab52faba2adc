"""Fine-tunes BERT on a GLUE task (CoLA, SST-2, MRPC, STS-B, QQP, MNLI, QNLI, RTE, WNLI, AX).

    python -m bert_tf.run_classifier --task_name=MRPC --data_dir=glue/MRPC \
      --vocab_file=vocab.txt --bert_config_file=bert_config.json \
      --init_checkpoint=bert_model.ckpt --do_train --do_eval --do_predict \
      --max_seq_length=128 --train_batch_size=32 --learning_rate=2e-5 \
      --num_train_epochs=3 --output_dir=/tmp/mrpc
"""

from absl import flags

from bert_tf import cli, common_flags
from bert_tf.tasks.glue import GlueTask
from bert_tf.tokenization import Tokenizer
from bert_tf.training.finetuning import Finetuner

flags.DEFINE_string(
    "task_name",
    None,
    "GLUE task: cola, sst-2, mrpc, sts-b, qqp, mnli, qnli, rte, wnli or ax (case-insensitive).",
)
flags.DEFINE_string(
    "data_dir", None, "Directory with the task's GLUE TSV files (--data_source=tsv)."
)
flags.DEFINE_enum(
    "data_source",
    "tsv",
    ["tsv", "tfds"],
    "Read the GLUE TSVs from --data_dir, or the TFDS glue/* builders.",
)
flags.DEFINE_string("tfds_data_dir", None, "TFDS data directory (--data_source=tfds).")
common_flags.define_finetuning_flags()
flags.mark_flag_as_required("task_name")
FLAGS = flags.FLAGS


def main(_):
    options = common_flags.finetuning_options()
    tokenizer = Tokenizer(options.vocab_file, do_lower_case=options.do_lower_case)
    task = GlueTask(
        FLAGS.task_name,
        tokenizer,
        options.max_seq_length,
        data_dir=FLAGS.data_dir,
        data_source=FLAGS.data_source,
        tfds_data_dir=FLAGS.tfds_data_dir,
    )
    Finetuner(task, options).run()


def run():
    """The `bert-run-classifier` console script."""
    cli.run_script(main)


if __name__ == "__main__":
    run()
