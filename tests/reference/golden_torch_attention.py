"""golden_torch.py's attention layers in torch (float64 or float32), Keras semantics:
MultiHeadAttention (query scaled by 1/sqrt(key_dim), the causal mask as -1e9 added to the scores
of later keys, softmax over the keys), Keras-NLP's PositionEmbedding (the table's first `steps`
rows for every sample), Dot (Keras' batch_dot; normalize is x * rsqrt(max(sum x^2, 1e-7^2)) along
the dot axis, Keras 3's ops.normalize) and RepeatVector. With Keras masks on MultiHeadAttention's
inputs (_compute_attention_mask): query (B, T, 1) & value (B, 1, S) & key (B, 1, S) & the causal
mask, and torch.where(allowed, scores, -1e9) before the softmax (Keras' dot_product_attention path,
dropout 0), so a query row with no key left attends uniformly to every key."""
import math

import torch

ATTENTION_TYPES = ("MultiHeadAttention", "PositionEmbedding", "Dot", "RepeatVector")


def attention_variables(name, kind, cfg):
    if kind in ("Dot", "RepeatVector"):
        return []
    if kind == "PositionEmbedding":
        return [f"model/{name}/embeddings"]
    out = []
    for sub in ("query", "key", "value", "attention_output"):
        out.append(f"model/{name}/{sub}/kernel")
        if cfg.get("use_bias", True):
            out.append(f"model/{name}/{sub}/bias")
    return out


def attention_forward(kind, cfg, xs, p, masks=()):
    """p(v): the layer's variable v ("query/kernel"); masks: the inputs' Keras masks (N, steps) or None."""
    if kind == "PositionEmbedding":
        x = xs[0]
        return p("embeddings")[: x.shape[1]].unsqueeze(0).expand(x.shape[0], -1, -1)
    if kind == "RepeatVector":
        return xs[0].unsqueeze(1).expand(-1, cfg["n"], -1)
    if kind == "Dot":
        return batch_dot(xs[0], xs[1], cfg.get("axes", -1), cfg.get("normalize", False))
    query, value = xs[0], xs[1]
    key = xs[2] if len(xs) > 2 else value
    bias = cfg.get("use_bias", True)

    def project(x, sub):  # (N, L, d) -> (N, heads, L, width)
        y = torch.einsum("nld,dhw->nhlw", x, p(f"{sub}/kernel"))
        return y + p(f"{sub}/bias")[None, :, None, :] if bias else y
    q = project(query, "query") * (1.0 / math.sqrt(cfg["key_dim"]))
    scores = torch.einsum("nhtk,nhsk->nhts", q, project(key, "key"))
    if any(m is not None for m in masks):
        if cfg.get("dropout", 0.0) > 0:
            raise ValueError("masked MultiHeadAttention with dropout: Keras' Softmax path, not modelled")
        t, s = scores.shape[-2], scores.shape[-1]
        allowed = torch.ones(scores.shape[0], t, s, dtype=torch.bool)
        for i, m in enumerate(masks):  # query, value, key
            if m is not None:
                allowed = allowed & ((m != 0)[:, :, None] if i == 0 else (m != 0)[:, None, :])
        if cfg.get("use_causal_mask", False):
            allowed = allowed & torch.ones(t, s, dtype=torch.bool).tril()
        scores = torch.where(allowed[:, None], scores, torch.full_like(scores, -1e9))
    elif cfg.get("use_causal_mask", False):
        t, s = scores.shape[-2], scores.shape[-1]
        later = ~torch.ones(t, s, dtype=torch.bool).tril()
        scores = scores + later.to(scores.dtype) * -1e9
    probs = torch.softmax(scores, dim=-1)
    heads = torch.einsum("nhts,nhsv->nthv", probs, project(value, "value"))
    y = torch.einsum("nthv,hvd->ntd", heads, p("attention_output/kernel"))
    return y + p("attention_output/bias") if bias else y


def batch_dot(x, y, axes, normalize):
    """Keras' Dot: per sample, the sum over x's axis ax and y's axis ay; the output's axes are x's
    other axes, then y's (batch first); (batch,) becomes (batch, 1)."""
    ax, ay = (axes, axes) if isinstance(axes, int) else axes
    ax, ay = ax % x.dim(), ay % y.dim()
    if normalize:
        x = x * torch.rsqrt(torch.clamp((x * x).sum(ax, keepdim=True), min=1e-14))
        y = y * torch.rsqrt(torch.clamp((y * y).sum(ay, keepdim=True), min=1e-14))
    xm, ym = x.movedim(ax, -1), y.movedim(ay, -1)   # (B, x's others..., d), (B, y's others..., d)
    n, d = x.shape[0], x.shape[ax]
    z = torch.bmm(xm.reshape(n, -1, d), ym.reshape(n, -1, d).transpose(1, 2))
    out = z.reshape(n, *xm.shape[1:-1], *ym.shape[1:-1])
    return out.unsqueeze(1) if out.dim() == 1 else out
