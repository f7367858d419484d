#!/usr/bin/python3
"""PyTorch 1.13 reference for resources/examples/conv1d_sequence.json: the same architecture and
settings, for the accuracy figure beside Strata's in the README.

  /usr/bin/python3 resources/examples/pytorch/conv1d_sequence.py [--seeds 1,2,3,4,5] [--epochs 30]

Data: sklearn's 8x8 digits as Strata ships them (resources/datasets/digits.csv.gz, pixels / 16),
each image read as 8 steps of 8 features; a stratified 20 % test split, then 10 % of the rest for
validation (the sizes Strata's built-in split has, not the same rows). Model: Conv1d(8, 32, 3,
"same") + ReLU, MaxPool1d(2), a causal dilated Conv1d(32, 32, 3, dilation 2) (4 zero steps on the
left) + ReLU, the mean over the steps, Linear(32, 10); Glorot-uniform kernels and zero biases as
Keras initializes them. Adam (lr 1e-2, epsilon 1e-7 as Keras), batch 32, shuffled each epoch,
sparse categorical cross-entropy. Prints one JSON line per seed and the median test accuracy.
"""
import argparse
import gzip
import json
import os
import statistics

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
DIGITS = os.path.join(HERE, "..", "..", "datasets", "digits.csv.gz")


class Conv1dSequence(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(8, 32, 3, padding=1)
        self.pool = nn.MaxPool1d(2)
        self.conv2 = nn.Conv1d(32, 32, 3, dilation=2)
        self.fc = nn.Linear(32, 10)
        for m in (self.conv1, self.conv2, self.fc):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)

    def forward(self, x):  # x: (N, steps, features) as Strata holds it
        x = self.pool(torch.relu(self.conv1(x.transpose(1, 2))))
        x = torch.relu(self.conv2(nn.functional.pad(x, (4, 0))))  # causal: (k - 1) * d steps before
        return self.fc(x.mean(dim=2))


def stratified(labels, fraction, rng):
    held = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        rng.shuffle(idx)
        held.extend(idx[: int(round(len(idx) * fraction))])
    mask = np.zeros(len(labels), bool)
    mask[held] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--epochs", type=int, default=30)
    args = ap.parse_args()
    with gzip.open(DIGITS, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float32)
    x = (table[:, :-1] / 16.0).reshape(-1, 8, 8)
    y = table[:, -1].astype(np.int64)
    torch.set_num_threads(1)
    accuracies = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        rng = np.random.default_rng(seed)
        rest, test = stratified(y, 0.2, rng)
        keep, _validation = stratified(y[rest], 0.1, rng)
        train = rest[keep]
        torch.manual_seed(seed)
        model = Conv1dSequence()
        opt = torch.optim.Adam(model.parameters(), lr=1e-2, eps=1e-7)
        xt, yt = torch.from_numpy(x[train]), torch.from_numpy(y[train])
        for _ in range(args.epochs):
            order = torch.randperm(len(train))
            for i in range(0, len(train), 32):
                b = order[i:i + 32]
                loss = nn.functional.cross_entropy(model(xt[b]), yt[b])
                opt.zero_grad()
                loss.backward()
                opt.step()
        with torch.no_grad():
            accuracy = float((model(torch.from_numpy(x[test])).argmax(1) == torch.from_numpy(y[test])).float().mean())
        accuracies.append(accuracy)
        print(json.dumps({"seed": seed, "train": len(train), "test": len(test), "test_accuracy": round(accuracy, 4)}))
    print(json.dumps({"median_test_accuracy": round(statistics.median(accuracies), 4), "seeds": len(accuracies)}))


if __name__ == "__main__":
    main()
