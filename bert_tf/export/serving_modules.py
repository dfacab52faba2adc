"""tf.Modules whose signatures TF Serving calls: raw text in, task outputs out.

Each module has two serving functions (see `signatures()`), by default under these names:
  serving_default   serve_text: tf.string inputs [batch_size], tokenized and packed in-graph
                    exactly as in training (Tokenizer + pack_inputs), with the task's
                    post-processing in TF ops, so a client needs neither bert_tf nor the vocab;
  serve_token_ids   serve_token_ids: int32 input_word_ids, input_mask, input_type_ids for
                    clients that tokenize themselves; returns the model's raw outputs.
                    Inputs of the wrong rank, ids out of range, a mask other than 0s and
                    1s, or a sequence of length 0 or beyond max_position_embeddings are an
                    InvalidArgument error naming the input.
The vocab is saved with every module as the asset `assets/vocab.txt`.
"""

import tensorflow as tf

from bert_tf import text_inputs
from bert_tf.errors import ConfigError
from bert_tf.export.pooling import PoolingOptions, normalized, pool
from bert_tf.tasks import ner_serving, squad_serving
from bert_tf.tokenization import pack_inputs

_TEXTS = tf.TensorSpec([None], tf.string)
_IDS = tf.TensorSpec([None, None], tf.int32)
_TEXT_PAIR = {"text_a": _TEXTS, "text_b": _TEXTS}
_TOKEN_IDS = {"input_word_ids": _IDS, "input_mask": _IDS, "input_type_ids": _IDS}

# Serving function -> signature name, as Model Garden's function_keys.
DEFAULT_FUNCTION_KEYS = {"serve_text": "serving_default", "serve_token_ids": "serve_token_ids"}


def _concrete_function(fn, specs):
    """Traces fn(**inputs) with one named input per entry of specs (name -> TensorSpec).

    Signature inputs take the names of the TensorSpecs, so every name is set here.
    """
    names = list(specs)

    def call(*tensors):
        return fn(**dict(zip(names, tensors)))

    signature = [tf.TensorSpec(spec.shape, spec.dtype, name=name) for name, spec in specs.items()]
    return tf.function(call, input_signature=signature).get_concrete_function()


def _rank(tensor):
    """The rank of tensor when the graph runs.

    A signature does not check the rank of its inputs, and tf.rank of a tensor whose rank the
    trace knows is folded into a constant; the count of dimensions a tf.where returns is not.
    """
    return tf.shape(tf.where(tf.shape(tensor) >= 0), out_type=tf.int32)[0]


def _untracked(module, name, value):
    # tf.Module would save the model as an object, and Keras 3 adds a float-input default
    # signature to any Model saved as one; the graphs only need its variables, which are
    # tracked as `model_variables`.
    object.__setattr__(module, name, value)


class TextModule(tf.Module):
    """Holds the Tokenizer and max_seq_length, and saves the vocab as an asset.

    Args:
        tokenizer: the Tokenizer the model was trained with.
        max_seq_length: int, length of the packed sequences.
    """

    text_inputs = _TEXT_PAIR

    def __init__(self, tokenizer, max_seq_length):
        super().__init__()
        # Saved with the module: the WordPiece model is a constant of the Tokenizer.
        self.tokenizer = tokenizer
        self.max_seq_length = max_seq_length
        self.vocab_file = tf.saved_model.Asset(tokenizer.vocab_file)

    def pack_text(self, text_a, text_b):
        """text_a, text_b: tf.string [batch_size] -> the three int32 inputs
        [batch_size, max_seq_length]."""
        # Checked before the tensorflow-text ops, which crash the process on unequal batches.
        check = tf.debugging.assert_equal(
            tf.size(text_a),
            tf.size(text_b),
            message=("text_a and text_b must have the same batch size"),
        )
        with tf.control_dependencies([check]):
            text_a, text_b = tf.identity(text_a), tf.identity(text_b)
        return pack_inputs(
            [self.tokenizer.tokenize_ids(text_a), self.tokenizer.tokenize_ids(text_b)],
            self.max_seq_length,
            self.tokenizer.cls_id,
            self.tokenizer.sep_id,
        )

    def signatures(self):
        return {"serving_default": _concrete_function(self.serve_text, self.text_inputs)}


