"""The recurrent golden models (tests/data/golden/recurrent_*.json, embedding_lstm.json): Embedding,
SimpleRNN, LSTM, GRU and Bidirectional, in the conventions of golden_models.py (Keras layouts:
kernel (features, G * units), recurrent_kernel (units, G * units), bias (G * units), a GRU with
reset_after (2, 3 * units); gates LSTM i, f, c, o and GRU z, r, h). The masked_* models carry
Keras' masks from Embedding(mask_zero) (id 0 is padding) through the recurrent layers. make_golden.py
adds MODELS.
"""
import numpy as np

from golden_models import BATCH, SPARSE_CE_LOGITS, Init, build, dense, inp, simple, sparse_labels, spec

GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}
MSE = {"name": "mean_squared_error"}


def rnn(kind, name, inbound, units, **config):
    return simple(kind, name, inbound, units=units, **config)


def bidirectional(name, inbound, kind, merge_mode, **config):
    return simple("Bidirectional", name, inbound, layer={"type": kind, "config": config}, merge_mode=merge_mode)


def init_rnn(i, prefix, kind, features, units, reset_after=True):
    """Weights of one recurrent layer (or one copy of a Bidirectional) under model/<prefix>/."""
    width = GATES[kind] * units
    i.weights[f"model/{prefix}/kernel"] = i.f32(i.rng.standard_normal((features, width)) * 0.5)
    i.weights[f"model/{prefix}/recurrent_kernel"] = i.f32(i.rng.standard_normal((units, width)) * 0.5)
    shape = (2, width) if kind == "GRU" and reset_after else (width,)
    i.weights[f"model/{prefix}/bias"] = i.f32(i.rng.standard_normal(shape) * 0.3)


def recurrent_lstm():
    # (5 steps, 3 features) -> LSTM 4 return_sequences -> LSTM 3 (last state) -> Dense 3 (logits)
    layers = [inp("input", [5, 3]),
              rnn("LSTM", "lstm", "input", 4, return_sequences=True),
              rnn("LSTM", "lstm_1", "lstm", 3),
              dense("dense", "lstm_1", 3)]

    def init(i):
        init_rnn(i, "lstm", "LSTM", 3, 4)
        init_rnn(i, "lstm_1", "LSTM", 4, 3)
        i.dense("dense", 3, 3)
    return build("recurrent_lstm", 131, layers, [5, 3], "dense", SPARSE_CE_LOGITS, lambda r: sparse_labels(r, 3), init)


def recurrent_gru():
    # (5, 3) -> GRU 4 reset_after, return_sequences, go_backwards (outputs in processing order) ->
    # GRU 3 reset_after false -> Dense 2 (MSE)
    layers = [inp("input", [5, 3]),
              rnn("GRU", "gru", "input", 4, return_sequences=True, go_backwards=True),
              rnn("GRU", "gru_1", "gru", 3, reset_after=False),
              dense("dense", "gru_1", 2)]

    def init(i):
        init_rnn(i, "gru", "GRU", 3, 4)
        init_rnn(i, "gru_1", "GRU", 4, 3, reset_after=False)
        i.dense("dense", 3, 2)
    return build("recurrent_gru", 132, layers, [5, 3], "dense", MSE,
                 lambda r: np.asarray(r.standard_normal((BATCH, 2)), dtype=np.float32), init)


def recurrent_bidirectional():
    # (5, 3) -> Bidirectional(LSTM 3, return_sequences) concat (6) -> Bidirectional(SimpleRNN 2,
    # return_sequences, go_backwards) sum -> GlobalAveragePooling1D -> Dense 3 (logits)
    layers = [inp("input", [5, 3]),
              bidirectional("bidirectional", "input", "LSTM", "concat", units=3, return_sequences=True),
              bidirectional("bidirectional_1", "bidirectional", "SimpleRNN", "sum", units=2, return_sequences=True,
                            go_backwards=True),
              simple("GlobalAveragePooling1D", "global_average_pooling1d", "bidirectional_1"),
              dense("dense", "global_average_pooling1d", 3)]

    def init(i):
        for d in ("forward", "backward"):
            init_rnn(i, f"bidirectional/{d}_lstm", "LSTM", 3, 3)
        for d in ("forward", "backward"):
            init_rnn(i, f"bidirectional_1/{d}_simple_rnn", "SimpleRNN", 6, 2)
        i.dense("dense", 2, 3)
    return build("recurrent_bidirectional", 133, layers, [5, 3], "dense", SPARSE_CE_LOGITS,
                 lambda r: sparse_labels(r, 3), init)


def embedding_lstm():
    # int32 token ids (6 steps, ids 0..6) -> Embedding(7, 4) -> LSTM 4 return_sequences -> GRU 3
    # (reset_after) -> Dense 3 (logits)
    layers = [{"name": "input", "type": "Input", "config": {"shape": [6], "dtype": "int32"}},
              simple("Embedding", "embedding", "input", input_dim=7, output_dim=4),
              rnn("LSTM", "lstm", "embedding", 4, return_sequences=True),
              rnn("GRU", "gru", "lstm", 3),
              dense("dense", "gru", 3)]
    rng = np.random.RandomState(134)
    i = Init(rng)
    i.weights["model/embedding/embeddings"] = i.f32(rng.standard_normal((7, 4)) * 0.5)
    init_rnn(i, "lstm", "LSTM", 4, 4)
    init_rnn(i, "gru", "GRU", 4, 3)
    i.dense("dense", 3, 3)
    tokens = rng.randint(0, 7, size=(BATCH, 6)).astype(np.int32)
    return {"spec": spec("embedding_lstm", layers, ["input"], ["dense"]),
            "loss": SPARSE_CE_LOGITS,
            "inputs": {"input": tokens},
            "labels": {"dense": sparse_labels(rng, 3)},
            "weights": i.weights}


