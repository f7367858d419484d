#!/usr/bin/python3
"""Checks golden files with a second, independent implementation: plain numpy, no torch.

It reads only the JSON (spec, inputs, labels, weights), runs the Keras semantics written out with
numpy loops (NHWC, HWIO, TF "same" padding, biased BN variance), takes gradients by central finite
differences in float64, and replays the optimizers with their update formulas written out. If the
layouts, variable paths, padding or formulas in make_golden.py were wrong, this would disagree.

  /usr/bin/python3 tests/reference/verify_golden.py [tests/data/golden/*.json]
"""
import glob
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.normpath(os.path.join(HERE, "..", "data", "golden"))


def arr(t, dtype=np.float64):
    return np.asarray(t["data"], dtype=dtype).reshape(t["shape"])


def act(x, name):
    if name in (None, "linear"):
        return x
    if name == "relu":
        return np.maximum(x, 0)
    if name == "tanh":
        return np.tanh(x)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-x))
    if name == "softmax":
        e = np.exp(x - x.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)
    raise ValueError(name)


def tf_pad(size, k, s, padding):
    if padding == "valid":
        return (size - k) // s + 1, 0, 0
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return out, total // 2, total - total // 2


def windows(x, k, s, padding, fill):
    """x NHWC -> (N, OH, OW, kh, kw, C) patches of the TF-padded input, and the padded validity mask."""
    n, h, w, c = x.shape
    oh, top, bottom = tf_pad(h, k[0], s[0], padding)
    ow, left, right = tf_pad(w, k[1], s[1], padding)
    xp = np.full((n, h + top + bottom, w + left + right, c), fill, dtype=x.dtype)
    xp[:, top:top + h, left:left + w, :] = x
    valid = np.zeros((h + top + bottom, w + left + right))
    valid[top:top + h, left:left + w] = 1
    pat = np.empty((n, oh, ow, k[0], k[1], c), dtype=x.dtype)
    cnt = np.empty((oh, ow))
    for i in range(oh):
        for j in range(ow):
            pat[:, i, j] = xp[:, i * s[0]:i * s[0] + k[0], j * s[1]:j * s[1] + k[1], :]
            cnt[i, j] = valid[i * s[0]:i * s[0] + k[0], j * s[1]:j * s[1] + k[1]].sum()
    return pat, cnt


def forward(spec, w, inputs, training, stats=None):
    out = {}
    for L in spec["layers"]:
        name, kind, cfg = L["name"], L["type"], L.get("config", {})
        xs = [out[i] for i in L.get("inbound", [])]
        p = lambda v: w[f"model/{name}/{v}"]
        if kind == "Input":
            y = inputs[name]
        elif kind == "Dense":
            y = xs[0] @ p("kernel") + (p("bias") if cfg.get("use_bias", True) else 0)
            y = act(y, cfg.get("activation"))
        elif kind == "Conv2D":
            pat, _ = windows(xs[0], cfg["kernel_size"], cfg["strides"], cfg["padding"], 0.0)
            y = np.einsum("nijabc,abco->nijo", pat, p("kernel"))
            y = act(y + (p("bias") if cfg.get("use_bias", True) else 0), cfg.get("activation"))
        elif kind == "MaxPooling2D":
            pat, _ = windows(xs[0], cfg["pool_size"], cfg["strides"], cfg["padding"], -np.inf)
            y = pat.max(axis=(3, 4))
        elif kind == "AveragePooling2D":
            pat, cnt = windows(xs[0], cfg["pool_size"], cfg["strides"], cfg["padding"], 0.0)
            y = pat.sum(axis=(3, 4)) / cnt[None, :, :, None]
        elif kind == "GlobalAveragePooling2D":
            y = xs[0].mean(axis=(1, 2))
        elif kind == "Flatten":
            y = xs[0].reshape(len(xs[0]), -1)
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
        else:
            raise ValueError(kind)
        out[name] = y
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
        if L["type"] in ("Dense", "Conv2D"):
            out.append(f"model/{L['name']}/kernel")
            if L["config"].get("use_bias", True):
                out.append(f"model/{L['name']}/bias")
        elif L["type"] in ("BatchNormalization", "LayerNormalization"):
            out += [f"model/{L['name']}/gamma", f"model/{L['name']}/beta"]
    return out


class Model:
    def __init__(self, g):
        self.spec, self.lossdef = g["spec"], g["loss"]
        self.out = self.spec["outputs"][0]
        self.inputs = {k: arr(v) for k, v in g["inputs"].items()}
        lab = g["labels"][self.out]
        self.y = arr(lab, np.int64 if all(isinstance(v, int) for v in lab["data"]) else np.float64)

    def loss(self, w, stats=None):
        o = forward(self.spec, w, self.inputs, True, stats)
        return loss_of(self.lossdef, o[self.out], self.y)

    def grads(self, w, h=1e-5):
        g = {}
        for k in trainable(self.spec):
            gk = np.zeros_like(w[k])
            for idx in np.ndindex(w[k].shape):
                old = w[k][idx]
                w[k][idx] = old + h
                up = self.loss(w)
                w[k][idx] = old - h
                down = self.loss(w)
                w[k][idx] = old
                gk[idx] = (up - down) / (2 * h)
            g[k] = gk
        return g


def moving_update(w, stats):
    for prefix, (mu, var, m) in stats.items():
        w[f"{prefix}/moving_mean"] = m * w[f"{prefix}/moving_mean"] + (1 - m) * mu
        w[f"{prefix}/moving_variance"] = m * w[f"{prefix}/moving_variance"] + (1 - m) * var


def replay(model, w0, key, cfg, steps):
    """Optimizer update formulas written out (Keras forms for SGD; PyTorch forms for Adam)."""
    w = {k: v.copy() for k, v in w0.items()}
    slots = {k: [np.zeros_like(w[k]), np.zeros_like(w[k])] for k in trainable(model.spec)}
    lr = cfg["learning_rate"]
    losses = []
    for t in range(1, steps + 1):
        stats = {}
        losses.append(model.loss(w, stats))
        g = model.grads(w)
        for k, gk in g.items():
            a, b = slots[k]
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
                if key == "rmsprop_eps_inside_sqrt":
                    w[k] = w[k] - lr * gk / np.sqrt(a + cfg["epsilon"])
                else:
                    w[k] = w[k] - lr * gk / (np.sqrt(a) + cfg["epsilon"])
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
    c.close("loss_value", loss_of(m.lossdef, outs[m.out], m.y), g["loss_value"])
    if "outputs_inference" in g:
        inf = forward(m.spec, w0, m.inputs, False)
        for k, t in g["outputs_inference"].items():
            c.close(f"outputs_inference[{k}]", inf[k], arr(t))
        moved = dict(w0)
        moving_update(moved, stats)
        for k, t in g["moving_after_forward"].items():
            c.close(f"moving_after_forward[{k}]", moved[k], arr(t))
    fd = m.grads({k: v.copy() for k, v in w0.items()})
    if set(fd) != set(g["gradients"]):
        c.failures.append(f"gradient keys {sorted(g['gradients'])} != trainable {sorted(fd)}")
    for k, t in g["gradients"].items():
        c.close(f"gradients[{k}]", fd[k], arr(t), atol=1e-7)
    for group in ("after_one_step", "after_two_steps"):
        for key, e in g[group].items():
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