class PreprocessingModule(TextModule):
    """Text -> model inputs only, like TF Hub's BERT preprocessors.

    serving_default: text_a, text_b (tf.string [batch_size]; an empty text_b means a
    single sentence) -> input_word_ids, input_mask, input_type_ids (int32
    [batch_size, max_seq_length]). The attribute `tokenize` (tf.string [batch_size] ->
    int32 RaggedTensor [batch_size, (pieces)]) is there for callers in TF.
    """

    def __init__(self, tokenizer, max_seq_length):
        super().__init__(tokenizer, max_seq_length)
        self.tokenize = tf.function(tokenizer.tokenize_ids, input_signature=[_TEXTS])

    def serve_text(self, text_a, text_b):
        return self.pack_text(text_a, text_b)


class ServingModule(TextModule):
    """A model with its tokenizer; subclasses define serve_text for their task.

    Args:
        model: the Keras model (a BertEncoder or a task model), weights loaded.
        tokenizer: the Tokenizer the model was trained with.
        max_seq_length: int, length of the packed sequences.
        jit_compile: bool, run the model (not the text ops) as one XLA program, compiled
            on the first call of each input shape: it fuses the element-wise ops with their
            neighbours, which pays on some CPUs and not on others (the README's serving
            table, from bench/saved_model_inference.py). TF Serving's CPU server runs such a
            graph only when started with --xla_cpu_compilation_enabled=true.
    """

    token_id_inputs = _TOKEN_IDS
    token_ids_layout = "[batch, seq]"

    def __init__(self, model, tokenizer, max_seq_length, jit_compile=False):
        super().__init__(tokenizer, max_seq_length)
        _untracked(self, "model", model)
        self.model_variables = list(model.variables)

        def forward(inputs):
            return model(inputs, training=False)

        _untracked(
            self, "forward", tf.function(forward, jit_compile=True) if jit_compile else forward
        )

    def call_model(self, inputs):
        """The model on checked inputs: a bad request is an InvalidArgument error naming the
        input, never a wrapped id, a changed answer or an internal error."""
        # The ranks first: the other checks read the sequence length as the last dimension.
        with tf.control_dependencies(self.rank_checks(inputs)):
            checks = self.value_checks(inputs)
        with tf.control_dependencies(checks):
            inputs = {name: tf.identity(value) for name, value in inputs.items()}
        # A model computing in bfloat16 (export_saved_model --dtype) still serves float32.
        return tf.nest.map_structure(
            lambda t: tf.cast(t, tf.float32) if t.dtype.is_floating else t, self.forward(inputs)
        )

    def rank_checks(self, inputs):
        """Assert ops: each input has the rank of its signature's spec."""
        return [
            tf.debugging.assert_equal(
                _rank(inputs[name]),
                self.token_id_inputs[name].shape.rank,
                message=f"{name}: expected {self.token_ids_layout}",
            )
            for name in _TOKEN_IDS
        ]

    def value_checks(self, inputs):
        """Assert ops on inputs of the right rank: ids in range, equal shapes, a sequence
        length of 1 to max_position_embeddings, a mask of 0s and 1s."""
        config = getattr(self.model, "encoder", self.model).config
        ids, mask = inputs["input_word_ids"], inputs["input_mask"]
        seq_length = tf.shape(ids)[-1]
        checks = [
            tf.debugging.assert_non_negative(ids, message="input_word_ids: negative id"),
            tf.debugging.assert_less(
                ids,
                config.vocab_size,
                message=(f"input_word_ids: id not below the vocab_size {config.vocab_size}"),
            ),
            tf.debugging.assert_positive(seq_length, message="input_word_ids: sequence length 0"),
            tf.debugging.assert_less_equal(
                seq_length,
                config.max_position_embeddings,
                message=(
                    "input_word_ids: sequence longer than the max_position_embeddings "
                    f"{config.max_position_embeddings}"
                ),
            ),
        ]
        for name in ("input_mask", "input_type_ids"):
            checks.append(
                tf.debugging.assert_equal(
                    tf.shape(inputs[name]),
                    tf.shape(ids),
                    message=(f"{name}: shape differs from input_word_ids"),
                )
            )
        # Any other value would weight a token in attention instead of masking it.
        checks += [
            tf.debugging.assert_non_negative(
                mask, message=("input_mask: a value other than 0 and 1")
            ),
            tf.debugging.assert_less_equal(
                mask, 1, message=("input_mask: a value other than 0 and 1")
            ),
            tf.debugging.assert_non_negative(
                inputs["input_type_ids"], message=("input_type_ids: negative id")
            ),
            tf.debugging.assert_less(
                inputs["input_type_ids"],
                config.type_vocab_size,
                message="input_type_ids: id not below the "
                f"type_vocab_size {config.type_vocab_size}",
            ),
        ]
        return checks

    def serve_token_ids(self, **inputs):
        return dict(self.call_model(inputs))

    def signatures(self, function_keys=None):
        """{signature name: concrete function}; function_keys maps serve_text and/or
        serve_token_ids to their signature names (default DEFAULT_FUNCTION_KEYS)."""
        functions = {
            "serve_text": (self.serve_text, self.text_inputs),
            "serve_token_ids": (self.serve_token_ids, self.token_id_inputs),
        }
        return {
            signature: _concrete_function(*functions[function])
            for function, signature in (function_keys or DEFAULT_FUNCTION_KEYS).items()
        }


