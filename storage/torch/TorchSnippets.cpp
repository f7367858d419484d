#include "storage/torch/TorchSnippets.h"

#include <map>
#include <stdexcept>

namespace strata::storage::torch_snippets {

extern const char* const kDepthwiseConv2D; // TorchConvSnippets.cpp
extern const char* const kSeparableConv2D;

namespace {

const char* kPrelude = R"py(import array
import hashlib
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

# Strata's activations (Keras definitions): gelu is the exact (erf) form, leaky_relu has slope 0.2,
# elu alpha 1, selu Keras' constants, softmax and log_softmax work on the last axis.
ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "softmax": lambda x: torch.softmax(x, dim=-1),
    "log_softmax": lambda x: torch.log_softmax(x, dim=-1),
    "elu": lambda x: F.elu(x, alpha=1.0),
    "selu": F.selu,
    "softplus": F.softplus,
    "softsign": F.softsign,
    "swish": F.silu,
    "silu": F.silu,
    "gelu": F.gelu,
    "leaky_relu": lambda x: F.leaky_relu(x, negative_slope=0.2),
    "exponential": torch.exp,
    "relu6": F.relu6,
    "hard_sigmoid": F.hardsigmoid,  # Keras 3: relu6(x + 3) / 6
    "hard_silu": F.hardswish,
    "hard_swish": F.hardswish,
    "mish": F.mish,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
}
)py";

const char* kPadding = R"py(
def same_padding(size, window, stride, dilation=1):
    """TensorFlow's "same" padding of one axis as (before, after): the output has ceil(size / stride)
    cells and an odd total puts the extra cell after (at the bottom or the right)."""
    span = (window - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + span - size, 0)
    return total // 2, total - total // 2


def pad_same(x, window, strides, dilation=(1, 1), value=0.0):
    """Pads an NCHW tensor for "same" windows, asymmetrically where TensorFlow does."""
    top, bottom = same_padding(x.shape[2], window[0], strides[0], dilation[0])
    left, right = same_padding(x.shape[3], window[1], strides[1], dilation[1])
    if top == bottom == left == right == 0:
        return x
    return F.pad(x, (left, right, top, bottom), value=value)
)py";

const char* kDense = R"py(

class Dense(nn.Linear):
    """Strata Dense: activation(x @ kernel + bias) on the last axis of a tensor of any rank.
    weight is Strata's kernel transposed: [units, in_features]."""

    def __init__(self, in_features, units, bias=True, activation="linear"):
        super().__init__(in_features, units, bias=bias)
        self.activation = activation

    def forward(self, x):
        return ACTIVATIONS[self.activation](F.linear(x, self.weight, self.bias))

    def extra_repr(self):
        return f"{super().extra_repr()}, activation={self.activation!r}"
)py";

const char* kConv2D = R"py(

class Conv2D(nn.Conv2d):
    """Strata Conv2D on NHWC tensors (permuted to NCHW around the convolution). weight is OIHW,
    Strata's HWIO kernel permuted (3, 2, 0, 1). padding "same" pads as TensorFlow (see pad_same)."""

    def __init__(self, in_channels, filters, kernel_size, strides=(1, 1), padding="valid",
                 dilation_rate=(1, 1), bias=True, activation="linear", groups=1):
        super().__init__(in_channels, filters, tuple(kernel_size), stride=tuple(strides), padding=0,
                         dilation=tuple(dilation_rate), groups=groups, bias=bias)
        self.same = padding == "same"
        self.activation = activation

    def forward(self, x):
        x = x.permute(0, 3, 1, 2)
        if self.same:
            x = pad_same(x, self.kernel_size, self.stride, self.dilation)
        y = F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return ACTIVATIONS[self.activation](y.permute(0, 2, 3, 1))

    def extra_repr(self):
        return f"{super().extra_repr()}, same={self.same}, activation={self.activation!r}"
)py";

const char* kConv2DTranspose = R"py(

