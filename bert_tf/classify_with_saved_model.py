"""Classifies raw sentences with an exported classifier SavedModel, as a serving client would.

    python -m bert_tf.classify_with_saved_model --saved_model_dir=export/1 "a lovely film" "so dull"

The SavedModel carries its vocabulary, tokenization and labels, so a client needs TensorFlow and
tensorflow-text (whose ops the exported tokenizer uses) and nothing of bert_tf's models or
tokenizer; this script imports only bert_tf.cli, the command-line layer.
"""

from absl import app, flags

from bert_tf import cli

flags.DEFINE_string(
    "saved_model_dir",
    None,
    "A version directory written by export_saved_model --model_type=classifier, e.g. export/1.",
)
flags.DEFINE_string("text_b", "", "Second sentence of each pair (for pair tasks such as MRPC).")
flags.mark_flag_as_required("saved_model_dir")
FLAGS = flags.FLAGS


def main(argv):
    import tensorflow as tf
    import tensorflow_text  # noqa: F401  (registers the ops the exported tokenizer uses)

    sentences = argv[1:]
    if not sentences:
        raise app.UsageError("give one or more sentences to classify after the flags")
    serve = tf.saved_model.load(FLAGS.saved_model_dir).signatures["serving_default"]
    outputs = serve(
        text_a=tf.constant(sentences), text_b=tf.constant([FLAGS.text_b] * len(sentences))
    )
    labels = (
        outputs["label"].numpy().astype(str)
        if "label" in outputs
        else outputs["label_id"].numpy().astype(str)
    )
    for sentence, label, probabilities in zip(sentences, labels, outputs["probabilities"].numpy()):
        print(f"{label}\t{probabilities.max():.3f}\t{sentence}")


def run():
    """The `bert-classify-with-saved-model` console script."""
    cli.run_script(main)


if __name__ == "__main__":
    run()
