#!/usr/bin/python3
"""PyTorch side of the imported-architecture training benchmark (tests/bench/vision_vs_pytorch.py).

  /usr/bin/python3 tests/bench/reference/torch_train_vision.py --model resnet18 --threads 1 --steps 10 --batch 16
  /usr/bin/python3 tests/bench/reference/torch_train_vision.py --model resnet18 --export OUT.onnx

The torchvision 0.14 architecture (weights=None) as torch.onnx.export gives it to Strata: eval-mode
export folds every BatchNormalization into the convolution before it, and Dropout is dropped, so
this side trains the same folded graph (torch.fx's fuse, run without dropout): SGD momentum 0.9,
cross-entropy on logits, random images in [-1, 1] of 3 x size x size and random labels. Only the
steps after the first are timed. Prints ONE JSON line:
  {"framework": "pytorch", "model", "threads", "batch", "steps", "samples_per_second", "seconds",
   "final_loss", "peak_rss_bytes"}
--export writes the ONNX file Strata imports instead (opset 13, a dynamic batch axis).
"""
import argparse
import json
import resource
import sys
import time

import torch
import torchvision
from torch.fx.experimental.optimization import fuse


def build(name):
    kwargs = {"weights": None}
    if name == "googlenet":
        kwargs.update(aux_logits=False, init_weights=True)
    return getattr(torchvision.models, name)(**kwargs).eval()


def report_timed_steps(model, opt, xs, ys, args):
    """Trains on batch i = (xs[i], ys[i]) for every i, timing all steps after the first, and prints
    the JSON line (also for tests/bench/reference/torch_train_sequence.py)."""
    start = None
    loss = None
    for i in range(len(xs)):
        loss = torch.nn.functional.cross_entropy(model(xs[i]), ys[i])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if i == 0:
            start = time.perf_counter()
    seconds = time.perf_counter() - start
    print(json.dumps({"framework": "pytorch", "model": args.model, "threads": args.threads, "batch": args.batch,
                      "steps": args.steps, "samples_per_second": args.steps * args.batch / seconds, "seconds": seconds,
                      "final_loss": float(loss), "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--export")
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    model = build(args.model)
    if args.export:
        x = torch.randn(1, 3, args.size, args.size)
        torch.onnx.export(model, x, args.export, opset_version=13, input_names=["x"], output_names=["logits"],
                          dynamic_axes={"x": {0: "N"}, "logits": {0: "N"}})
        return 0
    folded = fuse(model)  # eval mode: BatchNormalization folded into the convolutions, as the export does
    opt = torch.optim.SGD(folded.parameters(), lr=args.lr, momentum=0.9)
    gen = torch.Generator().manual_seed(0)
    n = args.steps + 1
    xs = torch.rand(n, args.batch, 3, args.size, args.size, generator=gen) * 2 - 1
    classes = folded(xs[0][:1]).shape[1]
    ys = torch.randint(0, classes, (n, args.batch), generator=gen)
    report_timed_steps(folded, opt, xs, ys, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