class EncoderServing(ServingModule):
    """serving_default: text_a, text_b -> sequence_output [batch, max_seq_length, hidden],
    pooled_output [batch, hidden], input_mask [batch, max_seq_length] (1 = real token), and
    with `pooling` "cls" or "mean", sentence_embedding [batch, hidden] (see
    bert_tf.export.pooling; unit length with `normalize`).

    serve_token_ids also returns encoder_outputs [batch, num_layers, seq, hidden], every
    layer's output (batch first, as TF Serving's row format needs).
    """

    def __init__(
        self, model, tokenizer, max_seq_length, pooling="none", normalize=False, **options
    ):
        super().__init__(model, tokenizer, max_seq_length, **options)
        PoolingOptions(pooling=pooling, normalize=normalize)  # checks the values
        self.pooling, self.normalize = pooling, normalize

    def _outputs(self, outputs, input_mask):
        served = {
            "sequence_output": outputs["sequence_output"],
            "pooled_output": outputs["pooled_output"],
        }
        if self.pooling != "none":
            embedding = pool(outputs["sequence_output"], input_mask, self.pooling)
            served["sentence_embedding"] = normalized(embedding) if self.normalize else embedding
        return served

    def serve_text(self, text_a, text_b):
        inputs = self.pack_text(text_a, text_b)
        outputs = self.call_model(inputs)
        return {**self._outputs(outputs, inputs["input_mask"]), "input_mask": inputs["input_mask"]}

    def serve_token_ids(self, **inputs):
        outputs = self.call_model(inputs)
        return {
            **self._outputs(outputs, inputs["input_mask"]),
            "encoder_outputs": tf.stack(outputs["encoder_outputs"], axis=1),
        }


