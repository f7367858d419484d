"""Exports small PyTorch models to ONNX for tst_onnx_import, with an input and PyTorch's output.

usage: torch_onnx_models.py OUT_DIR
For each model NAME (the MLP and CNNs also as NAME_opset9, 11, 14 and 17) writes OUT_DIR/NAME.onnx and OUT_DIR/NAME.json ({"input": {"dims", "data"},
"output": {"dims", "data"}}; the input as the ONNX model takes it, NCHW for images). Exits 3 when
torch cannot be imported (the test then skips), 0 otherwise.
"""
import json
import os
import sys

try:
    import torch
    from torch import nn
except ImportError as e:  # pragma: no cover
    print("torch is missing: %s" % e, file=sys.stderr)
    sys.exit(3)


def randomize_bn(bn):
    with torch.no_grad():
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.3, 2.0)
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(20, 32)
        self.bn = nn.BatchNorm1d(32, eps=1e-3, momentum=0.2)
        self.drop = nn.Dropout(0.3)
        self.fc2 = nn.Linear(32, 16)
        self.fc3 = nn.Linear(16, 10)
        randomize_bn(self.bn)

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        x = self.drop(self.bn(x))
        x = torch.tanh(self.fc2(x))
        return torch.softmax(self.fc3(torch.sigmoid(x)), dim=1)


class Cnn(nn.Module):
    def __init__(self, use_view=True):
        super().__init__()
        self.use_view = use_view
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 12, 3, stride=2, padding=1)
        self.avg = nn.AvgPool2d(2)
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(12 * 2 * 2, 10)
        randomize_bn(self.bn1)

    def forward(self, x):  # 3x14x14 -> 8x14x14 -> 8x7x7 -> 12x4x4 -> 12x2x2
        x = self.pool(torch.relu(self.bn1(self.conv1(x))))
        x = self.avg(torch.relu(self.conv2(x)))
        x = x.view(x.size(0), -1) if self.use_view else torch.flatten(x, 1)  # Shape, Gather, Unsqueeze, Concat, Reshape / Flatten
        return self.fc(self.drop(x))


