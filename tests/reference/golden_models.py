"""The small models behind tests/data/golden: their strata.model/1 specs, data and initial weights.

Each entry of MODELS returns a dict with the spec, the loss, the inputs/labels (numpy) and the
initial weights keyed by Strata variable path ("model/<layer>/<variable>") in Strata layouts
(Dense kernel [in, out], Conv2D kernel HWIO, images NHWC). Everything is float32 and made by
numpy from a fixed seed per model, so regenerating gives byte-identical files.
"""
import numpy as np

BATCH = 4


def inp(name, shape):
    return {"name": name, "type": "Input", "config": {"shape": list(shape)}}


def dense(name, inbound, units, activation="linear", use_bias=True):
    return {"name": name, "type": "Dense",
            "config": {"units": units, "activation": activation, "use_bias": use_bias},
            "inbound": [inbound]}


def conv(name, inbound, filters, kernel=(3, 3), strides=(1, 1), padding="valid",
         activation="linear", use_bias=True, dilation=(1, 1), kind="Conv2D"):
    config = {"filters": filters, "kernel_size": list(kernel), "strides": list(strides),
              "padding": padding, "activation": activation, "use_bias": use_bias}
    if tuple(dilation) != (1, 1):
        config["dilation_rate"] = list(dilation)
    return {"name": name, "type": kind, "config": config, "inbound": [inbound]}


def pool(kind, name, inbound, size=(2, 2), strides=None, padding="valid"):
    return {"name": name, "type": kind,
            "config": {"pool_size": list(size), "strides": list(strides or size), "padding": padding},
            "inbound": [inbound]}


def simple(kind, name, inbound, **config):
    return {"name": name, "type": kind, "config": config,
            "inbound": inbound if isinstance(inbound, list) else [inbound]}


def spec(name, layers, inputs, outputs):
    return {"format": "strata.model/1", "name": name, "inputs": inputs, "outputs": outputs,
            "layers": layers}


class Init:
    """Initial weights in Strata layouts, from one numpy RandomState."""

    def __init__(self, rng):
        self.rng = rng
        self.weights = {}

    def f32(self, a):
        return np.asarray(a, dtype=np.float32)

    def dense(self, layer, fan_in, units, use_bias=True, scale=0.4):
        self.weights[f"model/{layer}/kernel"] = self.f32(self.rng.standard_normal((fan_in, units)) * scale)
        if use_bias:
            self.weights[f"model/{layer}/bias"] = self.f32(self.rng.standard_normal(units) * 0.1)

    def conv_transpose(self, layer, kh, kw, filters, cin, scale=0.3):
        """Conv2DTranspose: kernel [kh, kw, filters, input channels] as in Keras, bias [filters]."""
        self.weights[f"model/{layer}/kernel"] = self.f32(self.rng.standard_normal((kh, kw, filters, cin)) * scale)
        self.weights[f"model/{layer}/bias"] = self.f32(self.rng.standard_normal(filters) * 0.1)

    def conv(self, layer, kh, kw, cin, cout, use_bias=True, scale=0.3):
        self.weights[f"model/{layer}/kernel"] = self.f32(self.rng.standard_normal((kh, kw, cin, cout)) * scale)
        if use_bias:
            self.weights[f"model/{layer}/bias"] = self.f32(self.rng.standard_normal(cout) * 0.1)

    def batch_norm(self, layer, c):
        w = self.weights
        w[f"model/{layer}/gamma"] = self.f32(1.0 + 0.2 * self.rng.standard_normal(c))
        w[f"model/{layer}/beta"] = self.f32(0.1 * self.rng.standard_normal(c))
        w[f"model/{layer}/moving_mean"] = self.f32(0.1 * self.rng.standard_normal(c))
        w[f"model/{layer}/moving_variance"] = self.f32(self.rng.uniform(0.5, 1.5, c))

    def layer_norm(self, layer, c):
        self.weights[f"model/{layer}/gamma"] = self.f32(1.0 + 0.2 * self.rng.standard_normal(c))
        self.weights[f"model/{layer}/beta"] = self.f32(0.1 * self.rng.standard_normal(c))


