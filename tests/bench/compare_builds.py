#!/usr/bin/python3
"""Two builds of Strata on the same training runs, alternating, in one run: did a change move speed or memory?

  /usr/bin/python3 tests/bench/compare_builds.py --before OLD/build --after build [--repeats 5]

For each case (fashion_mlp 2 epochs, mnist_cnn and fashion_autoencoder 100 steps; batch 64, Adam,
seed 0, 1 thread) it runs both builds' `strata-bench train` alternately and prints one JSON line
with the medians: samples per second, after / before, peak RSS, and whether the test loss is the
same to the last digit (the same arithmetic).
"""
import argparse
import json
import os
import statistics
import subprocess


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", required=True, help="the build folder of the reference")
    ap.add_argument("--after", required=True, help="the build folder of the change")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    exes = {k: os.path.join(getattr(args, k), "tests", "bench", "strata-bench") for k in ("before", "after")}
    cases = [("fashion_mlp", ["--epochs", "2"]), ("mnist_cnn", ["--steps", "100"]), ("fashion_autoencoder", ["--steps", "100"])]
    for model, length in cases:
        common = ["--model", model, "--threads", str(args.threads), "--batch", "64", "--lr", "0.001", "--seed", "0"] + length
        runs = {k: [] for k in exes}
        for _ in range(args.repeats):
            for k, exe in exes.items():
                runs[k].append(run_json([exe, "train"] + common))
        med = {k: statistics.median(r["samples_per_second"] for r in v) for k, v in runs.items()}
        rss = {k: statistics.median(r.get("peak_rss_bytes", 0) for r in v) for k, v in runs.items()}
        print(json.dumps({"model": model, "threads": args.threads,
                          "before_samples_per_second": round(med["before"], 1), "after_samples_per_second": round(med["after"], 1),
                          "after_over_before": round(med["after"] / med["before"], 3),
                          "before_peak_rss_bytes": rss["before"], "after_peak_rss_bytes": rss["after"],
                          "same_test_loss": runs["after"][0].get("test_loss") == runs["before"][0].get("test_loss"),
                          "repeats": args.repeats}), flush=True)


if __name__ == "__main__":
    main()
