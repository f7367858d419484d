#!/usr/bin/python3
"""PyTorch 1.13 reference for resources/examples/transformer_language.json: the same architecture,
tokenization and settings, for the accuracy figure beside Strata's in the README.

  /usr/bin/python3 resources/examples/pytorch/transformer_language.py [--seeds 1,2,3,4,5] [--epochs 30]

Data and tokens as char_lstm_language.py (same split sizes, same TextVectorization rules). Model:
Embedding(64, 32) plus a learned position embedding (16, 32), one encoder block (two-head self
attention of 16 dims per head, residual, LayerNorm (epsilon 1e-3 as Keras), Linear(32, 64) + ReLU,
Linear(64, 32), residual, LayerNorm), the mean over the steps, Linear(32, 5). Glorot-uniform
kernels and zero biases for the Linear layers as Keras initializes them (the attention's
projections as nn.MultiheadAttention initializes them: Glorot-uniform too). Adam (lr 3e-3, epsilon
1e-7), batch 32, shuffled each epoch. Prints one JSON line per seed and the median test accuracy.
"""
import argparse
import torch
from torch import nn

from char_lstm_language import LENGTH, VOCAB, load, tokenizer
from reference import run_seeds


class Transformer(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, 32)
        nn.init.uniform_(self.emb.weight, -0.05, 0.05)
        self.pos = nn.Parameter(torch.empty(LENGTH, 32))
        nn.init.xavier_uniform_(self.pos)
        self.attention = nn.MultiheadAttention(32, 2, batch_first=True)
        self.norm1 = nn.LayerNorm(32, eps=1e-3)
        self.ff = nn.Linear(32, 64)
        self.proj = nn.Linear(64, 32)
        self.norm2 = nn.LayerNorm(32, eps=1e-3)
        self.fc = nn.Linear(32, classes)
        for m in (self.ff, self.proj, self.fc):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)

    def forward(self, x):
        h = self.emb(x) + self.pos
        h = self.norm1(h + self.attention(h, h, h, need_weights=False)[0])
        h = self.norm2(h + self.proj(torch.relu(self.ff(h))))
        return self.fc(h.mean(dim=1))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--epochs", type=int, default=30)
    args = ap.parse_args()
    texts, y, names = load()
    run_seeds(None, y, [int(s) for s in args.seeds.split(",")], lambda: Transformer(len(names)), args.epochs, 3e-3,
              tokenizer(texts))

if __name__ == "__main__":
    main()