def make_data(rng, shape):
    return np.asarray(rng.standard_normal((BATCH,) + tuple(shape)), dtype=np.float32)


def sparse_labels(rng, classes):
    # every class present where the batch allows it, in a shuffled order
    labels = np.arange(BATCH) % classes
    rng.shuffle(labels)
    return labels.astype(np.int64)


def build(name, seed, layers, input_shape, out, loss, labels_fn, init_fn):
    rng = np.random.RandomState(seed)
    init = Init(rng)
    init_fn(init)
    x = make_data(rng, input_shape)
    y = labels_fn(rng)
    return {"spec": spec(name, layers, ["input"], [out]),
            "loss": loss,
            "inputs": {"input": x},
            "labels": {out: y},
            "weights": init.weights}


SPARSE_CE = {"name": "sparse_categorical_crossentropy", "from_logits": False}
SPARSE_CE_LOGITS = {"name": "sparse_categorical_crossentropy", "from_logits": True}


def dense_softmax():
    layers = [inp("input", [6]), dense("dense", "input", 5, "relu"), dense("dense_1", "dense", 3, "softmax")]
    return build("dense_softmax", 101, layers, [6], "dense_1", SPARSE_CE, lambda r: sparse_labels(r, 3),
                 lambda i: (i.dense("dense", 6, 5), i.dense("dense_1", 5, 3)))


def dense_logits():
    layers = [inp("input", [6]), dense("dense", "input", 5, "relu"), dense("dense_1", "dense", 3, "linear")]
    return build("dense_logits", 102, layers, [6], "dense_1", SPARSE_CE_LOGITS, lambda r: sparse_labels(r, 3),
                 lambda i: (i.dense("dense", 6, 5), i.dense("dense_1", 5, 3)))


def dense_mse():
    layers = [inp("input", [4]), dense("dense", "input", 3, "tanh"), dense("dense_1", "dense", 2, "linear")]
    return build("dense_mse", 103, layers, [4], "dense_1", {"name": "mean_squared_error"},
                 lambda r: np.asarray(r.standard_normal((BATCH, 2)), dtype=np.float32),
                 lambda i: (i.dense("dense", 4, 3), i.dense("dense_1", 3, 2)))


def dense_bce():
    layers = [inp("input", [4]), dense("dense", "input", 3, "tanh"), dense("dense_1", "dense", 2, "sigmoid")]
    return build("dense_bce", 104, layers, [4], "dense_1",
                 {"name": "binary_crossentropy", "from_logits": False},
                 lambda r: r.randint(0, 2, (BATCH, 2)).astype(np.float32),
                 lambda i: (i.dense("dense", 4, 3), i.dense("dense_1", 3, 2)))


def dense_cce():
    def onehot(r):
        return np.eye(3, dtype=np.float32)[sparse_labels(r, 3)]
    layers = [inp("input", [4]), dense("dense", "input", 3, "tanh"), dense("dense_1", "dense", 3, "softmax")]
    return build("dense_cce", 105, layers, [4], "dense_1",
                 {"name": "categorical_crossentropy", "from_logits": False}, onehot,
                 lambda i: (i.dense("dense", 4, 3), i.dense("dense_1", 3, 3)))


def conv_valid():
    layers = [inp("input", [6, 6, 2]),
              conv("conv2d", "input", 3, padding="valid", activation="relu"),
              pool("MaxPooling2D", "max_pooling2d", "conv2d"),
              simple("Flatten", "flatten", "max_pooling2d"),
              dense("dense", "flatten", 3, "softmax")]
    return build("conv_valid", 106, layers, [6, 6, 2], "dense", SPARSE_CE, lambda r: sparse_labels(r, 3),
                 lambda i: (i.conv("conv2d", 3, 3, 2, 3), i.dense("dense", 12, 3)))


def conv_same_stride2():
    layers = [inp("input", [7, 7, 2]),
              conv("conv2d", "input", 4, strides=(2, 2), padding="same", activation="relu"),
              pool("AveragePooling2D", "average_pooling2d", "conv2d", padding="same"),
              simple("GlobalAveragePooling2D", "global_average_pooling2d", "average_pooling2d"),
              dense("dense", "global_average_pooling2d", 3, "linear")]
    return build("conv_same_stride2", 107, layers, [7, 7, 2], "dense", SPARSE_CE_LOGITS,
                 lambda r: sparse_labels(r, 3),
                 lambda i: (i.conv("conv2d", 3, 3, 2, 4), i.dense("dense", 4, 3)))