class CnnBranches(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn0 = nn.BatchNorm2d(4)  # not after a Conv: stays a BatchNormalization node on NCHW
        self.a = nn.Conv2d(4, 6, 3, padding=1)
        self.b = nn.Conv2d(4, 6, 1)
        self.mix = nn.Conv2d(12, 4, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(4)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 5)
        randomize_bn(self.bn)
        randomize_bn(self.bn0)

    def forward(self, x):
        x = self.bn0(x)
        y = torch.cat([torch.relu(self.a(x)), torch.sigmoid(self.b(x))], dim=1)
        y = self.bn(self.mix(y)) + x
        y = self.gap(torch.relu(y) * x)
        return torch.log_softmax(self.fc(torch.flatten(y, 1)), dim=1)


class Grouped(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, groups=2)

    def forward(self, x):
        return self.conv(x)


class Depthwise(nn.Module):
    """Depthwise convolutions (group == in channels): depth multiplier 2 with a ReLU6, then a 1x1
    Conv, then a strided depthwise one with PyTorch's padding 1 (a ZeroPadding2D first)."""

    def __init__(self):
        super().__init__()
        self.dw = nn.Conv2d(4, 8, 3, padding=1, groups=4)
        self.pw = nn.Conv2d(8, 6, 1)
        self.down = nn.Conv2d(6, 6, 3, stride=2, padding=1, groups=6, bias=False)

    def forward(self, x):  # 4x6x6 -> 8x6x6 -> 6x6x6 -> 6x3x3
        return self.down(self.pw(nn.functional.relu6(self.dw(x))))


class Leaky(nn.Module):
    """nn.LeakyReLU() with PyTorch's default slope 0.01: a LeakyReLU layer, not fused into fc1."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 6)
        self.act = nn.LeakyReLU()
        self.fc2 = nn.Linear(6, 3)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class LeakyCnn(nn.Module):
    """nn.LeakyReLU(0.1) between a Conv and a pool, on NCHW."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.act = nn.LeakyReLU(negative_slope=0.1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(4 * 3 * 3, 5)

    def forward(self, x):  # 3x6x6 -> 4x6x6 -> 4x3x3
        return self.fc(torch.flatten(self.pool(self.act(self.conv(x))), 1))


class LeakyFused(nn.Module):
    """Slope 0.2 (the activation leaky_relu): on the input a LeakyReLU layer, after fc1 fused into it."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 6)
        self.fc2 = nn.Linear(6, 3)

    def forward(self, x):
        return self.fc2(nn.functional.leaky_relu(self.fc1(nn.functional.leaky_relu(x, 0.2)), 0.2))


class Relu6Net(nn.Module):
    """nn.ReLU6 (ONNX Clip to [0, 6]) after a Conv and a Linear, and F.relu as Clip to [0, inf) after another."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(4 * 3 * 3, 6)
        self.fc2 = nn.Linear(6, 5)
        self.fc3 = nn.Linear(5, 3)

    def forward(self, x):  # 3x6x6 -> 4x6x6 -> 4x3x3
        h = torch.flatten(self.pool(nn.functional.relu6(self.conv(x))), 1)
        return self.fc3(torch.clamp(self.fc2(nn.functional.relu6(self.fc1(h))), min=0))


class TorchPadded(nn.Module):
    """PyTorch's explicit paddings: k3/s2/padding 1 (not Keras' "same" there) and k5/s2/padding 1
    become ZeroPadding2D + a valid Conv2D; k3/s1/padding 1 is "same"."""

    def __init__(self):
        super().__init__()
        self.down = nn.Conv2d(3, 6, 3, stride=2, padding=1)
        self.keep = nn.Conv2d(6, 4, 3, padding=1)
        self.wide = nn.Conv2d(4, 5, 5, stride=2, padding=1)
        self.fc = nn.Linear(5 * 2 * 1, 3)

    def forward(self, x):  # 3x10x8 -> 6x5x4 -> 4x5x4 -> 5x2x1
        h = self.wide(torch.relu(self.keep(torch.relu(self.down(x)))))
        return self.fc(torch.flatten(h, 1))


class Clamped(nn.Module):
    """torch.clamp(-1, 1): a Clip with no Strata form."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return torch.clamp(self.fc(x), -1.0, 1.0)


class CappedRelu(nn.Module):
    """torch.clamp(0, m) on an NCHW image and F.hardtanh(0, m) after a Linear: Keras' ReLU(max_value=m)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc1 = nn.Linear(4 * 6 * 6, 6)
        self.fc2 = nn.Linear(6, 3)

    def forward(self, x):  # 3x6x6 -> 4x6x6
        h = torch.flatten(torch.clamp(self.conv(x), 0.0, 0.25), 1)
        return self.fc2(nn.functional.hardtanh(self.fc1(h), 0.0, 1.5))


class Deconv(nn.Module):
    """nn.ConvTranspose2d in the geometries of Keras' Conv2DTranspose, activations fused into them."""

    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(3, 4, 4, stride=2, padding=1)  # 'same' (pads 1 of 2 each side): 3x2 -> 6x4
        self.bn = nn.BatchNorm2d(4)
        self.up2 = nn.ConvTranspose2d(4, 3, 3, stride=2)  # 'valid', kernel above the stride: 6x4 -> 13x9
        self.dilated = nn.ConvTranspose2d(3, 3, 3, padding=2, dilation=2, bias=False)  # 'same', stride 1: 13x9
        self.small = nn.ConvTranspose2d(3, 2, (2, 1), stride=(3, 2), output_padding=1)  # 'valid', kernel below the stride: 39x18
        randomize_bn(self.bn)

    def forward(self, x):
        x = self.bn(torch.relu(self.up(x)))
        x = self.dilated(torch.sigmoid(self.up2(x)))
        return torch.tanh(self.small(x))


class DeconvTorchPads(nn.Module):
    """PyTorch's usual 2x upsampler (kernel 3, stride 2, padding 1, output_padding 1): 2x the size
    like 'same', but cropping the odd cell at the start where TensorFlow crops it at the end."""

    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1)

    def forward(self, x):
        return self.up(x)


class DeconvGrouped(nn.Module):
    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(4, 4, 2, stride=2, groups=2)

    def forward(self, x):
        return self.up(x)


