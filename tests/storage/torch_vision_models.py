"""Exports torchvision 0.14 architectures and small PyTorch pool/resize models to ONNX for
tst_onnx_vision, each with an input and PyTorch's output.

usage: torch_vision_models.py OUT_DIR [NAME...]
Writes OUT_DIR/NAME.onnx and OUT_DIR/NAME.json ({"input": {"dims", "data"}, "output": {"dims",
"data"}}; the input NCHW as the ONNX model takes it). torchvision models: weights=None, eval mode,
torch.onnx.export at opset 13, one 3x64x64 image. Exits 3 when torch or torchvision cannot be
imported (the test then skips), 0 otherwise.
"""
import json
import os
import sys

try:
    import torch
    import torch.nn.functional as F
    import torchvision
    from torch import nn
except ImportError as e:  # pragma: no cover
    print("torch or torchvision is missing: %s" % e, file=sys.stderr)
    sys.exit(3)


class Pools(nn.Module):
    """PyTorch's pools as torchvision uses them: padded (ResNet's stem), ceil_mode (GoogLeNet),
    count_include_pad both ways, and a global max."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.stem = nn.MaxPool2d(3, 2, padding=1)                          # 16 -> 8
        self.ceil = nn.MaxPool2d(3, 2, ceil_mode=True)                     # 8 -> 4 (the last window half outside)
        self.avg_pad = nn.AvgPool2d(3, 1, padding=1)                       # count_include_pad=True: Pad + AveragePool
        self.avg_ceil = nn.AvgPool2d(2, 2, padding=1, ceil_mode=True, count_include_pad=False)  # 4 -> 3
        self.gmp = nn.AdaptiveMaxPool2d(1)
        self.fc = nn.Linear(4 * 3 * 3, 6)
        self.fc_max = nn.Linear(4, 6)

    def forward(self, x):
        x = self.ceil(self.stem(torch.relu(self.conv(x))))
        x = self.avg_ceil(self.avg_pad(x))
        return self.fc(torch.flatten(x, 1)) + self.fc_max(torch.flatten(self.gmp(x), 1))


class Resizes(nn.Module):
    """nn.Upsample nearest and bilinear (align_corners=False), and a crop by slicing."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.near = nn.Upsample(scale_factor=2, mode="nearest")
        self.bilinear = nn.Upsample(scale_factor=(2, 3), mode="bilinear", align_corners=False)
        self.out = nn.Conv2d(4, 2, 3)

    def forward(self, x):  # 3x7x6 -> 4x5x4 -> 4x10x8 -> crop 4x8x7 -> 4x16x21 -> 2x14x19
        x = self.near(torch.tanh(self.conv(x)))
        x = x[:, :, 1:-1, 1:]
        return self.out(self.bilinear(x))


class NearestUpsample(nn.Module):
    """nn.Upsample nearest and a crop: at opset 9 an Upsample node and Slices with attributes."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.near = nn.Upsample(scale_factor=(2, 3), mode="nearest")
        self.out = nn.Conv2d(4, 2, 3)

    def forward(self, x):  # 3x7x6 -> 4x5x4 -> 4x10x12 -> crop 4x8x11 -> 2x6x9
        x = self.near(torch.tanh(self.conv(x)))
        return self.out(x[:, :, 1:-1, 1:])


class SmallConvNeXt(nn.Module):
    """torchvision's ConvNeXt pieces at a small size: a 4x4/4 stem, LayerNorm2d (channels-first
    LayerNorm between Transposes), two CNBlocks (7x7 depthwise conv, LayerNorm, Linear, GELU,
    Linear, layer_scale (C, 1, 1) multiply, residual), a LayerNorm2d + 2x2/2 downsampling conv, the
    head. The layer scales are drawn at random so that each channel's factor differs."""

    def __init__(self):
        super().__init__()
        from functools import partial
        from torchvision.models.convnext import CNBlock, LayerNorm2d
        norm = partial(nn.LayerNorm, eps=1e-6)
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 4, stride=4), LayerNorm2d(16, eps=1e-6))
        self.blocks = nn.Sequential(CNBlock(16, 1.0, 0.0, norm), CNBlock(16, 1.0, 0.0, norm))
        self.down = nn.Sequential(LayerNorm2d(16, eps=1e-6), nn.Conv2d(16, 32, 2, stride=2))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(1), nn.Linear(32, 10))
        with torch.no_grad():
            for block in self.blocks:
                block.layer_scale.uniform_(0.2, 1.5)

    def forward(self, x):
        return self.head(self.down(self.blocks(self.stem(x))))


def tensor_json(t):
    return {"dims": list(t.shape), "data": [float(v) for v in t.detach().reshape(-1)]}


def export(model, example, name, out_dir, opset=13):
    model.eval()
    path = os.path.join(out_dir, name + ".onnx")
    with torch.no_grad():
        torch.onnx.export(model, example, path, input_names=["input"], output_names=["output"], opset_version=opset,
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
        y = model(example)
    with open(os.path.join(out_dir, name + ".json"), "w") as f:
        json.dump({"input": tensor_json(example), "output": tensor_json(y)}, f)


def vision(name):
    builders = {
        "resnet18": lambda: torchvision.models.resnet18(weights=None),
        "googlenet": lambda: torchvision.models.googlenet(weights=None, aux_logits=False, init_weights=True),
        "densenet121": lambda: torchvision.models.densenet121(weights=None),
        "shufflenet_v2_x0_5": lambda: torchvision.models.shufflenet_v2_x0_5(weights=None),
    }
    return builders[name]()


MODELS = {
    # (A window that would start in the bottom pad is not used: torch.onnx's shapes then keep it.)
    "torch_pools": lambda: (Pools(), torch.randn(2, 3, 16, 16), 13),
    "torch_pools_opset11": lambda: (Pools(), torch.randn(2, 3, 16, 16), 11),
    "torch_resizes": lambda: (Resizes(), torch.randn(2, 3, 7, 6), 13),
    "torch_resizes_opset11": lambda: (Resizes(), torch.randn(2, 3, 7, 6), 11),
    "torch_upsample_opset9": lambda: (NearestUpsample(), torch.randn(2, 3, 7, 6), 9),  # Upsample, not Resize
    "torch_bilinear_opset9": lambda: (Resizes(), torch.randn(2, 3, 7, 6), 9),  # linear Upsample: not PyTorch's bilinear
    "resnet18": lambda: (vision("resnet18"), torch.randn(1, 3, 64, 64), 13),
    "googlenet": lambda: (vision("googlenet"), torch.randn(1, 3, 64, 64), 13),
    "densenet121": lambda: (vision("densenet121"), torch.randn(1, 3, 64, 64), 13),
    "shufflenet_v2_x0_5": lambda: (vision("shufflenet_v2_x0_5"), torch.randn(1, 3, 64, 64), 13),
    "small_convnext": lambda: (SmallConvNeXt(), torch.randn(2, 3, 32, 32), 13),
}


def main():
    out_dir = sys.argv[1]
    for name in sys.argv[2:] or list(MODELS):
        torch.manual_seed(11)
        model, example, opset = MODELS[name]()
        export(model, example, name, out_dir, opset)


if __name__ == "__main__":
    main()
