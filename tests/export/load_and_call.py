"""Run in a fresh process: loads SavedModels with only tensorflow and tensorflow_text, calls them.

    python load_and_call.py requests.pkl results.pkl [--without_tensorflow_text]

requests: {key: (saved_model_dir, signature_name, {input name: numpy array})}; results:
{key: {output name: numpy array}} ({"invalid_argument": message} for a request the
signature rejected), plus "bert_tf_imported" and "tokenize" (the
preprocessing model's `tokenize` on the first request's text_a, when there is one).
With --without_tensorflow_text, tensorflow_text is not imported, so its ops are not
registered: what a server built without them can load.
"""

import pickle
import sys

import tensorflow as tf

if "--without_tensorflow_text" not in sys.argv:
    import tensorflow_text  # noqa: F401  (registers the ops the graphs use)


def main(request_path, result_path):
    with open(request_path, "rb") as f:
        requests = pickle.load(f)
    loaded = {}
    results = {}
    for key, (path, signature, inputs) in requests.items():
        if path not in loaded:
            loaded[path] = tf.saved_model.load(path)
        try:
            outputs = loaded[path].signatures[signature](
                **{name: tf.constant(value) for name, value in inputs.items()}
            )
        except tf.errors.InvalidArgumentError as error:  # a rejected request, kept as data
            results[key] = {"invalid_argument": error.message}
            continue
        results[key] = {name: value.numpy() for name, value in outputs.items()}
        if hasattr(loaded[path], "tokenize") and "text_a" in inputs:
            results["tokenize"] = loaded[path].tokenize(tf.constant(inputs["text_a"])).to_list()
    results["bert_tf_imported"] = any(name.split(".")[0] == "bert_tf" for name in sys.modules)
    results["tensorflow_text_imported"] = "tensorflow_text" in sys.modules
    with open(result_path, "wb") as f:
        pickle.dump(results, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
