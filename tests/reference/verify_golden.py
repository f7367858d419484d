#!/usr/bin/python3
"""Checks golden files with a second, independent implementation: plain numpy, no torch.

It reads only the JSON (spec, inputs, labels, weights), runs the Keras semantics written out with
numpy loops (NHWC, HWIO, TF "same" padding, dilation, transposed convolution as a scatter, biased BN
variance, every activation), draws the dropout masks with its own Philox4x32-10 (checked against
the Random123 known-answer vectors and against the masks stored in the file), takes gradients by
central finite differences in float64, and replays the optimizers and learning-rate schedules with
their update formulas written out. If the layouts, variable paths, padding or formulas in
make_golden.py were wrong, this would disagree. CTest runs it (reference/verify_golden).

  /usr/bin/python3 tests/reference/verify_golden.py [tests/data/golden/*.json]
"""
import glob
import json
import math
import os
import sys

try:
    import numpy as np
except ImportError as e:  # CTest: 77 skips; where $STRATA_REQUIRE_TOOLS is set (CI) it is a failure
    required = os.environ.get("STRATA_REQUIRE_TOOLS", "") not in ("", "0")
    print(f"verify_golden: numpy is missing ({e}); install python3-numpy for /usr/bin/python3", file=sys.stderr)
    sys.exit(1 if required else 77)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import verify_golden_attention as attention  # noqa: E402
import verify_golden_recurrent as recurrent  # noqa: E402
GOLDEN = os.path.normpath(os.path.join(HERE, "..", "data", "golden"))


def arr(t, dtype=np.float64):
    return np.asarray(t["data"], dtype=dtype).reshape(t["shape"])


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def log_softmax(x):
    z = x - x.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805
erf = np.vectorize(math.erf)


def act(x, name):
    if name in (None, "linear"):
        return x
    if name == "relu":
        return np.maximum(x, 0)
    if name == "tanh":
        return np.tanh(x)
    if name == "sigmoid":
        return sigmoid(x)
    if name == "softmax":
        return np.exp(log_softmax(x))
    if name == "log_softmax":
        return log_softmax(x)
    if name == "elu":
        return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))
    if name == "selu":
        return SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))
    if name == "softplus":
        return np.logaddexp(0, x)
    if name == "softsign":
        return x / (1 + np.abs(x))
    if name in ("swish", "silu"):
        return x * sigmoid(x)
    if name == "gelu":
        return 0.5 * x * (1 + erf(x / math.sqrt(2)))
    if name == "leaky_relu":
        return np.where(x > 0, x, 0.2 * x)
    if name == "exponential":
        return np.exp(x)
    if name == "relu6":
        return np.minimum(np.maximum(x, 0), 6)
    if name == "hard_sigmoid":  # Keras 3: relu6(x + 3) / 6
        return np.minimum(np.maximum(x + 3, 0), 6) / 6
    if name in ("hard_silu", "hard_swish"):
        return x * np.minimum(np.maximum(x + 3, 0), 6) / 6
    if name == "mish":
        return x * np.tanh(np.logaddexp(0, x))
    if name == "gelu_tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    raise ValueError(name)


# Philox4x32-10 in numpy uint64 (products of two 32-bit words fit), for the dropout masks.
def philox(c, k):
    c = [np.asarray(v, dtype=np.uint64) for v in c]
    k = [np.uint64(v) for v in k]
    lo = np.uint64(0xFFFFFFFF)
    for _ in range(10):
        p0 = np.uint64(0xD2511F53) * c[0]
        p1 = np.uint64(0xCD9E8D57) * c[2]
        c = [(p1 >> np.uint64(32)) ^ c[1] ^ k[0], p1 & lo, (p0 >> np.uint64(32)) ^ c[3] ^ k[1], p0 & lo]
        k = [(k[0] + np.uint64(0x9E3779B9)) & lo, (k[1] + np.uint64(0xBB67AE85)) & lo]
    return c


PHILOX_KAT = [  # Random123 kat_vectors, philox4x32 10 rounds: counter, key -> output
    ((0, 0, 0, 0), (0, 0), (0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8)),
    ((0xffffffff,) * 4, (0xffffffff,) * 2, (0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd)),
    ((0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344), (0xa4093822, 0x299f31d0),
     (0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1)),
]


