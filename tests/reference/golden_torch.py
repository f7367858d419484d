"""Runs a strata.model/1 spec with PyTorch, in Strata layouts, with Keras semantics.

Parameters are kept in Strata layouts (Dense kernel [in, out], Conv2D kernel HWIO, tensors NHWC)
and only permuted inside the conv call, so gradients come out in Strata layouts with no
transposition step to get wrong. TensorFlow's "same" padding (extra row/column at the bottom/right)
and its average pooling (padding cells are not counted) are written out explicitly.
"""
import numpy as np
import torch
import torch.nn.functional as F


def activate(x, name):
    if name in (None, "linear"):
        return x
    if name == "relu":
        return torch.relu(x)
    if name == "tanh":
        return torch.tanh(x)
    if name == "sigmoid":
        return torch.sigmoid(x)
    if name == "softmax":
        return torch.softmax(x, dim=-1)
    raise ValueError(f"unknown activation {name}")


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


def conv2d(x, kernel, bias, cfg):
    xc = x.permute(0, 3, 1, 2)                       # NHWC -> NCHW
    w = kernel.permute(3, 2, 0, 1)                   # HWIO -> OIHW
    xc = pad_nchw(xc, cfg["kernel_size"], cfg["strides"], cfg["padding"])
    y = F.conv2d(xc, w, bias, stride=tuple(cfg["strides"]))
    return y.permute(0, 2, 3, 1)


def max_pool(x, cfg):
    xc = pad_nchw(x.permute(0, 3, 1, 2), cfg["pool_size"], cfg["strides"], cfg["padding"], value=-float("inf"))
    return F.max_pool2d(xc, tuple(cfg["pool_size"]), tuple(cfg["strides"])).permute(0, 2, 3, 1)


def avg_pool(x, cfg):
    k, s = tuple(cfg["pool_size"]), tuple(cfg["strides"])
    xc = pad_nchw(x.permute(0, 3, 1, 2), k, s, cfg["padding"])
    ones = pad_nchw(torch.ones_like(x[:1, :, :, :1]).permute(0, 3, 1, 2), k, s, cfg["padding"])
    sums = F.avg_pool2d(xc, k, s, divisor_override=1)
    counts = F.avg_pool2d(ones, k, s, divisor_override=1)
    return (sums / counts).permute(0, 2, 3, 1)


def forward(spec, params, inputs, training, batch_stats=None):
    """All layer outputs by name. params: path -> tensor (trainable and moving stats).
    batch_stats, if a dict, receives path -> (batch mean, biased batch variance) per BN layer."""
    out = {}
    for layer in spec["layers"]:
        name, kind, cfg = layer["name"], layer["type"], layer.get("config", {})
        xs = [out[i] for i in layer.get("inbound", [])]
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
        elif kind == "MaxPooling2D":
            y = max_pool(xs[0], cfg)
        elif kind == "AveragePooling2D":
            y = avg_pool(xs[0], cfg)
        elif kind == "GlobalAveragePooling2D":
            y = xs[0].mean(dim=(1, 2))
        elif kind == "Flatten":
            y = xs[0].reshape(xs[0].shape[0], -1)    # NHWC row-major, as Keras
        elif kind == "Activation":
            y = activate(xs[0], cfg["activation"])
        elif kind == "Dropout":
            y = xs[0]
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
        else:
            raise ValueError(f"layer {name}: unsupported type {kind}")
        out[name] = y
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


class RMSpropEpsInsideSqrt(torch.optim.Optimizer):
    """Keras 3 RMSprop (momentum 0, not centered): v = rho v + (1-rho) g^2; w -= lr g / sqrt(v + eps)."""

    def __init__(self, params, lr, rho, eps):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for w in group["params"]:
                if w.grad is None:
                    continue
                st = self.state[w]
                if "v" not in st:
                    st["v"] = torch.zeros_like(w)
                v = st["v"]
                v.mul_(group["rho"]).add_((1 - group["rho"]) * w.grad * w.grad)
                w.sub_(group["lr"] * w.grad / torch.sqrt(v + group["eps"]))


# name -> (steps, Strata/Keras-style config, torch optimizer factory)
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
                                lambda ps: RMSpropEpsInsideSqrt(ps, lr=0.01, rho=0.9, eps=1e-7)),
}

FORMULAS = {
    "rmsprop": "torch.optim.RMSprop / Keras 2 legacy: w -= lr*g/(sqrt(v)+eps)",
    "rmsprop_eps_inside_sqrt": "Keras 3 and TF ApplyRMSProp: w -= lr*g/sqrt(v+eps)",
    "adam": "torch.optim.Adam: w -= lr*mhat/(sqrt(vhat)+eps)",
    "adamw": "torch.optim.AdamW: w *= 1-lr*wd, then the Adam step",
}


def trainable_paths(spec):
    paths = []
    for layer in spec["layers"]:
        kind, cfg, name = layer["type"], layer.get("config", {}), layer["name"]
        if kind in ("Dense", "Conv2D"):
            paths.append(f"model/{name}/kernel")
            if cfg.get("use_bias", True):
                paths.append(f"model/{name}/bias")
        elif kind in ("BatchNormalization", "LayerNormalization"):
            paths += [f"model/{name}/gamma", f"model/{name}/beta"]
    return paths


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
    inputs = {k: torch.tensor(v, dtype=dtype) for k, v in case["inputs"].items()}
    labels = {k: torch.tensor(v) if v.dtype.kind == "i" else torch.tensor(v, dtype=dtype)
              for k, v in case["labels"].items()}
    return inputs, labels


def run_case(case, dtype):
    """Everything the golden file holds, computed in `dtype`; numpy float64 arrays out."""
    torch.set_num_threads(1)
    spec, loss = case["spec"], case["loss"]
    out_name = spec["outputs"][0]
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
    lv = loss_fn(loss, outs[out_name], labels[out_name])
    lv.backward()
    res["loss_value"] = lv.item()
    res["layer_outputs"] = {k: v.detach().double().numpy() for k, v in outs.items() if k not in inputs}
    res["outputs"] = {out_name: res["layer_outputs"][out_name]}
    res["gradients"] = {k: params[k].grad.double().numpy() for k in train}
    if momenta:
        res["moving_after_forward"] = {k: v for k, v in update_moving(
            weights0, {k: (m.double(), v.double()) for k, (m, v) in stats.items()}, momenta).items()}
        with torch.no_grad():
            inf = forward(spec, params_from(weights0, False), inputs, False)
        res["outputs_inference"] = {out_name: inf[out_name].double().numpy()}

    res["optimizers"] = {}
    for opt_name, (steps, config, make) in OPTIMIZERS.items():
        weights = dict(weights0)
        params = params_from(weights, True)
        opt = make([params[k] for k in train])
        losses = []
        for _ in range(steps):
            opt.zero_grad()
            stats = {}
            outs = forward(spec, params, inputs, True, stats)
            lv = loss_fn(loss, outs[out_name], labels[out_name])
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
