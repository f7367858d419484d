"""Runs a strata.model/1 spec with PyTorch, in Strata layouts, with Keras semantics.

Parameters are kept in Strata layouts (Dense kernel [in, out], Conv2D kernel HWIO, tensors NHWC)
and only permuted inside the conv call, so gradients come out in Strata layouts with no
transposition step to get wrong. TensorFlow's "same" padding (extra row/column at the bottom/right)
and its average pooling (padding cells are not counted) are written out explicitly.
"""
import math

import numpy as np
import torch
import torch.nn.functional as F

from golden_torch_attention import ATTENTION_TYPES, attention_forward, attention_variables
from golden_torch_sequence import RECURRENT_TYPES, conv1d, output_mask, pool1d, recurrent_forward, recurrent_variables

# Keras definitions: elu alpha 1, selu's constants, gelu exact (erf), leaky_relu slope 0.2 (Keras 3's
# negative_slope default), relu6 = min(max(x, 0), 6), swish = silu = x sigmoid(x), softmax and
# log_softmax over the last axis.
ACTIVATIONS = {
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "softmax": lambda x: torch.softmax(x, dim=-1),
    "log_softmax": lambda x: torch.log_softmax(x, dim=-1),
    "elu": lambda x: F.elu(x, alpha=1.0),
    "selu": torch.selu,
    "softplus": F.softplus,
    "softsign": F.softsign,
    "swish": F.silu,
    "silu": F.silu,
    "gelu": F.gelu,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "exponential": torch.exp,
    "relu6": lambda x: torch.clamp(x, 0.0, 6.0),
    "hard_sigmoid": F.hardsigmoid,  # Keras 3: relu6(x + 3) / 6
    "hard_silu": F.hardswish,
    "hard_swish": F.hardswish,
    "mish": F.mish,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
}


def activate(x, name):
    if name in (None, "linear"):
        return x
    if name in ACTIVATIONS:
        return ACTIVATIONS[name](x)
    raise ValueError(f"unknown activation {name}")


# Philox4x32-10 (engine/ir/Philox.h), the generator behind the engine's dropout masks: element i of
# a tensor, at step `step` (optimizer/iter), with the layer's seed, is kept when
# u = (philox(counter {lo32(i/4), hi32(i/4), step, 0}, key {lo32(seed), hi32(seed)})[i % 4] >> 8) / 2^24
# is >= rate. Plain Python integers, written from the Random123 paper.
_M32 = 0xFFFFFFFF


def philox4x32(counter, key):
    c, k = list(counter), list(key)
    for _ in range(10):
        p0, p1 = 0xD2511F53 * c[0], 0xCD9E8D57 * c[2]
        c = [((p1 >> 32) ^ c[1] ^ k[0]) & _M32, p1 & _M32, ((p0 >> 32) ^ c[3] ^ k[1]) & _M32, p0 & _M32]
        k = [(k[0] + 0x9E3779B9) & _M32, (k[1] + 0xBB67AE85) & _M32]
    return c