def pool_same():
    # 6x6 -> conv 3x3/2 same (pads 0 top/left, 1 bottom/right) -> 3x3
    # -> average 2x2/2 same (3 -> 2, pads 0/1: edge windows average only the valid cells)
    # -> max 2x2/1 same (2 -> 2, pads 0/1 with -inf; conv is linear so values are negative too)
    layers = [inp("input", [6, 6, 2]),
              conv("conv2d", "input", 3, strides=(2, 2), padding="same", activation="linear"),
              pool("AveragePooling2D", "average_pooling2d", "conv2d", padding="same"),
              pool("MaxPooling2D", "max_pooling2d", "average_pooling2d", strides=(1, 1), padding="same"),
              simple("Flatten", "flatten", "max_pooling2d"),
              dense("dense", "flatten", 2, "linear")]
    return build("pool_same", 108, layers, [6, 6, 2], "dense", {"name": "mean_squared_error"},
                 lambda r: np.asarray(r.standard_normal((BATCH, 2)), dtype=np.float32),
                 lambda i: (i.conv("conv2d", 3, 3, 2, 3), i.dense("dense", 12, 2)))


def norms():
    # the Dense before BatchNormalization has no bias: BN removes it, so its gradient is 0 in
    # exact arithmetic and float noise would drive Adam/RMSprop updates of it (sign of noise)
    layers = [inp("input", [6]),
              dense("dense", "input", 8, "linear", use_bias=False),
              simple("BatchNormalization", "batch_normalization", "dense", momentum=0.99, epsilon=0.001),
              simple("Activation", "activation", "batch_normalization", activation="relu"),
              dense("dense_1", "activation", 8, "linear"),
              simple("LayerNormalization", "layer_normalization", "dense_1", epsilon=0.001),
              dense("dense_2", "layer_normalization", 3, "softmax")]

    def init(i):
        i.dense("dense", 6, 8, use_bias=False)
        i.batch_norm("batch_normalization", 8)
        i.dense("dense_1", 8, 8)
        i.layer_norm("layer_normalization", 8)
        i.dense("dense_2", 8, 3)
    return build("norms", 109, layers, [6], "dense_2", SPARSE_CE, lambda r: sparse_labels(r, 3), init)


def conv_bn():
    layers = [inp("input", [5, 5, 2]),
              conv("conv2d", "input", 4, padding="same", activation="linear", use_bias=False),
              simple("BatchNormalization", "batch_normalization", "conv2d", momentum=0.99, epsilon=0.001),
              simple("GlobalAveragePooling2D", "global_average_pooling2d", "batch_normalization"),
              dense("dense", "global_average_pooling2d", 2, "softmax")]

    def init(i):
        i.conv("conv2d", 3, 3, 2, 4, use_bias=False)
        i.batch_norm("batch_normalization", 4)
        i.dense("dense", 4, 2, scale=1.0)
    return build("conv_bn", 110, layers, [5, 5, 2], "dense", SPARSE_CE, lambda r: sparse_labels(r, 2), init)


def merge():
    layers = [inp("input", [6]),
              dense("dense", "input", 4, "relu"),
              dense("dense_1", "input", 4, "tanh"),
              simple("Add", "add", ["dense", "dense_1"]),
              dense("dense_2", "input", 4, "sigmoid"),
              simple("Multiply", "multiply", ["add", "dense_2"]),
              simple("Concatenate", "concatenate", ["multiply", "dense"], axis=-1),
              dense("dense_3", "concatenate", 3, "softmax")]

    def init(i):
        i.dense("dense", 6, 4)
        i.dense("dense_1", 6, 4)
        i.dense("dense_2", 6, 4)
        i.dense("dense_3", 8, 3)
    return build("merge", 111, layers, [6], "dense_3", SPARSE_CE, lambda r: sparse_labels(r, 3), init)


