#!/usr/bin/python3
"""PyTorch side of the training benchmark: the same models, data and settings as Strata's examples.

Prints ONE JSON line:
  {"framework": "pytorch", "model", "threads", "epochs" | "steps", "batch", "samples_per_second",
   "seconds", "test_accuracy", "peak_rss_bytes", ...}
Only the training loop is timed (data loading and evaluation are not); samples_per_second is the
number of training samples processed divided by those seconds.

  /usr/bin/python3 tests/bench/reference/torch_train.py --model fashion_mlp --threads 1 --epochs 2 --batch 64

Models (Keras glorot_uniform weights, zero biases, softmax + cross-entropy on logits, Adam eps 1e-7):
  fashion_mlp  Flatten(784) -> Dense 128 relu -> Dense 10                      Fashion-MNIST
  mnist_cnn    Conv2D 32 3x3 relu -> MaxPool 2 -> Conv2D 64 3x3 relu -> MaxPool 2 -> Flatten
               -> Dropout 0.5 -> Dense 10, on 28x28x1                           Fashion-MNIST by default
               (Debian ships no MNIST digits package; --data-dir takes any IDX folder)
  digits_mlp   64 -> Dense 32 relu -> Dense 10                                 sklearn digits, /16,
               stratified 80/20 split (random_state=0)
  fashion_autoencoder  Conv2D 16 3x3 /2 relu -> Conv2D 8 3x3 /2 relu -> ConvTranspose 8 3x3 x2 relu
               -> ConvTranspose 16 3x3 x2 relu -> Conv2D 1 3x3 sigmoid, 28x28x1 -> 28x28x1, mean
               squared error against the input itself                            Fashion-MNIST
Data: apt-get install -y dataset-fashion-mnist (/usr/share/datasets/fashion-mnist/*-idx?-ubyte.gz).
"""
import argparse
import gzip
import json
import os
import resource
import sys
import time

FASHION_DIR = "/usr/share/datasets/fashion-mnist"
DIGITS_CSV = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, choices=["fashion_mlp", "mnist_cnn", "digits_mlp", "fashion_autoencoder"])
    ap.add_argument("--threads", type=int, default=1)
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--epochs", type=int)
    group.add_argument("--steps", type=int)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data-dir", default=FASHION_DIR)
    args = ap.parse_args()
    if args.epochs is None and args.steps is None:
        args.epochs = 1
    return args


ARGS = parse_args() if __name__ == "__main__" else None
# Debian's torch calls OpenBLAS (pthreads build), which keeps its own pool of one thread per core
# whatever torch.set_num_threads says; both pools must be sized before the libraries load, or
# "--threads 1" still runs its matrix products on every core. OMP_WAIT_POLICY is left as the
# environment has it: libgomp's default (spin) is what users get, but on a machine busy with other
# work it makes --threads > 1 collapse (10-50x slower); OMP_WAIT_POLICY=PASSIVE avoids that.
# The JSON line carries the load average so such a run can be recognised.
if ARGS is not None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402



def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_idx_dir(d):
    def part(prefix):
        x = read_idx(os.path.join(d, f"{prefix}-images-idx3-ubyte.gz")).astype(np.float32) / 255.0
        y = read_idx(os.path.join(d, f"{prefix}-labels-idx1-ubyte.gz")).astype(np.int64)
        return x, y
    return part("train") + part("t10k")


def load_digits():
    from sklearn.model_selection import train_test_split
    data = np.loadtxt(DIGITS_CSV, delimiter=",")
    x, y = (data[:, :-1] / 16.0).astype(np.float32), data[:, -1].astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.2, stratify=y, random_state=0)
    return xtr, ytr, xte, yte


class Flatten(nn.Module):
    def forward(self, x):
        return x.reshape(x.shape[0], -1)


