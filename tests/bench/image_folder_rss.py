#!/usr/bin/python3
"""Peak memory of training on an image folder does not grow with the folder (issue 20).

  /usr/bin/python3 tests/bench/image_folder_rss.py [--build build] [--dir /tmp/strata-rss]
                                                   [--size 64] [--batch 32] [--repeats 3]

The trainer reads a streamed dataset PREFETCH (4) batches ahead, so its prefetch depth is
4 * --batch samples. Writes two folders of RGB PNGs (PIL; two classes, bright and dark noise):
one of twice the prefetch depth and one of ten times it, then trains a small CNN for one epoch on
each with `strata-cli train --data images:DIR` (2 data threads) and reads the peak RSS of every
run from the kernel (os.wait4's ru_maxrss), --repeats times each, alternating. Held in memory, the
larger folder's decoded float pixels alone would add (10 - 2) * depth * size^2 * 3 * 4 bytes.
Prints a JSON line per run, then one with the median peak of each folder and their ratio; exit
status 1 when the ratio exceeds 1.10.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PREFETCH_BATCHES = 4  # data::BatchOptions::prefetchBatches, the trainer's default


def write_folder(root, count, size, seed):
    marker = os.path.join(root, ".complete")
    if os.path.exists(marker):
        return
    rng = np.random.RandomState(seed)
    for i in range(count):
        bright = i % 2 == 0
        cls = os.path.join(root, "bright" if bright else "dark")
        os.makedirs(cls, exist_ok=True)
        base = 170 if bright else 70
        img = np.clip(base + rng.randint(-60, 60, (size, size, 3)), 0, 255).astype(np.uint8)
        Image.fromarray(img, "RGB").save(os.path.join(cls, "%05d.png" % i))
    open(marker, "w").close()


def spec_file(size, directory):
    spec = {"format": "strata.model/1", "name": "rss_cnn", "layers": [
        {"name": "image", "type": "Input", "config": {"shape": [size, size, 3]}},
        {"name": "scale", "type": "Rescaling", "config": {"scale": 1 / 255}},
        {"name": "conv", "type": "Conv2D", "config": {"filters": 8, "kernel_size": [3, 3], "strides": [2, 2], "activation": "relu"}},
        {"name": "pool", "type": "GlobalAveragePooling2D"},
        {"name": "probs", "type": "Dense", "config": {"units": 2, "activation": "softmax"}}]}
    path = os.path.join(directory, "rss_cnn.json")
    with open(path, "w") as f:
        json.dump(spec, f)
    return path


def train_rss(cli, spec, folder, batch):
    cmd = [cli, "train", spec, "--data", "images:" + folder, "--epochs", "1", "--batch", str(batch),
           "--data-threads", "2", "--json"]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        p = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if p.returncode != 0:
            sys.exit("strata-cli train failed on %s: %s" % (folder, err.read()))
        last = json.loads(out.read().strip().splitlines()[-1])
    return usage.ru_maxrss * 1024, last  # ru_maxrss is in KiB on Linux


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--dir", default="/tmp/strata-rss")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    cli = os.path.join(args.build, "app", "strata-cli")
    depth = PREFETCH_BATCHES * args.batch
    folders = {}
    for times in (2, 10):
        folder = os.path.join(args.dir, "x%d_%dpx" % (times, args.size))
        write_folder(folder, times * depth, args.size, seed=times)
        folders[times] = folder
    spec = spec_file(args.size, args.dir)
    peaks = {2: [], 10: []}
    for r in range(args.repeats):
        for times in (2, 10):
            rss, last = train_rss(cli, spec, folders[times], args.batch)
            peaks[times].append(rss)
            print(json.dumps({"bench": "image_folder_rss", "images": times * depth, "repeat": r,
                              "peak_rss_bytes": rss, "test_accuracy": last.get("test_accuracy")}), flush=True)
    small, large = statistics.median(peaks[2]), statistics.median(peaks[10])
    held = (10 - 2) * depth * args.size * args.size * 3 * 4
    summary = {"bench": "image_folder_rss", "prefetch_depth_samples": depth, "image_size": args.size,
               "images_small": 2 * depth, "images_large": 10 * depth,
               "median_peak_rss_small_bytes": small, "median_peak_rss_large_bytes": large,
               "ratio_large_over_small": round(large / small, 4),
               "decoded_difference_if_held_bytes": held, "limit": 1.10}
    print(json.dumps(summary))
    return 0 if large / small <= 1.10 else 1


if __name__ == "__main__":
    sys.exit(main())
