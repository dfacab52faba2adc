import os

import numpy as np
import pytest
import tensorflow as tf

from bert_tf.errors import ConfigError, DataError
from bert_tf.models import BertEncoder
from bert_tf.tasks.glue import TASK_NAMES, GlueTask
from tests.keras_helpers import tiny_config
from tests.original_bert import original_features

SHARED_GLUE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "glue")

MNLI_HEADER_PREFIX = (
    "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\t"
    "sentence2_binary_parse\tsentence1_parse\tsentence2_parse\t"
    "sentence1\tsentence2"
)
STSB_TEST_HEADER = "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2"

# Tiny files in the formats the GLUE benchmark distributes, and what each split must read as:
# (index, text_a, text_b, label).
GLUE_FILES = {
    "cola": {
        # No header in train/dev; quotes are text (the reader uses quotechar=None).
        "train.tsv": 'gj04\t1\t\tThe cat sat.\ngj04\t0\t*\t"The dog, she said\tsat.\n',
        "dev.tsv": "cj99\t1\t\tA man walks.\n",
        "test.tsv": 'index\tsentence\n0\tThe movie is good.\n1\t"Bad movie.\n',
    },
    "sst2": {
        "train.tsv": "sentence\tlabel\nhide the cat \t0\na good movie \t1\n",
        "dev.tsv": "sentence\tlabel\nit 's a bad movie . \t0\n",
        "test.tsv": "index\tsentence\n0\tuneasy mishmash\n",
    },
    "mrpc": {
        "train.tsv": (
            "\ufeffQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\n"
            '1\t702876\t702977\tHe called "the witness" .\tThe witness , he said .\n'
        ),
        "dev.tsv": (
            "\ufeffQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\n"
            "0\t1\t2\tThe cat sat.\tThe dog sat.\n"
        ),
        "test.tsv": (
            "\ufeffindex\t#1 ID\t#2 ID\t#1 String\t#2 String\n"
            "0\t1089874\t1089925\tA man walks.\tA woman walks.\n"
        ),
    },
    "stsb": {
        "train.tsv": (
            STSB_TEST_HEADER + "\tscore\n"
            "0\tmain-captions\tMSRvid\t2012test\t0001\tnone\tnone\tA plane is taking "
            "off.\tAn air plane is taking off.\t5.000\n"
        ),
        "dev.tsv": (
            STSB_TEST_HEADER + "\tscore\n"
            "0\tmain-captions\tMSRvid\t2012test\t0000\tnone\tnone\tA man with a hard "
            "hat.\tA man wearing a hard hat.\t5.000\n"
            "1\tmain-news\theadlines\t2013\t0001\tnone\tnone\tX.\tY.\t0.600\n"
        ),
        "test.tsv": (
            STSB_TEST_HEADER + "\n"
            "0\tmain-captions\tMSRvid\t2012test\t0024\tnone\tnone\tA girl is styling "
            "her hair.\tA girl is brushing her hair.\n"
        ),
    },
    "qqp": {
        "train.tsv": (
            "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n"
            "133273\t213221\t213222\tHow is the life?\tWhich level?\t0\n"
        ),
        "dev.tsv": (
            "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n"
            "201359\t303345\t303346\tWhy are dogs good?\tWhy are dogs good pets?\t1\n"
        ),
        "test.tsv": "id\tquestion1\tquestion2\n0\tWhat is it?\tWho is he?\n",
    },
    "mnli": {
        "train.tsv": (
            MNLI_HEADER_PREFIX + "\tlabel1\tgold_label\n"
            "0\t31193\t31193n\tgovernment\t( a )\t( b )\t(ROOT a)\t(ROOT b)\t"
            "The cat sat.\tThe cat is on the mat.\tneutral\tneutral\n"
        ),
        "dev_matched.tsv": (
            MNLI_HEADER_PREFIX + "\tlabel1\tlabel2\tlabel3\tlabel4\tlabel5"
            "\tgold_label\n"
            "0\t63735\t63735n\tslate\t( a )\t( b )\t(ROOT a)\t(ROOT b)\t"
            "A man walks.\tA man runs.\tneutral\tentailment\tneutral\tneutral"
            "\tneutral\tneutral\n"
        ),
        "dev_mismatched.tsv": (
            MNLI_HEADER_PREFIX + "\tlabel1\tlabel2\tlabel3\tlabel4\tlabel5"
            "\tgold_label\n"
            "0\t75290\t75290c\tletters\t( a )\t( b )\t(ROOT a)\t(ROOT b)\t"
            "Good.\tBad.\tcontradiction\tcontradiction\tcontradiction"
            "\tcontradiction\tcontradiction\tcontradiction\n"
        ),
        "test_matched.tsv": (
            MNLI_HEADER_PREFIX + "\n"
            "0\t31493\t31493\ttravel\t( a )\t( b )\t(ROOT a)\t(ROOT b)\t"
            "Hey.\tHi.\n"
        ),
        "test_mismatched.tsv": (
            MNLI_HEADER_PREFIX + "\n"
            "0\t16130\t16130\tfacetoface\t( a )\t( b )\t(ROOT a)\t(ROOT b)\t"
            "What?\tWho?\n"
        ),
    },
    "qnli": {
        "train.tsv": ("index\tquestion\tsentence\tlabel\n0\tWhat sat?\tThe cat sat.\tentailment\n"),
        "dev.tsv": "index\tquestion\tsentence\tlabel\n0\tWho ran?\tA dog sat.\tnot_entailment\n",
        "test.tsv": "index\tquestion\tsentence\n0\tWhat is it?\tIt is a cat.\n",
    },
    "rte": {
        "train.tsv": (
            "index\tsentence1\tsentence2\tlabel\n"
            '0\t"No weapons found.\tWeapons found.\tnot_entailment\n'
        ),
        "dev.tsv": "index\tsentence1\tsentence2\tlabel\n0\tDogs run.\tDogs move.\tentailment\n",
        "test.tsv": "index\tsentence1\tsentence2\n0\tMamie Eisenhower.\tMamie.\n",
    },
    "wnli": {
        "train.tsv": "index\tsentence1\tsentence2\tlabel\n0\tI stuck a pin.\tIt had a hole.\t1\n",
        "dev.tsv": "index\tsentence1\tsentence2\tlabel\n0\tThe drain is clogged.\tIt is.\t0\n",
        "test.tsv": "index\tsentence1\tsentence2\n0\tMaude and Dora.\tThey saw.\n",
    },
    "ax": {
        "diagnostic.tsv": (
            "index\tsentence1\tsentence2\n"
            "0\tThe cat sat on the mat.\tThe cat did not sit on the mat.\n"
            "1\tA man walks.\tA man runs.\n"
        ),
    },
}

