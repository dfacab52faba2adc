"""The table of heads: which model each task type uses, and what its output layer is called.

Tasks, export, checkpoint reading and conversion all read this table, so adding a head is one
row here (and its model class beside it). The names are those of each format's writer:
our checkpoints keep the Keras attribute (`model/<layer>/dense/_kernel`), the original
run_*.py scripts write `<tf1_scope>output_weights` [num_outputs, hidden_size] and
`<tf1_scope>output_bias`, and Hugging Face saves `<hf_module>.weight` and `<hf_module>.bias`.

    >>> head = HEADS_BY_TYPE["classifier"]
    >>> model = head.build(BertEncoder(config), num_labels=3)
"""

import dataclasses

from bert_tf.models.bert_classifier import BertClassifier
from bert_tf.models.bert_encoder import BertEncoder
from bert_tf.models.bert_multiple_choice import BertMultipleChoice
from bert_tf.models.bert_pretrainer import BertPretrainer
from bert_tf.models.bert_span_labeler import BertSpanLabeler
from bert_tf.models.bert_token_classifier import BertTokenClassifier


@dataclasses.dataclass(frozen=True)
class Head:
    """One row of the table.

    Attributes:
        model_type: str, the name `--model_type` and the tasks use.
        model_class: the EncoderModel subclass.
        layer: str, the model attribute holding the output ClassificationHead.
        tf1_scope: str, prefix of that layer's TF1 names.
        hf_module: str, that layer's Hugging Face module name.
        takes_num_labels: bool, whether the model's constructor takes num_labels.
        uses_pooler: bool, False for models that read only `sequence_output` (Hugging Face
            saves them without a pooler, so a checkpoint may lack it).
    """

    model_type: str
    model_class: type
    layer: str
    tf1_scope: str
    hf_module: str
    takes_num_labels: bool = False
    uses_pooler: bool = True

    def build(self, encoder, num_labels=None):
        """The model on `encoder` (a BertEncoder); num_labels for the heads that take it."""
        if not self.takes_num_labels:
            return self.model_class(encoder)
        if not num_labels:
            raise ValueError(f"a {self.model_type} model needs num_labels")
        return self.model_class(encoder, num_labels=num_labels)


# Where several rows share an output layer's names (run_classifier.py's top-level
# `output_weights`), a checkpoint holding them is read as the first of those rows.
HEADS = (
    Head(
        "pretrainer",
        BertPretrainer,
        "next_sentence",
        "cls/seq_relationship/",
        "cls.seq_relationship",
    ),
    Head("classifier", BertClassifier, "classifier", "", "classifier", takes_num_labels=True),
    Head(
        "ner",
        BertTokenClassifier,
        "classifier",
        "",
        "classifier",
        takes_num_labels=True,
        uses_pooler=False,
    ),
    Head("swag", BertMultipleChoice, "classifier", "", "classifier"),
    Head("squad", BertSpanLabeler, "span", "cls/squad/", "qa_outputs", uses_pooler=False),
)
HEADS_BY_TYPE = {head.model_type: head for head in HEADS}
# "encoder" is the bare BertEncoder: no head.
MODEL_TYPES = ("encoder", *HEADS_BY_TYPE)


def head_of(model):
    """The Head row of a task model, or None for a bare BertEncoder."""
    if isinstance(model, BertEncoder):
        return None
    for head in HEADS:
        if type(model) is head.model_class:
            return head
    raise ValueError(f"{type(model).__name__} is not in the table of heads")


def build_model(model_type, encoder, num_labels=None):
    """The model of `model_type` (one of MODEL_TYPES) on `encoder`."""
    if model_type == "encoder":
        return encoder
    if model_type not in HEADS_BY_TYPE:
        raise ValueError(f"model_type must be one of {', '.join(MODEL_TYPES)}, got {model_type!r}")
    return HEADS_BY_TYPE[model_type].build(encoder, num_labels)


def build_model_for_layers(encoder, output_widths):
    """The model whose output layer a checkpoint holds, or `encoder` if it holds none.

    Args:
        encoder: a BertEncoder.
        output_widths: function from a Head to the width of its output layer in the
            checkpoint (the number of labels), or None when the checkpoint lacks it.
    """
    for head in HEADS:
        width = output_widths(head)
        if width is not None:
            return head.build(encoder, int(width))
    return encoder
