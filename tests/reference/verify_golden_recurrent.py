"""The recurrent layers for verify_golden.py, in plain numpy and Keras' own terms (no torch, no
torch gate order): Embedding as row lookup; SimpleRNN, LSTM (gates i, f, c, o) and GRU (z, r, h;
reset_after with its two bias rows, or the reset gate applied to the state before U_h) stepped
one at a time, last to first with go_backwards; Bidirectional as a forward and a backward copy,
the backward one's steps reversed back to the input's order with return_sequences.
"""
import numpy as np

RECURRENT = ("Embedding", "SimpleRNN", "LSTM", "GRU", "Bidirectional")
DEFAULT_NAMES = {"SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru"}


def variables(name, kind, cfg):
    """Trainable paths of an Embedding or recurrent layer."""
    if kind == "Embedding":
        return [f"model/{name}/embeddings"]
    if kind == "Bidirectional":
        inner = cfg["layer"]
        n = inner.get("name", DEFAULT_NAMES[inner["type"]])
        return [v for d in ("forward", "backward")
                for v in variables(f"{name}/{d}_{n}", inner["type"], inner.get("config", {}))]
    out = [f"model/{name}/kernel", f"model/{name}/recurrent_kernel"]
    return out + ([f"model/{name}/bias"] if cfg.get("use_bias", True) else [])


def states(kind, cfg, x, w, prefix, act):
    """Every hidden state (N, steps, units), in the order the steps are taken."""
    kernel, u_all = w[f"{prefix}/kernel"], w[f"{prefix}/recurrent_kernel"]
    units = u_all.shape[0]
    bias = w.get(f"{prefix}/bias") if cfg.get("use_bias", True) else None
    f = lambda v: act(v, cfg.get("activation", "tanh"))
    g = lambda v: act(v, cfg.get("recurrent_activation", "sigmoid"))
    part = lambda m, k: m[..., k * units:(k + 1) * units]
    h, c = np.zeros((x.shape[0], units)), np.zeros((x.shape[0], units))
    order = range(x.shape[1] - 1, -1, -1) if cfg.get("go_backwards", False) else range(x.shape[1])
    out = []
    for t in order:
        xw = x[:, t] @ kernel
        if kind == "LSTM":
            z = xw + h @ u_all + (bias if bias is not None else 0)
            c = g(part(z, 1)) * c + g(part(z, 0)) * f(part(z, 2))
            h = g(part(z, 3)) * f(c)
        elif kind == "GRU":
            if cfg.get("reset_after", True):
                bx, bh = (bias[0], bias[1]) if bias is not None else (0, 0)
                xb, hu = xw + bx, h @ u_all + bh
                z, r = g(part(xb, 0) + part(hu, 0)), g(part(xb, 1) + part(hu, 1))
                cand = f(part(xb, 2) + r * part(hu, 2))
            else:
                xb = xw + (bias if bias is not None else 0)
                z, r = g(part(xb, 0) + h @ part(u_all, 0)), g(part(xb, 1) + h @ part(u_all, 1))
                cand = f(part(xb, 2) + (r * h) @ part(u_all, 2))
            h = z * h + (1 - z) * cand
        else:
            h = f(xw + h @ u_all + (bias if bias is not None else 0))
        out.append(h)
    return np.stack(out, axis=1)


def forward(name, kind, cfg, x, w, act):
    if kind == "Embedding":
        return w[f"model/{name}/embeddings"][x.astype(np.int64)]
    if kind != "Bidirectional":
        y = states(kind, cfg, x, w, f"model/{name}", act)
        return y if cfg.get("return_sequences", False) else y[:, -1]
    inner = cfg["layer"]
    t, c = inner["type"], inner.get("config", {})
    n = inner.get("name", DEFAULT_NAMES[t])
    fy = states(t, c, x, w, f"model/{name}/forward_{n}", act)
    by = states(t, dict(c, go_backwards=not c.get("go_backwards", False)), x, w, f"model/{name}/backward_{n}", act)
    if c.get("return_sequences", False):
        by = by[:, ::-1]
    else:
        fy, by = fy[:, -1], by[:, -1]
    mode = cfg.get("merge_mode", "concat")
    if mode == "concat":
        return np.concatenate([fy, by], axis=-1)
    return {"sum": fy + by, "mul": fy * by, "ave": (fy + by) / 2}[mode]