def dropout_keep(seed, step, shape, rate):
    """The engine's keep mask (bool array of `shape`) for a Dropout layer at optimizer step `step`."""
    n = int(np.prod(shape))
    keep = np.empty(n, dtype=bool)
    for i in range(n):
        block = philox4x32([(i // 4) & _M32, (i // 4) >> 32, step & _M32, 0], [seed & _M32, seed >> 32])
        keep[i] = (block[i % 4] >> 8) * 2.0 ** -24 >= float(np.float32(rate))
    return keep.reshape(shape)


def same_pads(size, k, s):
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def pad_nchw(x, kernel, strides, padding, value=0.0):
    if padding == "valid":
        return x
    top, bottom = same_pads(x.shape[2], kernel[0], strides[0])
    left, right = same_pads(x.shape[3], kernel[1], strides[1])
    return F.pad(x, (left, right, top, bottom), value=value)


def span(cfg):
    """The kernel's extent with dilation: (k - 1) * d + 1 per axis."""
    d = cfg.get("dilation_rate", [1, 1])
    return [(k - 1) * r + 1 for k, r in zip(cfg["kernel_size"], d)]


def conv2d(x, kernel, bias, cfg, groups=None):
    """groups: Conv2D's config "groups" unless given (kernel HWIO with I = in / groups)."""
    xc = x.permute(0, 3, 1, 2)                       # NHWC -> NCHW
    w = kernel.permute(3, 2, 0, 1)                   # HWIO -> OIHW
    xc = pad_nchw(xc, span(cfg), cfg["strides"], cfg["padding"])
    y = F.conv2d(xc, w, bias, stride=tuple(cfg["strides"]), dilation=tuple(cfg.get("dilation_rate", [1, 1])),
                 groups=groups or cfg.get("groups", 1))
    return y.permute(0, 2, 3, 1)


def depthwise_conv2d(x, kernel, bias, cfg):
    """Keras DepthwiseConv2D: kernel (kh, kw, in, dm); output channel c*dm + m reads input channel c,
    i.e. torch's grouped conv with groups = in and weight (in*dm, 1, kh, kw)."""
    kh, kw, cin, dm = kernel.shape
    return conv2d(x, kernel.reshape(kh, kw, 1, cin * dm), bias, cfg, groups=cin)


def conv2d_transpose(x, kernel, bias, cfg):
    """Keras Conv2DTranspose: the gradient of a TF-padded conv2d with respect to its input. Output
    size: in*s ("same") or in*s + max(k - s, 0) ("valid"). The full transposed convolution
    ((in-1)*s + k) is cut to that size after dropping the forward conv's top/left padding."""
    k, s = span(cfg), cfg["strides"]
    n, h, w_, _ = x.shape
    out = [h * s[0], w_ * s[1]]
    if cfg["padding"] == "valid":
        out = [o + max(kk - ss, 0) for o, kk, ss in zip(out, k, s)]
        before = [0, 0]
    else:
        before = [same_pads(o, kk, ss)[0] for o, kk, ss in zip(out, k, s)]
    wt = kernel.permute(3, 2, 0, 1)                  # [kh, kw, filters, in] -> [in, filters, kh, kw]
    full = F.conv_transpose2d(x.permute(0, 3, 1, 2), wt, None, stride=tuple(s),
                              dilation=tuple(cfg.get("dilation_rate", [1, 1])))
    # zero rows/columns where the full output is shorter than the target (kernel below stride)
    grow = [max(before[i] + out[i] - full.shape[2 + i], 0) for i in range(2)]
    full = F.pad(full, (0, grow[1], 0, grow[0]))
    y = full[:, :, before[0]:before[0] + out[0], before[1]:before[1] + out[1]].permute(0, 2, 3, 1)
    return y + bias if bias is not None else y


def zero_pad_amounts(p):
    """ZeroPadding2D padding: p, [h, w] or [[top, bottom], [left, right]] -> (top, bottom, left, right)."""
    if isinstance(p, int):
        return p, p, p, p
    h, w = [(v, v) if isinstance(v, int) else tuple(v) for v in p]
    return h[0], h[1], w[0], w[1]


def torch_pool_args(cfg):
    """Explicit pads ([[top, bottom], [left, right]], Strata's extension of Keras) and ceil_mode as
    PyTorch's own pool arguments: symmetric pads of at most half the window, as torch requires."""
    pads = cfg["padding"]
    if pads[0][0] != pads[0][1] or pads[1][0] != pads[1][1]:
        raise ValueError(f"asymmetric pool pads {pads} have no PyTorch equivalent")
    return dict(padding=(pads[0][0], pads[1][0]), ceil_mode=cfg.get("ceil_mode", False))


def max_pool(x, cfg):
    if not isinstance(cfg["padding"], str) or cfg.get("ceil_mode", False):
        args = torch_pool_args(cfg) if not isinstance(cfg["padding"], str) else dict(ceil_mode=True)
        return F.max_pool2d(x.permute(0, 3, 1, 2), tuple(cfg["pool_size"]), tuple(cfg["strides"]),
                            **args).permute(0, 2, 3, 1)
    xc = pad_nchw(x.permute(0, 3, 1, 2), cfg["pool_size"], cfg["strides"], cfg["padding"], value=-float("inf"))
    return F.max_pool2d(xc, tuple(cfg["pool_size"]), tuple(cfg["strides"])).permute(0, 2, 3, 1)


def avg_pool(x, cfg):
    k, s = tuple(cfg["pool_size"]), tuple(cfg["strides"])
    if not isinstance(cfg["padding"], str) or cfg.get("ceil_mode", False):
        args = torch_pool_args(cfg) if not isinstance(cfg["padding"], str) else dict(ceil_mode=True)
        return F.avg_pool2d(x.permute(0, 3, 1, 2), k, s, count_include_pad=False, **args).permute(0, 2, 3, 1)
    xc = pad_nchw(x.permute(0, 3, 1, 2), k, s, cfg["padding"])
    ones = pad_nchw(torch.ones_like(x[:1, :, :, :1]).permute(0, 3, 1, 2), k, s, cfg["padding"])
    sums = F.avg_pool2d(xc, k, s, divisor_override=1)
    counts = F.avg_pool2d(ones, k, s, divisor_override=1)
    return (sums / counts).permute(0, 2, 3, 1)


def forward(spec, params, inputs, training, batch_stats=None, step=0):
    """All layer outputs by name. params: path -> tensor (trainable and moving stats).
    batch_stats, if a dict, receives path -> (batch mean, biased batch variance) per BN layer.
    step: optimizer/iter, which selects the dropout masks."""
    out, masks = {}, {}  # masks: Keras' (N, steps) masks of the outputs that carry one
    for layer in spec["layers"]:
        name, kind, cfg = layer["name"], layer["type"], layer.get("config", {})
        xs = [out[i] for i in layer.get("inbound", [])]
        ms = [masks.get(i) for i in layer.get("inbound", [])]
        p = lambda v: params.get(f"model/{name}/{v}")
        if kind == "Input":
            y = inputs[name]
        elif kind == "Dense":
            y = xs[0] @ p("kernel")
            if cfg.get("use_bias", True):
                y = y + p("bias")
            y = activate(y, cfg.get("activation"))
        elif kind == "Conv2D":
            y = activate(conv2d(xs[0], p("kernel"), p("bias") if cfg.get("use_bias", True) else None, cfg),
                         cfg.get("activation"))
        elif kind == "DepthwiseConv2D":
            y = activate(depthwise_conv2d(xs[0], p("depthwise_kernel"), p("bias") if cfg.get("use_bias", True) else None,
                                          cfg), cfg.get("activation"))
        elif kind == "SeparableConv2D":
            mid = depthwise_conv2d(xs[0], p("depthwise_kernel"), None, cfg)
            y = activate(conv2d(mid, p("pointwise_kernel"), p("bias") if cfg.get("use_bias", True) else None,
                                {"strides": [1, 1], "padding": "valid", "kernel_size": [1, 1]}), cfg.get("activation"))
        elif kind == "Conv2DTranspose":
            y = activate(conv2d_transpose(xs[0], p("kernel"), p("bias") if cfg.get("use_bias", True) else None, cfg),
                         cfg.get("activation"))
        elif kind == "ZeroPadding2D":
            top, bottom, left, right = zero_pad_amounts(cfg["padding"])
            y = F.pad(xs[0], (0, 0, left, right, top, bottom))    # NHWC: C, then W, then H
        elif kind == "LeakyReLU":
            y = F.leaky_relu(xs[0], cfg.get("alpha", 0.3))
        elif kind == "ReLU":  # Keras 3: x above the threshold, negative_slope * (x - threshold) at and below
            x, t = xs[0], cfg.get("threshold", 0.0)
            y = torch.where(x > t, x, cfg.get("negative_slope", 0.0) * (x - t))
            if cfg.get("max_value") is not None:
                y = torch.clamp(y, max=cfg["max_value"])
        elif kind == "MaxPooling2D":
            y = max_pool(xs[0], cfg)
        elif kind == "AveragePooling2D":
            y = avg_pool(xs[0], cfg)
        elif kind == "GlobalAveragePooling2D":
            y = xs[0].mean(dim=(1, 2))
        elif kind == "Flatten":
            y = xs[0].reshape(xs[0].shape[0], -1)    # NHWC row-major, as Keras
        elif kind == "Reshape":
            y = xs[0].reshape(xs[0].shape[0], *cfg["target_shape"])
        elif kind == "Permute":
            y = xs[0].permute(0, *cfg["dims"])
        elif kind == "Slice":  # a Strata layer: start..stop-1 of one axis, Python's slice semantics
            index = [slice(None)] * xs[0].dim()
            index[cfg["axis"]] = slice(cfg.get("start", 0), cfg.get("stop"))
            y = xs[0][tuple(index)]
        elif kind == "GlobalMaxPooling2D":
            y = xs[0].amax(dim=(1, 2), keepdim=cfg.get("keepdims", False))
        elif kind == "Conv1D":
            y = activate(conv1d(xs[0], p("kernel"), p("bias") if cfg.get("use_bias", True) else None, cfg),
                         cfg.get("activation"))
        elif kind in ("MaxPooling1D", "AveragePooling1D"):
            y = pool1d(xs[0], cfg, kind == "MaxPooling1D")
        elif kind == "GlobalAveragePooling1D" and ms[0] is not None:  # Keras: the mean over the real steps
            m, keep = ms[0].to(xs[0].dtype).unsqueeze(-1), cfg.get("keepdims", False)
            y = (xs[0] * m).sum(dim=1, keepdim=keep) / m.sum(dim=1, keepdim=keep)
        elif kind in ("GlobalAveragePooling1D", "GlobalMaxPooling1D"):  # over the steps
            y = (xs[0].mean if kind == "GlobalAveragePooling1D" else xs[0].amax)(dim=1, keepdim=cfg.get("keepdims", False))
        elif kind == "UpSampling2D":
            mode = {"nearest": "nearest", "bilinear": "bilinear"}[cfg.get("interpolation", "nearest")]
            extra = {} if mode == "nearest" else {"align_corners": False}
            y = F.interpolate(xs[0].permute(0, 3, 1, 2), scale_factor=tuple(float(v) for v in cfg["size"]),
                              mode=mode, **extra).permute(0, 2, 3, 1)
        elif kind == "Cropping2D":
            top, bottom, left, right = zero_pad_amounts(cfg["cropping"])
            y = xs[0][:, top:xs[0].shape[1] - bottom, left:xs[0].shape[2] - right, :]
        elif kind in RECURRENT_TYPES:  # Embedding, SimpleRNN, LSTM, GRU, Bidirectional
            y = recurrent_forward(kind, cfg, xs, lambda v: params.get(f"model/{name}/{v}"), ms[0] if ms else None)
            if isinstance(y, tuple):  # return_state: the final states are outputs "NAME:1", "NAME:2", ...
                for k, s in enumerate(y[1:], start=1):
                    out[f"{name}:{k}"] = s
                y = y[0]
        elif kind in ATTENTION_TYPES:  # MultiHeadAttention, PositionEmbedding
            y = attention_forward(kind, cfg, xs, p, ms)
        elif kind == "Activation":
            y = activate(xs[0], cfg["activation"])
        elif kind == "Dropout":
            y = xs[0]
            if training:
                keep = dropout_keep(cfg["seed"], step, tuple(y.shape), cfg["rate"])
                y = y * torch.tensor(keep, dtype=y.dtype) / (1.0 - cfg["rate"])
        elif kind == "BatchNormalization":
            x = xs[0]
            axes = tuple(range(x.dim() - 1))
            if training:
                mean = x.mean(dim=axes)
                var = ((x - mean) ** 2).mean(dim=axes)   # biased, as Keras
                if batch_stats is not None:
                    batch_stats[f"model/{name}"] = (mean.detach(), var.detach())
            else:
                mean, var = p("moving_mean"), p("moving_variance")
            y = (x - mean) / torch.sqrt(var + cfg["epsilon"]) * p("gamma") + p("beta")
        elif kind == "LayerNormalization":
            x = xs[0]
            mean = x.mean(dim=-1, keepdim=True)
            var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
            y = (x - mean) / torch.sqrt(var + cfg["epsilon"]) * p("gamma") + p("beta")
        elif kind == "Add":
            y = xs[0]
            for t in xs[1:]:
                y = y + t
        elif kind == "Multiply":
            y = xs[0]
            for t in xs[1:]:
                y = y * t
        elif kind == "Concatenate":
            y = torch.cat(xs, dim=cfg.get("axis", -1))
        elif kind == "Softmax":
            y = torch.softmax(xs[0], dim=cfg.get("axis", -1))
        elif kind == "PReLU":  # alpha of shape input[1:] (shared axes 1), broadcast over the batch
            y = torch.where(xs[0] >= 0, xs[0], p("alpha") * xs[0])
        elif kind == "Rescaling":
            y = xs[0] * cfg["scale"] + cfg.get("offset", 0.0)
        else:
            raise ValueError(f"layer {name}: unsupported type {kind}")
        out[name] = y
        masks[name] = output_mask(kind, cfg, xs, ms)
    return out


EPS = 1e-7  # Keras backend epsilon(), used to clip probabilities


def loss_fn(loss, y_pred, y_true):
    """Mean over the batch of the Keras per-sample loss."""
    name, logits = loss["name"], loss.get("from_logits", False)
    if name == "sparse_categorical_crossentropy":
        if logits:
            logp = torch.log_softmax(y_pred, dim=-1)
        else:
            logp = torch.log(torch.clamp(y_pred / y_pred.sum(-1, keepdim=True), EPS, 1 - EPS))
        return -logp.gather(1, y_true.long().view(-1, 1)).mean()
    if name == "categorical_crossentropy":
        if logits:
            logp = torch.log_softmax(y_pred, dim=-1)
        else:
            logp = torch.log(torch.clamp(y_pred / y_pred.sum(-1, keepdim=True), EPS, 1 - EPS))
        return -(y_true * logp).sum(-1).mean()
    if name == "binary_crossentropy":
        if logits:
            per = F.binary_cross_entropy_with_logits(y_pred, y_true, reduction="none")
        else:
            p = torch.clamp(y_pred, EPS, 1 - EPS)
            per = -(y_true * torch.log(p) + (1 - y_true) * torch.log(1 - p))
        return per.mean(-1).mean()
    if name == "mean_squared_error":
        return ((y_pred - y_true) ** 2).mean(-1).mean()
    raise ValueError(f"unknown loss {name}")


class KerasRMSprop(torch.optim.Optimizer):
    """Keras 3 RMSprop (and TF's ApplyRMSProp / ApplyCenteredRMSProp): v = rho v + (1-rho) g^2;
    centered: mg = rho mg + (1-rho) g, denominator v - mg^2; inc = lr g / sqrt(denominator + eps);
    momentum 0: w -= inc, else mom = momentum mom + inc; w -= mom. (torch.optim.RMSprop puts eps
    outside the square root.)"""

    def __init__(self, params, lr, rho, eps, momentum=0.0, centered=False):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, momentum=momentum, centered=centered))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            rho = group["rho"]
            for w in group["params"]:
                if w.grad is None:
                    continue
                g, st = w.grad, self.state[w]
                if "v" not in st:
                    st["v"], st["mg"], st["mom"] = torch.zeros_like(w), torch.zeros_like(w), torch.zeros_like(w)
                st["v"].mul_(rho).add_((1 - rho) * g * g)
                denom = st["v"]
                if group["centered"]:
                    st["mg"].mul_(rho).add_((1 - rho) * g)
                    denom = st["v"] - st["mg"] * st["mg"]
                inc = group["lr"] * g / torch.sqrt(denom + group["eps"])
                if group["momentum"] > 0:
                    st["mom"].mul_(group["momentum"]).add_(inc)
                    inc = st["mom"]
                w.sub_(inc)


class KerasSGD(torch.optim.Optimizer):
    """Keras SGD: v = m v - lr g; w += v (Nesterov: w += m v - lr g). torch.optim.SGD keeps
    buf = m buf + g and steps lr * buf, which differs as soon as the learning rate changes."""

    def __init__(self, params, lr, momentum, nesterov=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, nesterov=nesterov))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            lr, m = group["lr"], group["momentum"]
            for w in group["params"]:
                if w.grad is None:
                    continue
                st = self.state[w]
                if "v" not in st:
                    st["v"] = torch.zeros_like(w)
                st["v"].mul_(m).sub_(lr * w.grad)
                w.add_(m * st["v"] - lr * w.grad if group["nesterov"] else st["v"])


