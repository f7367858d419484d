"""The recurrent layers for verify_golden.py, in plain numpy and Keras' own terms (no torch, no
torch gate order): Embedding as row lookup; SimpleRNN, LSTM (gates i, f, c, o) and GRU (z, r, h;
reset_after with its two bias rows, or the reset gate applied to the state before U_h) stepped
one at a time, last to first with go_backwards; Bidirectional as a forward and a backward copy,
the backward one's steps reversed back to the input's order with return_sequences. Keras' masks
(keras/src/backend/numpy/rnn.py): a masked step leaves h and c as they were and outputs the previous
output (zeros before the first real step), or zeros where Bidirectional sets zero_output_for_mask
(when its layer returns sequences); GlobalAveragePooling1D divides by the count of real steps.
masked() and mask_out() carry the masks through verify_golden.py's forward (MultiHeadAttention's
own masking is in verify_golden_attention.py).
"""
import numpy as np

import verify_golden_attention as attention

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


def states(kind, cfg, x, w, prefix, act, mask=None, zero_output=False, initial=()):
    """Every output (N, steps, units), in the order the steps are taken, and the final h and c;
    mask (N, steps) or None; initial: Keras' initial_state, (h,) or (h, c), zeros when empty."""
    kernel, u_all = w[f"{prefix}/kernel"], w[f"{prefix}/recurrent_kernel"]
    units = u_all.shape[0]
    bias = w.get(f"{prefix}/bias") if cfg.get("use_bias", True) else None
    f = lambda v: act(v, cfg.get("activation", "tanh"))
    g = lambda v: act(v, cfg.get("recurrent_activation", "sigmoid"))
    part = lambda m, k: m[..., k * units:(k + 1) * units]
    h, c = np.zeros((x.shape[0], units)), np.zeros((x.shape[0], units))
    if len(initial) > 0:
        h = initial[0]
    if len(initial) > 1:
        c = initial[1]
    order = range(x.shape[1] - 1, -1, -1) if cfg.get("go_backwards", False) else range(x.shape[1])
    out = []
    for t in order:
        h_prev, c_prev = h, c
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
        if mask is None:
            out.append(h)
            continue
        real = mask[:, t][:, None] != 0
        out.append(np.where(real, h, 0.0 if zero_output else (out[-1] if out else 0.0)))
        h, c = np.where(real, h, h_prev), np.where(real, c, c_prev)
    return np.stack(out, axis=1), h, c


def forward(name, kind, cfg, xs, w, act, mask=None, out=None):
    """The layer's output over its inputs xs (the sequence, then any initial states). With
    return_state, its final states go to out["NAME:1"], out["NAME:2"], ... (Keras' order: h, c;
    a Bidirectional layer's forward copy's, then its backward copy's)."""
    x = xs[0]
    if kind == "Embedding":
        return w[f"model/{name}/embeddings"][x.astype(np.int64)]
    if kind != "Bidirectional":
        y, h, c = states(kind, cfg, x, w, f"model/{name}", act, mask, initial=xs[1:])
        finals = [h, c] if kind == "LSTM" else [h]
        y = y if cfg.get("return_sequences", False) else y[:, -1]
    else:
        inner = cfg["layer"]
        t, ic = inner["type"], inner.get("config", {})
        n = inner.get("name", DEFAULT_NAMES[t])
        seq = ic.get("return_sequences", False)
        fy, fh, fc = states(t, ic, x, w, f"model/{name}/forward_{n}", act, mask, zero_output=seq)
        by, bh, bc = states(t, dict(ic, go_backwards=not ic.get("go_backwards", False)), x, w,
                            f"model/{name}/backward_{n}", act, mask, zero_output=seq)
        finals = [fh, fc, bh, bc] if t == "LSTM" else [fh, bh]
        cfg = dict(cfg, return_state=ic.get("return_state", False))
        if seq:
            by = by[:, ::-1]
        else:
            fy, by = fy[:, -1], by[:, -1]
        mode = cfg.get("merge_mode", "concat")
        y = np.concatenate([fy, by], axis=-1) if mode == "concat" else {"sum": fy + by, "mul": fy * by,
                                                                         "ave": (fy + by) / 2}[mode]
    if cfg.get("return_state", False) and out is not None:
        for k, s in enumerate(finals, start=1):
            out[f"{name}:{k}"] = s
    return y


def masked(name, kind, cfg, xs, w, act, masks):
    """The output of a layer whose first input carries a mask, where the mask changes it (None where
    no input has one, or the layer computes what it would without); raises for other layers."""
    if all(m is None for m in masks):
        return None
    if kind in RECURRENT:
        return forward(name, kind, cfg, xs, w, act, masks[0])
    if kind == "MultiHeadAttention":
        return attention.forward(name, kind, cfg, xs, w, masks)
    if kind == "GlobalAveragePooling1D":
        m, keep = masks[0][:, :, None].astype(np.float64), cfg.get("keepdims", False)
        return (xs[0] * m).sum(axis=1, keepdims=keep) / m.sum(axis=1, keepdims=keep)
    if kind in ("Flatten", "Dense"):
        return None
    raise ValueError(f"{kind}: masked input not modelled")


def mask_out(kind, cfg, xs, masks):
    """Keras' output mask (compute_mask): Embedding's ids != 0, passed on by Dense and by recurrent
    layers that return sequences; MultiHeadAttention's is the query's; every other layer drops it."""
    if kind == "Embedding" and cfg.get("mask_zero", False):
        return xs[0] != 0
    seq = (cfg.get("layer", {}).get("config", {}) if kind == "Bidirectional" else cfg).get("return_sequences", False)
    if kind in ("Dense", "MultiHeadAttention") or (kind in RECURRENT and kind != "Embedding" and seq):
        return masks[0] if masks else None
    return None