class Conv2DTranspose(nn.ConvTranspose2d):
    """Strata (Keras) Conv2DTranspose on NHWC tensors (permuted to NCHW around the convolution),
    computing what TensorFlow's conv2d_transpose does. weight is (in_channels, filters, kh, kw),
    Strata's (kh, kw, filters, in_channels) kernel permuted (3, 2, 0, 1).

    Each output axis has in * stride cells ("same") or in * stride + max(span - stride, 0) cells
    ("valid"), span = (kernel - 1) * dilation + 1. The full transposed convolution is computed
    without padding and cropped: "same" drops max(span - stride, 0) // 2 cells at the top/left and
    the rest at the bottom/right (an odd cell there, as TensorFlow; PyTorch's padding is symmetric);
    output_padding adds the stride - span cells that no kernel reaches when span < stride."""

    def __init__(self, in_channels, filters, kernel_size, strides=(1, 1), padding="valid",
                 dilation_rate=(1, 1), bias=True, activation="linear"):
        spans = [(k - 1) * d + 1 for k, d in zip(kernel_size, dilation_rate)]
        super().__init__(in_channels, filters, tuple(kernel_size), stride=tuple(strides), padding=0,
                         output_padding=tuple(max(s - span, 0) for s, span in zip(strides, spans)),
                         dilation=tuple(dilation_rate), bias=bias)
        self.same = padding == "same"
        self.activation = activation
        self.crop = tuple(max(span - s, 0) // 2 for s, span in zip(strides, spans)) if self.same else (0, 0)

    def forward(self, x):
        height, width = x.shape[1] * self.stride[0], x.shape[2] * self.stride[1]
        y = F.conv_transpose2d(x.permute(0, 3, 1, 2), self.weight, self.bias, self.stride, 0,
                               self.output_padding, 1, self.dilation)
        if self.same:
            top, left = self.crop
            y = y[:, :, top:top + height, left:left + width]
        return ACTIVATIONS[self.activation](y.permute(0, 2, 3, 1))

    def extra_repr(self):
        return f"{super().extra_repr()}, same={self.same}, activation={self.activation!r}"
)py";

const char* kMaxPooling2D = R"py(

def pool_padding(size, window, stride, padding, pads, ceil_mode):
    """The (before, after) cells that one axis of a Strata pool reads around the input: "same"
    as TensorFlow, explicit pads (a Strata extension of Keras) as given; after grows so that the
    last window of ceil_mode (PyTorch's rule: it starts inside the input or its leading pad) fits."""
    if padding == "same":
        return same_padding(size, window, stride)
    before, after = pads if padding == "explicit" else (0, 0)
    padded = size + before + after
    out = (padded - window + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + before:
        out -= 1
    return before, max(after, (out - 1) * stride + window - size - before)


class MaxPooling2D(nn.Module):
    """Strata MaxPooling2D on NHWC tensors; padding ("same" or explicit [[top, bottom], [left, right]])
    is -inf, so a pad is never the maximum; ceil_mode rounds the output size up as PyTorch does."""

    def __init__(self, pool_size, strides, padding="valid", ceil_mode=False):
        super().__init__()
        self.pool_size, self.strides, self.ceil_mode = tuple(pool_size), tuple(strides), ceil_mode
        self.padding = padding if isinstance(padding, str) else "explicit"
        self.pads = ((0, 0), (0, 0)) if isinstance(padding, str) else tuple(tuple(p) for p in padding)

    def padded(self, x, value):
        top, bottom = pool_padding(x.shape[2], self.pool_size[0], self.strides[0], self.padding, self.pads[0], self.ceil_mode)
        left, right = pool_padding(x.shape[3], self.pool_size[1], self.strides[1], self.padding, self.pads[1], self.ceil_mode)
        return F.pad(x, (left, right, top, bottom), value=value) if top or bottom or left or right else x

    def forward(self, x):
        x = self.padded(x.permute(0, 3, 1, 2), -math.inf)
        return F.max_pool2d(x, self.pool_size, self.strides).permute(0, 2, 3, 1)

    def extra_repr(self):
        return (f"pool_size={self.pool_size}, strides={self.strides}, padding={self.padding!r}, "
                f"pads={self.pads}, ceil_mode={self.ceil_mode}")
)py";

const char* kAveragePooling2D = R"py(

