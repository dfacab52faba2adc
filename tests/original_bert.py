"""google-research/bert's run_classifier.py packing: the reference our packing is checked
against."""


def truncate_seq_pair(tokens_a, tokens_b, max_length):
    """google-research/bert run_classifier.py's _truncate_seq_pair, verbatim."""
    while True:
        total_length = len(tokens_a) + len(tokens_b)
        if total_length <= max_length:
            break
        if len(tokens_a) > len(tokens_b):
            tokens_a.pop()
        else:
            tokens_b.pop()


def original_features(tokenizer, text_a, text_b, max_seq_length):
    """run_classifier.py's convert_single_example on our word pieces."""
    tokens_a = tokenizer.tokenize(text_a)
    tokens_b = tokenizer.tokenize(text_b) if text_b else None
    if tokens_b:
        truncate_seq_pair(tokens_a, tokens_b, max_seq_length - 3)
    else:
        tokens_a = tokens_a[: max_seq_length - 2]
    tokens = ["[CLS]"] + tokens_a + ["[SEP]"]
    segment_ids = [0] * len(tokens)
    if tokens_b:
        tokens += tokens_b + ["[SEP]"]
        segment_ids += [1] * (len(tokens_b) + 1)
    ids = tokenizer.convert_tokens_to_ids(tokens)
    padding = [0] * (max_seq_length - len(ids))
    return ids + padding, [1] * len(ids) + padding, segment_ids + padding