class SeqCnn(nn.Module):
    """nn.Conv1d ("same" by padding=2 for k5, then dilated "valid"), MaxPool1d, AvgPool1d, a mean
    over the steps: Conv1D, the 1-D pools and GlobalAveragePooling1D on import."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(3, 8, 5, padding=2)
        self.pool1 = nn.MaxPool1d(2)
        self.conv2 = nn.Conv1d(8, 6, 3, dilation=2)
        self.pool2 = nn.AvgPool1d(2)
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        x = self.pool1(torch.relu(self.conv1(x)))
        x = self.pool2(torch.tanh(self.conv2(x)))
        return self.fc(x.mean(dim=2))


class SeqGlobalPools(nn.Module):
    """A strided nn.Conv1d, then AdaptiveAvgPool1d(1) and AdaptiveMaxPool1d(1) (GlobalAveragePool,
    GlobalMaxPool) added and flattened."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 5, 3, stride=2)
        self.gap = nn.AdaptiveAvgPool1d(1)
        self.gmp = nn.AdaptiveMaxPool1d(1)

    def forward(self, x):
        x = self.conv(x)
        return torch.flatten(self.gap(x) + self.gmp(x), 1)


class TextLstm(nn.Module):
    """nn.Embedding on int64 token ids, nn.LSTM(batch_first=True), the last step into nn.Linear:
    Embedding, LSTM (return_sequences, read time-major), Slice of the last step, Dense."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(30, 8)
        self.lstm = nn.LSTM(8, 12, batch_first=True)
        self.fc = nn.Linear(12, 4)

    def forward(self, x):
        y, _ = self.lstm(self.emb(x))
        return self.fc(y[:, -1, :])


class StackedGru(nn.Module):
    """Two nn.GRU, the second's last state h_n[-1] into nn.Linear (GRU with reset_after)."""

    def __init__(self):
        super().__init__()
        self.gru1 = nn.GRU(5, 8, batch_first=True)
        self.gru2 = nn.GRU(8, 6, batch_first=True)
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        y, _ = self.gru1(x)
        _, h = self.gru2(y)
        return self.fc(h[-1])


class BiLstm(nn.Module):
    """A bidirectional nn.LSTM, its outputs averaged over the steps: Bidirectional (concat) and
    GlobalAveragePooling1D."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(4, 6, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(12, 2)

    def forward(self, x):
        y, _ = self.lstm(x)
        return self.fc(y.mean(dim=1))


class ReluRnn(nn.Module):
    """nn.RNN with nonlinearity='relu', the last step: SimpleRNN(activation relu)."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(3, 7, nonlinearity="relu", batch_first=True)
        self.fc = nn.Linear(7, 2)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.fc(y[:, -1])


class Seq2Seq(nn.Module):
    """An encoder nn.LSTM whose final (h, c) start a decoder nn.LSTM, the decoder's last step and
    the encoder's c into nn.Linear: LSTM with return_state (the decoder's initial_state), states
    wired as "NAME:K"."""

    def __init__(self):
        super().__init__()
        self.enc = nn.LSTM(3, 6, batch_first=True)
        self.dec = nn.LSTM(3, 6, batch_first=True)
        self.fc = nn.Linear(12, 2)

    def forward(self, x):
        _, (h, c) = self.enc(x)
        y, _ = self.dec(x, (h, c))
        return self.fc(torch.cat([y[:, -1], c[-1]], dim=1))


class GruBoth(nn.Module):
    """nn.GRU's sequence and its h_n both used, a second nn.GRU started from that h_n."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(4, 5, batch_first=True)
        self.gru2 = nn.GRU(5, 5, batch_first=True)
        self.fc = nn.Linear(10, 3)

    def forward(self, x):
        y, h = self.gru(x)
        _, h2 = self.gru2(y, h)
        return self.fc(torch.cat([y.mean(dim=1), h2[-1]], dim=1))


class BiLstmStates(nn.Module):
    """A bidirectional nn.LSTM's final states: the forward h and the backward c with its sequence."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(4, 3, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(12, 2)

    def forward(self, x):
        y, (h, c) = self.lstm(x)
        return self.fc(torch.cat([h[0], c[1], y[:, 0]], dim=1))


class SeqCnnBn(nn.Module):
    """nn.Conv1d, ReLU, nn.BatchNorm1d (after the ReLU, so torch cannot fold it into the Conv),
    nn.MaxPool1d, nn.Conv1d, flattened (channels first) into nn.Linear."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(3, 6, 3, padding=1)
        self.bn = nn.BatchNorm1d(6)
        self.pool = nn.MaxPool1d(2)
        self.conv2 = nn.Conv1d(6, 4, 3)
        self.fc = nn.Linear(4 * 4, 2)

    def forward(self, x):
        x = self.pool(self.bn(torch.relu(self.conv1(x))))
        return self.fc(torch.flatten(self.conv2(x), 1))


class TransformerEncoderNet(nn.Module):
    """nn.TransformerEncoder of two batch_first layers (post-norm, ReLU feed-forward), averaged
    over the steps: torch's attention ops become MultiHeadAttention layers."""

    def __init__(self):
        super().__init__()
        layer = nn.TransformerEncoderLayer(d_model=16, nhead=2, dim_feedforward=32, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2)
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc(self.encoder(x).mean(dim=1))


