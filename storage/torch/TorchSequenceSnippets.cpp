// The PyTorch export's classes for the sequence layers (engine/layers/SequenceLayers.h): Conv1D,
// MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D, GlobalMaxPooling1D on (N, W, C) tensors,
// permuted to torch's (N, C, W) around nn.Conv1d and the 1-D pools; beside TorchSnippets.cpp.
#include "storage/torch/TorchSnippets.h"

#include <map>

namespace strata::storage::torch_snippets {

namespace {

const char* kConv1D = R"py(

class Conv1D(nn.Conv1d):
    """Strata (Keras) Conv1D on (N, steps, channels) tensors (permuted to (N, C, W) around the
    convolution). weight is (filters, in_channels, k), Strata's (k, in_channels, filters) kernel
    permuted (2, 1, 0). padding "same" pads as TensorFlow (the odd cell at the end, see
    same_padding); "causal" pads (k - 1) * dilation cells before the first step."""

    def __init__(self, in_channels, filters, kernel_size, strides=1, padding="valid", dilation_rate=1,
                 bias=True, activation="linear"):
        super().__init__(in_channels, filters, kernel_size, stride=strides, padding=0,
                         dilation=dilation_rate, bias=bias)
        self.mode = padding
        self.activation = activation

    def forward(self, x):
        x = x.permute(0, 2, 1)
        k, s, d = self.kernel_size[0], self.stride[0], self.dilation[0]
        if self.mode == "causal":
            x = F.pad(x, ((k - 1) * d, 0))
        elif self.mode == "same":
            x = F.pad(x, same_padding(x.shape[2], k, s, d))
        y = F.conv1d(x, self.weight, self.bias, self.stride, 0, self.dilation)
        return ACTIVATIONS[self.activation](y.permute(0, 2, 1))

    def extra_repr(self):
        return f"{super().extra_repr()}, mode={self.mode!r}, activation={self.activation!r}"
)py";

const char* kMaxPooling1D = R"py(

class MaxPooling1D(nn.Module):
    """Strata (Keras) MaxPooling1D on (N, steps, channels) tensors; "same" pads with -inf as
    TensorFlow places the pads, so a pad is never the maximum."""

    def __init__(self, pool_size, strides, padding="valid"):
        super().__init__()
        self.pool_size, self.strides, self.same = pool_size, strides, padding == "same"

    def padded(self, x, value):
        pads = same_padding(x.shape[2], self.pool_size, self.strides) if self.same else (0, 0)
        return F.pad(x, pads, value=value) if pads[0] or pads[1] else x

    def forward(self, x):
        x = self.padded(x.permute(0, 2, 1), -math.inf)
        return F.max_pool1d(x, self.pool_size, self.strides).permute(0, 2, 1)

    def extra_repr(self):
        return f"pool_size={self.pool_size}, strides={self.strides}, same={self.same}"
)py";

const char* kAveragePooling1D = R"py(

class AveragePooling1D(MaxPooling1D):
    """Strata (Keras) AveragePooling1D on (N, steps, channels) tensors; a window's mean counts only
    the steps inside the input (TensorFlow's "same")."""

    def forward(self, x):
        x = x.permute(0, 2, 1)
        ones = torch.ones_like(x[:1, :1])
        sums = F.avg_pool1d(self.padded(x, 0.0), self.pool_size, self.strides) * self.pool_size
        counts = F.avg_pool1d(self.padded(ones, 0.0), self.pool_size, self.strides) * self.pool_size
        return (sums / counts).permute(0, 2, 1)
)py";

const char* kGlobalAveragePooling1D = R"py(

class GlobalAveragePooling1D(nn.Module):
    """Strata GlobalAveragePooling1D: the mean over the steps of an (N, steps, channels) tensor."""

    def __init__(self, keepdims=False):
        super().__init__()
        self.keepdims = keepdims

    def forward(self, x):
        return x.mean(dim=1, keepdim=self.keepdims)

    def extra_repr(self):
        return f"keepdims={self.keepdims}"
)py";

const char* kGlobalMaxPooling1D = R"py(

class GlobalMaxPooling1D(nn.Module):
    """Strata GlobalMaxPooling1D: the maximum over the steps of an (N, steps, channels) tensor."""

    def __init__(self, keepdims=False):
        super().__init__()
        self.keepdims = keepdims

    def forward(self, x):
        return x.amax(dim=1, keepdim=self.keepdims)

    def extra_repr(self):
        return f"keepdims={self.keepdims}"
)py";

} // namespace

const std::string* sequenceSnippet(const std::string& name) {
    static const std::map<std::string, std::string> t = {
        {"Conv1D", kConv1D},
        {"MaxPooling1D", kMaxPooling1D},
        {"AveragePooling1D", kAveragePooling1D},
        {"GlobalAveragePooling1D", kGlobalAveragePooling1D},
        {"GlobalMaxPooling1D", kGlobalMaxPooling1D},
    };
    const auto it = t.find(name);
    return it == t.end() ? nullptr : &it->second;
}

} // namespace strata::storage::torch_snippets
