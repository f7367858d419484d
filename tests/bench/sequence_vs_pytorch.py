#!/usr/bin/python3
"""Training steps of sequence models written in PyTorch and imported into Strata, against PyTorch
1.13 training the same model, side by side, in one run (issue 16's speed target: Strata >= 1.0x at
1 and 2 threads).

  /usr/bin/python3 tests/bench/sequence_vs_pytorch.py [--build build] [--models text_lstm,text_gru,text_bilstm]
                                                      [--steps 10] [--repeats 3] [--batch 32] [--length 40]

For each model (tests/bench/reference/torch_train_sequence.py): torch.onnx.export, `strata-cli import`,
then at each thread count `strata-bench train-imported` (random token ids below the Embedding's
table size) and the torch script alternately, --repeats times each. `transformer` is Strata's
resources/examples/transformer_language.json (`--spec`; torch's attention does not import yet)
against the same architecture written in torch (16 steps, 64 ids). One JSON line per (model,
threads) with the medians and peak RSS, then a Markdown table (vision_vs_pytorch.py's format).
"""
import argparse
import os
import sys
import tempfile

from vision_vs_pytorch import ROOT, HERE, compare, import_torch, print_table

TORCH = os.path.join(HERE, "reference", "torch_train_sequence.py")
TRANSFORMER = os.path.join(ROOT, "resources", "examples", "transformer_language.json")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--models", default="text_lstm,text_gru,text_bilstm,transformer")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--length", type=int, default=40)
    args = ap.parse_args()
    bench = os.path.join(args.build, "tests", "bench", "strata-bench")
    cli = os.path.join(args.build, "app", "strata-cli")
    env = dict(os.environ, OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "PASSIVE"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models.split(","):
            if model == "transformer":  # Strata's own spec (torch's attention does not import yet) vs the same in torch
                torch_cmd = ["/usr/bin/python3", TORCH, "--model", model, "--length", "16", "--vocab", "64"]
                rows += compare(bench, ["--spec", TRANSFORMER], model, torch_cmd, args, env, [16])
                continue
            torch_cmd = ["/usr/bin/python3", TORCH, "--model", model, "--length", str(args.length)]
            saved, error = import_torch(cli, torch_cmd, tmp, model)
            if error:
                rows.append(error)
                continue
            rows += compare(bench, saved, model, torch_cmd, args, env, [args.length])
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
