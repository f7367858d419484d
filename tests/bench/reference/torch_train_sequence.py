#!/usr/bin/python3
"""PyTorch side of the sequence-model training benchmark (tests/bench/sequence_vs_pytorch.py).

  /usr/bin/python3 tests/bench/reference/torch_train_sequence.py --model text_lstm --threads 1 --steps 10 --batch 32
  /usr/bin/python3 tests/bench/reference/torch_train_sequence.py --model text_lstm --export OUT.onnx

Models (token ids of --length steps from a vocabulary of --vocab, 4 classes):
  text_lstm   nn.Embedding(vocab, 32) -> nn.LSTM(32, 64, batch_first) -> the last step -> nn.Linear(64, 4)
  text_gru    nn.Embedding(vocab, 32) -> nn.GRU(32, 64, batch_first) -> the last step -> nn.Linear(64, 4)
  text_bilstm nn.Embedding(vocab, 32) -> bidirectional nn.LSTM(32, 32) -> mean over the steps -> nn.Linear(64, 4)
  transformer resources/examples/transformer_language.json in torch: nn.Embedding(vocab, 32) plus a
              learned position table, one encoder block (2-head nn.MultiheadAttention, residual,
              LayerNorm, Linear 64 + ReLU, Linear 32, residual, LayerNorm), mean over the steps,
              nn.Linear(32, 5); Strata trains the spec itself (its attention does not import yet)
Trained with SGD momentum 0.9 and cross-entropy on logits, on random ids and labels; only the steps
after the first are timed. Prints ONE JSON line:
  {"framework": "pytorch", "model", "threads", "batch", "steps", "samples_per_second", "seconds",
   "final_loss", "peak_rss_bytes"}
--export writes the ONNX file Strata imports instead (opset 13, a dynamic batch axis).
"""
import argparse
import sys

import torch
from torch import nn

from torch_train_vision import report_timed_steps


class Transformer(nn.Module):
    def __init__(self, vocab, length):
        super().__init__()
        self.emb = nn.Embedding(vocab, 32)
        self.pos = nn.Parameter(torch.randn(length, 32) * 0.1)
        self.attention = nn.MultiheadAttention(32, 2, batch_first=True)
        self.norm1 = nn.LayerNorm(32, eps=1e-3)
        self.ff = nn.Linear(32, 64)
        self.proj = nn.Linear(64, 32)
        self.norm2 = nn.LayerNorm(32, eps=1e-3)
        self.fc = nn.Linear(32, 5)

    def forward(self, x):
        h = self.emb(x) + self.pos
        h = self.norm1(h + self.attention(h, h, h, need_weights=False)[0])
        h = self.norm2(h + self.proj(torch.relu(self.ff(h))))
        return self.fc(h.mean(dim=1))


class Text(nn.Module):
    def __init__(self, kind, vocab):
        super().__init__()
        self.kind = kind
        self.emb = nn.Embedding(vocab, 32)
        if kind == "text_bilstm":
            self.rnn = nn.LSTM(32, 32, batch_first=True, bidirectional=True)
        else:
            self.rnn = (nn.LSTM if kind == "text_lstm" else nn.GRU)(32, 64, batch_first=True)
        self.fc = nn.Linear(64, 4)

    def forward(self, x):
        y, _ = self.rnn(self.emb(x))
        return self.fc(y.mean(dim=1) if self.kind == "text_bilstm" else y[:, -1, :])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, choices=["text_lstm", "text_gru", "text_bilstm", "transformer"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--length", type=int, default=40)
    ap.add_argument("--vocab", type=int, default=1000)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--export")
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    model = Transformer(args.vocab, args.length) if args.model == "transformer" else Text(args.model, args.vocab)
    classes = 5 if args.model == "transformer" else 4
    gen = torch.Generator().manual_seed(0)
    if args.export:
        model.eval()
        x = torch.randint(0, args.vocab, (2, args.length), generator=gen)
        torch.onnx.export(model, x, args.export, opset_version=13, input_names=["ids"], output_names=["logits"],
                          dynamic_axes={"ids": {0: "N"}, "logits": {0: "N"}})
        return 0
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    n = args.steps + 1
    xs = torch.randint(0, args.vocab, (n, args.batch, args.length), generator=gen)
    ys = torch.randint(0, classes, (n, args.batch), generator=gen)
    report_timed_steps(model, opt, xs, ys, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
