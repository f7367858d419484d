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
import os

import numpy as np
import torch
from torch import nn

from reference import run_seeds

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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--epochs", type=int, default=30)
    args = ap.parse_args()
    with gzip.open(DIGITS, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float32)
    x = (table[:, :-1] / 16.0).reshape(-1, 8, 8)
    y = table[:, -1].astype(np.int64)
    run_seeds(x, y, [int(s) for s in args.seeds.split(",")], Conv1dSequence, args.epochs, 1e-2)

if __name__ == "__main__":
    main()
