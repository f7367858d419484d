#!/usr/bin/python3
"""PyTorch 1.13 reference for resources/examples/char_lstm_language.json: the same architecture,
tokenization and settings, for the accuracy figure beside Strata's in the README.

  /usr/bin/python3 resources/examples/pytorch/char_lstm_language.py [--seeds 1,2,3,4,5] [--epochs 8]

Data: resources/examples/words_by_language.csv (words from Debian's word lists, labelled by
language). A stratified 20 % test split, then 10 % of the rest for validation (the sizes of
Strata's split, not the same rows). Tokens as Strata's TextVectorization makes them with --split
character --sequence-length 16: lower case, ASCII punctuation stripped, one token per character,
a vocabulary from the training split (0 padding, 1 out-of-vocabulary, then by count, ties by text,
at most 64 ids: the Embedding's input_dim), padded or cut at the end to 16. Model:
Embedding(64, 16) (uniform in [-0.05, 0.05]), LSTM(16, 64) (Glorot-uniform input kernel,
orthogonal recurrent kernel, forget-gate bias 1, as Keras initializes it), the last step,
Linear(64, 5) (Glorot); Adam (lr 1e-2, epsilon 1e-7), batch 32, shuffled each epoch.
Prints one JSON line per seed and the median test accuracy.
"""
import argparse
import collections
import csv
import os
import string

import numpy as np
import torch
from torch import nn

from reference import run_seeds

HERE = os.path.dirname(os.path.abspath(__file__))
CSV = os.path.join(HERE, "..", "words_by_language.csv")
LENGTH, VOCAB = 16, 64


def standardize(text):
    return "".join(c for c in text.lower() if c not in string.punctuation)


class CharLstm(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, 16)
        self.lstm = nn.LSTM(16, 64, batch_first=True)
        self.fc = nn.Linear(64, classes)
        nn.init.uniform_(self.emb.weight, -0.05, 0.05)
        w_ih = torch.empty(4 * 64, 16)
        nn.init.xavier_uniform_(w_ih.T)  # Keras' kernel (16, 256): fan in 16, fan out 256
        self.lstm.weight_ih_l0.data.copy_(w_ih)
        w_hh = torch.empty(64, 4 * 64)
        nn.init.orthogonal_(w_hh)
        self.lstm.weight_hh_l0.data.copy_(w_hh.T)
        self.lstm.bias_ih_l0.data.zero_()
        self.lstm.bias_ih_l0.data[64:128] = 1.0  # unit_forget_bias (torch's gate order i, f, g, o)
        self.lstm.bias_hh_l0.data.zero_()
        nn.init.xavier_uniform_(self.fc.weight)
        nn.init.zeros_(self.fc.bias)

    def forward(self, x):
        y, _ = self.lstm(self.emb(x))
        return self.fc(y[:, -1, :])


def load():
    """The table's texts (standardized), labels and class names (sorted)."""
    with open(CSV, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    names = sorted({r["language"] for r in rows})
    return [standardize(r["text"]) for r in rows], np.array([names.index(r["language"]) for r in rows]), names


def tokenizer(texts):
    """prepare() for run_seeds: the vocabulary from the training rows, every text as LENGTH ids."""
    def prepare(train):
        counts = collections.Counter(c for i in train for c in texts[i])
        vocab = ["", "[UNK]"] + [t for t, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))][: VOCAB - 2]
        ids = {t: i for i, t in enumerate(vocab)}
        x = np.zeros((len(texts), LENGTH), np.int64)
        for i, t in enumerate(texts):
            for j, c in enumerate(t[:LENGTH]):
                x[i, j] = ids.get(c, 1)
        return x
    return prepare


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--epochs", type=int, default=8)
    args = ap.parse_args()
    texts, y, names = load()
    run_seeds(None, y, [int(s) for s in args.seeds.split(",")], lambda: CharLstm(len(names)), args.epochs, 1e-2,
              tokenizer(texts))

if __name__ == "__main__":
    main()