def schedule_lr(lr, step):
    """engine/ir/Schedule.h: the learning rate at optimizer/iter = step (0 for the first update)."""
    if not isinstance(lr, dict):
        return lr
    lr0, n = lr["initial_learning_rate"], lr["decay_steps"]
    if lr["name"] == "step_decay":
        return lr0 * lr["decay_rate"] ** (step // n)
    if lr["name"] == "cosine_decay":
        a = lr.get("alpha", 0.0)
        return lr0 * ((1 - a) * 0.5 * (1 + math.cos(math.pi * min(step, n) / n)) + a)
    raise ValueError(f"unknown schedule {lr['name']}")


STEP_DECAY = {"name": "step_decay", "initial_learning_rate": 0.1, "decay_steps": 2, "decay_rate": 0.5}
COSINE_DECAY = {"name": "cosine_decay", "initial_learning_rate": 0.01, "decay_steps": 3, "alpha": 0.1}

# name -> (steps, Strata/Keras-style config, torch optimizer factory). The group in the file follows
# from the steps: 1 "after_one_step", 2 "after_two_steps", more "schedules" (learning-rate schedules
# need steps to change the rate: step_decay 0.1, 0.1, 0.05; cosine_decay over 3 steps, then the floor).
OPTIMIZERS = {
    "sgd": (1, {"name": "sgd", "learning_rate": 0.1, "momentum": 0.0, "nesterov": False},
            lambda ps: torch.optim.SGD(ps, lr=0.1)),
    "sgd_momentum": (2, {"name": "sgd", "learning_rate": 0.1, "momentum": 0.9, "nesterov": False},
                     lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)),
    "sgd_nesterov": (2, {"name": "sgd", "learning_rate": 0.1, "momentum": 0.9, "nesterov": True},
                     lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True)),
    "adam": (2, {"name": "adam", "learning_rate": 0.01, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
             lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.9, 0.999), eps=1e-7)),
    "adamw": (2, {"name": "adamw", "learning_rate": 0.01, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
                  "weight_decay": 0.004},
              lambda ps: torch.optim.AdamW(ps, lr=0.01, betas=(0.9, 0.999), eps=1e-7, weight_decay=0.004)),
    "rmsprop": (2, {"name": "rmsprop", "learning_rate": 0.01, "rho": 0.9, "epsilon": 1e-7, "momentum": 0.0,
                    "centered": False},
                lambda ps: torch.optim.RMSprop(ps, lr=0.01, alpha=0.9, eps=1e-7)),
    "rmsprop_eps_inside_sqrt": (2, {"name": "rmsprop", "learning_rate": 0.01, "rho": 0.9, "epsilon": 1e-7,
                                    "momentum": 0.0, "centered": False},
                                lambda ps: KerasRMSprop(ps, lr=0.01, rho=0.9, eps=1e-7)),
    "rmsprop_centered": (2, {"name": "rmsprop", "learning_rate": 0.01, "rho": 0.9, "epsilon": 1e-7,
                             "momentum": 0.0, "centered": True},
                         lambda ps: KerasRMSprop(ps, lr=0.01, rho=0.9, eps=1e-7, centered=True)),
    "rmsprop_centered_momentum": (2, {"name": "rmsprop", "learning_rate": 0.01, "rho": 0.9, "epsilon": 1e-7,
                                      "momentum": 0.5, "centered": True},
                                  lambda ps: KerasRMSprop(ps, lr=0.01, rho=0.9, eps=1e-7, momentum=0.5,
                                                          centered=True)),
    "sgd_step_decay": (3, {"name": "sgd", "learning_rate": STEP_DECAY, "momentum": 0.0, "nesterov": False},
                       lambda ps: torch.optim.SGD(ps, lr=0.1)),
    "sgd_momentum_step_decay": (3, {"name": "sgd", "learning_rate": STEP_DECAY, "momentum": 0.9, "nesterov": False},
                                lambda ps: KerasSGD(ps, lr=0.1, momentum=0.9)),
    "adam_cosine_decay": (4, {"name": "adam", "learning_rate": COSINE_DECAY, "beta_1": 0.9, "beta_2": 0.999,
                              "epsilon": 1e-7},
                          lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.9, 0.999), eps=1e-7)),
}