class AveragePooling2D(MaxPooling2D):
    """Strata AveragePooling2D on NHWC tensors; a window's mean counts only the cells inside the
    input (TensorFlow's rule for "same"; PyTorch's count_include_pad=False), whatever padding
    ("same" or explicit) or ceil_mode overhang it overlaps."""

    def forward(self, x):
        x = x.permute(0, 3, 1, 2)
        if self.padding == "valid" and not self.ceil_mode:
            return F.avg_pool2d(x, self.pool_size, self.strides).permute(0, 2, 3, 1)
        ones = torch.ones_like(x[:1, :1])
        sums = F.avg_pool2d(self.padded(x, 0.0), self.pool_size, self.strides, divisor_override=1)
        counts = F.avg_pool2d(self.padded(ones, 0.0), self.pool_size, self.strides, divisor_override=1)
        return (sums / counts).permute(0, 2, 3, 1)
)py";

const char* kGlobalAveragePooling2D = R"py(

class GlobalAveragePooling2D(nn.Module):
    """Strata GlobalAveragePooling2D: the mean over height and width of an NHWC tensor."""

    def __init__(self, keepdims=False):
        super().__init__()
        self.keepdims = keepdims

    def forward(self, x):
        return x.mean(dim=(1, 2), keepdim=self.keepdims)

    def extra_repr(self):
        return f"keepdims={self.keepdims}"
)py";

const char* kZeroPadding2D = R"py(

class ZeroPadding2D(nn.Module):
    """Strata (Keras) ZeroPadding2D: rows and columns of zeros around each NHWC image."""

    def __init__(self, top, bottom, left, right):
        super().__init__()
        self.pads = (0, 0, left, right, top, bottom)  # F.pad: last axis first (C, then W, then H)

    def forward(self, x):
        return F.pad(x, self.pads)

    def extra_repr(self):
        return f"pads(top, bottom, left, right)={self.pads[4]}, {self.pads[5]}, {self.pads[2]}, {self.pads[3]}"
)py";

const char* kReshape = R"py(

class Reshape(nn.Module):
    """Strata Reshape: each sample to target_shape (row-major, one entry may be -1)."""

    def __init__(self, target_shape):
        super().__init__()
        self.target_shape = tuple(target_shape)

    def forward(self, x):
        return x.reshape(x.shape[0], *self.target_shape)

    def extra_repr(self):
        return f"target_shape={self.target_shape}"
)py";

const char* kPermute = R"py(

class Permute(nn.Module):
    """Strata (Keras) Permute: output axis i is input axis dims[i-1] (1-based; the batch axis stays)."""

    def __init__(self, dims):
        super().__init__()
        self.dims = tuple(dims)

    def forward(self, x):
        return x.permute(0, *self.dims)

    def extra_repr(self):
        return f"dims={self.dims}"
)py";

const char* kSlice = R"py(

class Slice(nn.Module):
    """Strata Slice (a Strata addition, not a Keras layer): keeps start..stop-1 of one axis."""

    def __init__(self, axis, start, stop):
        super().__init__()
        self.axis, self.start, self.stop = axis, start, stop

    def forward(self, x):
        index = [slice(None)] * x.dim()
        index[self.axis] = slice(self.start, self.stop)
        return x[tuple(index)]

    def extra_repr(self):
        return f"axis={self.axis}, start={self.start}, stop={self.stop}"
)py";

const char* kBatchNormalization = R"py(

class BatchNormalization(nn.Module):
    """Strata (Keras) BatchNormalization over the last axis of a tensor of any rank.

    Evaluation: (x - running_mean) / sqrt(running_var + epsilon) * weight + bias, where weight,
    bias, running_mean and running_var are Strata's gamma, beta, moving_mean and moving_variance.
    Training: the batch mean and the biased batch variance over every axis but the last; the
    running statistics follow Keras, running = momentum * running + (1 - momentum) * batch, so
    Keras' momentum 0.99 is PyTorch's 0.01, and running_var takes the biased variance."""

    def __init__(self, num_features, epsilon=1e-3, momentum=0.99, center=True, scale=True):
        super().__init__()
        self.num_features, self.epsilon, self.momentum = num_features, epsilon, momentum
        self.weight = nn.Parameter(torch.ones(num_features)) if scale else None
        self.bias = nn.Parameter(torch.zeros(num_features)) if center else None
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, x):
        if self.training:
            axes = tuple(range(x.dim() - 1))
            mean = x.mean(dim=axes)
            var = (x - mean).square().mean(dim=axes)
            with torch.no_grad():
                self.running_mean.mul_(self.momentum).add_(mean.detach(), alpha=1 - self.momentum)
                self.running_var.mul_(self.momentum).add_(var.detach(), alpha=1 - self.momentum)
        else:
            mean, var = self.running_mean, self.running_var
        y = (x - mean) * torch.rsqrt(var + self.epsilon)
        if self.weight is not None:
            y = y * self.weight
        return y if self.bias is None else y + self.bias

    def extra_repr(self):
        return (f"{self.num_features}, epsilon={self.epsilon}, momentum={self.momentum} (Keras form), "
                f"center={self.bias is not None}, scale={self.weight is not None}")
)py";

