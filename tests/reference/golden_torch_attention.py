"""golden_torch.py's attention layers in torch (float64 or float32), Keras semantics:
MultiHeadAttention (query scaled by 1/sqrt(key_dim), the causal mask as -1e9 added to the scores
of later keys, softmax over the keys) and Keras-NLP's PositionEmbedding (the table's first
`steps` rows for every sample)."""
import math

import torch

ATTENTION_TYPES = ("MultiHeadAttention", "PositionEmbedding")


def attention_variables(name, kind, cfg):
    if kind == "PositionEmbedding":
        return [f"model/{name}/embeddings"]
    out = []
    for sub in ("query", "key", "value", "attention_output"):
        out.append(f"model/{name}/{sub}/kernel")
        if cfg.get("use_bias", True):
            out.append(f"model/{name}/{sub}/bias")
    return out


def attention_forward(kind, cfg, xs, p):
    """p(v): the layer's variable v ("query/kernel")."""
    if kind == "PositionEmbedding":
        x = xs[0]
        return p("embeddings")[: x.shape[1]].unsqueeze(0).expand(x.shape[0], -1, -1)
    query, value = xs[0], xs[1]
    key = xs[2] if len(xs) > 2 else value
    bias = cfg.get("use_bias", True)

    def project(x, sub):  # (N, L, d) -> (N, heads, L, width)
        y = torch.einsum("nld,dhw->nhlw", x, p(f"{sub}/kernel"))
        return y + p(f"{sub}/bias")[None, :, None, :] if bias else y
    q = project(query, "query") * (1.0 / math.sqrt(cfg["key_dim"]))
    scores = torch.einsum("nhtk,nhsk->nhts", q, project(key, "key"))
    if cfg.get("use_causal_mask", False):
        t, s = scores.shape[-2], scores.shape[-1]
        later = ~torch.ones(t, s, dtype=torch.bool).tril()
        scores = scores + later.to(scores.dtype) * -1e9
    probs = torch.softmax(scores, dim=-1)
    heads = torch.einsum("nhts,nhsv->nthv", probs, project(value, "value"))
    y = torch.einsum("nthv,hvd->ntd", heads, p("attention_output/kernel"))
    return y + p("attention_output/bias") if bias else y
