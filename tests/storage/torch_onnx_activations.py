"""Exports small PyTorch modules with the activations and layers of issue 15 to ONNX (opset 13,
as torch 1.13 writes them: decomposed GELU, SiLU, hardswish, mish and LayerNorm) for
tst_onnx_activations, with an input and PyTorch's output.

usage: torch_onnx_activations.py OUT_DIR
Writes OUT_DIR/NAME.onnx and OUT_DIR/NAME.json ({"input": {"dims", "data"}, "output": ...}; the
input as the ONNX model takes it, NCHW for images). Exits 3 when torch cannot be imported.
"""
import json
import os
import sys

try:
    import torch
    from torch import nn
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover
    print("torch is missing: %s" % e, file=sys.stderr)
    sys.exit(3)


class SqueezeExcite(nn.Module):
    """torchvision's SqueezeExcitation after a conv: (N, C, 1, 1) scales (N, C, H, W)."""

    def __init__(self, scale_activation=nn.Sigmoid):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(8, 4, 1)
        self.fc2 = nn.Conv2d(4, 8, 1)
        self.scale = scale_activation()
        self.head = nn.Linear(8 * 6 * 6, 5)

    def forward(self, x):
        x = torch.relu(self.conv(x))
        s = self.scale(self.fc2(torch.relu(self.fc1(self.pool(x)))))
        return self.head(torch.flatten(x * s, 1))


class HardNet(nn.Module):
    """MobileNetV3's activations: Hardswish after a conv, Hardsigmoid, and a residual Add."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 3, padding=1)
        self.act1 = nn.Hardswish()
        self.conv2 = nn.Conv2d(6, 6, 3, padding=1)
        self.gate = nn.Hardsigmoid()
        self.head = nn.Linear(6 * 5 * 5, 4)

    def forward(self, x):
        h = self.act1(self.conv1(x))
        y = h + self.gate(self.conv2(h)) * h
        return F.hardswish(self.head(torch.flatten(y, 1)))


class LayerNormGeluMlp(nn.Module):
    """A transformer MLP: LayerNorm, Linear, GELU (exact and tanh), SiLU, Mish, Softplus, ELU, SELU."""

    def __init__(self):
        super().__init__()
        self.norm = nn.LayerNorm(12, eps=1e-6)
        self.fc1 = nn.Linear(12, 16)
        self.fc2 = nn.Linear(16, 16)
        self.fc3 = nn.Linear(16, 10)
        self.norm2 = nn.LayerNorm(10)

    def forward(self, x):
        x = F.gelu(self.fc1(self.norm(x)))
        x = F.silu(self.fc2(x)) + F.mish(x) + F.gelu(x, approximate="tanh")
        x = F.softplus(x) * F.elu(x) + F.selu(x)
        return self.norm2(self.fc3(x))


class PReluNet(nn.Module):
    """nn.PReLU per channel on an image and one shared slope on features; a softmax over the height."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 5, 3)
        self.prelu = nn.PReLU(5, init=0.1)
        self.fc = nn.Linear(5 * 4 * 4, 6)
        self.prelu2 = nn.PReLU()
        with torch.no_grad():
            self.prelu.weight.uniform_(-0.5, 0.5)
            self.prelu2.weight.fill_(0.3)

    def forward(self, x):
        y = self.prelu(self.conv(x))
        y = torch.softmax(y, dim=2) * 3.0 + 0.5
        return self.prelu2(self.fc(torch.flatten(y, 1)))


class ConvNextBlock(nn.Module):
    """ConvNeXt's channels-last LayerNorm: permute to NHWC, LayerNorm, Linear, GELU, permute back."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.norm = nn.LayerNorm(8, eps=1e-6)
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        y = self.conv(x).permute(0, 2, 3, 1)
        y = F.gelu(self.fc(self.norm(y)))
        return y.permute(0, 3, 1, 2)


def tensor_json(t):
    return {"dims": list(t.shape), "data": [float(v) for v in t.detach().reshape(-1)]}


def export(model, example, name, out_dir, opset=13):
    model.eval()
    path = os.path.join(out_dir, name + ".onnx")
    torch.onnx.export(model, example, path, input_names=["input"], output_names=["output"], opset_version=opset,
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    with torch.no_grad():
        y = model(example)
    with open(os.path.join(out_dir, name + ".json"), "w") as f:
        json.dump({"input": tensor_json(example), "output": tensor_json(y)}, f)


def main():
    out_dir = sys.argv[1]
    torch.manual_seed(11)
    export(SqueezeExcite(), torch.randn(2, 3, 6, 6), "torch_se", out_dir)
    export(SqueezeExcite(nn.Hardsigmoid), torch.randn(2, 3, 6, 6), "torch_se_hard", out_dir)
    export(HardNet(), 2 * torch.randn(2, 3, 5, 5), "torch_hard", out_dir)
    export(HardNet(), 2 * torch.randn(2, 3, 5, 5), "torch_hard_opset14", out_dir, 14)
    export(LayerNormGeluMlp(), torch.randn(4, 12), "torch_ln_gelu", out_dir)
    export(PReluNet(), torch.randn(2, 3, 6, 6), "torch_prelu", out_dir)
    export(ConvNextBlock(), torch.randn(2, 3, 4, 4), "torch_convnext_block", out_dir)


if __name__ == "__main__":
    main()