EXPECTED = {
    "cola": {
        "train": [(0, "The cat sat.", None, "1"), (1, '"The dog, she said', None, "0")],
        "dev": [(0, "A man walks.", None, "1")],
        "test": [(0, "The movie is good.", None, None), (1, '"Bad movie.', None, None)],
    },
    "sst2": {
        "train": [(0, "hide the cat ", None, "0"), (1, "a good movie ", None, "1")],
        "dev": [(0, "it 's a bad movie . ", None, "0")],
        "test": [(0, "uneasy mishmash", None, None)],
    },
    "mrpc": {
        "train": [(0, 'He called "the witness" .', "The witness , he said .", "1")],
        "dev": [(0, "The cat sat.", "The dog sat.", "0")],
        "test": [(0, "A man walks.", "A woman walks.", None)],
    },
    "stsb": {
        "train": [(0, "A plane is taking off.", "An air plane is taking off.", 5.0)],
        "dev": [
            (0, "A man with a hard hat.", "A man wearing a hard hat.", 5.0),
            (1, "X.", "Y.", 0.6),
        ],
        "test": [(0, "A girl is styling her hair.", "A girl is brushing her hair.", None)],
    },
    "qqp": {
        "train": [(0, "How is the life?", "Which level?", "0")],
        "dev": [(0, "Why are dogs good?", "Why are dogs good pets?", "1")],
        "test": [(0, "What is it?", "Who is he?", None)],
    },
    "mnli": {
        "train": [(0, "The cat sat.", "The cat is on the mat.", "neutral")],
        "dev": [(0, "A man walks.", "A man runs.", "neutral")],
        "dev_mismatched": [(0, "Good.", "Bad.", "contradiction")],
        "test": [(0, "Hey.", "Hi.", None)],
        "test_mismatched": [(0, "What?", "Who?", None)],
    },
    "qnli": {
        "train": [(0, "What sat?", "The cat sat.", "entailment")],
        "dev": [(0, "Who ran?", "A dog sat.", "not_entailment")],
        "test": [(0, "What is it?", "It is a cat.", None)],
    },
    "rte": {
        "train": [(0, '"No weapons found.', "Weapons found.", "not_entailment")],
        "dev": [(0, "Dogs run.", "Dogs move.", "entailment")],
        "test": [(0, "Mamie Eisenhower.", "Mamie.", None)],
    },
    "wnli": {
        "train": [(0, "I stuck a pin.", "It had a hole.", "1")],
        "dev": [(0, "The drain is clogged.", "It is.", "0")],
        "test": [(0, "Maude and Dora.", "They saw.", None)],
    },
    "ax": {
        "test": [
            (0, "The cat sat on the mat.", "The cat did not sit on the mat.", None),
            (1, "A man walks.", "A man runs.", None),
        ]
    },
}