def conv_transpose():
    # 3x3 -> Conv2DTranspose 3x3/2 valid: 3*2 + (3-2) = 7 -> Conv2DTranspose 3x3/2 same: 7*2 = 14,
    # TF padding of the forward conv 14 -> 7 (k 3, s 2): total 1, so 0 rows cut at the top/left and
    # 1 at the bottom/right of the full (7-1)*2 + 3 = 15 output. Kernels [kh, kw, filters, in].
    layers = [inp("input", [3, 3, 2]),
              conv("conv2d_transpose", "input", 3, strides=(2, 2), padding="valid", activation="relu",
                   kind="Conv2DTranspose"),
              conv("conv2d_transpose_1", "conv2d_transpose", 2, strides=(2, 2), padding="same",
                   kind="Conv2DTranspose"),
              simple("GlobalAveragePooling2D", "global_average_pooling2d", "conv2d_transpose_1"),
              dense("dense", "global_average_pooling2d", 3, "softmax")]

    def init(i):
        i.conv_transpose("conv2d_transpose", 3, 3, 3, 2)
        i.conv_transpose("conv2d_transpose_1", 3, 3, 2, 3)
        i.dense("dense", 2, 3, scale=1.0)
    return build("conv_transpose", 112, layers, [3, 3, 2], "dense", SPARSE_CE, lambda r: sparse_labels(r, 3), init)


def conv_dilated():
    # 7x7 -> Conv2D 3x3 dilation 2 valid (span 5) -> 3x3 -> Conv2D 2x2 dilation 2 same (span 3, pads 1/1)
    layers = [inp("input", [7, 7, 2]),
              conv("conv2d", "input", 3, padding="valid", activation="tanh", dilation=(2, 2)),
              conv("conv2d_1", "conv2d", 2, kernel=(2, 2), padding="same", dilation=(2, 2)),
              simple("Flatten", "flatten", "conv2d_1"),
              dense("dense", "flatten", 3, "linear")]

    def init(i):
        i.conv("conv2d", 3, 3, 2, 3)
        i.conv("conv2d_1", 2, 2, 3, 2, scale=0.5)
        i.dense("dense", 18, 3)
    return build("conv_dilated", 113, layers, [7, 7, 2], "dense", SPARSE_CE_LOGITS, lambda r: sparse_labels(r, 3), init)


def padding_leaky_relu():
    # ZeroPadding2D [[1, 2], [0, 1]] (asymmetric: 4x4 -> 7x5), a linear conv so values of both signs
    # reach LeakyReLU (alpha 0.25) and ReLU (negative_slope 0.1, max_value 0.5: both kinks active).
    layers = [inp("input", [4, 4, 2]),
              simple("ZeroPadding2D", "zero_padding2d", "input", padding=[[1, 2], [0, 1]]),
              conv("conv2d", "zero_padding2d", 3, padding="valid"),
              simple("LeakyReLU", "leaky_re_lu", "conv2d", alpha=0.25),
              simple("ReLU", "re_lu", "leaky_re_lu", max_value=0.5, negative_slope=0.1),
              simple("Flatten", "flatten", "re_lu"),
              dense("dense", "flatten", 2, "linear")]

    def init(i):
        i.conv("conv2d", 3, 3, 2, 3, scale=0.5)
        i.dense("dense", 45, 2, scale=0.2)
    return build("padding_leaky_relu", 114, layers, [4, 4, 2], "dense", {"name": "mean_squared_error"},
                 lambda r: np.asarray(r.standard_normal((BATCH, 2)), dtype=np.float32), init)


# Dropout: the engine's mask is a pure function of (seed, step, element index) through Philox4x32-10
# (engine/ir/Philox.h), with step = optimizer/iter before the update (0 for the forward pass, 0 and 1
# for the two optimizer steps). The spec gives the layer an explicit seed, so the golden can draw
# the very same masks (golden_torch.dropout_keep) and store them ("dropout_masks").
DROPOUT_SEED = 20261205
DROPOUT_RATE = 0.25


