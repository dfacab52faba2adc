"""Fine-tuning tasks: GLUE, SWAG, SQuAD, CoNLL-2003 NER.

Every task module defines one task class of the same shape, which
`bert_tf.training.finetuning` drives:

    task = SomeTask(tokenizer=..., max_seq_length=..., <task's own settings>)
    task.name                      str, e.g. "mrpc"
    task.metric_name               key of evaluate()'s dict that picks the best checkpoint
                                   (higher is better)
    task.read_examples(split)      split in {"train", "dev", "test"} -> list of examples;
                                   bad input raises DataError naming the file and line
    task.make_features(examples, is_training)
                                   -> dict of numpy arrays, first axis = feature index:
                                   model inputs `input_word_ids`, `input_mask`,
                                   `input_type_ids` (int32), the labels the loss reads,
                                   and any bookkeeping arrays post-processing needs
    task.build_model(encoder)      -> a bert_tf.models EncoderModel for this task
    task.loss(features, outputs)   float32 scalar Tensor, the mean over the batch
                                   (in-graph; `features` is a batch of make_features' dict)
    task.evaluate(examples, features, outputs)
                                   -> dict[str, float] of the task's official metrics;
                                   `outputs` holds the model's outputs for every feature as
                                   numpy arrays
    task.write_predictions(examples, features, outputs, output_dir)
                                   -> list of paths written (atomically), in the format the
                                   task's official tools read

What a fine-tuned model's directory records of its task (bert_tf.model_settings), where a task
has it: `task.label_list` (names in logit order), `task.num_labels`, `task.options` (an options
dataclass of the task's own settings, e.g. SquadOptions), besides `task.name` and the
tokenizer's vocab and casing.
"""