def write_files(directory, files):
    for name, text in files.items():
        with open(os.path.join(directory, name), "w", encoding="utf-8", newline="") as f:
            f.write(text)
    return str(directory)


def as_tuples(examples):
    return [(e.index, e.text_a, e.text_b, e.label) for e in examples]


def test_every_glue_task_has_files_here():
    assert set(GLUE_FILES) == set(TASK_NAMES) == set(EXPECTED)


@pytest.mark.parametrize("task_name", sorted(GLUE_FILES))
def test_reads_each_split_in_the_original_glue_format(task_name, tmp_path, tokenizer):
    task = GlueTask(task_name, tokenizer, 16, data_dir=write_files(tmp_path, GLUE_FILES[task_name]))
    assert set(task.splits) == set(EXPECTED[task_name])
    for split, expected in EXPECTED[task_name].items():
        examples = task.read_examples(split)
        assert as_tuples(examples) == expected, split
        assert {e.split for e in examples} == {split}


def test_cola_train_row_with_a_stray_tab_is_read_by_position(tmp_path, tokenizer):
    # "\"The dog, she said\tsat." is two fields, not one quoted field: the original reads
    # line[3] and ignores the stray fifth field.
    task = GlueTask("CoLA", tokenizer, 16, data_dir=write_files(tmp_path, GLUE_FILES["cola"]))
    assert task.read_examples("train")[1].text_a == '"The dog, she said'


def test_task_names_follow_the_glue_spellings(tokenizer, tmp_path):
    assert GlueTask("SST-2", tokenizer, 8, data_dir=str(tmp_path)).name == "sst2"
    assert GlueTask("STS-B", tokenizer, 8, data_dir=str(tmp_path)).name == "stsb"
    mnli = GlueTask("MNLI", tokenizer, 8, data_dir=str(tmp_path))
    assert mnli.eval_splits == ("dev", "dev_mismatched")
    assert mnli.predict_splits == ("test", "test_mismatched")
    assert GlueTask("AX", tokenizer, 8, data_dir=str(tmp_path)).eval_splits == ()
    with pytest.raises(ConfigError, match="unknown GLUE task"):
        GlueTask("squad", tokenizer, 8, data_dir=str(tmp_path))
    with pytest.raises(ValueError, match="no split 'dev_mismatched'"):
        GlueTask("rte", tokenizer, 8, data_dir=str(tmp_path)).read_examples("dev_mismatched")


def test_ax_also_reads_the_file_named_ax_tsv(tmp_path, tokenizer):
    write_files(tmp_path, {"AX.tsv": GLUE_FILES["ax"]["diagnostic.tsv"]})
    task = GlueTask("ax", tokenizer, 16, data_dir=str(tmp_path))
    assert as_tuples(task.read_examples("test")) == EXPECTED["ax"]["test"]


