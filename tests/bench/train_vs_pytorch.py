#!/usr/bin/python3
"""Strata's CPU backend against PyTorch 1.13 on the same training runs, side by side, in one run.

  /usr/bin/python3 tests/bench/train_vs_pytorch.py [--build build] [--repeats 3]

For each case (fashion_mlp 2 epochs batch 64 Adam at 1 and 2 threads; mnist_cnn and
fashion_autoencoder (Conv2DTranspose decoder, mean squared error) a fixed number of steps at 1
and 2 threads) it runs `strata-bench train` and tests/bench/reference/torch_train.py
alternately, `--repeats` times each, and prints one JSON line per case with the medians:
  {"model", "threads", "strata_samples_per_second", "pytorch_samples_per_second", "ratio",
   "strata_peak_rss_bytes", "pytorch_peak_rss_bytes", "strata_test_accuracy", "pytorch_test_accuracy"}
ratio = strata / pytorch samples per second (> 1: Strata is faster). Peak RSS is per process.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def run_json(cmd, env=None):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cnn-steps", type=int, default=200)
    args = ap.parse_args()
    bench = os.path.join(args.build, "tests", "bench", "strata-bench")
    torch_script = os.path.join(HERE, "reference", "torch_train.py")
    cases = [("fashion_mlp", t, ["--epochs", "2"]) for t in (1, 2)]
    cases += [("mnist_cnn", t, ["--steps", str(args.cnn_steps)]) for t in (1, 2)]
    cases += [("fashion_autoencoder", t, ["--steps", str(args.cnn_steps)]) for t in (1, 2)]
    env = dict(os.environ, OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "PASSIVE"))
    for model, threads, length in cases:
        common = ["--model", model, "--threads", str(threads), "--batch", "64", "--lr", "0.001", "--seed", "0"] + length
        strata, torch = [], []
        for _ in range(args.repeats):
            strata.append(run_json([bench, "train"] + common))
            torch.append(run_json(["/usr/bin/python3", torch_script] + common, env=env))
        s = statistics.median(r["samples_per_second"] for r in strata)
        p = statistics.median(r["samples_per_second"] for r in torch)
        print(json.dumps({
            "model": model, "threads": threads, "run": " ".join(length),
            "strata_samples_per_second": round(s, 1), "pytorch_samples_per_second": round(p, 1),
            "ratio": round(s / p, 3),
            "strata_peak_rss_bytes": max(r["peak_rss_bytes"] for r in strata),
            "pytorch_peak_rss_bytes": max(r["peak_rss_bytes"] for r in torch),
            "strata_test_accuracy": strata[-1]["test_accuracy"], "pytorch_test_accuracy": torch[-1]["test_accuracy"],
            "strata_test_loss": strata[-1].get("test_loss"), "pytorch_test_loss": torch[-1].get("test_loss"),
            "repeats": args.repeats}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
