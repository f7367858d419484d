"""Checks one PyTorch export against the engine, for tst_torch_export (run with Debian's python).

    /usr/bin/python3 -I torch_export_check.py CASE.json

CASE.json (written by the test): {"export_dir", "inputs": [{"file", "shape", "dtype"}] (forward's
arguments in order; dtype float32 or int32), "outputs": [{"file", "shape"}] (the engine's outputs), "params_total",
"params_trainable", "trainable": {strata path: bool}, "rtol", "atol", "train_steps", and optionally
"train_forward": {"outputs": [{"file", "shape"}], "moving": [{"strata_path", "file", "shape"}]}, the
engine's training-mode forward pass and the moving statistics it left}. Tensors are
raw little-endian float32 files. Exit status 0 when everything matches; otherwise every problem is
printed, one per line, and the status is 1.
"""
import ast
import importlib.util
import json
import os
import sys

import torch

ALLOWED_IMPORTS = {"array", "hashlib", "json", "math", "os", "sys", "torch", "torch.nn", "torch.nn.functional"}


def read_tensor(folder, entry):
    with open(os.path.join(folder, entry["file"]), "rb") as f:
        data = bytearray(f.read())
    dtype = {"float32": torch.float32, "int32": torch.int32}[entry.get("dtype", "float32")]
    return torch.frombuffer(data, dtype=dtype).reshape(entry["shape"]).clone()


def imports_of(source):
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module or "")
    return names


def compare(name, got, want, rtol, atol, problems):
    if tuple(got.shape) != tuple(want.shape):
        problems.append(f"output {name}: shape {tuple(got.shape)}, the engine's is {tuple(want.shape)}")
        return 0.0
    err = (got.double() - want.double()).abs()
    bound = atol + rtol * want.double().abs()
    worst = float(err.max()) if err.numel() else 0.0
    if not torch.isfinite(got).all() or bool((err > bound).any()):
        i = int((err - bound).flatten().argmax())
        problems.append(f"output {name}: differs from the engine by up to {worst:.3g} (at flat index {i}: "
                        f"torch {float(got.flatten()[i]):.8g}, engine {float(want.flatten()[i]):.8g}; "
                        f"tolerance {atol:g} + {rtol:g}*|engine|)")
    return worst