FORMULAS = {
    "rmsprop": "torch.optim.RMSprop / Keras 2 legacy: w -= lr*g/(sqrt(v)+eps)",
    "rmsprop_eps_inside_sqrt": "Keras 3 and TF ApplyRMSProp: w -= lr*g/sqrt(v+eps)",
    "rmsprop_centered": "Keras 3 and TF ApplyCenteredRMSProp: mg = rho*mg + (1-rho)*g; w -= lr*g/sqrt(v - mg^2 + eps)",
    "rmsprop_centered_momentum": "Keras 3: mom = momentum*mom + lr*g/sqrt(v - mg^2 + eps); w -= mom",
    "sgd_momentum_step_decay": "Keras: v = m*v - lr_t*g; w += v (torch's buf = m*buf + g; w -= lr_t*buf differs when lr_t changes)",
    "adam_cosine_decay": "torch.optim.Adam with lr_t = the schedule at iter t-1",
    "adam": "torch.optim.Adam: w -= lr*mhat/(sqrt(vhat)+eps)",
    "adamw": "torch.optim.AdamW: w *= 1-lr*wd, then the Adam step",
}


def trainable_paths(spec):
    paths = []
    for layer in spec["layers"]:
        kind, cfg, name = layer["type"], layer.get("config", {}), layer["name"]
        if kind in ("Dense", "Conv2D", "Conv2DTranspose", "Conv1D"):
            paths.append(f"model/{name}/kernel")
            if cfg.get("use_bias", True):
                paths.append(f"model/{name}/bias")
        elif kind in ("BatchNormalization", "LayerNormalization"):
            paths += [f"model/{name}/gamma", f"model/{name}/beta"]
        elif kind in ("DepthwiseConv2D", "SeparableConv2D"):
            paths.append(f"model/{name}/depthwise_kernel")
            if kind == "SeparableConv2D":
                paths.append(f"model/{name}/pointwise_kernel")
            if cfg.get("use_bias", True):
                paths.append(f"model/{name}/bias")
        elif kind == "PReLU":
            paths.append(f"model/{name}/alpha")
        elif kind in RECURRENT_TYPES:
            paths += recurrent_variables(name, kind, cfg)
        elif kind in ATTENTION_TYPES:
            paths += attention_variables(name, kind, cfg)
    return paths


