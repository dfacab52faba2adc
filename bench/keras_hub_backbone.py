"""keras-hub's BertBackbone of a BertConfig: the one peer model both benchmarks build."""


def keras_hub_backbone(config):
    """A randomly initialised keras_hub.models.BertBackbone with `config`'s sizes (no network)."""
    import keras_hub  # an optional dependency: imported only when it is benchmarked

    return keras_hub.models.BertBackbone(
        vocabulary_size=config.vocab_size,
        num_layers=config.num_hidden_layers,
        num_heads=config.num_attention_heads,
        hidden_dim=config.hidden_size,
        intermediate_dim=config.intermediate_size,
        dropout=config.hidden_dropout_prob,
        max_sequence_length=config.max_position_embeddings,
        num_segments=config.type_vocab_size,
    )