class PretrainerServing(ServingModule):
    """Fills in each literal "[MASK]" of text_a and text_b.

    serving_default outputs, P = the most [MASK]s of a row in the batch:
      masked_positions: int32 [batch, P], position of each [MASK] in the packed
          sequence, -1 for padding;
      top_k_tokens: tf.string [batch, P, top_k], the likeliest tokens, "" for padding;
      top_k_probabilities: float32 [batch, P, top_k], 0 for padding;
      nsp_probabilities: float32 [batch, 2], index 1 = text_b is a random sentence.
    serve_token_ids takes masked_lm_positions (int32 [batch, P]) as a fourth input.
    """

    token_id_inputs = {**_TOKEN_IDS, "masked_lm_positions": _IDS}

    def __init__(self, model, tokenizer, max_seq_length, top_k=5, **options):
        super().__init__(model, tokenizer, max_seq_length, **options)
        self.top_k = min(top_k, tokenizer.vocab_size)

    def rank_checks(self, inputs):
        return super().rank_checks(inputs) + [
            tf.debugging.assert_equal(
                _rank(inputs["masked_lm_positions"]),
                2,
                message="masked_lm_positions: expected [batch, num_positions]",
            )
        ]

    def value_checks(self, inputs):
        # A position out of range is an error on a CPU but reads zeros on a GPU.
        positions, ids = inputs["masked_lm_positions"], inputs["input_word_ids"]
        return super().value_checks(inputs) + [
            tf.debugging.assert_equal(
                tf.shape(positions)[0],
                tf.shape(ids)[0],
                message=("masked_lm_positions: batch size differs from input_word_ids"),
            ),
            tf.debugging.assert_non_negative(
                positions, message=("masked_lm_positions: negative position")
            ),
            tf.debugging.assert_less(
                positions,
                tf.shape(ids)[-1],
                message=("masked_lm_positions: position not below the sequence length"),
            ),
        ]

    def serve_text(self, text_a, text_b):
        tokenizer = self.tokenizer
        inputs = pack_inputs(
            [
                text_inputs.tokenize_with_mask_tokens(tokenizer, text_a),
                text_inputs.tokenize_with_mask_tokens(tokenizer, text_b),
            ],
            self.max_seq_length,
            tokenizer.cls_id,
            tokenizer.sep_id,
        )
        ids = inputs["input_word_ids"]
        all_positions = tf.broadcast_to(tf.range(tf.shape(ids)[1]), tf.shape(ids))
        positions = tf.ragged.boolean_mask(all_positions, tf.equal(ids, tokenizer.mask_id))
        positions = positions.to_tensor(default_value=-1)
        outputs = self.call_model(dict(inputs, masked_lm_positions=tf.maximum(positions, 0)))
        top = tf.math.top_k(tf.nn.softmax(outputs["mlm_logits"]), k=self.top_k)
        real = (positions >= 0)[:, :, None]
        tokens = tf.gather(tf.constant(tokenizer.vocab), top.indices)
        return {
            "masked_positions": positions,
            "top_k_tokens": tf.where(real, tokens, ""),
            "top_k_probabilities": tf.where(real, top.values, 0.0),
            "nsp_probabilities": tf.nn.softmax(outputs["nsp_logits"]),
        }


class ClassifierServing(ServingModule):
    """Sentence (pair) classification; an empty text_b means a single sentence.

    serving_default outputs: logits and probabilities (float32 [batch, num_labels]),
    label_id (int32 [batch]) and, with a label list, label (tf.string [batch]).
    With num_labels 1 (regression, e.g. STS-B): score (float32 [batch]) only.

    Args (besides ServingModule's):
        num_labels: int, width of the model's logits.
        labels: list of num_labels strings, or None.
    """

    def __init__(self, model, tokenizer, max_seq_length, num_labels, labels=None, **options):
        super().__init__(model, tokenizer, max_seq_length, **options)
        if labels is not None and len(labels) != num_labels:
            raise ConfigError(f"{len(labels)} labels given for a model with {num_labels} outputs")
        self.num_labels = num_labels
        self.labels = None if labels is None else list(labels)

    def serve_text(self, text_a, text_b):
        logits = self.call_model(self.pack_text(text_a, text_b))["logits"]
        if self.num_labels == 1:
            return {"score": logits[:, 0]}
        label_id = tf.argmax(logits, axis=-1, output_type=tf.int32)
        outputs = {"logits": logits, "probabilities": tf.nn.softmax(logits), "label_id": label_id}
        if self.labels is not None:
            outputs["label"] = tf.gather(tf.constant(self.labels), label_id)
        return outputs


