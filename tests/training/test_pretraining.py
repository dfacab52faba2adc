"""run_pretraining end to end on a tiny structured corpus, and its input errors."""

import dataclasses
import math
import os

import pytest
import tensorflow as tf

from bert_tf.data_prep import pretraining_data
from bert_tf.errors import ConfigError, InputError
from bert_tf.training.pretraining import PretrainingOptions, run_pretraining
from tests.training.records import structured_examples, tiny_config, write_records


def _options(tmp_path, **overrides):
    values = dict(
        bert_config_file=tiny_config(tmp_path / "bert_config.json"),
        input_file=str(tmp_path / "*.tfrecord"),
        output_dir=str(tmp_path / "out"),
        max_seq_length=16,
        max_predictions_per_seq=3,
        do_train=True,
        do_eval=True,
        train_batch_size=16,
        eval_batch_size=16,
        learning_rate=3e-3,
        num_train_steps=300,
        num_warmup_steps=20,
        save_checkpoints_steps=100,
        steps_per_loop=50,
        log_steps=50,
        seed=0,
    )
    values.update(overrides)
    data = {
        name: values.pop(name)
        for name in list(values)
        if name in {field.name for field in dataclasses.fields(pretraining_data.Options)}
    }
    return PretrainingOptions(**values, data=pretraining_data.Options(**data))


def _scalars(event_dir):
    tags = {}
    # Event file names carry their creation time: sorted, they read in the order written.
    for path in sorted(tf.io.gfile.glob(os.path.join(event_dir, "events.out.tfevents.*"))):
        for record in tf.data.TFRecordDataset(path):
            event = tf.compat.v1.Event.FromString(record.numpy())
            for value in event.summary.value:
                tags.setdefault(value.tag, []).append(
                    (event.step, float(tf.make_ndarray(value.tensor)))
                )
    return tags


@pytest.mark.slow
def test_pretraining_learns_and_writes_summaries_and_eval_results(tmp_path):
    write_records(tmp_path / "a.tfrecord", structured_examples(256, seed=1))
    results = run_pretraining(_options(tmp_path))
    # From chance (MLM 1/60, loss ln 60 + ln 2 = 4.79) to clearly learned in 300 steps.
    assert results["global_step"] == 300
    assert results["masked_lm_accuracy"] > 0.2
    assert results["next_sentence_accuracy"] > 0.8
    assert results["loss"] < 0.75 * (math.log(60) + math.log(2))

    lines = (tmp_path / "out" / "eval_results.txt").read_text().splitlines()
    assert [line.split(" = ")[0] for line in lines] == [
        "global_step",
        "loss",
        "masked_lm_accuracy",
        "masked_lm_loss",
        "next_sentence_accuracy",
        "next_sentence_loss",
    ]

    train = _scalars(tmp_path / "out" / "train")
    for tag in (
        "loss",
        "masked_lm_loss",
        "masked_lm_accuracy",
        "next_sentence_loss",
        "next_sentence_accuracy",
        "learning_rate",
        "gradient_norm",
        "examples_per_second",
    ):
        assert [step for step, _ in train[tag]] == [50, 100, 150, 200, 250, 300], tag
    assert train["loss"][-1][1] < train["loss"][0][1]
    # Warmup then linear decay: lr(step) = 3e-3 * (1 - step / 300), read after the update.
    assert train["learning_rate"][0][1] == pytest.approx(3e-3 * (1 - 50 / 300), rel=1e-5)
    assert sorted(
        os.path.basename(p) for p in tf.io.gfile.glob(str(tmp_path / "out" / "ckpt-*.index"))
    ) == ["ckpt-100.index", "ckpt-200.index", "ckpt-300.index"]


@pytest.mark.slow
def test_a_second_run_resumes_at_the_saved_step(tmp_path):
    write_records(tmp_path / "a.tfrecord", structured_examples(64, seed=1))
    run_pretraining(
        _options(
            tmp_path,
            num_train_steps=20,
            save_checkpoints_steps=10,
            steps_per_loop=5,
            log_steps=5,
            do_eval=False,
        )
    )
    results = run_pretraining(
        _options(
            tmp_path,
            num_train_steps=30,
            save_checkpoints_steps=10,
            steps_per_loop=5,
            log_steps=5,
            max_eval_steps=1,
        )
    )
    assert results["global_step"] == 30
    steps = [step for step, _ in _scalars(tmp_path / "out" / "train")["loss"]]
    assert steps == [5, 10, 15, 20, 25, 30]


