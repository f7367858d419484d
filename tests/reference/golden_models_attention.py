"""The golden models of engine/layers/AttentionLayers.cpp, in the conventions of golden_models.py:
attention_mha.json (PositionEmbedding added to the input, then MultiHeadAttention with a causal
mask, a value of its own width (a Dense of the sequence) and the key given explicitly; Keras
layouts: query/kernel (features, heads, key_dim), query/bias (heads, key_dim), value/kernel
(features, heads, value_dim), attention_output/kernel (heads, value_dim, query features)),
dot_merge.json (Dot over every pair of axes the engine's batch matmul transposes, with and without
normalize, rank 3 and rank 2), repeat_vector.json (RepeatVector between a Dense and an LSTM) and
masked_attention.json (cross-attention between two Embedding(mask_zero) sequences, Keras' padding
masks AND-ed). make_golden.py adds MODELS.
"""
import numpy as np

from golden_models import SPARSE_CE_LOGITS, Init, build, dense, inp, simple, sparse_labels, spec
from golden_models_recurrent import init_rnn


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


def dot(name, x, y, axes, normalize=False):
    return simple("Dot", name, [x, y], axes=axes, normalize=normalize)


def dot_merge():
    # (5 steps, 3 features) and key = Dense 3 tanh of it, then Keras' Dot (batch_dot) on them:
    #   gram      axes [1, 1], normalize: (3, 3), cosines of feature columns over the steps
    #   scores    axes -1: (5, 5), step against step
    #   context   axes [2, 1] of scores and key: (5, 3), scores times key
    #   context_t axes [1, 2] of key and scores, normalize (key along the steps, scores along its
    #             last axis): (3, 5)
    #   pair      axes -1 of two rank-2 means, normalize: (1,), a cosine
    #   attend    axes [1, 2] of a rank-2 mean (3,) and the input (5, 3): (5,)
    # The four rank-3 Dots take the four (transpose x, transpose y) cases of a batch matmul. Each
    # reaches the logits (Flatten or GlobalAveragePooling1D -> Concatenate -> Dense 3), and each
    # reads key, so every Dot passes a gradient to key's kernel and bias.
    layers = [inp("input", [5, 3]),
              dense("key", "input", 3, "tanh"),
              dot("gram", "input", "key", [1, 1], normalize=True),
              dot("scores", "input", "key", -1),
              dot("context", "scores", "key", [2, 1]),
              dot("context_t", "key", "scores", [1, 2], normalize=True),
              simple("GlobalAveragePooling1D", "key_mean", "key"),
              simple("GlobalAveragePooling1D", "input_mean", "input"),
              dot("pair", "key_mean", "input_mean", -1, normalize=True),
              dot("attend", "key_mean", "input", [1, 2]),
              simple("Flatten", "gram_flat", "gram"),
              simple("GlobalAveragePooling1D", "context_mean", "context"),
              simple("GlobalAveragePooling1D", "context_t_mean", "context_t"),
              simple("Concatenate", "features", ["gram_flat", "context_mean", "context_t_mean", "pair", "attend"]),
              dense("dense", "features", 3)]

    def init(i):
        i.dense("key", 3, 3, scale=0.8)
        i.dense("dense", 9 + 3 + 5 + 1 + 5, 3)
    return build("dot_merge", 142, layers, [5, 3], "dense", SPARSE_CE_LOGITS, lambda r: sparse_labels(r, 3), init)


def repeat_vector():
    # (4,) -> Dense 3 tanh -> RepeatVector(5): (5, 3), the same vector at every step -> LSTM 4
    # return_sequences (a decoder: each step's state differs, so each copy gets its own gradient,
    # which RepeatVector sums into the Dense) -> Flatten -> Dense 3 (logits)
    layers = [inp("input", [4]),
              dense("encode", "input", 3, "tanh"),
              simple("RepeatVector", "repeat", "encode", n=5),
              simple("LSTM", "decode", "repeat", units=4, return_sequences=True),
              simple("Flatten", "flatten", "decode"),
              dense("dense", "flatten", 3)]

    def init(i):
        i.dense("encode", 4, 3, scale=0.8)
        init_rnn(i, "decode", "LSTM", 3, 4)
        i.dense("dense", 20, 3)
    return build("repeat_vector", 143, layers, [4], "dense", SPARSE_CE_LOGITS, lambda r: sparse_labels(r, 3), init)


def masked_attention():
    # Query ids (5 steps) and value ids (6), 0 = padding (at the end, start, middle, or none; the
    # two differ per sample) -> Embedding(7, 4, mask_zero) each; key = Dense 4 tanh of the value's
    # (Dense passes the mask on) -> MultiHeadAttention(query, value, key; 2 heads, key_dim 3,
    # value_dim 2, no biases): Keras ANDs the query (B, T, 1), value and key (B, 1, S) masks, so a
    # real query step attends to the real value steps only and a padded one to every value step
    # alike (all its scores are the same large negative). The output carries the query's mask:
    # GlobalAveragePooling1D averages the real query steps; Flatten passes every step on.
    layers = [{"name": "query_ids", "type": "Input", "config": {"shape": [5], "dtype": "int32"}},
              {"name": "value_ids", "type": "Input", "config": {"shape": [6], "dtype": "int32"}},
              simple("Embedding", "query_embedding", "query_ids", input_dim=7, output_dim=4, mask_zero=True),
              simple("Embedding", "value_embedding", "value_ids", input_dim=7, output_dim=4, mask_zero=True),
              dense("key", "value_embedding", 4, "tanh"),
              {"name": "mha", "type": "MultiHeadAttention", "inbound": ["query_embedding", "value_embedding", "key"],
               "config": {"num_heads": 2, "key_dim": 3, "value_dim": 2, "use_bias": False}},
              simple("GlobalAveragePooling1D", "global_average_pooling1d", "mha"),
              simple("Flatten", "flatten", "mha"),
              simple("Concatenate", "concatenate", ["global_average_pooling1d", "flatten"]),
              dense("dense", "concatenate", 3)]
    rng = np.random.RandomState(144)
    i = Init(rng)
    for e in ("query_embedding", "value_embedding"):
        i.weights[f"model/{e}/embeddings"] = i.f32(rng.standard_normal((7, 4)) * 0.7)
    i.dense("key", 4, 4, scale=0.8)
    kernels = (("query", (4, 2, 3)), ("key", (4, 2, 3)), ("value", (4, 2, 2)), ("attention_output", (2, 2, 4)))
    for sub, kernel in kernels:
        i.weights[f"model/mha/{sub}/kernel"] = i.f32(rng.standard_normal(kernel) * 0.6)
    i.dense("dense", 4 + 5 * 4, 3, scale=0.3)
    query = np.array([[3, 1, 5, 0, 0], [0, 0, 2, 6, 4], [4, 0, 3, 0, 1], [5, 2, 6, 1, 3]], dtype=np.int32)
    value = np.array([[2, 6, 1, 4, 3, 5], [1, 3, 5, 0, 0, 0], [0, 0, 0, 2, 6, 1], [4, 0, 2, 0, 0, 6]], dtype=np.int32)
    return {"spec": spec("masked_attention", layers, ["query_ids", "value_ids"], ["dense"]),
            "loss": SPARSE_CE_LOGITS,
            "inputs": {"query_ids": query, "value_ids": value},
            "labels": {"dense": sparse_labels(rng, 3)},
            "weights": i.weights}


MODELS = {f.__name__: f for f in [attention_mha, dot_merge, repeat_vector, masked_attention]}