def dropout():
    layers = [inp("input", [6]),
              dense("dense", "input", 8, "tanh"),
              simple("Dropout", "dropout", "dense", rate=DROPOUT_RATE, seed=DROPOUT_SEED),
              dense("dense_1", "dropout", 3, "softmax")]
    return build("dropout", 115, layers, [6], "dense_1", SPARSE_CE, lambda r: sparse_labels(r, 3),
                 lambda i: (i.dense("dense", 6, 8), i.dense("dense_1", 8, 3)))


ACTIVATIONS = ["linear", "relu", "sigmoid", "tanh", "softmax", "elu", "selu", "softplus", "softsign", "swish",
               "silu", "gelu", "leaky_relu", "log_softmax", "exponential", "relu6", "hard_sigmoid",
               "hard_silu", "hard_swish", "mish", "gelu_tanh"]


def activations():
    # One Dense 3 branch per activation of engine/Activations.cpp, side by side from the input,
    # concatenated into a linear Dense 2 (MSE): every activation's forward and gradient shows.
    # relu6's kernel is scaled up so some of its inputs exceed 6 (the upper kink is exercised),
    # exponential's down so that exp stays small.
    layers = [inp("input", [4])]
    names = []
    for a in ACTIVATIONS:
        names.append(f"dense_{a}")
        layers.append(dense(names[-1], "input", 3, a))
    layers.append(simple("Concatenate", "concatenate", names, axis=-1))
    layers.append(dense("dense", "concatenate", 2, "linear"))

    def init(i):
        for a in ACTIVATIONS:
            i.dense(f"dense_{a}", 4, 3, scale={"relu6": 2.5, "exponential": 0.15, "hard_sigmoid": 3.0, "hard_silu": 2.0,
                                                         "hard_swish": 2.0}.get(a, 0.4))
        i.dense("dense", 3 * len(ACTIVATIONS), 2, scale=0.1)
    return build("activations", 116, layers, [4], "dense", {"name": "mean_squared_error"},
                 lambda r: np.asarray(r.standard_normal((BATCH, 2)), dtype=np.float32), init)


def permute_reshape():
    # A channel shuffle as an imported PyTorch ShuffleNet has it in NHWC: Reshape (H, W, 4) ->
    # (H, W, 2, 2), Permute the last two axes, Reshape back; then a Permute to (C, H, W) before
    # Flatten (PyTorch's flatten order), so the Dense kernel rows see channel-major features.
    layers = [inp("input", [2, 3, 2]),
              conv("conv2d", "input", 4, kernel=(1, 1), padding="valid", activation="tanh"),
              simple("Reshape", "reshape", "conv2d", target_shape=[2, 3, 2, 2]),
              simple("Permute", "permute", "reshape", dims=[1, 2, 4, 3]),
              simple("Reshape", "reshape_1", "permute", target_shape=[2, 3, -1]),
              simple("Permute", "permute_1", "reshape_1", dims=[3, 1, 2]),
              simple("Flatten", "flatten", "permute_1"),
              dense("dense", "flatten", 3, "softmax")]

    def init(i):
        i.conv("conv2d", 1, 1, 2, 4, scale=0.6)
        i.dense("dense", 24, 3)
    return build("permute_reshape", 151, layers, [2, 3, 2], "dense", SPARSE_CE, lambda r: sparse_labels(r, 3), init)


