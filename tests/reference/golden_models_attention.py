"""The attention golden model (tests/data/golden/attention_mha.json): PositionEmbedding added to
the input, then MultiHeadAttention with a causal mask, a value of its own width (a Dense of the
sequence) and the key given explicitly, in the conventions of golden_models.py (Keras layouts:
query/kernel (features, heads, key_dim), query/bias (heads, key_dim), value/kernel (features,
heads, value_dim), attention_output/kernel (heads, value_dim, query features)). make_golden.py
adds MODELS.
"""
from golden_models import SPARSE_CE_LOGITS, build, dense, inp, simple, sparse_labels


def attention_mha():
    # (5 steps, 6) + PositionEmbedding(8) -> Dense 4 tanh (the value) -> MultiHeadAttention(query
    # and key: the sum, value: the Dense; 2 heads, key_dim 3, value_dim 2, causal) ->
    # GlobalAveragePooling1D -> Dense 3 (logits). Without biases: the key's bias adds q . b to every
    # score of a query, which the softmax cancels, so its gradient is 0 up to rounding and Adam's
    # steps on it would be the sign of rounding noise (its forward is checked by tst_attention_layers).
    layers = [inp("input", [5, 6]),
              simple("PositionEmbedding", "position_embedding", "input", sequence_length=8),
              {"name": "add", "type": "Add", "config": {}, "inbound": ["input", "position_embedding"]},
              dense("value", "add", 4, "tanh"),
              {"name": "mha", "type": "MultiHeadAttention", "inbound": ["add", "value", "add"],
               "config": {"num_heads": 2, "key_dim": 3, "value_dim": 2, "use_causal_mask": True, "use_bias": False}},
              simple("GlobalAveragePooling1D", "global_average_pooling1d", "mha"),
              dense("dense", "global_average_pooling1d", 3)]

    def init(i):
        w = i.weights
        w["model/position_embedding/embeddings"] = i.f32(i.rng.standard_normal((8, 6)) * 0.3)
        i.dense("value", 6, 4)
        for sub, kernel in (("query", (6, 2, 3)), ("key", (6, 2, 3)), ("value", (4, 2, 2)), ("attention_output", (2, 2, 6))):
            w[f"model/mha/{sub}/kernel"] = i.f32(i.rng.standard_normal(kernel) * 0.5)
        i.dense("dense", 6, 3)
    return build("attention_mha", 141, layers, [5, 6], "dense", SPARSE_CE_LOGITS,
                 lambda r: sparse_labels(r, 3), init)


MODELS = {f.__name__: f for f in [attention_mha]}