@pytest.mark.parametrize(
    "task_name, files, message",
    [
        # A row too short for the columns the task reads (a missing column).
        (
            "rte",
            {"dev.tsv": "index\tsentence1\tsentence2\tlabel\n0\tA.\tB.\tentailment\n1\tA.\n"},
            r"dev.tsv:3: expected at least 4 tab-separated fields for rte dev, found 2",
        ),
        (
            "mnli",
            {"dev_matched.tsv": MNLI_HEADER_PREFIX + "\tgold_label\n0\t1\t2\tg\tx\ty\tz\tw\n"},
            r"dev_matched.tsv:2: expected at least 11 tab-separated fields",
        ),
        (
            "cola",
            {"train.tsv": "gj04\t1\t\tFine.\ngj04\t1\tNo sentence\n"},
            r"train.tsv:2: expected at least 4",
        ),
        # Unknown labels: a stray field moves MNLI's gold label (read from the end) onto text.
        (
            "mrpc",
            {"train.tsv": "\ufeffQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\n2\t1\t2\tA\tB\n"},
            r"train.tsv:2: unknown label '2' for mrpc",
        ),
        (
            "qnli",
            {"train.tsv": "index\tquestion\tsentence\tlabel\n0\tQ?\tS.\tentailment\textra\n"},
            r"train.tsv:2: unknown label 'extra'",
        ),
        (
            "stsb",
            {"dev.tsv": STSB_TEST_HEADER + "\tscore\n0\tg\tf\ty\to\ts\ts\tA.\tB.\thigh\n"},
            r"dev.tsv:2: label 'high' is not a number",
        ),
        (
            "qqp",
            {"test.tsv": "id\tquestion1\tquestion2\nx\tA?\tB?\n"},
            r"test.tsv:2: index 'x' is not an integer",
        ),
    ],
)
def test_bad_rows_raise_with_file_and_line(task_name, files, message, tmp_path, tokenizer):
    task = GlueTask(task_name, tokenizer, 16, data_dir=write_files(tmp_path, files))
    split = {"dev_matched.tsv": "dev"}.get(next(iter(files)), next(iter(files))[:-4])
    with pytest.raises(DataError, match=message):
        task.read_examples(split)


@pytest.mark.parametrize("text", ["", "index\tsentence1\tsentence2\tlabel\n", "\n\n"])
def test_a_split_without_examples_is_an_error_naming_the_file(text, tmp_path, tokenizer):
    task = GlueTask("rte", tokenizer, 16, data_dir=write_files(tmp_path, {"train.tsv": text}))
    with pytest.raises(DataError, match=r"train\.tsv: no rte train examples"):
        task.read_examples("train")


def test_a_byte_that_is_not_utf8_names_file_and_line(tmp_path, tokenizer):
    (tmp_path / "dev.tsv").write_bytes(
        b"index\tsentence1\tsentence2\tlabel\n0\tA.\tB.\tentailment\n1\tA \xff.\tB.\tentailment\n"
    )
    task = GlueTask("rte", tokenizer, 16, data_dir=str(tmp_path))
    with pytest.raises(DataError, match=r"dev\.tsv:3: not UTF-8"):
        task.read_examples("dev")


def random_text(rng, max_words):
    words = ["the", "cat", "sat", "on", "mat", "dog", "walks", "xyz", "quux", ".", ","]
    return " ".join(rng.choice(words, size=rng.integers(0, max_words + 1)))


