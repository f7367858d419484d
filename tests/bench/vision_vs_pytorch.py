#!/usr/bin/python3
"""Training steps of torchvision architectures imported into Strata, against PyTorch 1.13 training
the same architecture, side by side, in one run (issue 15's speed target: Strata >= 1.0x).

  /usr/bin/python3 tests/bench/vision_vs_pytorch.py [--build build] [--models resnet18,mobilenet_v2]
                                                    [--steps 10] [--repeats 3] [--batch 16] [--size 64]

For each model: torch.onnx.export (tests/bench/reference/torch_train_vision.py --export), then
`strata-cli import --out`, then at 1 and 2 threads `strata-bench train-imported` and the torch
script alternately, `--repeats` times each. One JSON line per (model, threads) with the medians:
  {"model", "threads", "strata_samples_per_second", "pytorch_samples_per_second", "ratio",
   "strata_peak_rss_bytes", "pytorch_peak_rss_bytes", ...}
then a Markdown table. ratio = strata / pytorch samples per second (> 1: Strata is faster). A model
Strata cannot import gets a line with its error instead.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TORCH = os.path.join(HERE, "reference", "torch_train_vision.py")


def run_json(cmd, env=None):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--models", default="resnet18,mobilenet_v2")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--size", type=int, default=64)
    args = ap.parse_args()
    bench = os.path.join(args.build, "tests", "bench", "strata-bench")
    cli = os.path.join(args.build, "app", "strata-cli")
    env = dict(os.environ, OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "PASSIVE"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models.split(","):
            torch_cmd = ["/usr/bin/python3", TORCH, "--model", model, "--size", str(args.size)]
            saved, error = import_torch(cli, torch_cmd, tmp, model)
            if error:
                rows.append(error)
                continue
            rows += compare(bench, saved, model, torch_cmd, args, env, [3, args.size, args.size])
    print_table(rows)
    return 0


def import_torch(cli, torch_cmd, tmp, model):
    """`torch_cmd --export` then `strata-cli import`: (saved-model folder, None), or (None, an error
    line, printed) when Strata cannot import the model."""
    onnx_file = os.path.join(tmp, model + ".onnx")
    saved = os.path.join(tmp, model)
    subprocess.run(torch_cmd + ["--export", onnx_file], check=True, capture_output=True)
    imported = subprocess.run([cli, "import", onnx_file, "--out", saved, "--name", model], capture_output=True, text=True)
    if imported.returncode == 0:
        return saved, None
    line = {"model": model, "error": (imported.stderr or imported.stdout).strip().splitlines()[-1]}
    print(json.dumps(line), flush=True)
    return None, line


def compare(bench, saved, model, torch_cmd, args, env, input_shape):
    """`strata-bench train-imported` on `saved` (a saved-model folder, or ["--spec", FILE]) and
    `torch_cmd` alternately, --repeats times at each of --threads: one JSON line (printed) per thread
    count with the medians."""
    rows = []
    for threads in [int(t) for t in args.threads.split(",")]:
        common = ["--threads", str(threads), "--steps", str(args.steps), "--batch", str(args.batch)]
        strata, torch = [], []
        for _ in range(args.repeats):
            source = saved if isinstance(saved, list) else ["--saved-model", saved]
            strata.append(run_json([bench, "train-imported"] + source + ["--name", model] + common))
            torch.append(run_json(torch_cmd + common, env=env))
        s = statistics.median(r["samples_per_second"] for r in strata)
        p = statistics.median(r["samples_per_second"] for r in torch)
        line = {"model": model, "threads": threads, "batch": args.batch, "input": input_shape,
                "steps": args.steps, "strata_samples_per_second": round(s, 2),
                "pytorch_samples_per_second": round(p, 2), "ratio": round(s / p, 3),
                "strata_peak_rss_bytes": max(r["peak_rss_bytes"] for r in strata),
                "pytorch_peak_rss_bytes": max(r["peak_rss_bytes"] for r in torch), "repeats": args.repeats}
        print(json.dumps(line), flush=True)
        rows.append(line)
    return rows


def print_table(rows):
    print("\n| model | threads | Strata samples/s | PyTorch samples/s | ratio | Strata peak RSS | PyTorch peak RSS |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print("| %s | - | not imported: %s | | | | |" % (r["model"], r["error"]))
        else:
            print("| %s | %d | %.1f | %.1f | %.2f | %.0f MiB | %.0f MiB |" % (
                r["model"], r["threads"], r["strata_samples_per_second"], r["pytorch_samples_per_second"], r["ratio"],
                r["strata_peak_rss_bytes"] / 2**20, r["pytorch_peak_rss_bytes"] / 2**20))


if __name__ == "__main__":
    sys.exit(main())