def test_config_shorter_than_max_seq_length_is_an_error_naming_both(tmp_path):
    options = _options(tmp_path, max_seq_length=128)
    with pytest.raises(ConfigError, match="max_seq_length=128.*max_position_embeddings=64"):
        run_pretraining(options)


def test_missing_input_is_an_error_naming_the_pattern(tmp_path):
    with pytest.raises(InputError, match=r"\*\.tfrecord"):
        run_pretraining(_options(tmp_path))


def test_records_disagreeing_with_max_predictions_per_seq_are_an_error(tmp_path):
    write_records(tmp_path / "a.tfrecord", structured_examples(4, max_predictions_per_seq=3))
    with pytest.raises(
        InputError, match="max_predictions_per_seq=3 but max_predictions_per_seq=4 was given"
    ):
        run_pretraining(_options(tmp_path, max_predictions_per_seq=4))


@pytest.mark.slow
@pytest.mark.parametrize("dtype, jit", [("mixed_float16", False), ("mixed_bfloat16", True)])
def test_mixed_precision_training_runs_with_float32_losses_and_weights(tmp_path, dtype, jit):
    import keras

    write_records(tmp_path / "a.tfrecord", structured_examples(64, seed=1))
    try:
        results = run_pretraining(
            _options(
                tmp_path,
                dtype=dtype,
                enable_xla=jit,
                num_train_steps=40,
                save_checkpoints_steps=40,
                steps_per_loop=20,
            )
        )
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert results["global_step"] == 40
    assert all(math.isfinite(results[k]) for k in ("loss", "masked_lm_loss", "next_sentence_loss"))
    # Chance level is ln(60) + ln(2) = 4.79: forty steps in half precision still learn.
    assert results["loss"] < 4.6
    dtypes = tf.train.load_checkpoint(str(tmp_path / "out" / "ckpt-40")).get_variable_to_dtype_map()
    assert {dtype.name for dtype in dtypes.values()} <= {"float32", "int64", "string"}


@pytest.mark.slow
def test_raw_text_input_trains_and_its_loss_falls(tmp_path):
    from tests.data_prep import corpus

    text = corpus.write_corpus(tmp_path, num_documents=100)
    results = run_pretraining(
        _options(
            tmp_path,
            input_file=text,
            input_format="text",
            vocab_file=corpus.write_vocab(tmp_path),
            max_seq_length=32,
            max_predictions_per_seq=5,
            do_whole_word_mask=True,
            num_train_steps=150,
        )
    )
    loss = [value for _, value in _scalars(tmp_path / "out" / "train")["loss"]]
    assert results["global_step"] == 150 and len(loss) == 3
    # Chance is ln 60 + ln 2 = 4.79; words drawn uniformly from 24 leave at least ln 24 = 3.18.
    assert loss[0] > loss[-1] and results["masked_lm_loss"] < 3.6


def test_raw_text_vocab_larger_than_the_config_is_an_error_naming_the_file(tmp_path):
    from tests.data_prep import corpus

    vocab = corpus.write_vocab(tmp_path, corpus.vocab_tokens() + [f"w{i}" for i in range(60)])
    with pytest.raises(ConfigError, match="vocab.txt has 94 tokens, more than vocab_size=60 of "):
        run_pretraining(
            _options(
                tmp_path,
                input_file=corpus.write_corpus(tmp_path),
                input_format="text",
                vocab_file=vocab,
            )
        )


def test_a_truncated_shard_stops_pretraining_naming_it(tmp_path):
    path = write_records(tmp_path / "a.tfrecord", structured_examples(64))
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[:-10])
    from bert_tf.checkpoints import write_checkpoint
    from bert_tf.config import BertConfig
    from bert_tf.models import BertEncoder, BertPretrainer

    options = _options(tmp_path, do_train=False, max_eval_steps=10)
    model = BertPretrainer(BertEncoder(BertConfig.from_json_file(options.bert_config_file)))
    checkpoint = write_checkpoint(model, str(tmp_path / "init" / "model.ckpt"))
    with pytest.raises(InputError, match=r"a\.tfrecord: record 64 is truncated or damaged"):
        run_pretraining(dataclasses.replace(options, init_checkpoint=checkpoint))


def test_eval_alone_with_no_model_to_evaluate_is_refused_before_the_model_is_built(tmp_path):
    write_records(tmp_path / "a.tfrecord", structured_examples(16))
    with pytest.raises(ConfigError, match="do_eval without do_train .* holds no checkpoint"):
        run_pretraining(_options(tmp_path, do_train=False))
    assert not os.path.exists(tmp_path / "out")