@pytest.mark.parametrize("max_seq_length", [5, 8, 13])
def test_long_pairs_are_truncated_like_the_original(tmp_path, tokenizer, max_seq_length):
    rng = np.random.default_rng(max_seq_length)
    task = GlueTask("rte", tokenizer, max_seq_length, data_dir=str(tmp_path))
    texts = [(random_text(rng, 12), random_text(rng, 12)) for _ in range(40)]
    examples = task_examples(task, texts, "entailment")
    features = task.make_features(examples, is_training=True)
    for i, (a, b) in enumerate(texts):
        ids, mask, types = original_features(tokenizer, a, b, max_seq_length)
        assert features["input_word_ids"][i].tolist() == ids, (a, b)
        assert features["input_mask"][i].tolist() == mask
        assert features["input_type_ids"][i].tolist() == types
    assert features["input_word_ids"].dtype == np.int32
    assert features["input_word_ids"].shape == (40, max_seq_length)


def test_single_sentences_are_truncated_like_the_original(tmp_path, tokenizer):
    rng = np.random.default_rng(1)
    task = GlueTask("cola", tokenizer, 7, data_dir=str(tmp_path))
    texts = [random_text(rng, 10) for _ in range(20)]
    from bert_tf.tasks.glue import GlueExample

    examples = [GlueExample("train", i, text, None, "1") for i, text in enumerate(texts)]
    features = task.make_features(examples, is_training=True)
    for i, text in enumerate(texts):
        ids, mask, types = original_features(tokenizer, text, None, 7)
        assert features["input_word_ids"][i].tolist() == ids
        assert features["input_mask"][i].tolist() == mask
        assert features["input_type_ids"][i].tolist() == types
    assert features["label_ids"].tolist() == [1] * 20


def test_no_examples_give_empty_features(tmp_path, tokenizer):
    features = GlueTask("rte", tokenizer, 8, data_dir=str(tmp_path)).make_features([], False)
    assert features["input_word_ids"].shape == (0, 8)
    assert features["label_ids"].shape == (0,)


def test_max_seq_length_too_short_for_the_special_tokens_is_an_error(tmp_path, tokenizer):
    task = GlueTask("rte", tokenizer, 3, data_dir=str(tmp_path))
    with pytest.raises(ConfigError, match="max_seq_length 3 is too short"):
        task.make_features(task_examples(task, [("a", "b")], "entailment"), False)


def task_examples(task, pairs, label, split="train"):
    from bert_tf.tasks.glue import GlueExample

    return [GlueExample(split, i, a, b, label) for i, (a, b) in enumerate(pairs)]


@pytest.fixture(scope="module")
def tiny_encoder(tokenizer):
    return BertEncoder(tiny_config(vocab_size=tokenizer.vocab_size))


def test_classifier_forward_pass_and_cross_entropy(tmp_path, tokenizer, tiny_encoder):
    task = GlueTask("mnli", tokenizer, 16, data_dir=write_files(tmp_path, GLUE_FILES["mnli"]))
    examples = task.read_examples("train") + task.read_examples("dev")
    features = task.make_features(examples, is_training=True)
    assert features["label_ids"].tolist() == [2, 2]  # "neutral" in the original label list
    model = task.build_model(tiny_encoder)
    outputs = model({k: features[k] for k in ("input_word_ids", "input_mask", "input_type_ids")})
    logits = np.asarray(outputs["logits"], np.float64)
    assert logits.shape == (2, 3)
    loss = float(task.loss(features, outputs))
    log_softmax = logits - np.log(np.sum(np.exp(logits), axis=-1, keepdims=True))
    assert np.isfinite(loss)
    assert loss == pytest.approx(-np.mean(log_softmax[np.arange(2), [2, 2]]), rel=1e-5)


def test_stsb_is_a_regression_with_mean_squared_error(tmp_path, tokenizer, tiny_encoder):
    task = GlueTask("STS-B", tokenizer, 16, data_dir=write_files(tmp_path, GLUE_FILES["stsb"]))
    features = task.make_features(task.read_examples("dev"), is_training=False)
    assert features["label_ids"].dtype == np.float32
    np.testing.assert_allclose(features["label_ids"], [5.0, 0.6])
    outputs = task.build_model(tiny_encoder)(
        {k: features[k] for k in ("input_word_ids", "input_mask", "input_type_ids")}
    )
    assert tuple(outputs["logits"].shape) == (2, 1)
    scores = np.asarray(outputs["logits"])[:, 0]
    assert float(task.loss(features, outputs)) == pytest.approx(
        np.mean((scores - [5.0, 0.6]) ** 2), rel=1e-5
    )


