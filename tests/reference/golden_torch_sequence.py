"""Sequence layers for golden_torch.py, on (N, steps, features) tensors in Keras layouts: Conv1D
and the 1-D pools with torch's own conv1d and pools; Embedding with F.embedding; SimpleRNN, LSTM
and GRU with torch's own recurrent ops (torch.rnn_tanh, torch.lstm, torch.gru: what nn.RNN,
nn.LSTM and nn.GRU run) on weights taken from Keras' layout inside the call, so gradients come out
in Keras' layout; Bidirectional as Keras runs it (a forward and a backward copy, the backward
output reversed back to the input's order with return_sequences). A GRU without reset_after has
no torch op: its cell is written out (Keras' equations, in torch).
"""
import torch
import torch.nn.functional as F

RECURRENT_TYPES = ("Embedding", "SimpleRNN", "LSTM", "GRU", "Bidirectional")
GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}
DEFAULT_NAMES = {"SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru"}  # Keras' snake case of the type


def tf_same_pads(size, window, stride, dilation=1):
    """TensorFlow's "same" pads of one axis (before, after): the odd cell after."""
    span = (window - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + span - size, 0)
    return total // 2, total - total // 2


def conv1d(x, kernel, bias, cfg):
    """Keras Conv1D with torch's own conv1d on NCW: kernel (k, in, filters) -> (filters, in, k);
    "same" pads as TensorFlow, "causal" pads (k - 1) * dilation steps before the first."""
    k, s, d = cfg["kernel_size"], cfg.get("strides", 1), cfg.get("dilation_rate", 1)
    xc = x.permute(0, 2, 1)
    if cfg["padding"] == "causal":
        xc = F.pad(xc, ((k - 1) * d, 0))
    elif cfg["padding"] == "same":
        xc = F.pad(xc, tf_same_pads(xc.shape[2], k, s, d))
    return F.conv1d(xc, kernel.permute(2, 1, 0), bias, stride=s, dilation=d).permute(0, 2, 1)


def pool1d(x, cfg, is_max):
    """Keras MaxPooling1D / AveragePooling1D: "same" pads never win a max and are not counted in a mean."""
    k, s = cfg["pool_size"], cfg.get("strides") or cfg["pool_size"]
    pads = tf_same_pads(x.shape[1], k, s) if cfg.get("padding", "valid") == "same" else (0, 0)
    xc = x.permute(0, 2, 1)
    if is_max:
        return F.max_pool1d(F.pad(xc, pads, value=-float("inf")), k, s).permute(0, 2, 1)
    sums = F.avg_pool1d(F.pad(xc, pads), k, s) * k
    counts = F.avg_pool1d(F.pad(torch.ones_like(xc[:1, :1]), pads), k, s) * k
    return (sums / counts).permute(0, 2, 1)


def inner_layer(cfg):
    """A Bidirectional's wrapped layer: (type, config, name)."""
    inner = cfg["layer"]
    return inner["type"], inner.get("config", {}), inner.get("name", DEFAULT_NAMES[inner["type"]])


def recurrent_variables(name, kind, cfg):
    """The trainable variable paths of an Embedding or recurrent layer (Bidirectional: both copies)."""
    if kind == "Embedding":
        return [f"model/{name}/embeddings"]
    if kind == "Bidirectional":
        t, c, inner = inner_layer(cfg)
        return [p for d in ("forward", "backward") for p in recurrent_variables(f"{name}/{d}_{inner}", t, c)]
    return [f"model/{name}/{v}" for v in ("kernel", "recurrent_kernel", "bias")[:3 if cfg.get("use_bias", True) else 2]]


def torch_order(kind, t):
    """Rows of a (G * units, ...) tensor in torch's gate order: a GRU's Keras z, r, h become r, z, n
    (LSTM's i, f, c, o are torch's i, f, g, o already)."""
    if kind != "GRU":
        return t
    z, r, h = t.chunk(3, dim=0)
    return torch.cat([r, z, h], dim=0)


def gru_reset_before(x, kernel, recurrent, bias, units):
    """Keras' GRU with reset_after false: hh = tanh(x W_h + b_h + (r * h) U_h), h = z h + (1 - z) hh."""
    xw = x @ kernel + (bias if bias is not None else 0.0)
    u_zr, u_h = recurrent[:, :2 * units], recurrent[:, 2 * units:]
    h = x.new_zeros(x.shape[0], units)
    states = []
    for t in range(x.shape[1]):
        zr = torch.sigmoid(xw[:, t, :2 * units] + h @ u_zr)
        z, r = zr[:, :units], zr[:, units:]
        hh = torch.tanh(xw[:, t, 2 * units:] + (r * h) @ u_h)
        h = z * h + (1 - z) * hh
        states.append(h)
    return torch.stack(states, dim=1)


def recurrent_states(kind, cfg, x, p):
    """Every state (N, steps, units) of a SimpleRNN, LSTM or GRU in the order the steps are taken
    (last to first with go_backwards). p(variable) -> the layer's tensor in Keras' layout."""
    if cfg.get("activation", "tanh") != "tanh" or cfg.get("recurrent_activation", "sigmoid") != "sigmoid":
        raise ValueError(f"{kind}: the goldens use tanh and sigmoid (torch's ops)")
    if cfg.get("go_backwards", False):
        x = x.flip(1)
    kernel, recurrent = p("kernel"), p("recurrent_kernel")
    bias = p("bias") if cfg.get("use_bias", True) else None
    units = recurrent.shape[0]
    if kind == "GRU" and not cfg.get("reset_after", True):
        return gru_reset_before(x, kernel, recurrent, bias, units)
    w_ih, w_hh = torch_order(kind, kernel.t()), torch_order(kind, recurrent.t())
    zeros = x.new_zeros(GATES[kind] * units)
    if bias is None:
        b_ih, b_hh = zeros, zeros
    elif kind == "GRU":  # reset_after: (2, 3 * units), the input's bias then the recurrent one's
        b_ih, b_hh = torch_order(kind, bias[0]), torch_order(kind, bias[1])
    else:  # Keras has one bias; torch adds two
        b_ih, b_hh = bias, zeros
    h0 = x.new_zeros(1, x.shape[0], units)
    args = ([w_ih, w_hh, b_ih, b_hh], True, 1, 0.0, False, False, True)  # biases, layers, dropout, train, bidir, batch_first
    if kind == "LSTM":
        return torch.lstm(x, (h0, h0), *args)[0]
    return (torch.gru if kind == "GRU" else torch.rnn_tanh)(x, h0, *args)[0]


MERGES = {"concat": lambda f, b: torch.cat([f, b], dim=-1), "sum": lambda f, b: f + b,
          "mul": lambda f, b: f * b, "ave": lambda f, b: (f + b) / 2}


def recurrent_forward(kind, cfg, x, p):
    """Keras' output of an Embedding or recurrent layer; p(variable path below the layer)."""
    if kind == "Embedding":
        return F.embedding(x.long(), p("embeddings"))
    if kind != "Bidirectional":
        y = recurrent_states(kind, cfg, x, p)
        return y if cfg.get("return_sequences", False) else y[:, -1]
    t, c, inner = inner_layer(cfg)
    f = recurrent_states(t, c, x, lambda v: p(f"forward_{inner}/{v}"))
    backward = dict(c, go_backwards=not c.get("go_backwards", False))
    b = recurrent_states(t, backward, x, lambda v: p(f"backward_{inner}/{v}"))
    if c.get("return_sequences", False):
        f, b = f, b.flip(1)
    else:
        f, b = f[:, -1], b[:, -1]
    return MERGES[cfg.get("merge_mode", "concat")](f, b)
