#!/usr/bin/python3
"""Writes tests/data/golden/<model>.json: forward, loss, gradients and optimizer steps from PyTorch.

Run with Debian's python (it has torch and numpy):  /usr/bin/python3 tests/reference/make_golden.py
Every value is computed twice, in float64 (stored) and float32 (only to measure how far float32
arithmetic drifts, which is written to "meta" and printed). Then verify_golden.py re-reads each
file and checks it with an independent numpy implementation. CI reads the JSON and never needs torch.
See tests/reference/README.md for the format and conventions.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from golden_models import MODELS as BASE_MODELS  # noqa: E402
from golden_models_attention import MODELS as ATTENTION_MODELS  # noqa: E402
from golden_models_recurrent import MODELS as RECURRENT_MODELS  # noqa: E402
from golden_torch import FORMULAS, run_case  # noqa: E402

MODELS = {**BASE_MODELS, **RECURRENT_MODELS, **ATTENTION_MODELS}
OUT_DIR = os.path.normpath(os.path.join(HERE, "..", "data", "golden"))


def num(v):
    """Shortest text that reads back as the same float32 (the engine's dtype)."""
    v = float(v)
    if v != v or v in (float("inf"), float("-inf")):
        raise ValueError("non-finite value in golden data")
    return float(str(np.float32(v)))


def tensor(a):
    a = np.asarray(a)
    if a.dtype.kind in "iu":
        return {"shape": list(a.shape), "data": [int(x) for x in a.reshape(-1)]}
    return {"shape": list(a.shape), "data": [num(x) for x in a.reshape(-1)]}


def tensors(d):
    return {k: tensor(v) for k, v in d.items()}


def max_abs_diff(a, b):
    if isinstance(a, dict):
        return max([max_abs_diff(a[k], b[k]) for k in a] + [0.0])
    return float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)), initial=0.0))


def drift(r64, r32):
    d = {"outputs": max_abs_diff(r64["layer_outputs"], r32["layer_outputs"]),
         "loss_value": abs(r64["loss_value"] - r32["loss_value"]),
         "gradients": max_abs_diff(r64["gradients"], r32["gradients"])}
    for name in r64["optimizers"]:
        d[f"weights_after_{name}"] = max_abs_diff(r64["optimizers"][name]["weights"],
                                                   r32["optimizers"][name]["weights"])
    return {k: float(f"{v:.3g}") for k, v in d.items()}


def golden(name, case):
    r64 = run_case(case, torch.float64)
    r32 = run_case(case, torch.float32)
    g = {"format": "strata.golden/1",
         "name": name,
         "spec": case["spec"],
         "inputs": tensors(case["inputs"]),
         "labels": tensors(case["labels"]),
         "loss": case["loss"],
         "loss_value": num(r64["loss_value"]),
         **({"output_losses": {k: num(v) for k, v in r64["output_losses"].items()}} if "output_losses" in r64 else {}),
         "weights": tensors(case["weights"]),
         "outputs": tensors(r64["outputs"]),
         "layer_outputs": tensors(r64["layer_outputs"])}
    if "outputs_inference" in r64:
        g["outputs_inference"] = tensors(r64["outputs_inference"])
    if "moving_after_forward" in r64:
        g["moving_after_forward"] = tensors(r64["moving_after_forward"])
    if r64["dropout_masks"]:
        g["dropout_masks"] = tensors(r64["dropout_masks"])
    g["gradients"] = tensors(r64["gradients"])
    g["after_one_step"], g["after_two_steps"], g["schedules"] = {}, {}, {}
    for opt, r in r64["optimizers"].items():
        entry = {"config": r["config"], "steps": r["steps"], "losses": [num(x) for x in r["losses"]],
                 "weights": tensors(r["weights"])}
        if opt in FORMULAS:
            entry["formula"] = FORMULAS[opt]
        g[{1: "after_one_step", 2: "after_two_steps"}.get(r["steps"], "schedules")][opt] = entry
    g["meta"] = {"generator": "tests/reference/make_golden.py",
                 "torch": torch.__version__, "numpy": np.__version__,
                 "computed_in": "float64 from float32 inputs and weights, stored rounded to float32",
                 "float32_drift": drift(r64, r32)}
    return g


def dump(obj, indent=0):
    """JSON with one line per tensor's data, so files stay short and diffs stay readable."""
    pad = "  " * indent
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        if set(obj) == {"shape", "data"} or len(json.dumps(obj)) <= 110:
            return json.dumps(obj)
        items = [f'{pad}  {json.dumps(k)}: {dump(v, indent + 1)}' for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list) and any(isinstance(v, dict) for v in obj):
        items = [f"{pad}  {dump(v, indent + 1)}" for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(obj)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="*", help=f"subset of: {' '.join(MODELS)}")
    ap.add_argument("--out", default=OUT_DIR)
    ap.add_argument("--no-verify", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    written = []
    for name in args.models or MODELS:
        g = golden(name, MODELS[name]())
        path = os.path.join(args.out, f"{name}.json")
        with open(path, "w") as f:
            f.write(dump(g) + "\n")
        written.append(path)
        worst = max(g["meta"]["float32_drift"].items(), key=lambda kv: kv[1])
        print(f"{name}: loss {g['loss_value']:.6f}, float32 drift worst {worst[0]} {worst[1]:.2g}")
    if not args.no_verify:
        import verify_golden
        sys.exit(verify_golden.main(written))


if __name__ == "__main__":
    main()