def test_loss_is_usable_in_graph(tmp_path, tokenizer):
    task = GlueTask("rte", tokenizer, 8, data_dir=str(tmp_path))
    loss = tf.function(task.loss)(
        {"label_ids": tf.constant([0, 1])}, {"logits": tf.constant([[0.0, 0.0], [0.0, 0.0]])}
    )
    assert float(loss) == pytest.approx(np.log(2.0))


def logits_for(predictions, num_labels):
    return np.eye(num_labels, dtype=np.float32)[predictions] * 3.0


def test_evaluate_reports_the_official_metrics(tmp_path, tokenizer):
    import sklearn.metrics

    task = GlueTask("mrpc", tokenizer, 8, data_dir=str(tmp_path))
    labels = ["1", "1", "0", "0", "1"]
    predictions = [1, 0, 0, 1, 1]
    examples = task_examples(task, [("a", "b")] * 5, None, split="dev")
    examples = [
        e.__class__(e.split, e.index, e.text_a, e.text_b, label)
        for e, label in zip(examples, labels)
    ]
    features = task.make_features(examples, is_training=False)
    metrics = task.evaluate(examples, features, {"logits": logits_for(predictions, 2)})
    gold = [int(label) for label in labels]
    assert metrics == pytest.approx(
        {"f1": sklearn.metrics.f1_score(gold, predictions), "accuracy": 0.6}
    )
    assert task.metric_name == "f1"


def test_mnli_mismatched_metrics_are_named_apart(tmp_path, tokenizer):
    task = GlueTask("mnli", tokenizer, 16, data_dir=write_files(tmp_path, GLUE_FILES["mnli"]))
    for split, key in (("dev", "accuracy"), ("dev_mismatched", "accuracy_mismatched")):
        examples = task.read_examples(split)
        features = task.make_features(examples, is_training=False)
        # neutral (2) for dev is right; contradiction (0) is the gold label of dev_mismatched.
        metrics = task.evaluate(examples, features, {"logits": logits_for([2], 3)})
        assert metrics == {key: 1.0 if split == "dev" else 0.0}


def test_cola_and_stsb_metric_names(tmp_path, tokenizer):
    import scipy.stats

    stsb = GlueTask("stsb", tokenizer, 8, data_dir=str(tmp_path))
    gold = [0.0, 1.2, 3.4, 3.4, 5.0]
    examples = [
        e.__class__("dev", i, "a", "b", g)
        for i, (e, g) in enumerate(zip(task_examples(stsb, [("a", "b")] * 5, 0.0), gold))
    ]
    scores = np.array([[0.5], [1.0], [3.0], [4.0], [4.5]], np.float32)
    metrics = stsb.evaluate(examples, stsb.make_features(examples, False), {"logits": scores})
    assert metrics["pearson"] == pytest.approx(
        scipy.stats.pearsonr(gold, scores[:, 0])[0], rel=1e-6
    )
    assert metrics["spearman"] == pytest.approx(scipy.stats.spearmanr(gold, scores[:, 0])[0])
    assert stsb.metric_name == "spearman"
    assert GlueTask("cola", tokenizer, 8, data_dir=str(tmp_path)).metric_name == "mcc"


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return f.read().split("\n")


def test_write_predictions_in_the_glue_server_format(tmp_path, tokenizer):
    data_dir = write_files(tmp_path, GLUE_FILES["mnli"])
    task = GlueTask("mnli", tokenizer, 16, data_dir=data_dir)
    out = tmp_path / "out"
    paths = []
    for split, prediction in (("test", 1), ("test_mismatched", 0)):
        examples = task.read_examples(split)
        features = task.make_features(examples, is_training=False)
        paths += task.write_predictions(
            examples, features, {"logits": logits_for([prediction], 3)}, str(out)
        )
    assert [os.path.basename(p) for p in paths] == ["MNLI-m.tsv", "MNLI-mm.tsv"]
    assert read_lines(paths[0]) == ["index\tprediction", "0\tentailment", ""]
    assert read_lines(paths[1]) == ["index\tprediction", "0\tcontradiction", ""]
    assert sorted(os.listdir(out)) == ["MNLI-m.tsv", "MNLI-mm.tsv"]  # no temp files left