def main():
    case_file = sys.argv[1]
    with open(case_file, encoding="utf-8") as f:
        case = json.load(f)
    folder = os.path.dirname(os.path.abspath(case_file))
    case["_file"] = os.path.abspath(case_file)
    export = case["export_dir"]
    problems = []
    torch.manual_seed(0)
    torch.set_num_threads(1)

    with open(os.path.join(export, "model.py"), encoding="utf-8") as f:
        source = f.read()
    extra = imports_of(source) - ALLOWED_IMPORTS
    if extra:
        problems.append(f"model.py imports {sorted(extra)}; it may use only torch and the standard library")

    spec = importlib.util.spec_from_file_location("exported_model_" + str(abs(hash(export))), os.path.join(export, "model.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = module.load(export)
    if not isinstance(net, torch.nn.Module):
        problems.append(f"load() returned a {type(net).__name__}, not a torch.nn.Module")
    if net.training:
        problems.append("load() left the model in training mode")

    inputs = [read_tensor(folder, e) for e in case["inputs"]]
    wants = [read_tensor(folder, e) for e in case["outputs"]]
    with torch.no_grad():
        got = net(*inputs)
    gots = list(got) if isinstance(got, (tuple, list)) else [got]
    if len(gots) != len(wants):
        problems.append(f"forward returned {len(gots)} outputs, the engine's model has {len(wants)}")
    worst = 0.0
    for k, (g, w) in enumerate(zip(gots, wants)):
        worst = max(worst, compare(case["outputs"][k]["file"], g, w, case["rtol"], case["atol"], problems))

    # Parameters: counts and trainability as in the engine. Buffers that are not saved (a recurrent
    # layer's zero bias_hh, Keras having one bias) are constants, not variables.
    params = dict(net.named_parameters())
    saved = set(net.state_dict())
    buffers = {n: b for n, b in net.named_buffers() if b.is_floating_point() and n in saved}
    total = sum(p.numel() for p in params.values()) + sum(b.numel() for b in buffers.values())
    trainable = sum(p.numel() for p in params.values() if p.requires_grad)
    if total != case["params_total"]:
        problems.append(f"{total} parameters and running statistics in PyTorch, the engine counts {case['params_total']}")
    if trainable != case["params_trainable"]:
        problems.append(f"{trainable} parameters require grad, the engine trains {case['params_trainable']}")
    with open(os.path.join(export, "weights.json"), encoding="utf-8") as f:
        index = json.load(f)
    engine_trainable = case["trainable"]
    for v in index["variables"]:
        path, name = v["strata_path"], v["torch_name"]
        if path not in engine_trainable:
            problems.append(f"weights.json names {path}, which the engine's model does not have")
            continue
        if v["trainable"] != engine_trainable[path]:
            problems.append(f"weights.json says {path} trainable={v['trainable']}, the engine says {engine_trainable[path]}")
        if name in params and params[name].requires_grad != engine_trainable[path]:
            problems.append(f"{name} ({path}) has requires_grad={params[name].requires_grad}, "
                            f"the engine's trainable is {engine_trainable[path]}")
        if name not in params and name not in buffers:
            problems.append(f"weights.json maps {path} to {name}, which the module does not have")
    missing = set(engine_trainable) - {v["strata_path"] for v in index["variables"]}
    if missing:
        problems.append(f"variables missing from weights.json: {sorted(missing)}")

    # build() gives the same module structure with fresh weights.
    fresh = module.build()
    if sorted(fresh.state_dict()) != sorted(net.state_dict()):
        problems.append("build() and load() give modules with different state_dict keys")

    checked = 0
    if "train_forward" in case:
        checked = check_training_forward(module, export, case, inputs, index, problems)

    losses = []
    steps = case.get("train_steps", 0)
    if steps:
        losses = train(net, inputs, wants, steps, problems)

    print(json.dumps({"max_abs_diff": worst, "params": total, "trainable": trainable, "train_forward_checked": checked,
                      "losses": losses}))
    for p in problems:
        print("PROBLEM: " + p)
    return 1 if problems else 0


def check_training_forward(module, export, case, inputs, index, problems):
    """One forward pass in train() mode against the engine's training forward: outputs (batch
    statistics) and the BatchNormalization running statistics it updates. Returns how many running
    statistics were compared."""
    net = module.load(export).train()
    tf = case["train_forward"]
    with torch.no_grad():
        got = net(*inputs)
    gots = list(got) if isinstance(got, (tuple, list)) else [got]
    for k, (g, e) in enumerate(zip(gots, tf["outputs"])):
        compare("training-mode " + e["file"], g, read_tensor(os.path.dirname(case["_file"]), e), case["rtol"], case["atol"], problems)
    names = {v["strata_path"]: v["torch_name"] for v in index["variables"]}
    buffers = dict(net.named_buffers())
    for e in tf.get("moving", []):
        name = names.get(e["strata_path"])
        if name not in buffers:
            problems.append(f"{e['strata_path']} has no running statistic buffer in the module")
            continue
        compare(f"{name} after a training-mode forward", buffers[name], read_tensor(os.path.dirname(case["_file"]), e),
                case["rtol"], case["atol"], problems)
    return len(tf.get("moving", []))


def train(net, inputs, wants, steps, problems):
    """A few Adam steps in PyTorch: proves the export is a trainable nn.Module (gradients reach every
    trainable parameter, frozen ones stay put, the loss goes down). The targets are the engine's
    outputs shifted by one sample, so they are reachable values of the right kind (probabilities for a
    softmax) and the model must learn a new mapping."""
    targets = [w.roll(1, dims=0) for w in wants]
    before = {n: p.detach().clone() for n, p in net.named_parameters()}
    trainable = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.Adam(trainable, lr=1e-2)
    net.train()
    losses = []
    for step in range(steps):
        opt.zero_grad()
        out = net(*inputs)
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        loss = sum(torch.nn.functional.mse_loss(o, t) for o, t in zip(outs, targets))
        loss.backward()
        if step == 0:
            for n, p in net.named_parameters():
                if p.requires_grad and p.grad is None:
                    problems.append(f"training: no gradient reached {n}")
        opt.step()
        losses.append(float(loss))
    for n, p in net.named_parameters():
        moved = not torch.equal(before[n], p.detach())
        if moved != p.requires_grad:
            problems.append(f"training: {n} (requires_grad={p.requires_grad}) {'changed' if moved else 'did not change'}")
    k = max(1, min(5, steps // 4))
    first, last = sum(losses[:k]) / k, sum(losses[-k:]) / k
    if not last < 0.9 * first:
        problems.append(f"training: the loss did not decrease (first steps {first:.5g}, last steps {last:.5g})")
    return losses


if __name__ == "__main__":
    sys.exit(main())