def depthwise_grouped():
    # 8x8x3 -> DepthwiseConv2D 3x3/2 same, depth_multiplier 2, relu (8 -> 4: TF pads 0 top/left, 1
    # bottom/right) -> Conv2D 6 3x3 same, groups 3 (2 input and 2 output channels per group), tanh ->
    # SeparableConv2D 4 3x3 valid, depth_multiplier 2 (4 -> 2) -> Flatten -> Dense 3 softmax.
    layers = [inp("input", [8, 8, 3]),
              simple("DepthwiseConv2D", "depthwise_conv2d", "input", kernel_size=[3, 3], strides=[2, 2],
                     padding="same", depth_multiplier=2, activation="relu"),
              simple("Conv2D", "conv2d", "depthwise_conv2d", filters=6, kernel_size=[3, 3], padding="same",
                     groups=3, activation="tanh", strides=[1, 1]),
              simple("SeparableConv2D", "separable_conv2d", "conv2d", filters=4, kernel_size=[3, 3], padding="valid",
                     depth_multiplier=2, strides=[1, 1]),
              simple("Flatten", "flatten", "separable_conv2d"),
              dense("dense", "flatten", 3, "softmax")]

    def init(i):
        w = i.weights
        w["model/depthwise_conv2d/depthwise_kernel"] = i.f32(i.rng.standard_normal((3, 3, 3, 2)) * 0.4)
        w["model/depthwise_conv2d/bias"] = i.f32(i.rng.standard_normal(6) * 0.1)
        i.conv("conv2d", 3, 3, 2, 6)  # HWIO with I = 6 / groups
        w["model/separable_conv2d/depthwise_kernel"] = i.f32(i.rng.standard_normal((3, 3, 6, 2)) * 0.4)
        w["model/separable_conv2d/pointwise_kernel"] = i.f32(i.rng.standard_normal((1, 1, 12, 4)) * 0.3)
        w["model/separable_conv2d/bias"] = i.f32(i.rng.standard_normal(4) * 0.1)
        i.dense("dense", 16, 3)
    return build("depthwise_grouped", 117, layers, [8, 8, 3], "dense", SPARSE_CE, lambda r: sparse_labels(r, 3), init)


def pool_padded():
    # 9x9 -> conv 3x3 same -> max 3/2 pads 1 (ResNet's stem pool: 9 -> 5)
    # -> max 2/2 pads 1 ceil_mode (5 -> 3: PyTorch drops the 4th window, which would start in the
    #    bottom pad) -> average 3/2 pads 1 ceil_mode (3 -> 2; pads not counted) -> Flatten -> Dense 2
    def padded(kind, name, inbound, size, pad, ceil):
        layer = pool(kind, name, inbound, size=(size, size), strides=(2, 2), padding=[[pad, pad], [pad, pad]])
        layer["config"]["ceil_mode"] = ceil
        return layer
    layers = [inp("input", [9, 9, 2]),
              conv("conv2d", "input", 3, padding="same", activation="linear"),
              padded("MaxPooling2D", "max_pooling2d", "conv2d", 3, 1, False),
              padded("MaxPooling2D", "max_pooling2d_1", "max_pooling2d", 2, 1, True),
              padded("AveragePooling2D", "average_pooling2d", "max_pooling2d_1", 3, 1, True),
              simple("Flatten", "flatten", "average_pooling2d"),
              dense("dense", "flatten", 2, "linear")]
    return build("pool_padded", 117, layers, [9, 9, 2], "dense", {"name": "mean_squared_error"},
                 lambda r: np.asarray(r.standard_normal((BATCH, 2)), dtype=np.float32),
                 lambda i: (i.conv("conv2d", 3, 3, 2, 3), i.dense("dense", 12, 2)))


def upsample_crop():
    # 3x4 -> conv 2x2 valid (2x3) -> UpSampling2D (2, 3) nearest (4x9) -> Cropping2D [[1, 0], [2, 1]]
    # (3x6) -> UpSampling2D 2 bilinear (6x12) -> Flatten -> Dense 2, plus GlobalMaxPooling2D ->
    # Dense 2, added
    layers = [inp("input", [3, 4, 2]),
              conv("conv2d", "input", 2, kernel=(2, 2), activation="linear"),
              simple("UpSampling2D", "up_sampling2d", "conv2d", size=[2, 3], interpolation="nearest"),
              simple("Cropping2D", "cropping2d", "up_sampling2d", cropping=[[1, 0], [2, 1]]),
              simple("UpSampling2D", "up_sampling2d_1", "cropping2d", size=[2, 2], interpolation="bilinear"),
              simple("Flatten", "flatten", "up_sampling2d_1"),
              dense("dense", "flatten", 2, "linear"),
              simple("GlobalMaxPooling2D", "global_max_pooling2d", "up_sampling2d_1"),
              dense("dense_1", "global_max_pooling2d", 2, "linear"),
              simple("Add", "add", ["dense", "dense_1"])]
    return build("upsample_crop", 118, layers, [3, 4, 2], "add", {"name": "mean_squared_error"},
                 lambda r: np.asarray(r.standard_normal((BATCH, 2)), dtype=np.float32),
                 lambda i: (i.conv("conv2d", 2, 2, 2, 2), i.dense("dense", 144, 2, scale=0.1), i.dense("dense_1", 2, 2)))


