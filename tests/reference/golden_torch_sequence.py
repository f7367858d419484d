"""Sequence layers for golden_torch.py, on (N, steps, features) tensors in Keras layouts: Conv1D
and the 1-D pools with torch's own conv1d and pools; Embedding with F.embedding; SimpleRNN, LSTM
and GRU with torch's own recurrent ops (torch.rnn_tanh, torch.lstm, torch.gru: what nn.RNN,
nn.LSTM and nn.GRU run) on weights taken from Keras' layout inside the call, so gradients come out
in Keras' layout; Bidirectional as Keras runs it (a forward and a backward copy, the backward
output reversed back to the input's order with return_sequences). A GRU without reset_after has
no torch op: its cell is written out (Keras' equations, in torch). With a Keras mask (an
Embedding's mask_zero) the steps are taken one at a time with torch's cells (torch.lstm_cell,
torch.gru_cell, torch.rnn_tanh_cell) and torch.where over the steps, as keras/src/backend/*/rnn.py
does: a masked step keeps every state and its output repeats the previous output (0 before the
first real step), or is 0 with zero_output_for_mask, which Bidirectional forces on both copies when
they return sequences (keras/src/layers/rnn/bidirectional.py).
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


def gru_reset_before_cell(xw, h, recurrent, units):
    """One step of Keras' GRU with reset_after false from xw = x W + b: hh = tanh(xw_h + (r * h) U_h),
    h = z h + (1 - z) hh."""
    u_zr, u_h = recurrent[:, :2 * units], recurrent[:, 2 * units:]
    zr = torch.sigmoid(xw[:, :2 * units] + h @ u_zr)
    z, r = zr[:, :units], zr[:, units:]
    hh = torch.tanh(xw[:, 2 * units:] + (r * h) @ u_h)
    return z * h + (1 - z) * hh


def torch_weights(kind, p):
    """(w_ih, w_hh, b_ih, b_hh) of torch's ops from the layer's Keras-layout tensors."""
    kernel, recurrent, bias = p("kernel"), p("recurrent_kernel"), p("bias")
    w_ih, w_hh = torch_order(kind, kernel.t()), torch_order(kind, recurrent.t())
    zeros = kernel.new_zeros(kernel.shape[1])
    if bias is None:
        return w_ih, w_hh, zeros, zeros
    if kind == "GRU":  # reset_after: (2, 3 * units), the input's bias then the recurrent one's
        return w_ih, w_hh, torch_order(kind, bias[0]), torch_order(kind, bias[1])
    return w_ih, w_hh, bias, zeros  # Keras has one bias; torch adds two


def recurrent_states(kind, cfg, x, p, mask=None, zero_output=False, h0=None, c0=None):
    """Every output (N, steps, units) of a SimpleRNN, LSTM or GRU in the order the steps are taken
    (last to first with go_backwards), and the final h and c (c: an LSTM's, else None). p(variable)
    -> the layer's tensor in Keras' layout, None for a missing bias. mask: (N, steps) 0/1 in the
    input's order, or None. h0, c0: Keras' initial_state (N, units), zeros when None."""
    if cfg.get("activation", "tanh") != "tanh" or cfg.get("recurrent_activation", "sigmoid") != "sigmoid":
        raise ValueError(f"{kind}: the goldens use tanh and sigmoid (torch's ops)")
    if cfg.get("go_backwards", False):
        x = x.flip(1)
        mask = mask.flip(1) if mask is not None else None
    units = p("recurrent_kernel").shape[0]
    reset_before = kind == "GRU" and not cfg.get("reset_after", True)
    zeros = x.new_zeros(x.shape[0], units)
    h0 = zeros if h0 is None else h0
    c0 = zeros if c0 is None else c0
    if mask is None and not reset_before:  # torch's whole-sequence ops
        args = (list(torch_weights(kind, p)), True, 1, 0.0, False, False, True)  # biases, layers, dropout, train, bidir, batch_first
        if kind == "LSTM":
            y, hn, cn = torch.lstm(x, (h0.unsqueeze(0), c0.unsqueeze(0)), *args)
            return y, hn[0], cn[0]
        y, hn = (torch.gru if kind == "GRU" else torch.rnn_tanh)(x, h0.unsqueeze(0), *args)
        return y, hn[0], None
    h, c = h0, c0
    weights = None if reset_before else torch_weights(kind, p)
    xw = x @ p("kernel") + (p("bias") if p("bias") is not None else 0.0) if reset_before else None
    outputs = []
    for t in range(x.shape[1]):
        if reset_before:
            h_new = gru_reset_before_cell(xw[:, t], h, p("recurrent_kernel"), units)
        elif kind == "LSTM":
            h_new, c_new = torch.lstm_cell(x[:, t], (h, c), *weights)
        else:
            h_new = (torch.gru_cell if kind == "GRU" else torch.rnn_tanh_cell)(x[:, t], h, *weights)
        if mask is None:
            h, out = h_new, h_new
        else:  # Keras: states where(mask, new, previous); output where(mask, new, previous output or 0)
            m = mask[:, t:t + 1] != 0
            out = torch.where(m, h_new, torch.zeros_like(h_new) if zero_output else h)
            h = torch.where(m, h_new, h)
            if kind == "LSTM":
                c = torch.where(m, c_new, c)
        outputs.append(out)
    return torch.stack(outputs, dim=1), h, (c if kind == "LSTM" else None)


MERGES = {"concat": lambda f, b: torch.cat([f, b], dim=-1), "sum": lambda f, b: f + b,
          "mul": lambda f, b: f * b, "ave": lambda f, b: (f + b) / 2}


def recurrent_forward(kind, cfg, xs, p, mask=None):
    """Keras' output of an Embedding or recurrent layer over its inputs xs (the sequence, then any
    initial states); p(variable path below the layer); mask: the input's Keras mask (N, steps) or
    None. With return_state a tuple: the output, then the final states (Keras' order: h, c; a
    Bidirectional layer's forward copy's, then its backward copy's)."""
    x = xs[0]
    if kind == "Embedding":
        return F.embedding(x.long(), p("embeddings"))
    if kind != "Bidirectional":
        y, h, c = recurrent_states(kind, cfg, x, p, mask, h0=xs[1] if len(xs) > 1 else None,
                                   c0=xs[2] if len(xs) > 2 else None)
        y = y if cfg.get("return_sequences", False) else y[:, -1]
        states = (h,) if c is None else (h, c)
        return (y,) + states if cfg.get("return_state", False) else y
    t, c, inner = inner_layer(cfg)
    sequences = c.get("return_sequences", False)  # Bidirectional forces zero_output_for_mask = return_sequences
    f, fh, fc = recurrent_states(t, c, x, lambda v: p(f"forward_{inner}/{v}"), mask, sequences)
    backward = dict(c, go_backwards=not c.get("go_backwards", False))
    b, bh, bc = recurrent_states(t, backward, x, lambda v: p(f"backward_{inner}/{v}"), mask, sequences)
    if sequences:
        f, b = f, b.flip(1)
    else:
        f, b = f[:, -1], b[:, -1]
    y = MERGES[cfg.get("merge_mode", "concat")](f, b)
    if not c.get("return_state", False):
        return y
    return (y, fh, bh) if fc is None else (y, fh, fc, bh, bc)


def output_mask(kind, cfg, xs, masks):
    """Keras' mask of a layer's output (keras/src/layers/layer.py, each layer's compute_mask), for the
    layers the masked goldens use: None where the layer drops it. masks: the inputs' masks."""
    m = masks[0] if masks else None
    if kind == "Embedding":
        return (xs[0] != 0).to(torch.int64) if cfg.get("mask_zero", False) else None
    if kind in ("SimpleRNN", "LSTM", "GRU"):
        return m if cfg.get("return_sequences", False) else None
    if kind == "Bidirectional":
        return m if cfg["layer"].get("config", {}).get("return_sequences", False) else None
    if kind in ("Dense", "MultiHeadAttention"):  # MultiHeadAttention: the query's
        return m
    if any(v is not None for v in masks) and kind not in ("GlobalAveragePooling1D", "Flatten"):
        raise ValueError(f"{kind}: a masked input the goldens do not model")
    return None
