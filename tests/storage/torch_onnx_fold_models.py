"""Exports small models whose ONNX graphs compute shapes (Shape, Gather, Div, Concat, ...) for tst_onnx_fold.

usage: torch_onnx_fold_models.py OUT_DIR
For each model NAME writes OUT_DIR/NAME.onnx and OUT_DIR/NAME.json ({"input": {"dims", "data"},
"output": {"dims", "data"}}; NCHW images as the ONNX model takes them). The torch modules are
exported at opset 13 twice: with a symbolic batch (NAME, dynamic_axes: the shape arithmetic stays
in the graph) and a fixed one (NAME_static: torch folds some of it). `folded_ops` is a graph
written with onnx.helper that folds ConstantOfShape, Expand, Range, Cast, Slice, Squeeze,
Unsqueeze, Sub and Div too. Exits 3 when torch cannot be imported (the test then skips).
"""
import json
import os
import sys

try:
    import numpy as np
    import torch
    from torch import nn
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover
    print("torch is missing: %s" % e, file=sys.stderr)
    sys.exit(3)


def channel_shuffle(x, groups):  # torchvision's shufflenetv2.channel_shuffle
    batchsize, num_channels, height, width = x.size()
    channels_per_group = num_channels // groups
    x = x.view(batchsize, groups, channels_per_group, height, width)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(batchsize, -1, height, width)


class ViewAfterConv(nn.Module):
    """x.view(x.size(0), -1) after a conv: Shape -> Gather -> Unsqueeze -> Concat -> Reshape."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 5 * 5, 6)

    def forward(self, x):
        x = torch.relu(self.conv(x))
        return self.fc(x.view(x.size(0), -1))


class Shuffle(nn.Module):
    """A channel shuffle between convolutions; the output is an image (or, flat, the flattened shuffle)."""

    def __init__(self, flat=False):
        super().__init__()
        self.flat = flat
        self.conv1 = nn.Conv2d(4, 6, 1)
        self.conv2 = nn.Conv2d(6, 5, 3)

    def forward(self, x):
        x = channel_shuffle(torch.relu(self.conv1(x)), 3)
        return torch.flatten(x, 1) if self.flat else self.conv2(x)


class ReshapeNC(nn.Module):
    """reshape(N, C, -1), then channels last for a Linear over them."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        x = self.conv(x)
        x = x.reshape(x.size(0), x.size(1), -1).transpose(1, 2)
        return torch.flatten(torch.tanh(self.fc(x)), 1)


class GatherShape(nn.Module):
    """n, c, h, w = x.shape; x.view(n, c * h * w): Gather and Mul of the shape; and a squeeze."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(4 * 3 * 3, 5)
        self.fc2 = nn.Linear(4, 5)

    def forward(self, x):
        x = torch.relu(self.conv(x))
        n, c, h, w = x.shape
        pooled = F.adaptive_avg_pool2d(x, 1).squeeze(-1).squeeze(-1)
        return self.fc(x.view(n, c * h * w)) + self.fc2(pooled)


class ViewToImage(nn.Module):
    """x.view(x.size(0), C, H, W) of a Linear's output, then a conv: the image must be NCHW again."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(5, 2 * 3 * 4)
        self.conv = nn.Conv2d(2, 3, 2)

    def forward(self, x):
        return self.conv(self.fc(x).view(x.size(0), 2, 3, 4))