const char* kLayerNormalization = R"py(

class LayerNormalization(nn.Module):
    """Strata LayerNormalization over the last axis (biased variance); weight and bias are Strata's
    gamma and beta."""

    def __init__(self, num_features, epsilon=1e-3, center=True, scale=True):
        super().__init__()
        self.num_features, self.epsilon = num_features, epsilon
        self.weight = nn.Parameter(torch.ones(num_features)) if scale else None
        self.bias = nn.Parameter(torch.zeros(num_features)) if center else None

    def forward(self, x):
        return F.layer_norm(x, (self.num_features,), self.weight, self.bias, self.epsilon)

    def extra_repr(self):
        return (f"{self.num_features}, epsilon={self.epsilon}, center={self.bias is not None}, "
                f"scale={self.weight is not None}")
)py";

const char* kActivation = R"py(

class Activation(nn.Module):
    """Strata Activation: one of ACTIVATIONS, element-wise (softmax on the last axis)."""

    def __init__(self, activation):
        super().__init__()
        self.activation = activation

    def forward(self, x):
        return ACTIVATIONS[self.activation](x)

    def extra_repr(self):
        return repr(self.activation)
)py";

const char* kReLU = R"py(

class ReLU(nn.Module):
    """Strata ReLU (Keras 3): x above threshold, negative_slope * (x - threshold) at and below it,
    capped at max_value (None: no cap)."""

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0):
        super().__init__()
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold

    def forward(self, x):
        if self.threshold:
            y = torch.where(x > self.threshold, x, self.negative_slope * (x - self.threshold))
        else:
            y = F.leaky_relu(x, self.negative_slope) if self.negative_slope else F.relu(x)
        return y if self.max_value is None else torch.clamp(y, max=self.max_value)

    def extra_repr(self):
        return f"max_value={self.max_value}, negative_slope={self.negative_slope}, threshold={self.threshold}"
)py";

const char* kPReLU = R"py(

class PReLU(nn.Module):
    """Strata PReLU (Keras): relu(x) - alpha * relu(-x), alpha of the sample's shape (NHWC for
    images) with the shared axes 1."""

    def __init__(self, alpha_shape):
        super().__init__()
        self.alpha = nn.Parameter(torch.zeros(alpha_shape))

    def forward(self, x):
        return torch.relu(x) - self.alpha * torch.relu(-x)

    def extra_repr(self):
        return f"alpha_shape={tuple(self.alpha.shape)}"
)py";

const char* kRescaling = R"py(

class Rescaling(nn.Module):
    """Strata Rescaling: x * scale + offset."""

    def __init__(self, scale, offset=0.0):
        super().__init__()
        self.scale, self.offset = scale, offset

    def forward(self, x):
        return x * self.scale + self.offset

    def extra_repr(self):
        return f"scale={self.scale}, offset={self.offset}"
)py";

const char* kAdd = R"py(

class Add(nn.Module):
    """Strata Add: the element-wise sum of its inputs."""

    def forward(self, *xs):
        y = xs[0]
        for x in xs[1:]:
            y = y + x
        return y
)py";

const char* kMultiply = R"py(

class Multiply(nn.Module):
    """Strata Multiply: the element-wise product of its inputs."""

    def forward(self, *xs):
        y = xs[0]
        for x in xs[1:]:
            y = y * x
        return y
)py";

const char* kConcatenate = R"py(

class Concatenate(nn.Module):
    """Strata Concatenate along `axis` (counted with the batch axis, as in Keras)."""

    def __init__(self, axis=-1):
        super().__init__()
        self.axis = axis

    def forward(self, *xs):
        return torch.cat(xs, dim=self.axis)

    def extra_repr(self):
        return f"axis={self.axis}"
)py";