# Token ids with padding (0) at the end, at the start, in the middle (twice) and nowhere.
MASKED_IDS = np.array([[3, 1, 5, 2, 0, 0],
                       [0, 0, 4, 6, 1, 3],
                       [2, 0, 0, 5, 0, 4],
                       [6, 3, 1, 4, 2, 5]], dtype=np.int32)


def masked_case(name, seed, middle, pooled, flattened, init):
    """ids (6 steps, MASKED_IDS) -> Embedding(7, 4, mask_zero) -> `middle` layers; the masked
    sequence `pooled` = (name, width) -> GlobalAveragePooling1D (the mean over the real steps), and
    `flattened` -> Flatten (every step: masked ones hold what the layer put there); Concatenate ->
    Dense 3 (logits), sparse CE. init(i) adds the middle layers' weights."""
    layers = [{"name": "input", "type": "Input", "config": {"shape": [6], "dtype": "int32"}},
              simple("Embedding", "embedding", "input", input_dim=7, output_dim=4, mask_zero=True), *middle,
              simple("GlobalAveragePooling1D", "global_average_pooling1d", pooled[0]),
              simple("Flatten", "flatten", flattened[0]),
              simple("Concatenate", "concatenate", ["global_average_pooling1d", "flatten"]),
              dense("dense", "concatenate", 3)]
    rng = np.random.RandomState(seed)
    i = Init(rng)
    i.weights["model/embedding/embeddings"] = i.f32(rng.standard_normal((7, 4)) * 0.5)
    init(i)
    i.dense("dense", pooled[1] + 6 * flattened[1], 3, scale=0.3)
    return {"spec": spec(name, layers, ["input"], ["dense"]),
            "loss": SPARSE_CE_LOGITS,
            "inputs": {"input": MASKED_IDS.copy()},
            "labels": {"dense": sparse_labels(rng, 3)},
            "weights": i.weights}


def masked_lstm():
    # Embedding(mask_zero) -> LSTM 4 return_sequences: a masked step keeps h and c and repeats the
    # previous output (0 before the first real step, Keras' zero_output_for_mask False), which
    # Flatten passes on to the Dense; the masked mean skips those steps.
    return masked_case("masked_lstm", 135, [rnn("LSTM", "lstm", "embedding", 4, return_sequences=True)],
                       ("lstm", 4), ("lstm", 4), lambda i: init_rnn(i, "lstm", "LSTM", 4, 4))


def masked_bidirectional():
    # Embedding(mask_zero) -> Bidirectional(GRU 3, reset_after, return_sequences) concat: Keras
    # forces zero_output_for_mask on both copies, so masked steps output 0 in both halves while the
    # states are kept (Flatten passes the zeros on) -> LSTM 3 return_sequences on the mask the
    # Bidirectional carries on -> the masked mean.
    middle = [bidirectional("bidirectional", "embedding", "GRU", "concat", units=3, return_sequences=True),
              rnn("LSTM", "lstm", "bidirectional", 3, return_sequences=True)]

    def init(i):
        for d in ("forward", "backward"):
            init_rnn(i, f"bidirectional/{d}_gru", "GRU", 4, 3)
        init_rnn(i, "lstm", "LSTM", 6, 3)
    return masked_case("masked_bidirectional", 136, middle, ("lstm", 3), ("bidirectional", 6), init)


def recurrent_states():
    # Keras' return_state and initial_state. (5, 3) -> LSTM 4 "encoder", go_backwards, return_state:
    # outputs encoder (its last output), encoder:1 (h) and encoder:2 (c) -> LSTM 4 "decoder",
    # return_sequences, over the same sequence from initial states [encoder:1, encoder:2] -> GRU 4
    # return_state from initial state encoder:2 -> Bidirectional(SimpleRNN 2, return_state) on the
    # decoder: its forward h (:1) and backward h (:2) -> Concatenate [encoder, gru:1,
    # bidirectional:2, bidirectional] (4 + 4 + 2 + 4) -> Dense 3 (logits).
    layers = [inp("input", [5, 3]),
              rnn("LSTM", "encoder", "input", 4, return_state=True, go_backwards=True),
              rnn("LSTM", "decoder", ["input", "encoder:1", "encoder:2"], 4, return_sequences=True),
              rnn("GRU", "gru", ["decoder", "encoder:2"], 4, return_state=True),
              bidirectional("bidirectional", "decoder", "SimpleRNN", "concat", units=2, return_state=True),
              simple("Concatenate", "concatenate", ["encoder", "gru:1", "bidirectional:2", "bidirectional"]),
              dense("dense", "concatenate", 3)]

    def init(i):
        init_rnn(i, "encoder", "LSTM", 3, 4)
        init_rnn(i, "decoder", "LSTM", 3, 4)
        init_rnn(i, "gru", "GRU", 4, 4)
        for d in ("forward", "backward"):
            init_rnn(i, f"bidirectional/{d}_simple_rnn", "SimpleRNN", 4, 2)
        i.dense("dense", 14, 3)
    return build("recurrent_states", 137, layers, [5, 3], "dense", SPARSE_CE_LOGITS, lambda r: sparse_labels(r, 3), init)


MODELS = {f.__name__: f for f in [recurrent_lstm, recurrent_gru, recurrent_bidirectional, embedding_lstm,
                                  masked_lstm, masked_bidirectional, recurrent_states]}
