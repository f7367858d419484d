#!/usr/bin/python3
"""Strata's CPU backend against PyTorch 1.13 on torchvision architectures imported from ONNX, in one run.

  /usr/bin/python3 tests/bench/vision_vs_pytorch.py [--build build] [--repeats 3] [--steps 10] [--arch mobilenet_v2 ...]

For each architecture (ARCHS, or --arch) it exports torchvision 0.14's model (weights=None, eval,
torch.onnx.export opset 13, 3x64x64; reference/torch_vision_train.py --export), then at 1 and 2
threads runs `strata-bench train-onnx` (the graph import, as `strata-cli import
--ignore-embedded-spec` does) and reference/torch_vision_train.py (the same graph: BatchNorm folded,
no Dropout) alternately, --repeats times each: training steps of batch 16 on random data, Adam.
Prints one JSON line per case with the medians:
  {"model", "threads", "strata_samples_per_second", "pytorch_samples_per_second", "ratio",
   "strata_peak_rss_bytes", "pytorch_peak_rss_bytes", "rss_ratio", "strata_parameters", "pytorch_parameters"}
ratio = strata / pytorch samples per second (> 1: Strata is faster); peak RSS is per process.
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# resnet18 joins once Strata imports MaxPool2d(3, 2, padding=1) (explicit pool padding).
ARCHS = ["mobilenet_v2"]


def run_json(cmd, env=None):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--arch", nargs="+", default=ARCHS)
    args = ap.parse_args()
    bench = os.path.join(args.build, "tests", "bench", "strata-bench")
    torch_script = os.path.join(HERE, "reference", "torch_vision_train.py")
    env = dict(os.environ, OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "PASSIVE"))
    with tempfile.TemporaryDirectory() as tmp:
        for arch in args.arch:
            onnx_file = os.path.join(tmp, arch + ".onnx")
            subprocess.run(["/usr/bin/python3", torch_script, "--arch", arch, "--export", onnx_file], check=True,
                           capture_output=True)
            for threads in args.threads:
                common = ["--threads", str(threads), "--batch", str(args.batch), "--warmup", str(args.warmup),
                          "--steps", str(args.steps)]
                strata, torch = [], []
                for _ in range(args.repeats):
                    strata.append(run_json([bench, "train-onnx", "--onnx", onnx_file] + common))
                    torch.append(run_json(["/usr/bin/python3", torch_script, "--arch", arch] + common, env=env))
                s = statistics.median(r["samples_per_second"] for r in strata)
                p = statistics.median(r["samples_per_second"] for r in torch)
                srss = max(r["peak_rss_bytes"] for r in strata)
                prss = max(r["peak_rss_bytes"] for r in torch)
                print(json.dumps({
                    "model": arch, "threads": threads, "batch": args.batch, "input": [3, 64, 64], "steps": args.steps,
                    "strata_samples_per_second": round(s, 2), "pytorch_samples_per_second": round(p, 2),
                    "ratio": round(s / p, 3), "strata_peak_rss_bytes": srss, "pytorch_peak_rss_bytes": prss,
                    "rss_ratio": round(srss / prss, 3), "strata_parameters": strata[-1]["parameters"],
                    "pytorch_parameters": torch[-1]["parameters"], "repeats": args.repeats}), flush=True)


if __name__ == "__main__":
    main()