const char* kLoader = R"py(

WEIGHTS_FORMAT = "strata.torch_weights/1"


def load_weights(model, folder):
    """Copies the Strata weights in `folder` (weights.json, weights.bin) into `model`.

    weights.bin holds each Strata variable as little-endian float32 in Strata's layout; weights.json
    says where, under which state_dict name, and the permutation to PyTorch's layout (for recurrent
    layers also the row taken and the order of the gate blocks). Every
    parameter and buffer must be matched (load_state_dict(strict=True))."""
    with open(os.path.join(folder, "weights.json"), encoding="utf-8") as f:
        index = json.load(f)
    if index.get("format") != WEIGHTS_FORMAT:
        raise ValueError(f"{folder}/weights.json is not a {WEIGHTS_FORMAT} index")
    data_file = os.path.join(folder, index["data_file"])
    with open(data_file, "rb") as f:
        data = bytearray(f.read())
    if len(data) != index["data_bytes"] or hashlib.sha256(data).hexdigest() != index["sha256"]:
        raise ValueError(f"{data_file} does not match weights.json (size or sha256): damaged or replaced")
    if sys.byteorder != "little":
        swapped = array.array("f", bytes(data))  # float32 items; the file is little-endian
        swapped.byteswap()
        data = bytearray(swapped.tobytes())
    state = {}
    for v in index["variables"]:
        count = math.prod(v["strata_shape"])
        t = torch.frombuffer(data, dtype=torch.float32, count=count, offset=v["offset"])
        t = t.reshape(v["strata_shape"])
        if v.get("row") is not None:  # one row of the variable: a GRU's input or recurrent bias
            t = t[v["row"]]
        if v["permute"]:
            t = t.permute(*v["permute"])
        if v.get("gate_order"):  # gate blocks of the first axis in torch's order (GRU: z, r, h -> r, z, n)
            blocks = t.chunk(len(v["gate_order"]), dim=0)
            t = torch.cat([blocks[k] for k in v["gate_order"]], dim=0)
        state[v["torch_name"]] = t.contiguous()
    model.load_state_dict(state, strict=True)
    return model


def load(path=None):
    """The model with its trained Strata weights, from `path` (default: this file's folder), in
    evaluation mode (Dropout off, BatchNormalization on its running statistics)."""
    folder = path if path is not None else os.path.dirname(os.path.abspath(__file__))
    return load_weights(build(), folder).eval()
)py";

const std::map<std::string, std::string>& table() {
    static const std::map<std::string, std::string> t = {
        {"padding", kPadding},
        {"Dense", kDense},
        {"Conv2D", kConv2D},
        {"Conv2DTranspose", kConv2DTranspose},
        {"MaxPooling2D", kMaxPooling2D},
        {"AveragePooling2D", kAveragePooling2D},
        {"GlobalAveragePooling2D", kGlobalAveragePooling2D},
        {"Reshape", kReshape},
        {"ZeroPadding2D", kZeroPadding2D},
        {"BatchNormalization", kBatchNormalization},
        {"LayerNormalization", kLayerNormalization},
        {"Activation", kActivation},
        {"ReLU", kReLU},
        {"Add", kAdd},
        {"Multiply", kMultiply},
        {"Concatenate", kConcatenate},
        {"Permute", kPermute},
        {"Slice", kSlice},
        {"DepthwiseConv2D", kDepthwiseConv2D},
        {"SeparableConv2D", kSeparableConv2D},
        {"PReLU", kPReLU},
        {"Rescaling", kRescaling},
    };
    return t;
}

} // namespace

const std::string& prelude() {
    static const std::string s = kPrelude;
    return s;
}

const std::string& loader() {
    static const std::string s = kLoader;
    return s;
}

const std::string& snippet(const std::string& name) {
    if (const std::string* s = imageSnippet(name)) return *s;
    if (const std::string* s = preprocessingSnippet(name)) return *s;
    if (const std::string* s = sequenceSnippet(name)) return *s;
    if (const std::string* s = recurrentSnippet(name)) return *s;
    if (const std::string* s = attentionSnippet(name)) return *s;
    return table().at(name);
}

} // namespace strata::storage::torch_snippets
