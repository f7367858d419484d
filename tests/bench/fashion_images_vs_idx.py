#!/usr/bin/python3
"""Fashion-MNIST read as a folder of PNGs trains as the IDX files do (issue 20, not run by CI: it
writes 70,000 PNGs and trains two epochs of a CNN).

  /usr/bin/python3 tests/bench/fashion_images_vs_idx.py [--build build] [--dir /tmp/fashion-png]
                                                        [--epochs 1] [--threads 2] [--tolerance 0.01]

Writes /usr/share/datasets/fashion-mnist as DIR/train/CLASS/NNNNN.png and DIR/test/CLASS/NNNNN.png
(PIL, grayscale 28x28; skipped when DIR already holds them), then trains
resources/examples/mnist_cnn.json for --epochs with the same seed on `--data fashion-mnist` and on
`--data images:DIR` (10% of train for validation, stratified, seed 42, as the built-in split).
Prints one JSON line per run and a last line with both test accuracies and their difference;
exit status 1 when they differ by more than --tolerance.
"""
import argparse
import gzip
import json
import os
import subprocess
import sys
import time

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
IDX = "/usr/share/datasets/fashion-mnist"


def idx(name):
    with gzip.open(os.path.join(IDX, name), "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def write_pngs(root):
    for part, prefix in (("train", "train"), ("test", "t10k")):
        marker = os.path.join(root, part, ".complete")
        if os.path.exists(marker):
            continue
        images, labels = idx(prefix + "-images-idx3-ubyte.gz"), idx(prefix + "-labels-idx1-ubyte.gz")
        for c in range(10):
            os.makedirs(os.path.join(root, part, str(c)), exist_ok=True)
        for i, (img, label) in enumerate(zip(images, labels)):
            Image.fromarray(img, "L").save(os.path.join(root, part, str(label), "%05d.png" % i))
        open(marker, "w").close()


def train(cli, data, args):
    cmd = [cli, "train", os.path.join(ROOT, "resources", "examples", "mnist_cnn.json"), "--data", data,
           "--epochs", str(args.epochs), "--seed", "0", "--threads", str(args.threads), "--json"]
    if data.startswith("images:"):
        cmd += ["--data-threads", str(args.threads)]
    t0 = time.time()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()
    rows = [json.loads(line) for line in out]
    line = {"data": data, "seconds": round(time.time() - t0, 1), "epochs": rows[:-1], **rows[-1]}
    print(json.dumps(line), flush=True)
    return line


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--dir", default="/tmp/fashion-png")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tolerance", type=float, default=0.01)
    args = ap.parse_args()
    cli = os.path.join(args.build, "app", "strata-cli")
    write_pngs(args.dir)
    idx_run = train(cli, "fashion-mnist", args)
    png_run = train(cli, "images:" + args.dir, args)
    diff = png_run["test_accuracy"] - idx_run["test_accuracy"]
    print(json.dumps({"idx_test_accuracy": idx_run["test_accuracy"], "png_test_accuracy": png_run["test_accuracy"],
                      "difference": round(diff, 4), "tolerance": args.tolerance}), flush=True)
    return 0 if abs(diff) <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