def dropouts(spec):
    """Dropout layers by name -> config (each has an explicit seed, so the engine's masks are known)."""
    return {l["name"]: l["config"] for l in spec["layers"] if l["type"] == "Dropout"}


def bn_momentum(spec):
    return {f"model/{l['name']}": l["config"]["momentum"] for l in spec["layers"]
            if l["type"] == "BatchNormalization"}


def update_moving(weights, stats, momenta):
    """Keras rule, numpy: moving = m*moving + (1-m)*batch, with the biased batch variance."""
    new = {}
    for prefix, (mean, var) in stats.items():
        m = momenta[prefix]
        new[f"{prefix}/moving_mean"] = m * weights[f"{prefix}/moving_mean"] + (1 - m) * mean.numpy()
        new[f"{prefix}/moving_variance"] = m * weights[f"{prefix}/moving_variance"] + (1 - m) * var.numpy()
    return new


def to_tensors(case, dtype):
    inputs = {k: torch.tensor(v) if v.dtype.kind == "i" else torch.tensor(v, dtype=dtype) for k, v in case["inputs"].items()}
    labels = {k: torch.tensor(v) if v.dtype.kind == "i" else torch.tensor(v, dtype=dtype)
              for k, v in case["labels"].items()}
    return inputs, labels


def output_losses(loss):
    """{output: (loss dict, weight)}: a model with several outputs has loss["outputs"] (Keras'
    loss={...} and loss_weights); one output has the loss itself, weight 1."""
    if "outputs" not in loss:
        return None
    return {k: (dict(v, from_logits=loss.get("from_logits", False)), v.get("weight", 1.0))
            for k, v in loss["outputs"].items()}