class CausalPreNorm(nn.Module):
    """A pre-norm (norm_first) GELU encoder layer over a causal mask given as a constant: the
    mask is MultiHeadAttention's use_causal_mask."""

    def __init__(self, steps):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(d_model=12, nhead=3, dim_feedforward=24, activation="gelu", batch_first=True, norm_first=True)
        self.register_buffer("mask", torch.triu(torch.full((steps, steps), float("-inf")), diagonal=1))
        self.fc = nn.Linear(12, 2)

    def forward(self, x):
        return self.fc(self.layer(x, src_mask=self.mask)[:, -1])


class CrossAttention(nn.Module):
    """nn.MultiheadAttention with kdim = vdim = 8 (separate projection weights): the query is the
    input, key and value a Linear of it; the attention weights it also returns are not read."""

    def __init__(self):
        super().__init__()
        self.kv = nn.Linear(16, 8)
        self.attn = nn.MultiheadAttention(16, 4, kdim=8, vdim=8, batch_first=True)
        self.fc = nn.Linear(16, 2)

    def forward(self, x):
        kv = torch.tanh(self.kv(x))
        y, _ = self.attn(x, kv, kv)
        return self.fc(y.mean(dim=1))


class TimeMajorEncoder(nn.Module):
    """An encoder layer without batch_first, given a (steps, batch, features) view: its attention
    runs time-major, which Strata's layers cannot hold (the import names batch_first)."""

    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16)
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        return self.fc(self.layer(x.transpose(0, 1)).mean(dim=0))


def small_vit():
    """torchvision's VisionTransformer at 32x32 (patches of 8, one layer): its class token and
    position table (zeros and small at init) randomized so the import must really carry them."""
    import torchvision
    m = torchvision.models.VisionTransformer(image_size=32, patch_size=8, num_layers=1, num_heads=2, hidden_dim=16, mlp_dim=32,
                                             num_classes=5)
    with torch.no_grad():
        for p in m.parameters():
            p.add_(torch.randn_like(p) * 0.2)
    return m


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


