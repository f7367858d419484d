#!/usr/bin/python3
"""Imports torchvision 0.14's classification architectures into Strata and compares predictions.

    /usr/bin/python3 tests/onnx/torchvision_import.py build/app/strata-cli [MODEL ...] [--keep DIR] [--opset N]

Each model (weights=None, eval mode, torch.manual_seed(0)) is exported by torch.onnx.export at
opset 13 (or N: torch 1.13 writes 7 to 17; Strata converts 7 to 12 to 13 when it reads them) with a 3x64x64 input (224x224 where torch cannot export the 64 one: AlexNet's and VGG's
adaptive pools), imported with `strata-cli import`, run with `strata-cli predict` on a fixed
random input (NHWC, as the imported Input layer takes it) and compared with torch's output
(vit_b_16's zero-initialized head and class token drawn at random first; an all-zero torch output
is a failure, not a match).
Prints a markdown table: model, imported?, max |diff| / max |torch output|, and the first line
of the error when a step failed. Exit status 0 when every model imported and matched to 1e-4,
else 1 (most rows fail while layers are missing; the table is the result).
"""

import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torchvision

MODELS = [
    "alexnet", "vgg11_bn", "resnet18", "resnet50", "densenet121", "squeezenet1_1", "shufflenet_v2_x0_5",
    "mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0", "mnasnet0_5", "googlenet", "regnet_x_400mf",
    "convnext_tiny",
    "vit_b_16",  # issue 16: class token, position add, nn.MultiheadAttention's exported ops (224x224 only)
]
TOLERANCE = 1e-4
ZERO_INIT = {"vit_b_16"}  # parameters torchvision initializes to zero, drawn at random instead


def build(name):
    kwargs = {"weights": None}
    if name == "googlenet":
        kwargs.update(aux_logits=False, init_weights=True)
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(**kwargs).eval()
    if name in ZERO_INIT:  # its head (and class token) start at zero: every output would be 0
        with torch.no_grad():
            for p in model.parameters():
                if not p.any():
                    p.normal_(0.0, 0.02)
    return model


def export(model, path, opset):
    """Exports at 64x64, or 224x224 when torch refuses the small size; returns the input."""
    errors = []
    for size in (64, 224):
        x = torch.from_numpy(np.random.default_rng(1).standard_normal((1, 3, size, size)).astype(np.float32))
        try:
            torch.onnx.export(model, x, path, opset_version=opset)
            return x
        except Exception as e:  # torch's exporter raises several types
            errors.append(f"{size}x{size}: {str(e).splitlines()[0]}")
    raise RuntimeError("torch.onnx.export failed: " + "; ".join(errors))


def first_line(text):
    for line in text.splitlines():
        if line.strip():
            return line.strip().replace("|", "\\|")[:300]
    return "(no message)"


def run_one(cli, name, work, opset):
    """Returns (imported, relative difference or None, error line)."""
    model = build(name)
    onnx_path = os.path.join(work, name + ".onnx")
    try:
        x = export(model, onnx_path, opset)
    except RuntimeError as e:
        return False, None, first_line(str(e))
    with torch.no_grad():
        expected = model(x).numpy()
    out_dir = os.path.join(work, name + ".model")
    r = subprocess.run([cli, "import", onnx_path, "--out", out_dir], capture_output=True, text=True)
    if r.returncode != 0:
        return False, None, first_line(r.stderr or r.stdout)
    in_csv, out_csv = os.path.join(work, name + ".in.csv"), os.path.join(work, name + ".out.csv")
    np.savetxt(in_csv, x.numpy().transpose(0, 2, 3, 1).reshape(x.shape[0], -1), delimiter=",", fmt="%.9g")
    r = subprocess.run([cli, "predict", out_dir, "--input", in_csv, "--output", out_csv, "--threads", "2"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return True, None, first_line(r.stderr or r.stdout)
    got = np.loadtxt(out_csv, delimiter=",", ndmin=2)
    if got.size != expected.size:
        return True, None, f"predict gave {got.size} values, torch {expected.size}"
    if not np.any(expected):
        return True, None, "torch's output is all zeros, so the comparison would prove nothing"
    rel = float(np.max(np.abs(got.reshape(expected.shape) - expected)) / max(np.max(np.abs(expected)), 1e-30))
    return True, rel, "" if rel <= TOLERANCE else f"differs from torch by {rel:.3g} of its largest magnitude"


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cli = os.path.abspath(argv[1])
    rest = argv[2:]
    keep = None
    if "--keep" in rest:
        i = rest.index("--keep")
        keep = rest[i + 1]
        rest = rest[:i] + rest[i + 2:]
    opset = 13
    if "--opset" in rest:
        i = rest.index("--opset")
        opset = int(rest[i + 1])
        rest = rest[:i] + rest[i + 2:]
    names = rest or MODELS
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        print(f"unknown model(s) {unknown}; known: {MODELS}", file=sys.stderr)
        return 2
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, opset {opset}; tolerance {TOLERANCE:g}\n")
    print("| model | imported? | max \\|diff\\| / max \\|torch\\| | first error line |")
    print("|---|---|---|---|")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        work = keep or tmp
        os.makedirs(work, exist_ok=True)
        for name in names:
            imported, rel, error = run_one(cli, name, work, opset)
            ok = ok and imported and rel is not None and rel <= TOLERANCE
            print(f"| {name} | {'yes' if imported else 'no'} | {'-' if rel is None else f'{rel:.2e}'} | {error} |", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
