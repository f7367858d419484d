"""Makes what tst_finetune needs: a small PyTorch CNN trained briefly on Fashion-MNIST, exported to
ONNX, the same samples as a CSV table, and a 3-channel conv net with inputs laid out NCHW.

usage: finetune_torch_models.py OUT_DIR
Writes OUT_DIR/cnn.onnx (input 1x28x28, logits out), OUT_DIR/fashion.csv (a header, 784 pixel
columns in [0, 1] and a label column; 800 training images), OUT_DIR/rgb.onnx (input 3x5x4),
OUT_DIR/rgb_nchw.csv (its inputs, one sample per row, channels first) and OUT_DIR/rgb_out.csv
(torch's outputs). Exits 3 when torch cannot be imported (the test then skips), 0 otherwise.
"""
import gzip
import os
import struct
import sys

try:
    import torch
    from torch import nn
except ImportError as e:  # pragma: no cover
    print("torch is missing: %s" % e, file=sys.stderr)
    sys.exit(3)

FASHION = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = struct.unpack(">" + "I" * (magic & 0xFF), data[4:4 + 4 * (magic & 0xFF)])
    return torch.frombuffer(bytearray(data[4 + 4 * len(dims):]), dtype=torch.uint8).reshape(dims)


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3)
        self.conv2 = nn.Conv2d(4, 8, 3, stride=2)
        self.fc1 = nn.Linear(8 * 6 * 6, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):  # 1x28x28 -> 4x26x26 -> 4x13x13 -> 8x6x6
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.relu(self.conv2(x))
        return self.fc2(torch.relu(self.fc1(torch.flatten(x, 1))))


class Rgb(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 2, 3, padding=1)
        self.fc = nn.Linear(2 * 5 * 4, 3)

    def forward(self, x):
        return self.fc(torch.flatten(torch.tanh(self.conv(x)), 1))


def write_csv(path, rows, header=None):
    with open(path, "w") as f:
        if header:
            f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(r) + "\n")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    images = read_idx(os.path.join(FASHION, "train-images-idx3-ubyte.gz"))[:800].float() / 255.0
    labels = read_idx(os.path.join(FASHION, "train-labels-idx1-ubyte.gz"))[:800].long()
    model = Cnn()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    x = images.reshape(-1, 1, 28, 28)
    for step in range(60):  # a little training, so the imported weights are not an initializer's
        i = (step * 64) % 800
        loss = nn.functional.cross_entropy(model(x[i:i + 64]), labels[i:i + 64])
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    torch.onnx.export(model, x[:2], os.path.join(out, "cnn.onnx"), opset_version=13, input_names=["x"],
                      output_names=["logits"], dynamic_axes={"x": {0: "N"}, "logits": {0: "N"}})
    header = ["p%d" % i for i in range(784)] + ["label"]
    write_csv(os.path.join(out, "fashion.csv"),
              [["%.6g" % v for v in images[n].reshape(-1).tolist()] + [str(int(labels[n]))] for n in range(800)], header)

    rgb = Rgb().eval()
    xr = torch.randn(4, 3, 5, 4)
    torch.onnx.export(rgb, xr, os.path.join(out, "rgb.onnx"), opset_version=13, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
    with torch.no_grad():
        yr = rgb(xr)
    write_csv(os.path.join(out, "rgb_nchw.csv"), [["%.9g" % v for v in xr[n].reshape(-1).tolist()] for n in range(4)])
    write_csv(os.path.join(out, "rgb_out.csv"), [["%.9g" % v for v in yr[n].tolist()] for n in range(4)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