def export_constant_nodes(out_dir):
    """MatMul + Add with weights in Constant nodes (not initializers), then Relu: one Dense."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper, TensorProto
    rng = np.random.default_rng(3)
    w = rng.standard_normal((6, 4)).astype(np.float32)
    b = rng.standard_normal((4,)).astype(np.float32)
    x = rng.standard_normal((3, 6)).astype(np.float32)
    nodes = [
        helper.make_node("Constant", [], ["w"], name="weight", value=numpy_helper.from_array(w)),
        helper.make_node("Constant", [], ["b"], name="bias", value=numpy_helper.from_array(b)),
        helper.make_node("MatMul", ["input", "w"], ["mm"], name="dense/MatMul"),
        helper.make_node("Add", ["mm", "b"], ["sum"], name="dense/Add"),
        helper.make_node("Relu", ["sum"], ["output"], name="dense/Relu"),
    ]
    graph = helper.make_graph(nodes, "constants", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 6])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out_dir, "onnx_constants.onnx"))
    y = np.maximum(x @ w + b, 0)
    with open(os.path.join(out_dir, "onnx_constants.json"), "w") as f:
        json.dump({"input": tensor_json(torch.from_numpy(x)), "output": tensor_json(torch.from_numpy(y))}, f)


def main():
    out_dir = sys.argv[1]
    torch.manual_seed(7)
    # 13 as Strata writes; 9 and 11 (converted to 13 when read), 14 and 17 as older and newer exporters do
    for opset in (13, 9, 11, 14, 17):
        suffix = "" if opset == 13 else "_opset%d" % opset
        export(Mlp(), torch.randn(5, 20), "torch_mlp" + suffix, out_dir, opset)
        export(Cnn(), torch.randn(3, 3, 14, 14), "torch_cnn" + suffix, out_dir, opset)
        export(CnnBranches(), torch.randn(2, 4, 9, 9), "torch_cnn_branches" + suffix, out_dir, opset)
    export(Cnn(use_view=False), torch.randn(2, 3, 14, 14), "torch_cnn_flatten", out_dir)
    export(Grouped(), torch.randn(1, 4, 6, 6), "torch_grouped", out_dir)
    export(Leaky(), torch.randn(5, 4), "torch_leaky", out_dir)
    export(LeakyCnn(), torch.randn(2, 3, 6, 6), "torch_leaky_cnn", out_dir)
    export(LeakyFused(), torch.randn(5, 4), "torch_leaky_fused", out_dir)
    export(Relu6Net(), 4 * torch.randn(2, 3, 6, 6), "torch_relu6", out_dir)
    export(Relu6Net(), 4 * torch.randn(2, 3, 6, 6), "torch_relu6_opset9", out_dir, 9)  # Clip bounds as attributes
    export(Clamped(), torch.randn(2, 4), "torch_clamped", out_dir)
    export(CappedRelu(), torch.randn(2, 3, 6, 6), "torch_relu_capped", out_dir)
    export(CappedRelu(), torch.randn(2, 3, 6, 6), "torch_relu_capped_opset9", out_dir, 9)  # Clip bounds as attributes
    export(TorchPadded(), torch.randn(2, 3, 10, 8), "torch_padded", out_dir)
    export(Deconv(), torch.randn(2, 3, 3, 2), "torch_deconv", out_dir)
    export(Deconv(), torch.randn(2, 3, 3, 2), "torch_deconv_opset11", out_dir, 11)
    export(DeconvTorchPads(), torch.randn(1, 3, 4, 4), "torch_deconv_torch_pads", out_dir)
    export(DeconvGrouped(), torch.randn(1, 4, 3, 3), "torch_deconv_grouped", out_dir)
    export_constant_nodes(out_dir)
    export(Depthwise(), torch.randn(2, 4, 6, 6), "torch_depthwise", out_dir)
    export(SeqCnn(), torch.randn(2, 3, 20), "torch_seq_cnn", out_dir)
    export(SeqGlobalPools(), torch.randn(3, 2, 11), "torch_seq_global_pools", out_dir)
    export(TextLstm(), torch.randint(0, 30, (3, 9)), "torch_text_lstm", out_dir)
    export(StackedGru(), torch.randn(2, 7, 5), "torch_stacked_gru", out_dir)
    export(BiLstm(), torch.randn(3, 6, 4), "torch_bilstm", out_dir)
    export(ReluRnn(), torch.randn(2, 5, 3), "torch_relu_rnn", out_dir)
    export(Seq2Seq(), torch.randn(2, 6, 3), "torch_seq2seq", out_dir)
    export(GruBoth(), torch.randn(2, 5, 4), "torch_gru_both", out_dir)
    export(BiLstmStates(), torch.randn(3, 5, 4), "torch_bilstm_states", out_dir)
    seq_bn = SeqCnnBn()
    randomize_bn(seq_bn.bn)
    export(seq_bn, torch.randn(2, 3, 12), "torch_seq_cnn_bn", out_dir)
    export(TransformerEncoderNet(), torch.randn(3, 7, 16), "torch_transformer_encoder", out_dir)
    export(CausalPreNorm(6), torch.randn(2, 6, 12), "torch_causal_prenorm", out_dir)
    export(CrossAttention(), torch.randn(2, 5, 16), "torch_cross_attention", out_dir)
    export(small_vit(), torch.randn(2, 3, 32, 32), "torch_small_vit", out_dir)
    export(TimeMajorEncoder(), torch.randn(2, 5, 8), "torch_time_major_attention", out_dir)
    export_torchvision(out_dir)


def export_torchvision(out_dir):
    """torchvision 0.14's architectures as a user exports them (weights=None, eval, opset 13, a
    3x64x64 input): torchvision_NAME.onnx/.json. Nothing when torchvision is missing."""
    try:
        import torchvision
    except ImportError:
        return
    torch.manual_seed(11)
    for name in ("mobilenet_v2", "mnasnet0_5", "regnet_x_400mf"):
        model = getattr(torchvision.models, name)(weights=None)
        for m in model.modules():  # non-trivial BN statistics, so the import must really use them
            if isinstance(m, nn.BatchNorm2d):
                randomize_bn(m)
        export(model, torch.randn(2, 3, 64, 64), "torchvision_" + name, out_dir)


if __name__ == "__main__":
    main()
