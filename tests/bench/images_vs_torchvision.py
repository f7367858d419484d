#!/usr/bin/python3
"""Decoding and feeding image folders: Strata's streamed image folder against torchvision 0.14's
ImageFolder + DataLoader, side by side (issue 20).

  /usr/bin/python3 tests/bench/images_vs_torchvision.py [--build build] [--dir /tmp/strata-image-bench]
                                                        [--threads 1,2] [--batch 32]

Generates (once) DIR/small/train/CLASS/*.png: 20,000 28x28 grayscale PNGs in 10 classes, and
DIR/large/train/CLASS/*.jpg: 2,000 224x224 RGB JPEGs (quality 90). For each folder and thread
count: one epoch of shuffled batches of --batch from `strata-bench image-folder` (--threads decoding
workers) and from torchvision (DataLoader num_workers equal, transforms ToTensor, plus Grayscale
for the PNGs: decode, convert, scale to [0, 1] float, as Strata does). One JSON line per case:
  {"folder", "images", "threads", "strata_images_per_second", "torchvision_images_per_second",
   "ratio", "strata_peak_rss_bytes", "torchvision_peak_rss_bytes"}
ratio = strata / torchvision images per second (> 1: Strata is faster). torchvision's peak RSS is
its main process's plus the largest worker's.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

TORCH_FEED = r"""
import json, resource, sys, time, torch, torchvision
from torchvision import transforms
root, threads, batch, gray = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
torch.set_num_threads(1)
t = [transforms.Grayscale(1)] if gray else [transforms.Lambda(lambda im: im.convert("RGB"))]
ds = torchvision.datasets.ImageFolder(root, transforms.Compose(t + [transforms.ToTensor()]))
loader = torch.utils.data.DataLoader(ds, batch_size=batch, shuffle=True, num_workers=threads)
t0 = time.time(); seen = 0
for x, y in loader:
    seen += x.shape[0]
feed = time.time() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"images": seen, "feed_s": feed, "images_per_second": seen / feed, "peak_rss_bytes": rss * 1024}))
"""


def generate(root):
    import numpy as np
    from PIL import Image
    rng = np.random.default_rng(0)
    for name, count, size, ext in (("small", 20000, 28, "png"), ("large", 2000, 224, "jpg")):
        marker = os.path.join(root, name, ".complete")
        if os.path.exists(marker):
            continue
        for i in range(count):
            c = i % 10
            d = os.path.join(root, name, "train", "c%d" % c)
            os.makedirs(d, exist_ok=True)
            if ext == "png":
                img = Image.fromarray(rng.integers(0, 256, (size, size), dtype=np.uint8), "L")
                img.save(os.path.join(d, "%05d.png" % i))
            else:  # smooth colours plus noise: a photo-like JPEG size
                yy, xx = np.mgrid[0:size, 0:size]
                base = np.stack([(xx + c * 20) % 256, (yy + i) % 256, (xx + yy) // 2 % 256], -1)
                img = np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)
                Image.fromarray(img, "RGB").save(os.path.join(d, "%05d.jpg" % i), quality=90)
        open(marker, "w").close()


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--dir", default="/tmp/strata-image-bench")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--batch", type=int, default=32)
    args = ap.parse_args()
    generate(args.dir)
    bench = os.path.join(args.build, "tests", "bench", "strata-bench")
    if not os.path.exists(bench):
        bench = os.path.join(args.build, "strata-bench")
    rows = []
    for name, size, color in (("small", 28, "grayscale"), ("large", 224, "rgb")):
        root = os.path.join(args.dir, name, "train")
        for threads in [int(t) for t in args.threads.split(",")]:
            s = run_json([bench, "image-folder", "--dir", os.path.dirname(root), "--size", str(size), "--color", color,
                          "--threads", str(threads), "--batch", str(args.batch)])
            t = run_json([sys.executable, "-c", TORCH_FEED, root, str(threads), str(args.batch),
                          "1" if color == "grayscale" else "0"])
            row = {"folder": name, "images": s["images"], "threads": threads,
                   "strata_images_per_second": round(s["images_per_second"], 1),
                   "torchvision_images_per_second": round(t["images_per_second"], 1),
                   "ratio": round(s["images_per_second"] / t["images_per_second"], 2),
                   "strata_peak_rss_bytes": s["peak_rss_bytes"], "torchvision_peak_rss_bytes": t["peak_rss_bytes"],
                   "strata_scan_s": round(s["scan_s"], 2)}
            rows.append(row)
            print(json.dumps(row), flush=True)
    print("\n| folder | threads | Strata img/s | torchvision img/s | ratio | Strata peak RSS MiB | torchvision peak RSS MiB |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %d | %.0f | %.0f | %.2f | %.0f | %.0f |" % (
            r["folder"], r["threads"], r["strata_images_per_second"], r["torchvision_images_per_second"], r["ratio"],
            r["strata_peak_rss_bytes"] / 2**20, r["torchvision_peak_rss_bytes"] / 2**20))
    return 0


if __name__ == "__main__":
    sys.exit(main())
