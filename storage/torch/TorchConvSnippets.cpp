// model.py snippets of the depthwise convolutions (the table of snippets is in TorchSnippets.cpp).
namespace strata::storage::torch_snippets {

// weight (in_channels, depth_multiplier, kh, kw): Strata's (kh, kw, in, dm) kernel permuted
// (2, 3, 0, 1); read as nn.Conv2d's grouped (in*dm, 1, kh, kw) weight, output channel c*dm + m
// reading input channel c, as in Keras.
extern const char* const kDepthwiseConv2D = R"py(

class DepthwiseConv2D(nn.Module):
    """Strata (Keras) DepthwiseConv2D on NHWC tensors: F.conv2d with groups=in_channels. weight is
    (in_channels, depth_multiplier, kh, kw), Strata's (kh, kw, in, dm) kernel permuted (2, 3, 0, 1),
    reshaped to (in*dm, 1, kh, kw) for the convolution. padding "same" pads as TensorFlow."""

    def __init__(self, in_channels, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1,
                 dilation_rate=(1, 1), bias=True, activation="linear"):
        super().__init__()
        self.in_channels, self.kernel_size = in_channels, tuple(kernel_size)
        self.stride, self.dilation = tuple(strides), tuple(dilation_rate)
        self.weight = nn.Parameter(torch.empty(in_channels, depth_multiplier, *self.kernel_size))
        self.bias = nn.Parameter(torch.zeros(in_channels * depth_multiplier)) if bias else None
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        self.same = padding == "same"
        self.activation = activation

    def forward(self, x):
        x = x.permute(0, 3, 1, 2)
        if self.same:
            x = pad_same(x, self.kernel_size, self.stride, self.dilation)
        w = self.weight.reshape(-1, 1, *self.kernel_size)
        y = F.conv2d(x, w, self.bias, self.stride, 0, self.dilation, self.in_channels)
        return ACTIVATIONS[self.activation](y.permute(0, 2, 3, 1))

    def extra_repr(self):
        return (f"{self.in_channels}, {tuple(self.weight.shape[1:])}, stride={self.stride}, "
                f"dilation={self.dilation}, same={self.same}, activation={self.activation!r}")
)py";

extern const char* const kSeparableConv2D = R"py(

class SeparableConv2D(nn.Module):
    """Strata (Keras) SeparableConv2D on NHWC tensors: a DepthwiseConv2D without bias, then a 1x1
    Conv2D to `filters` with the bias and the activation."""

    def __init__(self, in_channels, filters, kernel_size, strides=(1, 1), padding="valid",
                 depth_multiplier=1, dilation_rate=(1, 1), bias=True, activation="linear"):
        super().__init__()
        self.depthwise = DepthwiseConv2D(in_channels, kernel_size, strides, padding, depth_multiplier,
                                         dilation_rate, bias=False)
        self.pointwise = Conv2D(in_channels * depth_multiplier, filters, (1, 1), bias=bias,
                                activation=activation)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))
)py";

} // namespace strata::storage::torch_snippets