class BatchArithmetic(nn.Module):
    """x.view(x.size(0) * 2, -1): computing with the batch size, which is refused."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        x = self.conv(x)
        return x.view(x.size(0) * 2, -1)


def tensor_json(t):
    return {"dims": list(t.shape), "data": [float(v) for v in t.detach().reshape(-1).tolist()]}


def export(model, example, name, out_dir, dynamic):
    model.eval()
    path = os.path.join(out_dir, name + ".onnx")
    axes = {"input": {0: "batch"}, "output": {0: "batch"}} if dynamic else None
    torch.onnx.export(model, example, path, input_names=["input"], output_names=["output"], opset_version=13, dynamic_axes=axes)
    with torch.no_grad():
        y = model(example)
    with open(os.path.join(out_dir, name + ".json"), "w") as f:
        json.dump({"input": tensor_json(example), "output": tensor_json(y)}, f)


def export_folded_ops(out_dir):
    """A Reshape target computed with every folded op; then Transpose and MatMul + Add."""
    import onnx
    from onnx import helper, numpy_helper, TensorProto
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 2, 4)).astype(np.float32)
    w = rng.standard_normal((3, 2)).astype(np.float32)
    b = rng.standard_normal((2,)).astype(np.float32)
    i64 = lambda name, v: helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.asarray(v, dtype=np.int64)))
    nodes = [
        helper.make_node("Shape", ["input"], ["shape"], name="shape/Shape"),
        i64("zero", [0]), i64("one", [1]), i64("i1", 1), i64("i2", 2), i64("i3", 3),
        helper.make_node("Slice", ["shape", "zero", "one"], ["n"], name="n/Slice"),                 # [batch]
        helper.make_node("Gather", ["shape", "i1"], ["c"], name="c/Gather"),                        # C (scalar)
        helper.make_node("Gather", ["shape", "i2"], ["h"], name="h/Gather"),
        helper.make_node("Gather", ["shape", "i3"], ["w"], name="w/Gather"),
        helper.make_node("Mul", ["h", "w"], ["hw"], name="hw/Mul"),
        helper.make_node("ConstantOfShape", ["one"], ["ones"], name="ones/ConstantOfShape",
                         value=numpy_helper.from_array(np.asarray([1], dtype=np.int64))),
        helper.make_node("Expand", ["ones", "one"], ["ones_e"], name="ones/Expand"),
        helper.make_node("Unsqueeze", ["c", "zero"], ["c1"], name="c/Unsqueeze"),
        helper.make_node("Mul", ["c1", "ones_e"], ["c2"], name="c/Mul"),                             # [C]
        helper.make_node("Add", ["hw", "i1"], ["hw1"], name="hw/Add"),
        helper.make_node("Range", ["hw", "hw1", "i1"], ["hw_r"], name="hw/Range"),                  # [HW]
        helper.make_node("Cast", ["hw_r"], ["hw_f"], name="hw/Cast", to=TensorProto.FLOAT),
        helper.make_node("Constant", [], ["two_f"], value=numpy_helper.from_array(np.asarray(2.0, dtype=np.float32))),
        helper.make_node("Div", ["hw_f", "two_f"], ["hw_half"], name="hw/Div"),
        helper.make_node("Mul", ["hw_half", "two_f"], ["hw_back"], name="hw/Mul2"),
        helper.make_node("Sub", ["hw_back", "two_f"], ["hw_sub"], name="hw/Sub"),
        helper.make_node("Add", ["hw_sub", "two_f"], ["hw_add"], name="hw/Add2"),
        helper.make_node("Cast", ["hw_add"], ["hw_i"], name="hw/Cast2", to=TensorProto.INT64),
        helper.make_node("Unsqueeze", ["hw_i", "one"], ["hw_u"], name="hw/Unsqueeze"),
        helper.make_node("Squeeze", ["hw_u", "one"], ["hw_s"], name="hw/Squeeze"),
        helper.make_node("Concat", ["n", "c2", "hw_s"], ["target"], name="target/Concat", axis=0),
        helper.make_node("Reshape", ["input", "target"], ["flat"], name="flat/Reshape"),         # (N, C, HW)
        helper.make_node("Transpose", ["flat"], ["t"], name="t/Transpose", perm=[0, 2, 1]),      # (N, HW, C)
        helper.make_node("MatMul", ["t", "wt"], ["mm"], name="dense/MatMul"),
        helper.make_node("Add", ["mm", "bias"], ["output"], name="dense/Add"),
    ]
    graph = helper.make_graph(nodes, "folded_ops",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, 2, 4])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 8, 2])],
                              [numpy_helper.from_array(w, "wt"), numpy_helper.from_array(b, "bias")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, os.path.join(out_dir, "folded_ops.onnx"))
    y = x.reshape(2, 3, 8).transpose(0, 2, 1) @ w + b
    with open(os.path.join(out_dir, "folded_ops.json"), "w") as f:
        json.dump({"input": tensor_json(torch.from_numpy(x)), "output": tensor_json(torch.from_numpy(y))}, f)


def main():
    out_dir = sys.argv[1]
    torch.manual_seed(11)
    models = [
        ("view_after_conv", ViewAfterConv(), (2, 3, 5, 5)),
        ("channel_shuffle", Shuffle(), (2, 4, 5, 6)),
        ("channel_shuffle_flat", Shuffle(flat=True), (2, 4, 3, 2)),
        ("reshape_nc", ReshapeNC(), (2, 3, 3, 4)),
        ("gather_shape", GatherShape(), (2, 3, 5, 5)),
        ("view_to_image", ViewToImage(), (2, 5)),
    ]
    for name, model, shape in models:
        example = torch.randn(*shape)
        export(model, example, name, out_dir, True)
        export(model, example, name + "_static", out_dir, False)
    export(BatchArithmetic(), torch.randn(2, 3, 4, 4), "batch_arithmetic", out_dir, True)
    export_folded_ops(out_dir)


if __name__ == "__main__":
    main()