def total_loss(spec, loss, outs, labels):
    """The loss trained: one output's, or the weighted sum over the outputs; and each output's."""
    per = output_losses(loss)
    if per is None:
        out_name = spec["outputs"][0]
        lv = loss_fn(loss, outs[out_name], labels[out_name])
        return lv, {out_name: lv}
    each = {k: loss_fn(l, outs[k], labels[k]) for k, (l, _) in per.items()}
    return sum(w * each[k] for k, (_, w) in per.items()), each


def run_case(case, dtype):
    """Everything the golden file holds, computed in `dtype`; numpy float64 arrays out."""
    torch.set_num_threads(1)
    spec, loss = case["spec"], case["loss"]
    out_names = spec["outputs"]
    inputs, labels = to_tensors(case, dtype)
    train = trainable_paths(spec)
    momenta = bn_momentum(spec)
    weights0 = {k: np.asarray(v, dtype=np.float64) for k, v in case["weights"].items()}

    def params_from(weights, grad):
        return {k: torch.tensor(v, dtype=dtype, requires_grad=grad and k in train) for k, v in weights.items()}

    res = {}
    params = params_from(weights0, True)
    stats = {}
    outs = forward(spec, params, inputs, True, stats)
    lv, each = total_loss(spec, loss, outs, labels)
    lv.backward()
    res["loss_value"] = lv.item()
    if len(out_names) > 1:
        res["output_losses"] = {k: v.item() for k, v in each.items()}
    res["layer_outputs"] = {k: v.detach().double().numpy() for k, v in outs.items() if k not in inputs}
    res["outputs"] = {k: res["layer_outputs"][k] for k in out_names}
    res["gradients"] = {k: params[k].grad.double().numpy() for k in train}
    if momenta:
        res["moving_after_forward"] = {k: v for k, v in update_moving(
            weights0, {k: (m.double(), v.double()) for k, (m, v) in stats.items()}, momenta).items()}
    if momenta or dropouts(spec):
        with torch.no_grad():
            inf = forward(spec, params_from(weights0, False), inputs, False)
        res["outputs_inference"] = {k: inf[k].double().numpy() for k in out_names}

    max_steps = max(steps for steps, _, _ in OPTIMIZERS.values())
    res["dropout_masks"] = {
        name: np.stack([dropout_keep(cfg["seed"], t, tuple(res["layer_outputs"][name].shape), cfg["rate"])
                        for t in range(max_steps)]).astype(np.int64)
        for name, cfg in dropouts(spec).items()}

    res["optimizers"] = {}
    for opt_name, (steps, config, make) in OPTIMIZERS.items():
        weights = dict(weights0)
        params = params_from(weights, True)
        opt = make([params[k] for k in train])
        losses = []
        for t in range(steps):
            opt.zero_grad()
            for group in opt.param_groups:
                group["lr"] = schedule_lr(config["learning_rate"], t)
            stats = {}
            outs = forward(spec, params, inputs, True, stats, step=t)
            lv, _ = total_loss(spec, loss, outs, labels)
            lv.backward()
            losses.append(lv.item())
            opt.step()
            moved = update_moving({k: params[k].detach().double().numpy() for k in params},
                                  {k: (m.double(), v.double()) for k, (m, v) in stats.items()}, momenta)
            with torch.no_grad():
                for k, v in moved.items():
                    params[k].copy_(torch.tensor(v, dtype=dtype))
        res["optimizers"][opt_name] = {
            "config": config, "steps": steps, "losses": losses,
            "weights": {k: params[k].detach().double().numpy() for k in params}}
    return res
