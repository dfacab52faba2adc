"""A directory or checkpoint of another model: one line naming it and saying what it holds.

An output_dir holding another model's checkpoints (another size, or a pretraining run reused
for fine-tuning) is refused before training, with nothing written into it; an export of a head
the checkpoint lacks names the missing head and what the checkpoint holds. The checkpoints are
written here; the script that meets them runs as a user runs it.
"""

import os

import pytest

from tests.data_prep import corpus
from tests.keras_helpers import tiny_config
from tests.test_bad_inputs import _assert_one_error_line, _run

TINY = dict(
    hidden_size=16,
    num_hidden_layers=1,
    num_attention_heads=2,
    intermediate_size=32,
    max_position_embeddings=16,
)


def _tiny_config(**overrides):
    return tiny_config(**{"vocab_size": len(corpus.vocab_tokens()), **TINY, **overrides})


def _config(path, **overrides):
    _tiny_config(**overrides).to_json_file(str(path))
    return str(path)


def _training_checkpoint(output_dir, model_type, num_labels=None, **overrides):
    """Saves a model into output_dir as a training run does: ckpt-1 and the state file."""
    import tensorflow as tf

    from bert_tf.models import BertEncoder, build_model

    model = build_model(model_type, BertEncoder(_tiny_config(**overrides)), num_labels=num_labels)
    checkpoint = tf.train.Checkpoint(model=model, step=tf.Variable(1, dtype=tf.int64))
    tf.train.CheckpointManager(
        checkpoint, str(output_dir), max_to_keep=2, checkpoint_name="ckpt"
    ).save(checkpoint_number=1)


def _classifier_args(directory):
    vocab = corpus.write_vocab(directory)
    (directory / "train.tsv").write_text(
        "sentence\tlabel\n"
        + "".join(f"{corpus.WORDS[i]} {corpus.WORDS[i + 1]} \t{i % 2}\n" for i in range(4))
    )
    return [
        "-m",
        "bert_tf.run_classifier",
        "--task_name=SST-2",
        f"--data_dir={directory}",
        f"--vocab_file={vocab}",
        f"--bert_config_file={_config(directory / 'config.json')}",
        "--do_train",
        "--max_seq_length=16",
        "--train_batch_size=2",
        "--noenable_xla",
    ]


@pytest.mark.slow
@pytest.mark.parametrize(
    "model_type, overrides, holds",
    [
        ("pretrainer", {}, "a pretrainer (BertPretrainer, 1 layer, hidden 16)"),
        (
            "classifier",
            {"hidden_size": 32},
            "a classifier or ner or swag (BertClassifier or "
            "BertTokenClassifier or BertMultipleChoice, 2 labels, "
            "1 layer, hidden 32)",
        ),
    ],
)
def test_fine_tuning_into_a_directory_of_another_model_is_refused(
    tmp_path, model_type, overrides, holds
):
    output_dir = tmp_path / "out"
    _training_checkpoint(output_dir, model_type, num_labels=2, **overrides)
    before = sorted(os.listdir(output_dir))
    result = _run(*_classifier_args(tmp_path), f"--output_dir={output_dir}")
    _assert_one_error_line(
        result,
        f"error: {output_dir}: its checkpoints hold {holds}; this run trains a "
        "classifier (BertClassifier, 2 labels, 1 layer, hidden 16) — use another "
        "output_dir",
    )
    assert sorted(os.listdir(output_dir)) == before


@pytest.mark.slow
def test_pretraining_into_a_directory_of_a_deeper_model_is_refused(tmp_path):
    from tests.training.records import structured_examples, write_records

    output_dir = tmp_path / "out"
    _training_checkpoint(output_dir, "pretrainer", vocab_size=60, num_hidden_layers=2)
    before = sorted(os.listdir(output_dir))
    records = write_records(tmp_path / "train.tfrecord", structured_examples(4))
    result = _run(
        "-m",
        "bert_tf.run_pretraining",
        f"--input_file={records}",
        f"--bert_config_file={_config(tmp_path / 'config.json', vocab_size=60)}",
        "--do_train",
        "--train_batch_size=2",
        "--max_seq_length=16",
        "--max_predictions_per_seq=3",
        "--num_train_steps=2",
        "--num_warmup_steps=0",
        "--noenable_xla",
        f"--output_dir={output_dir}",
    )
    _assert_one_error_line(
        result,
        f"error: {output_dir}: its checkpoints hold a pretrainer (BertPretrainer, "
        "2 layers, hidden 16); this run trains a pretrainer (BertPretrainer, 1 layer, "
        "hidden 16) — use another output_dir",
    )
    assert sorted(os.listdir(output_dir)) == before


@pytest.mark.slow
@pytest.mark.parametrize(
    "model_type, holds",
    [
        (
            "classifier",
            "a classifier or ner or swag (BertClassifier or BertTokenClassifier or "
            "BertMultipleChoice, 3 labels, 1 layer, hidden 16)",
        ),
        ("pretrainer", "a pretrainer (BertPretrainer, 1 layer, hidden 16)"),
    ],
)
def test_exporting_a_head_the_checkpoint_lacks_names_the_head_and_what_it_holds(
    tmp_path, model_type, holds
):
    from bert_tf.checkpoints import write_checkpoint
    from bert_tf.models import BertEncoder, build_model

    config = _config(tmp_path / "config.json")
    model = build_model(model_type, BertEncoder(_tiny_config()), num_labels=3)
    checkpoint = write_checkpoint(model, str(tmp_path / model_type / "model.ckpt"))
    result = _run(
        "-m",
        "bert_tf.export_saved_model",
        "--model_type=squad",
        f"--init_checkpoint={checkpoint}",
        f"--bert_config_file={config}",
        f"--vocab_file={corpus.write_vocab(tmp_path)}",
        "--max_seq_length=16",
        f"--export_dir={tmp_path / 'export'}",
    )
    _assert_one_error_line(
        result,
        f"error: {checkpoint}: no squad head (span of BertSpanLabeler) in this "
        f"checkpoint, which holds {holds}; the checkpoints of a run that trains a "
        "squad model have it",
    )
    assert "not bound" not in result.stderr and not os.path.exists(tmp_path / "export")


def test_a_directory_differing_in_what_the_words_omit_names_the_first_variable(tmp_path):
    from bert_tf.checkpoints import resume_or_initialize
    from bert_tf.errors import CheckpointError
    from bert_tf.models import BertEncoder, build_model

    _training_checkpoint(tmp_path, "classifier", num_labels=2, intermediate_size=64)
    model = build_model("classifier", BertEncoder(_tiny_config()), num_labels=2)
    with pytest.raises(CheckpointError) as raised:
        resume_or_initialize(model, str(tmp_path))
    assert str(raised.value) == (
        f"{tmp_path}: its checkpoints hold a classifier or ner or swag (BertClassifier or "
        "BertTokenClassifier or BertMultipleChoice, 2 labels, 1 layer, hidden 16) with "
        "model/encoder/transformer_layer_0/intermediate/_kernel of shape [16, 64], not [16, 32]; "
        "this run trains a classifier (BertClassifier, 2 labels, 1 layer, hidden 16) — use "
        "another output_dir"
    )
