// The PyTorch export's classes for the attention layers (engine/layers/AttentionLayers.h):
// MultiHeadAttention written out with einsum over Keras-layout parameters (so weights.bin holds
// Strata's variables as they are), Dot, RepeatVector and PositionEmbedding. Beside TorchSnippets.cpp.
#include "storage/torch/TorchSnippets.h"

#include <map>

namespace strata::storage::torch_snippets {

namespace {

const char* kMultiHeadAttention = R"py(

class MultiHeadAttention(nn.Module):
    """Strata (Keras) MultiHeadAttention on (N, steps, features): query, value and optionally key
    (the value when absent). Parameters in Keras' layout: query_kernel (query_dim, heads, key_dim),
    query_bias (heads, key_dim), key_*, value_kernel (value_features, heads, value_dim),
    attention_output_kernel (heads, value_dim, query_dim), attention_output_bias (query_dim).
    Scores are scaled by 1/sqrt(key_dim); use_causal_mask adds -1e9 where a key step comes after
    the query step (Keras' call argument, a constructor argument here); dropout applies to the
    attention probabilities in training (torch's generator, not Strata's Philox stream)."""

    def __init__(self, query_dim, value_features, key_features, num_heads, key_dim, value_dim, dropout=0.0,
                 use_bias=True, use_causal_mask=False):
        super().__init__()
        self.num_heads, self.key_dim, self.value_dim, self.use_causal_mask = num_heads, key_dim, value_dim, use_causal_mask
        shapes = {
            "query": ((query_dim, num_heads, key_dim), (num_heads, key_dim)),
            "key": ((key_features, num_heads, key_dim), (num_heads, key_dim)),
            "value": ((value_features, num_heads, value_dim), (num_heads, value_dim)),
            "attention_output": ((num_heads, value_dim, query_dim), (query_dim,)),
        }
        for name, (kernel, bias) in shapes.items():
            setattr(self, name + "_kernel", nn.Parameter(torch.zeros(kernel)))
            if use_bias:
                setattr(self, name + "_bias", nn.Parameter(torch.zeros(bias)))
            else:
                self.register_parameter(name + "_bias", None)
        self.dropout = nn.Dropout(dropout)

    def project(self, x, name):  # (N, L, d) -> (N, heads, L, width)
        y = torch.einsum("nld,dhw->nhlw", x, getattr(self, name + "_kernel"))
        bias = getattr(self, name + "_bias")
        return y if bias is None else y + bias[None, :, None, :]

    def forward(self, query, value, key=None):
        key = value if key is None else key
        q = self.project(query, "query") * (1.0 / math.sqrt(self.key_dim))
        k, v = self.project(key, "key"), self.project(value, "value")
        scores = torch.einsum("nhtk,nhsk->nhts", q, k)
        if self.use_causal_mask:
            t, s = scores.shape[-2], scores.shape[-1]
            allowed = torch.ones(t, s, dtype=torch.bool, device=scores.device).tril()
            scores = scores + (~allowed).to(scores.dtype) * -1e9
        probs = self.dropout(torch.softmax(scores, dim=-1))
        heads = torch.einsum("nhts,nhsv->nthv", probs, v)
        y = torch.einsum("nthv,hvd->ntd", heads, self.attention_output_kernel)
        return y if self.attention_output_bias is None else y + self.attention_output_bias

    def extra_repr(self):
        return (f"num_heads={self.num_heads}, key_dim={self.key_dim}, value_dim={self.value_dim}, "
                f"use_causal_mask={self.use_causal_mask}")
)py";

const char* kDot = R"py(

class Dot(nn.Module):
    """Strata (Keras) Dot: the dot product of two samples of rank 1 or 2 along axes (ax, ay),
    counted with the batch axis; normalize: each L2-normalized along its axis first (Keras 3's
    ops.normalize: x / max(norm(x), 1e-7)). The output is x's remaining axes then y's, (N, 1)
    when none remain."""

    def __init__(self, axes, normalize=False):
        super().__init__()
        self.axes, self.normalize = tuple(axes), normalize

    def forward(self, x, y):
        ax, ay = self.axes
        if self.normalize:
            x = x / x.square().sum(ax, keepdim=True).clamp_min(1e-14).sqrt()
            y = y / y.square().sum(ay, keepdim=True).clamp_min(1e-14).sqrt()
        x_row, y_row = x.dim() == 2, y.dim() == 2
        if x_row:
            x, ax = x.unsqueeze(1), 2
        if y_row:
            y, ay = y.unsqueeze(1), 2
        z = torch.bmm(x.transpose(1, 2) if ax == 1 else x, y.transpose(1, 2) if ay == 2 else y)
        if x_row and y_row:
            return z.reshape(z.shape[0], 1)
        if x_row:
            return z.squeeze(1)
        return z.squeeze(2) if y_row else z

    def extra_repr(self):
        return f"axes={self.axes}, normalize={self.normalize}"
)py";

const char* kRepeatVector = R"py(

class RepeatVector(nn.Module):
    """Strata (Keras) RepeatVector: (N, features) -> (N, n, features)."""

    def __init__(self, n):
        super().__init__()
        self.n = n

    def forward(self, x):
        return x.unsqueeze(1).expand(-1, self.n, -1)

    def extra_repr(self):
        return f"n={self.n}"
)py";

const char* kPositionEmbedding = R"py(

class PositionEmbedding(nn.Module):
    """Strata's PositionEmbedding (Keras-NLP's): a learned (sequence_length, features) table;
    for x (N, steps, features) returns its first `steps` rows for each sample (to add to x)."""

    def __init__(self, sequence_length, features):
        super().__init__()
        self.embeddings = nn.Parameter(torch.zeros(sequence_length, features))

    def forward(self, x):
        return self.embeddings[: x.shape[1]].unsqueeze(0).expand(x.shape[0], -1, -1)
)py";

} // namespace

const std::string* attentionSnippet(const std::string& name) {
    static const std::map<std::string, std::string> t = {
        {"MultiHeadAttention", kMultiHeadAttention},
        {"Dot", kDot},
        {"RepeatVector", kRepeatVector},
        {"PositionEmbedding", kPositionEmbedding},
    };
    const auto it = t.find(name);
    return it == t.end() ? nullptr : &it->second;
}

} // namespace strata::storage::torch_snippets