def activation_layers():
    # Conv2D 4 (linear) -> PReLU (alpha per channel: shared_axes [1, 2]) -> ReLU (threshold 0.2,
    # negative_slope 0.1, max_value 1.2: every branch reached) -> a squeeze-and-excitation product:
    # AveragePooling2D over the whole image (N, 1, 1, 4) -> Dense 4 hard_sigmoid, broadcast
    # Multiply with (N, 4, 4, 4) -> Softmax over axis 1 (the height) -> Rescaling (x 2 - 0.5)
    # -> Flatten -> Dense 3 (MSE). The SE branch's Dense also checks broadcast gradients.
    layers = [inp("input", [4, 4, 2]),
              conv("conv2d", "input", 4, padding="same"),
              simple("PReLU", "p_re_lu", "conv2d", alpha_initializer="zeros", shared_axes=[1, 2]),
              simple("ReLU", "re_lu", "p_re_lu", max_value=1.2, negative_slope=0.1, threshold=0.2),
              pool("AveragePooling2D", "squeeze", "re_lu", size=(4, 4)),
              dense("excite", "squeeze", 4, "hard_sigmoid"),
              simple("Multiply", "multiply", ["re_lu", "excite"]),
              simple("Softmax", "softmax", "multiply", axis=1),
              simple("Rescaling", "rescaling", "softmax", scale=2.0, offset=-0.5),
              simple("Flatten", "flatten", "rescaling"),
              dense("dense", "flatten", 3, "linear")]

    def init(i):
        i.conv("conv2d", 3, 3, 2, 4, scale=0.5)
        i.weights["model/p_re_lu/alpha"] = i.f32(0.25 + 0.1 * i.rng.standard_normal((1, 1, 4)))
        i.dense("excite", 4, 4, scale=2.0)
        i.dense("dense", 64, 3, scale=0.2)
    return build("activation_layers", 117, layers, [4, 4, 2], "dense", {"name": "mean_squared_error"},
                 lambda r: np.asarray(r.standard_normal((BATCH, 3)), dtype=np.float32), init)


def slice_split():
    # ShuffleNet's channel split as PyTorch's x.chunk(2, dim=1) imports it: 6 channels -> Slice
    # [0:3] and Slice [3:] (stop null), the second through a 3x3 conv, joined again; then a Slice of
    # the height with a negative stop ([1:-1]) -> Flatten -> Dense 3 softmax.
    layers = [inp("input", [4, 4, 2]),
              conv("conv2d", "input", 6, kernel=(1, 1), padding="valid", activation="tanh"),
              simple("Slice", "slice", "conv2d", axis=-1, start=0, stop=3),
              simple("Slice", "slice_1", "conv2d", axis=3, start=3, stop=None),
              conv("conv2d_1", "slice_1", 3, padding="same", activation="relu"),
              simple("Concatenate", "concatenate", ["slice", "conv2d_1"], axis=-1),
              simple("Slice", "slice_2", "concatenate", axis=1, start=1, stop=-1),
              simple("Flatten", "flatten", "slice_2"),
              dense("dense", "flatten", 3, "softmax")]

    def init(i):
        i.conv("conv2d", 1, 1, 2, 6, scale=0.7)
        i.conv("conv2d_1", 3, 3, 3, 3, scale=0.4)
        i.dense("dense", 48, 3, scale=0.3)
    return build("slice_split", 163, layers, [4, 4, 2], "dense", SPARSE_CE, lambda r: sparse_labels(r, 3), init)