@pytest.mark.parametrize(
    "task_name, file_name, logits, expected",
    [
        ("cola", "CoLA.tsv", [[0.0, 1.0], [2.0, 1.0]], ["0\t1", "1\t0"]),
        ("rte", "RTE.tsv", [[0.0, 1.0]], ["0\tnot_entailment"]),
        ("stsb", "STS-B.tsv", [[7.5]], ["0\t5.000"]),
        ("ax", "AX.tsv", [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], ["0\tentailment", "1\tneutral"]),
    ],
)
def test_write_predictions_file_names_and_labels(
    task_name, file_name, logits, expected, tmp_path, tokenizer
):
    task = GlueTask(task_name, tokenizer, 16, data_dir=write_files(tmp_path, GLUE_FILES[task_name]))
    examples = task.read_examples("test")
    features = task.make_features(examples, is_training=False)
    paths = task.write_predictions(
        examples, features, {"logits": np.array(logits, np.float32)}, str(tmp_path / "out")
    )
    assert [os.path.basename(p) for p in paths] == [file_name]
    assert read_lines(paths[0]) == ["index\tprediction"] + expected + [""]


def test_tfds_source_reads_glue_with_the_original_labels(tokenizer):
    import tensorflow_datasets as tfds  # slow to import; only this test needs it

    with tfds.testing.mock_data(num_examples=6):
        records = list(tfds.as_numpy(tfds.load("glue/mnli", split="validation_mismatched")))
        task = GlueTask("mnli", tokenizer, 16, data_source="tfds")
        examples = task.read_examples("dev_mismatched")
        test_examples = task.read_examples("test")
        mrpc = GlueTask("mrpc", tokenizer, 16, data_source="tfds").read_examples("train")
    tfds_names = ["entailment", "neutral", "contradiction"]  # TFDS's order, not the original's
    expected = sorted(
        (
            (
                int(r["idx"]),
                r["premise"].decode(),
                r["hypothesis"].decode(),
                tfds_names[int(r["label"])],
            )
            for r in records
        ),
        key=lambda t: t[0],
    )
    assert as_tuples(examples) == expected
    assert all(e.label is None for e in test_examples)
    assert {e.label for e in mrpc} <= {"0", "1"}
    features = task.make_features(examples, is_training=False)
    assert features["input_word_ids"].shape == (6, 16)


def reference_tsv_rows(path, skip_header):
    """Independent reading: GLUE TSVs are one record per line, fields split on tabs."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().lstrip("\ufeff").split("\n")
    rows = [line.rstrip("\r").split("\t") for line in lines if line]
    return rows[1:] if skip_header else rows


@pytest.mark.shared_data
@pytest.mark.parametrize(
    "task_name, folder, columns, header",
    [
        ("cola", "CoLA", (3, None, 1), False),
        ("sst2", "SST-2", (0, None, 1), True),
        ("mrpc", "MRPC", (3, 4, 0), True),
        ("stsb", "STS-B", (7, 8, -1), True),
        ("rte", "RTE", (1, 2, -1), True),
        ("wnli", "WNLI", (1, 2, -1), True),
    ],
)
def test_reads_the_real_glue_training_files(task_name, folder, columns, header, tokenizer):
    data_dir = os.path.join(SHARED_GLUE, folder)
    if not os.path.isdir(data_dir):
        pytest.skip("../shared/data/glue is absent")
    examples = GlueTask(task_name, tokenizer, 16, data_dir=data_dir).read_examples("train")
    rows = reference_tsv_rows(os.path.join(data_dir, "train.tsv"), header)
    a, b, label = columns
    expected = [
        (
            row[a],
            None if b is None else row[b],
            float(row[label]) if task_name == "stsb" else row[label],
        )
        for row in rows
    ]
    assert [(e.text_a, e.text_b, e.label) for e in examples] == expected