def keep_mask(seed, step, shape, rate):
    """Element i is kept when (philox({i/4, 0, step, 0}, seed)[i % 4] >> 8) / 2^24 >= rate."""
    i = np.arange(int(np.prod(shape)), dtype=np.uint64)
    blocks = philox([i // np.uint64(4), (i // np.uint64(4)) >> np.uint64(32), np.full_like(i, step), np.zeros_like(i)],
                    [seed & 0xFFFFFFFF, seed >> 32])
    words = np.choose((i % np.uint64(4)).astype(np.int64), blocks)
    u = (words >> np.uint64(8)).astype(np.float64) * 2.0 ** -24
    return (u >= float(np.float32(rate))).reshape(shape)


def tf_pad(size, k, s, padding):
    if padding == "valid":
        return (size - k) // s + 1, 0, 0
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return out, total // 2, total - total // 2


def pool_pad(size, k, s, pads, ceil_mode):
    """One axis of a pool with explicit pads (before, after) and/or ceil_mode, PyTorch's rule:
    out = ceil or floor((size + pads - k) / s) + 1, less one when the last window would start
    past the input and its leading pad; after grows so that every window lies in the padded input."""
    before, after = pads
    out = (size + before + after - k + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + before:
        out -= 1
    return out, before, max(after, (out - 1) * s + k - size - before)


def windows(x, k, s, padding, fill, d=(1, 1), ceil_mode=False):
    """x NHWC -> (N, OH, OW, kh, kw, C) patches of the TF-padded input (taps d apart), and the count
    of valid cells per window. padding: "valid", "same" or pools' [[top, bottom], [left, right]]."""
    n, h, w, c = x.shape
    span = [(k[0] - 1) * d[0] + 1, (k[1] - 1) * d[1] + 1]
    if isinstance(padding, str) and not ceil_mode:
        oh, top, bottom = tf_pad(h, span[0], s[0], padding)
        ow, left, right = tf_pad(w, span[1], s[1], padding)
    else:
        pads = [[0, 0], [0, 0]] if isinstance(padding, str) else padding
        oh, top, bottom = pool_pad(h, k[0], s[0], pads[0], ceil_mode)
        ow, left, right = pool_pad(w, k[1], s[1], pads[1], ceil_mode)
    xp = np.full((n, h + top + bottom, w + left + right, c), fill, dtype=x.dtype)
    xp[:, top:top + h, left:left + w, :] = x
    valid = np.zeros((h + top + bottom, w + left + right))
    valid[top:top + h, left:left + w] = 1
    pat = np.empty((n, oh, ow, k[0], k[1], c), dtype=x.dtype)
    cnt = np.empty((oh, ow))
    for i in range(oh):
        for j in range(ow):
            rows = slice(i * s[0], i * s[0] + span[0], d[0])
            cols = slice(j * s[1], j * s[1] + span[1], d[1])
            pat[:, i, j] = xp[:, rows, cols, :]
            cnt[i, j] = valid[rows, cols].sum()
    return pat, cnt


def conv_transpose(x, kernel, s, padding):
    """Keras Conv2DTranspose as a scatter: input cell (i, j) adds x[i, j] . kernel[a, b] at output
    (i*s - top + a, j*s - left + b), where top/left is the TF padding of the forward conv that maps
    the output size (in*s, or in*s + max(k-s, 0) for "valid") back to the input size."""
    n, h, w, cin = x.shape
    kh, kw, filters, _ = kernel.shape
    out, before = [], []
    for size, k, st in ((h, kh, s[0]), (w, kw, s[1])):
        o = size * st if padding == "same" else size * st + max(k - st, 0)
        out.append(o)
        before.append(tf_pad(o, k, st, padding)[1])
    big = np.zeros((n, (h - 1) * s[0] + kh + before[0], (w - 1) * s[1] + kw + before[1], filters))
    for i in range(h):
        for j in range(w):
            big[:, i * s[0]:i * s[0] + kh, j * s[1]:j * s[1] + kw, :] += np.einsum("nc,abfc->nabf", x[:, i, j], kernel)
    full = np.zeros((n, before[0] + out[0], before[1] + out[1], filters))
    rows, cols = min(big.shape[1], full.shape[1]), min(big.shape[2], full.shape[2])
    full[:, :rows, :cols] = big[:, :rows, :cols]
    return full[:, before[0]:, before[1]:]


def upsample(x, size, interpolation):
    """Keras UpSampling2D: nearest repeats cells; bilinear samples at half-pixel centres
    ((o + 0.5) / s - 0.5, clamped to the first and last cell) and mixes the two neighbours."""
    if interpolation == "nearest":
        return np.repeat(np.repeat(x, size[0], axis=1), size[1], axis=2)
    for axis, s in ((1, size[0]), (2, size[1])):
        n = x.shape[axis]
        src = np.clip((np.arange(n * s) + 0.5) / s - 0.5, 0, n - 1)
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, n - 1)
        t = (src - lo).reshape([-1 if a == axis else 1 for a in range(4)])
        x = np.take(x, lo, axis=axis) * (1 - t) + np.take(x, hi, axis=axis) * t
    return x


def zero_padding(p):
    if isinstance(p, int):
        return (p, p), (p, p)
    return tuple((v, v) if isinstance(v, int) else tuple(v) for v in p)


def forward(spec, w, inputs, training, stats=None, step=0):
    out, masks = {}, {}  # masks: Keras' (N, steps) masks where an output carries one
    for L in spec["layers"]:
        name, kind, cfg = L["name"], L["type"], L.get("config", {})
        xs, ms = [out[i] for i in L.get("inbound", [])], [masks.get(i) for i in L.get("inbound", [])]
        p = lambda v: w[f"model/{name}/{v}"]
        if (y := recurrent.masked(name, kind, cfg, xs, w, act, ms)) is not None:
            pass  # a layer whose input's mask changes its output
        elif kind == "Input":
            y = inputs[name]
        elif kind == "Dense":
            y = xs[0] @ p("kernel") + (p("bias") if cfg.get("use_bias", True) else 0)
            y = act(y, cfg.get("activation"))
        elif kind == "Conv2D":
            pat, _ = windows(xs[0], cfg["kernel_size"], cfg["strides"], cfg["padding"], 0.0,
                             cfg.get("dilation_rate", [1, 1]))
            # groups: the channels split in G parts, part g convolved with its filters only
            g, k = cfg.get("groups", 1), p("kernel")
            cin, cout = k.shape[2], k.shape[3] // g
            y = np.concatenate([np.einsum("nijabc,abco->nijo", pat[..., gi * cin:(gi + 1) * cin],
                                          k[..., gi * cout:(gi + 1) * cout]) for gi in range(g)], axis=-1)
            y = act(y + (p("bias") if cfg.get("use_bias", True) else 0), cfg.get("activation"))
        elif kind in ("DepthwiseConv2D", "SeparableConv2D"):
            # depthwise kernel (kh, kw, C, M): y[..., c*M + m] = sum_ab x_patch[a, b, c] k[a, b, c, m]
            pat, _ = windows(xs[0], cfg["kernel_size"], cfg["strides"], cfg["padding"], 0.0,
                             cfg.get("dilation_rate", [1, 1]))
            y = np.einsum("nijabc,abcm->nijcm", pat, p("depthwise_kernel"))
            y = y.reshape(y.shape[:3] + (-1,))
            if kind == "SeparableConv2D":
                y = np.einsum("nijc,co->nijo", y, p("pointwise_kernel")[0, 0])
            y = act(y + (p("bias") if cfg.get("use_bias", True) else 0), cfg.get("activation"))
        elif kind == "Conv2DTranspose":
            y = conv_transpose(xs[0], p("kernel"), cfg["strides"], cfg["padding"])
            y = act(y + (p("bias") if cfg.get("use_bias", True) else 0), cfg.get("activation"))
        elif kind == "ZeroPadding2D":
            (top, bottom), (left, right) = zero_padding(cfg["padding"])
            y = np.pad(xs[0], ((0, 0), (top, bottom), (left, right), (0, 0)))
        elif kind == "LeakyReLU":
            y = np.where(xs[0] > 0, xs[0], cfg["alpha"] * xs[0])
        elif kind == "ReLU":
            t = cfg.get("threshold", 0.0)
            y = np.where(xs[0] > t, xs[0], cfg["negative_slope"] * (xs[0] - t))
            if cfg.get("max_value") is not None:
                y = np.minimum(y, cfg["max_value"])
        elif kind == "Dropout":
            y = xs[0]
            if training:
                y = np.where(keep_mask(cfg["seed"], step, y.shape, cfg["rate"]), y / (1 - cfg["rate"]), 0.0)
        elif kind == "MaxPooling2D":
            pat, _ = windows(xs[0], cfg["pool_size"], cfg["strides"], cfg["padding"], -np.inf,
                             ceil_mode=cfg.get("ceil_mode", False))
            y = pat.max(axis=(3, 4))
        elif kind == "AveragePooling2D":
            pat, cnt = windows(xs[0], cfg["pool_size"], cfg["strides"], cfg["padding"], 0.0,
                               ceil_mode=cfg.get("ceil_mode", False))
            y = pat.sum(axis=(3, 4)) / cnt[None, :, :, None]
        elif kind == "GlobalAveragePooling2D":
            y = xs[0].mean(axis=(1, 2))
        elif kind == "Flatten":
            y = xs[0].reshape(len(xs[0]), -1)
        elif kind == "Reshape":
            y = xs[0].reshape(len(xs[0]), *cfg["target_shape"])
        elif kind == "Permute":
            y = np.transpose(xs[0], (0, *cfg["dims"]))
        elif kind == "Slice":
            y = np.take(xs[0], np.arange(xs[0].shape[cfg["axis"]])[cfg.get("start", 0):cfg.get("stop")], axis=cfg["axis"])
        elif kind == "GlobalMaxPooling2D":
            y = xs[0].max(axis=(1, 2), keepdims=cfg.get("keepdims", False))
        elif kind == "Conv1D":  # written out: y[n, t, o] = sum_{a, c} x[n, t*s + a*d - before, c] k[a, c, o]
            x, k = xs[0], p("kernel")
            taps, s_, d_ = cfg["kernel_size"], cfg.get("strides", 1), cfg.get("dilation_rate", 1)
            span, steps = (taps - 1) * d_ + 1, x.shape[1]
            if cfg["padding"] == "valid":
                before, out_len = 0, (steps - span) // s_ + 1
            elif cfg["padding"] == "causal":  # every pad before the first step
                before, out_len = span - 1, -(-steps // s_)
            else:  # TensorFlow's "same": the odd pad after
                out_len = -(-steps // s_)
                before = max((out_len - 1) * s_ + span - steps, 0) // 2
            y = np.zeros((x.shape[0], out_len, k.shape[2]))
            for t in range(out_len):
                for a in range(taps):
                    src = t * s_ + a * d_ - before
                    if 0 <= src < steps:
                        y[:, t] += x[:, src] @ k[a]
            y = act(y + (p("bias") if cfg.get("use_bias", True) else 0), cfg.get("activation"))
        elif kind in ("MaxPooling1D", "AveragePooling1D"):
            x, k = xs[0], cfg["pool_size"]
            s_ = cfg.get("strides") or k
            steps = x.shape[1]
            if cfg.get("padding", "valid") == "same":
                out_len = -(-steps // s_)
                before = max((out_len - 1) * s_ + k - steps, 0) // 2
            else:
                out_len, before = (steps - k) // s_ + 1, 0
            y = np.stack([(np.max if kind == "MaxPooling1D" else np.mean)(
                x[:, max(t * s_ - before, 0):min(t * s_ - before + k, steps)], axis=1) for t in range(out_len)], axis=1)
        elif kind in ("GlobalAveragePooling1D", "GlobalMaxPooling1D"):
            pool = np.mean if kind == "GlobalAveragePooling1D" else np.max
            y = pool(xs[0], axis=1, keepdims=cfg.get("keepdims", False))
        elif kind == "UpSampling2D":
            y = upsample(xs[0], cfg["size"], cfg.get("interpolation", "nearest"))
        elif kind == "Cropping2D":
            (top, bottom), (left, right) = zero_padding(cfg["cropping"])
            y = xs[0][:, top:xs[0].shape[1] - bottom, left:xs[0].shape[2] - right]
        elif kind == "Activation":
            y = act(xs[0], cfg["activation"])
        elif kind == "BatchNormalization":
            x = xs[0]
            axes = tuple(range(x.ndim - 1))
            if training:
                mu, var = x.mean(axis=axes), x.var(axis=axes)   # numpy var is biased (ddof=0)
                if stats is not None:
                    stats[f"model/{name}"] = (mu, var, cfg["momentum"])
            else:
                mu, var = p("moving_mean"), p("moving_variance")
            y = p("gamma") * (x - mu) / np.sqrt(var + cfg["epsilon"]) + p("beta")
        elif kind == "LayerNormalization":
            x = xs[0]
            mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
            y = p("gamma") * (x - mu) / np.sqrt(var + cfg["epsilon"]) + p("beta")
        elif kind == "Add":
            y = sum(xs[1:], xs[0])
        elif kind == "Multiply":
            y = xs[0]
            for t in xs[1:]:
                y = y * t
        elif kind == "Concatenate":
            y = np.concatenate(xs, axis=cfg.get("axis", -1))
        elif kind == "Softmax":
            z = np.moveaxis(xs[0], cfg["axis"], -1)
            y = np.moveaxis(np.exp(log_softmax(z)), -1, cfg["axis"])
        elif kind == "PReLU":
            y = np.maximum(xs[0], 0) + p("alpha") * np.minimum(xs[0], 0)
        elif kind == "Rescaling":
            y = xs[0] * cfg["scale"] + cfg["offset"]
        elif kind in recurrent.RECURRENT:
            y = recurrent.forward(name, kind, cfg, xs, w, act, out=out)
        elif kind in attention.ATTENTION:
            y = attention.forward(name, kind, cfg, xs, w)
        else:
            raise ValueError(kind)
        out[name] = y
        masks[name] = recurrent.mask_out(kind, cfg, xs, ms)
    return out


def loss_of(loss, p, y):
    eps = 1e-7
    name, logits = loss["name"], loss.get("from_logits", False)
    if name in ("sparse_categorical_crossentropy", "categorical_crossentropy"):
        if logits:
            z = p - p.max(-1, keepdims=True)
            logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
        else:
            logp = np.log(np.clip(p / p.sum(-1, keepdims=True), eps, 1 - eps))
        if name.startswith("sparse"):
            return -logp[np.arange(len(y)), y.astype(int)].mean()
        return -(y * logp).sum(-1).mean()
    if name == "binary_crossentropy":
        q = 1 / (1 + np.exp(-p)) if logits else p
        q = np.clip(q, eps, 1 - eps)
        return (-(y * np.log(q) + (1 - y) * np.log(1 - q))).mean(-1).mean()
    if name == "mean_squared_error":
        return ((p - y) ** 2).mean(-1).mean()
    raise ValueError(name)


def trainable(spec):
    out = []
    for L in spec["layers"]:
        if L["type"] in ("Dense", "Conv2D", "Conv2DTranspose", "Conv1D"):
            out.append(f"model/{L['name']}/kernel")
            if L["config"].get("use_bias", True):
                out.append(f"model/{L['name']}/bias")
        elif L["type"] in ("BatchNormalization", "LayerNormalization"):
            out += [f"model/{L['name']}/gamma", f"model/{L['name']}/beta"]
        elif L["type"] in ("DepthwiseConv2D", "SeparableConv2D"):
            out += [f"model/{L['name']}/depthwise_kernel"]
            if L["type"] == "SeparableConv2D":
                out += [f"model/{L['name']}/pointwise_kernel"]
            if L["config"].get("use_bias", True):
                out.append(f"model/{L['name']}/bias")
        elif L["type"] == "PReLU":
            out.append(f"model/{L['name']}/alpha")
        elif L["type"] in recurrent.RECURRENT:
            out += recurrent.variables(L["name"], L["type"], L.get("config", {}))
        elif L["type"] in attention.ATTENTION:
            out += attention.variables(L["name"], L["type"], L.get("config", {}))
    return out


class Model:
    def __init__(self, g):
        self.spec, self.lossdef = g["spec"], g["loss"]
        self.outs = self.spec["outputs"]
        self.inputs = {k: arr(v) for k, v in g["inputs"].items()}
        self.y = {}
        for k in self.outs:
            lab = g["labels"][k]
            self.y[k] = arr(lab, np.int64 if all(isinstance(v, int) for v in lab["data"]) else np.float64)

    def output_losses(self, o):
        """Each output's loss: the file's loss for one output, loss["outputs"][k] for several."""
        if "outputs" not in self.lossdef:
            return {self.outs[0]: loss_of(self.lossdef, o[self.outs[0]], self.y[self.outs[0]])}
        logits = self.lossdef.get("from_logits", False)
        return {k: loss_of({"name": v["name"], "from_logits": logits}, o[k], self.y[k])
                for k, v in self.lossdef["outputs"].items()}

    def total(self, o):
        """The loss trained: the weighted sum of the outputs' losses written out."""
        each = self.output_losses(o)
        if "outputs" not in self.lossdef:
            return each[self.outs[0]]
        return sum(v.get("weight", 1.0) * each[k] for k, v in self.lossdef["outputs"].items())

    def loss(self, w, stats=None, step=0):
        return self.total(forward(self.spec, w, self.inputs, True, stats, step))

    def grads(self, w, h=1e-5, step=0):
        g = {}
        for k in trainable(self.spec):
            gk = np.zeros_like(w[k])
            for idx in np.ndindex(w[k].shape):
                old = w[k][idx]
                w[k][idx] = old + h
                up = self.loss(w, step=step)
                w[k][idx] = old - h
                down = self.loss(w, step=step)
                w[k][idx] = old
                gk[idx] = (up - down) / (2 * h)
            g[k] = gk
        return g


def moving_update(w, stats):
    for prefix, (mu, var, m) in stats.items():
        w[f"{prefix}/moving_mean"] = m * w[f"{prefix}/moving_mean"] + (1 - m) * mu
        w[f"{prefix}/moving_variance"] = m * w[f"{prefix}/moving_variance"] + (1 - m) * var


def learning_rate(lr, step):
    """Schedules written out (Keras: the rate at iterations = step, 0 for the first update)."""
    if not isinstance(lr, dict):
        return lr
    if lr["name"] == "step_decay":
        return lr["initial_learning_rate"] * lr["decay_rate"] ** math.floor(step / lr["decay_steps"])
    if lr["name"] == "cosine_decay":
        frac = min(step, lr["decay_steps"]) / lr["decay_steps"]
        alpha = lr.get("alpha", 0.0)
        return lr["initial_learning_rate"] * ((1 - alpha) * (1 + math.cos(math.pi * frac)) / 2 + alpha)
    raise ValueError(lr["name"])


def replay(model, w0, key, cfg, steps):
    """Optimizer update formulas written out (Keras forms for SGD and RMSprop; PyTorch forms for Adam)."""
    w = {k: v.copy() for k, v in w0.items()}
    slots = {k: [np.zeros_like(w[k]) for _ in range(3)] for k in trainable(model.spec)}
    losses = []
    for t in range(1, steps + 1):
        lr = learning_rate(cfg["learning_rate"], t - 1)
        stats = {}
        losses.append(model.loss(w, stats, step=t - 1))
        g = model.grads(w, step=t - 1)
        for k, gk in g.items():
            a, b, c = slots[k]
            if cfg["name"] == "sgd":
                mom = cfg["momentum"]
                a[...] = mom * a - lr * gk                 # Keras velocity
                w[k] = w[k] + (mom * a - lr * gk if cfg["nesterov"] else a)
            elif cfg["name"] in ("adam", "adamw"):
                if cfg["name"] == "adamw":
                    w[k] = w[k] - lr * cfg["weight_decay"] * w[k]
                b1, b2 = cfg["beta_1"], cfg["beta_2"]
                a[...] = b1 * a + (1 - b1) * gk
                b[...] = b2 * b + (1 - b2) * gk * gk
                mhat, vhat = a / (1 - b1 ** t), b / (1 - b2 ** t)
                w[k] = w[k] - lr * mhat / (np.sqrt(vhat) + cfg["epsilon"])
            elif cfg["name"] == "rmsprop":
                rho = cfg["rho"]
                a[...] = rho * a + (1 - rho) * gk * gk
                if key == "rmsprop":   # torch.optim.RMSprop: eps outside the root (not centered)
                    w[k] = w[k] - lr * gk / (np.sqrt(a) + cfg["epsilon"])
                    continue
                denominator = a
                if cfg["centered"]:
                    b[...] = rho * b + (1 - rho) * gk
                    denominator = a - b * b
                inc = lr * gk / np.sqrt(denominator + cfg["epsilon"])
                if cfg["momentum"] > 0:
                    c[...] = cfg["momentum"] * c + inc
                    inc = c
                w[k] = w[k] - inc
        moving_update(w, stats)
    return w, losses


class Checker:
    def __init__(self, fname):
        self.fname, self.failures, self.checked = fname, [], 0

    def close(self, what, got, want, rtol=2e-6, atol=2e-7):
        got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
        self.checked += 1
        if got.shape != want.shape:
            self.failures.append(f"{what}: shape {got.shape} != {want.shape}")
            return
        err = np.abs(got - want) - (atol + rtol * np.abs(want))
        if err.size and err.max() > 0:
            i = np.unravel_index(np.argmax(err), err.shape)
            self.failures.append(f"{what}: at {i} numpy {got[i]!r} vs golden {want[i]!r}")


def check_file(path):
    with open(path) as f:
        g = json.load(f)
    c = Checker(os.path.basename(path))
    m = Model(g)
    w0 = {k: arr(v) for k, v in g["weights"].items()}
    for k in trainable(m.spec):
        if k not in w0:
            c.failures.append(f"trainable variable {k} missing from weights")
    stats = {}
    outs = forward(m.spec, w0, m.inputs, True, stats)
    for k, t in g["layer_outputs"].items():
        c.close(f"layer_outputs[{k}]", outs[k], arr(t))
    for k, t in g["outputs"].items():
        c.close(f"outputs[{k}]", outs[k], arr(t))
    c.close("loss_value", m.total(outs), g["loss_value"])
    if len(m.outs) > 1:
        for k, v in m.output_losses(outs).items():
            c.close(f"output_losses[{k}]", v, g["output_losses"][k])
    if "outputs_inference" in g:
        inf = forward(m.spec, w0, m.inputs, False)
        for k, t in g["outputs_inference"].items():
            c.close(f"outputs_inference[{k}]", inf[k], arr(t))
    drops = {L["name"]: L["config"] for L in m.spec["layers"] if L["type"] == "Dropout"}
    if set(drops) != set(g.get("dropout_masks", {})):
        c.failures.append(f"dropout_masks {sorted(g.get('dropout_masks', {}))} != Dropout layers {sorted(drops)}")
    for k, t in g.get("dropout_masks", {}).items():
        stored = arr(t, np.int64)
        for step in range(len(stored)):
            mine = keep_mask(drops[k]["seed"], step, stored.shape[1:], drops[k]["rate"])
            c.close(f"dropout_masks[{k}][step {step}]", mine, stored[step], rtol=0, atol=0)
            if mine.all() or not mine.any():
                c.failures.append(f"dropout_masks[{k}][step {step}] keeps all or nothing: tests no dropout")
    if "moving_after_forward" in g:
        moved = dict(w0)
        moving_update(moved, stats)
        for k, t in g["moving_after_forward"].items():
            c.close(f"moving_after_forward[{k}]", moved[k], arr(t))
    fd = m.grads({k: v.copy() for k, v in w0.items()})
    if set(fd) != set(g["gradients"]):
        c.failures.append(f"gradient keys {sorted(g['gradients'])} != trainable {sorted(fd)}")
    for k, t in g["gradients"].items():
        c.close(f"gradients[{k}]", fd[k], arr(t), atol=1e-7)
    for group in ("after_one_step", "after_two_steps", "schedules"):
        for key, e in g.get(group, {}).items():
            w, losses = replay(m, w0, key, e["config"], e["steps"])
            c.close(f"{group}[{key}].losses", losses, e["losses"])
            if set(w) != set(e["weights"]):
                c.failures.append(f"{group}[{key}]: weight keys differ from the model's variables")
            for k, t in e["weights"].items():
                c.close(f"{group}[{key}].weights[{k}]", w[k], arr(t), atol=5e-7)
    return c


def main(paths=None):
    paths = paths or sorted(glob.glob(os.path.join(GOLDEN, "*.json")))
    bad = 0
    for counter, key, want in PHILOX_KAT:
        got = tuple(int(v) for v in philox([np.uint64(v) for v in counter], key))
        if got != want:
            print(f"philox4x32-10 known answer for counter {counter}: {got} != {want}")
            bad += 1
    for p in paths:
        c = check_file(p)
        status = "ok" if not c.failures else "FAILED"
        print(f"verify {c.fname}: {c.checked} checks {status}")
        for f in c.failures:
            print("   ", f)
        bad += bool(c.failures)
    print(f"{len(paths) - bad} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