def sequence_conv1d():
    # (11 steps, 3 channels) -> Conv1D 4 k3 dilation 2 "same" tanh (11) -> Conv1D 5 k3 dilation 2
    # "causal" (11) -> Conv1D 3 k2 stride 2 "valid" relu (5) -> MaxPooling1D 3/2 "same" (3) ->
    # AveragePooling1D 2/1 "same" (3; the last window holds one step) -> GlobalAveragePooling1D ->
    # Dense 3, plus GlobalMaxPooling1D -> Dense 3, added (logits)
    def conv1d(name, inbound, filters, kernel, padding, activation="linear", strides=1, dilation=1):
        return simple("Conv1D", name, inbound, filters=filters, kernel_size=kernel, strides=strides, padding=padding,
                      dilation_rate=dilation, activation=activation)
    layers = [inp("input", [11, 3]),
              conv1d("conv1d", "input", 4, 3, "same", "tanh", dilation=2),
              conv1d("conv1d_1", "conv1d", 5, 3, "causal", dilation=2),
              conv1d("conv1d_2", "conv1d_1", 3, 2, "valid", "relu", strides=2),
              simple("MaxPooling1D", "max_pooling1d", "conv1d_2", pool_size=3, strides=2, padding="same"),
              simple("AveragePooling1D", "average_pooling1d", "max_pooling1d", pool_size=2, strides=1, padding="same"),
              simple("GlobalAveragePooling1D", "global_average_pooling1d", "average_pooling1d"),
              dense("dense", "global_average_pooling1d", 3, "linear"),
              simple("GlobalMaxPooling1D", "global_max_pooling1d", "average_pooling1d"),
              dense("dense_1", "global_max_pooling1d", 3, "linear"),
              simple("Add", "add", ["dense", "dense_1"])]

    def init(i):
        for layer, k, cin, cout in (("conv1d", 3, 3, 4), ("conv1d_1", 3, 4, 5), ("conv1d_2", 2, 5, 3)):
            i.weights[f"model/{layer}/kernel"] = i.f32(i.rng.standard_normal((k, cin, cout)) * 0.5)  # (k, in, filters)
            i.weights[f"model/{layer}/bias"] = i.f32(i.rng.standard_normal(cout) * 0.1)
        i.dense("dense", 3, 3)
        i.dense("dense_1", 3, 3)
    return build("sequence_conv1d", 119, layers, [11, 3], "add", SPARSE_CE_LOGITS, lambda r: sparse_labels(r, 3), init)


def two_heads():
    # Two Inputs, a shared trunk, a classification head and a regression head, trained on the
    # weighted sum of their losses (Keras' loss={...}, loss_weights={...}).
    layers = [inp("a", [4]), inp("b", [3]),
              dense("a_proj", "a", 5, "tanh"),
              dense("b_proj", "b", 5, "relu"),
              simple("Concatenate", "joined", ["a_proj", "b_proj"], axis=-1),
              dense("trunk", "joined", 6, "tanh"),
              dense("cls", "trunk", 3, "softmax"),
              dense("reg", "trunk", 2, "linear")]
    rng = np.random.RandomState(164)
    init = Init(rng)
    init.dense("a_proj", 4, 5)
    init.dense("b_proj", 3, 5)
    init.dense("trunk", 10, 6)
    init.dense("cls", 6, 3)
    init.dense("reg", 6, 2)
    a, b = make_data(rng, [4]), make_data(rng, [3])
    return {"spec": spec("two_heads", layers, ["a", "b"], ["cls", "reg"]),
            "loss": {"name": "sparse_categorical_crossentropy", "from_logits": False,
                     "outputs": {"cls": {"name": "sparse_categorical_crossentropy", "weight": 1.0},
                                 "reg": {"name": "mean_squared_error", "weight": 0.5}}},
            "inputs": {"a": a, "b": b},
            "labels": {"cls": sparse_labels(rng, 3),
                       "reg": np.asarray(rng.standard_normal((BATCH, 2)), dtype=np.float32)},
            "weights": init.weights}


MODELS = {f.__name__: f for f in [dense_softmax, dense_logits, dense_mse, dense_bce, dense_cce, conv_valid,
                                  conv_same_stride2, pool_same, norms, conv_bn, merge, conv_transpose,
                                  conv_dilated, padding_leaky_relu, dropout, activations, permute_reshape, depthwise_grouped, pool_padded, upsample_crop, activation_layers,
                                  slice_split, two_heads, sequence_conv1d]}
