#!/usr/bin/python3
"""PyTorch side of the vision benchmark: training steps of a torchvision 0.14 architecture.

  /usr/bin/python3 tests/bench/reference/torch_vision_train.py --arch mobilenet_v2 --threads 1 --batch 16 --steps 10
  /usr/bin/python3 tests/bench/reference/torch_vision_train.py --arch mobilenet_v2 --export FILE.onnx

The model is what Strata imports from the same architecture's ONNX export (weights=None, eval,
torch.onnx.export opset 13, 3x64x64): BatchNorm folded into the convolution before it (as the
export does) and Dropout removed (an inference graph has none), so both sides train the same
graph. Steps: random images and labels, cross-entropy on the logits, Adam (eps 1e-7); the steps
after --warmup are timed. Prints ONE JSON line:
  {"framework": "pytorch", "model", "threads", "batch", "steps", "samples_per_second", "seconds",
   "parameters", "peak_rss_bytes"}
"""
import argparse
import json
import resource
import time

import torch
import torchvision
from torch import nn


def folded(arch):
    """torchvision's `arch` (weights=None, seed 11) with every Conv2d -> BatchNorm2d pair fused."""
    torch.manual_seed(11)
    model = getattr(torchvision.models, arch)(weights=None).eval()
    for seq in [m for m in model.modules() if isinstance(m, nn.Sequential)]:
        names = list(seq._modules)
        for a, b in zip(names, names[1:]):
            conv, bn = seq._modules[a], seq._modules[b]
            if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                seq._modules[a] = torch.nn.utils.fusion.fuse_conv_bn_eval(conv, bn)
                seq._modules[b] = nn.Identity()
    for seq in [m for m in model.modules() if isinstance(m, nn.Sequential)]:
        for k, m in list(seq._modules.items()):
            if isinstance(m, nn.Dropout):
                seq._modules[k] = nn.Identity()
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default="mobilenet_v2")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--lr", type=float, default=0.001)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--export", help="write the architecture's ONNX export (opset 13) here and exit")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.export:
        torch.manual_seed(11)
        model = getattr(torchvision.models, args.arch)(weights=None).eval()
        torch.onnx.export(model, torch.randn(1, 3, args.size, args.size), args.export, input_names=["input"],
                          output_names=["output"], opset_version=13, dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
        return
    model = folded(args.arch).train()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, eps=1e-7)
    gen = torch.Generator().manual_seed(0)
    total = args.warmup + args.steps
    xs = torch.randn(total, args.batch, 3, args.size, args.size, generator=gen)
    classes = model(xs[0, :1]).shape[1]
    ys = torch.randint(0, classes, (total, args.batch), generator=gen)
    start = None
    for step in range(total):
        if step == args.warmup:
            start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(model(xs[step]), ys[step])
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - start
    print(json.dumps({"framework": "pytorch", "model": args.arch, "threads": args.threads, "batch": args.batch,
                      "steps": args.steps, "samples_per_second": args.batch * args.steps / seconds, "seconds": seconds,
                      "parameters": sum(p.numel() for p in model.parameters()),
                      "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}), flush=True)


if __name__ == "__main__":
    main()