def build(model):
    if model == "fashion_mlp":
        net = nn.Sequential(Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    elif model == "mnist_cnn":
        # NCHW inside torch; the flatten order differs from Keras' NHWC, which only permutes the
        # rows of the last Dense kernel: the same function class, the same cost.
        net = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                            Flatten(), nn.Dropout(0.5), nn.Linear(64 * 5 * 5, 10))
    elif model == "digits_mlp":
        net = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    elif model == "fashion_autoencoder":
        # Keras "same" with stride 2 pads 0 before and 1 after; torch pads 1 on both sides (a
        # shifted window, the same sizes and cost). The transposed convolutions give 7 -> 14 -> 28.
        net = nn.Sequential(nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.ReLU(),
                            nn.Conv2d(16, 8, 3, stride=2, padding=1), nn.ReLU(),
                            nn.ConvTranspose2d(8, 8, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
                            nn.ConvTranspose2d(8, 16, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
                            nn.Conv2d(16, 1, 3, padding=1), nn.Sigmoid())
    else:
        raise SystemExit(f"unknown model {model}")
    for m in net.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.xavier_uniform_(m.weight)   # = Keras glorot_uniform (same fan_in/fan_out)
            nn.init.zeros_(m.bias)
    return net


def load(args):
    if args.model == "digits_mlp":
        return load_digits()
    xtr, ytr, xte, yte = load_idx_dir(args.data_dir)
    if args.model in ("mnist_cnn", "fashion_autoencoder"):
        xtr, xte = xtr[:, None], xte[:, None]    # N,1,28,28
    return xtr, ytr, xte, yte


def main(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    xtr, ytr, xte, yte = load(args)
    xtr, ytr = torch.from_numpy(np.ascontiguousarray(xtr)), torch.from_numpy(ytr)
    xte, yte = torch.from_numpy(np.ascontiguousarray(xte)), torch.from_numpy(yte)
    autoencoder = args.model.endswith("autoencoder")
    if autoencoder:
        ytr, yte = xtr, xte                      # every image is its own target
    net = build(args.model)
    opt = torch.optim.Adam(net.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-7)
    loss_fn = nn.MSELoss() if autoencoder else nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(args.seed)
    n = len(xtr)
    steps_per_epoch = -(-n // args.batch)
    total_steps = args.steps if args.steps is not None else args.epochs * steps_per_epoch

    net.train()
    samples, step, last_loss = 0, 0, float("nan")
    t0 = time.perf_counter()
    while step < total_steps:
        order = torch.randperm(n, generator=gen)       # shuffled every epoch, as Keras fit()
        for start in range(0, n, args.batch):
            if step == total_steps:
                break
            idx = order[start:start + args.batch]
            xb, yb = xtr[idx], ytr[idx]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(xb), yb)
            loss.backward()
            opt.step()
            samples += len(idx)
            step += 1
        last_loss = loss.item()
    seconds = time.perf_counter() - t0

    net.eval()
    with torch.no_grad():
        if autoencoder:
            correct, test_loss = None, sum(float(loss_fn(net(xte[i:i + 1000]), yte[i:i + 1000])) * len(xte[i:i + 1000])
                                           for i in range(0, len(xte), 1000)) / len(xte)
        else:
            correct = sum(int((net(xte[i:i + 1000]).argmax(1) == yte[i:i + 1000]).sum())
                          for i in range(0, len(xte), 1000))
    result = {"framework": "pytorch", "model": args.model, "threads": args.threads}
    result["epochs" if args.steps is None else "steps"] = args.epochs if args.steps is None else args.steps
    result.update({"batch": args.batch,
                   "samples_per_second": round(samples / seconds, 1),
                   "seconds": round(seconds, 3),
                   "test_accuracy": None if autoencoder else round(correct / len(xte), 4),
                   "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                   "lr": args.lr, "seed": args.seed,
                   "train_samples": n, "test_samples": len(xte),
                   "final_loss": round(last_loss, 4),
                   "cpus": os.cpu_count(), "loadavg_1min": round(os.getloadavg()[0], 2),
                   "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "default"),
                   "torch": torch.__version__})
    if autoencoder:
        result["test_loss"] = round(test_loss, 5)
    print(json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main(ARGS)