class SquadServing(ServingModule):
    """Extractive QA over a context of any length, as run_squad.py --do_predict answers it.

    The context is cut into windows every doc_stride pieces, every window is scored, and the
    best span over all of them is decoded and mapped back onto the context's words as
    run_squad.py does (bert_tf/tasks/squad_serving.py): the answer is the text predictions.json
    holds for the same checkpoint and settings.

    serving_default: question, context (tf.string [batch]) -> answer (tf.string [batch]; the
    original's "empty" when no span is valid), score (float32 [batch], start + end logit of
    the best span). With version_2_with_negative also null_score (the lowest [CLS] start + end
    logit over the windows) and is_impossible (bool; null_score - score >
    null_score_diff_threshold, as run_squad.py decides; the answer is then "").

    Args (besides ServingModule's):
        options: bert_tf.tasks.squad.SquadOptions, run_squad's.
    """

    text_inputs = {"question": _TEXTS, "context": _TEXTS}

    def __init__(self, model, tokenizer, max_seq_length, options, **module_options):
        super().__init__(model, tokenizer, max_seq_length, **module_options)
        options.check_max_seq_length(max_seq_length)
        self.options = options

    def serve_text(self, question, context):
        options = self.options
        windows = squad_serving.make_windows(
            self.tokenizer,
            question,
            context,
            self.max_seq_length,
            options.doc_stride,
            options.max_query_length,
        )
        outputs = self.call_model(windows["inputs"])
        return squad_serving.best_answers(
            self.tokenizer,
            windows,
            outputs,
            options.n_best_size,
            options.max_answer_length,
            options.version_2_with_negative,
            options.null_score_diff_threshold,
        )


class SwagServing(ServingModule):
    """Multiple choice: scores each (context, ending) pair.

    As run_swag.py builds a choice from the start of the ending (SWAG's sent2) and the
    ending, a client passes each ending with that start prepended ("sent2 ending_i").

    serving_default: context (tf.string [batch]), endings (tf.string [batch, num_choices])
    -> scores (float32 [batch, num_choices], logits), probabilities (softmax of scores),
    choice (int32 [batch], argmax). serve_token_ids takes int32 [batch, num_choices, seq].

    Args (besides ServingModule's):
        num_choices: int, number of endings per example.
    """

    token_id_inputs = {name: tf.TensorSpec([None, None, None], tf.int32) for name in _TOKEN_IDS}
    token_ids_layout = "[batch, num_choices, seq]"

    def __init__(self, model, tokenizer, max_seq_length, num_choices=4, **options):
        super().__init__(model, tokenizer, max_seq_length, **options)
        self.num_choices = num_choices
        self.text_inputs = {
            "context": _TEXTS,
            "endings": tf.TensorSpec([None, num_choices], tf.string),
        }

    def serve_text(self, context, endings):
        tokenizer, num_choices = self.tokenizer, self.num_choices
        context_ids = tokenizer.tokenize_ids(context)
        context_ids = tf.gather(context_ids, tf.repeat(tf.range(tf.shape(context)[0]), num_choices))
        ending_ids = tokenizer.tokenize_ids(tf.reshape(endings, [-1]))
        inputs = pack_inputs(
            [context_ids, ending_ids], self.max_seq_length, tokenizer.cls_id, tokenizer.sep_id
        )
        inputs = {
            name: tf.reshape(value, [-1, num_choices, self.max_seq_length])
            for name, value in inputs.items()
        }
        scores = self.call_model(inputs)["logits"]
        return {
            "scores": scores,
            "probabilities": tf.nn.softmax(scores),
            "choice": tf.argmax(scores, axis=-1, output_type=tf.int32),
        }


class NerServing(ServingModule):
    """Tags each whitespace-separated word of `text` (pass pre-tokenized text, as CoNLL's),
    as run_ner.py tags it (bert_tf/tasks/ner_serving.py).

    Each word is tokenized on its own, and its tag is the prediction at its first piece; a
    word the Tokenizer drops entirely (such as a lone zero-width space) is one [UNK] piece,
    and a text longer than max_seq_length is split into features of whole words, as in
    training. serving_default: text (tf.string [batch]) -> words and tags, tf.string
    [batch, max_words], padded with "".

    Args (besides ServingModule's):
        labels: list of the tag strings, in the order of the model's logits.
    """

    text_inputs = {"text": _TEXTS}

    def __init__(self, model, tokenizer, max_seq_length, labels, **options):
        super().__init__(model, tokenizer, max_seq_length, **options)
        self.labels = list(labels)

    def serve_text(self, text):
        chunks = ner_serving.make_chunks(self.tokenizer, text, self.max_seq_length)
        tags = ner_serving.word_tags(
            chunks, self.call_model(chunks["inputs"])["logits"], self.labels
        )
        return {
            "words": chunks["words"].to_tensor(default_value=""),
            "tags": tags.to_tensor(default_value=""),
        }
