"""verify_golden.py's attention layers in numpy, sharing no code with the torch side: each head
written out with matrix products per sample, a max-subtracted softmax, Keras' causal mask (key
step j visible from query step i when j <= i), Keras-NLP's PositionEmbedding, Dot as a tensordot
per sample (normalize: divided by max(L2 norm, 1e-7) along the dot axis) and RepeatVector. Keras
masks: query step i may see key step j when the query's mask has i, the value's and the key's have j
(and j <= i if causal); the others' scores become -1e9."""
import numpy as np

ATTENTION = ("MultiHeadAttention", "PositionEmbedding", "Dot", "RepeatVector")


def dot(x, y, axes, normalize):
    """Keras' Dot, sample by sample: x's axes but ax, then y's but ay; (batch,) -> (batch, 1)."""
    ax, ay = (axes, axes) if isinstance(axes, int) else axes
    ax, ay = (ax + x.ndim if ax < 0 else ax), (ay + y.ndim if ay < 0 else ay)
    if normalize:
        x = x / np.maximum(np.linalg.norm(x, axis=ax, keepdims=True), 1e-7)
        y = y / np.maximum(np.linalg.norm(y, axis=ay, keepdims=True), 1e-7)
    y_ = np.stack([np.tensordot(x[b], y[b], axes=(ax - 1, ay - 1)) for b in range(x.shape[0])])
    return y_.reshape(x.shape[0], 1) if y_.ndim == 1 else y_


def variables(name, kind, cfg):
    if kind in ("Dot", "RepeatVector"):
        return []
    if kind == "PositionEmbedding":
        return [f"model/{name}/embeddings"]
    subs = ("query", "key", "value", "attention_output")
    return [f"model/{name}/{s}/{v}" for s in subs for v in ("kernel", "bias") if v == "kernel" or cfg.get("use_bias", True)]


def forward(name, kind, cfg, xs, w, masks=()):
    def p(v):
        return w[f"model/{name}/{v}"]
    if kind == "PositionEmbedding":
        x = xs[0]
        return np.repeat(p("embeddings")[None, : x.shape[1], :], x.shape[0], axis=0)
    if kind == "RepeatVector":
        return np.stack([xs[0]] * cfg["n"], axis=1)
    if kind == "Dot":
        return dot(xs[0], xs[1], cfg.get("axes", -1), cfg.get("normalize", False))
    query, value = xs[0], xs[1]
    key = xs[2] if len(xs) > 2 else value
    heads, kd = p("query/kernel").shape[1], cfg["key_dim"]
    bias = cfg.get("use_bias", True)
    n, t, dq = query.shape
    s = value.shape[1]
    y = np.zeros((n, t, dq))
    for b in range(n):
        for h in range(heads):
            def proj(x, sub):
                r = x[b] @ p(f"{sub}/kernel")[:, h, :]
                return r + p(f"{sub}/bias")[h] if bias else r
            q, k, v = proj(query, "query"), proj(key, "key"), proj(value, "value")
            scores = q @ k.T / np.sqrt(kd)
            if any(m is not None for m in masks):
                see = np.ones((t, s), dtype=bool)
                for i, m in enumerate(masks):  # query rows; value and key columns
                    if m is not None:
                        see &= (m[b] != 0)[:, None] if i == 0 else (m[b] != 0)[None, :]
                if cfg.get("use_causal_mask", False):
                    see &= np.arange(s)[None, :] <= np.arange(t)[:, None]
                scores = np.where(see, scores, -1e9)
            elif cfg.get("use_causal_mask", False):
                scores = scores + np.where(np.arange(s)[None, :] > np.arange(t)[:, None], -1e9, 0.0)
            e = np.exp(scores - scores.max(-1, keepdims=True))
            y[b] += (e / e.sum(-1, keepdims=True)) @ v @ p("attention_output/kernel")[h]
    return y + p("attention_output/bias") if bias else y
