// Output sizes and paddings of NHWC convolutions and pools, with Keras/TensorFlow semantics:
//   valid: out = floor((in - ((k-1)*d + 1)) / s) + 1
//   same:  out = ceil(in / s); total pad = max((out-1)*s + (k-1)*d + 1 - in, 0);
//          top/left get floor(total/2), bottom/right the rest.
// Shared by shape inference (Graph builders) and kernels, so both always agree.
#pragma once

#include "engine/Shape.h"

#include <cstdint>
#include <string>

namespace strata::ir {

enum class Padding { Valid, Same };
Padding parsePadding(const std::string& s); // "valid" | "same"; throws ConfigError otherwise
const char* paddingName(Padding p);

struct Conv2DParams {
    int64_t strideH = 1, strideW = 1;
    int64_t dilationH = 1, dilationW = 1;
    Padding padding = Padding::Valid;
    // Grouped convolution (Keras `groups`): input channels split in `groups` equal parts, each
    // convolved with its own filters.size(3)/groups output channels; filter HWIO with I = inC/groups.
    // groups == inC is a depthwise convolution (output channel o reads input channel o / (outC/inC)).
    int64_t groups = 1;
};

// A pool's padding is "valid", "same" or, as a Strata extension of Keras (PyTorch's and ONNX's
// pools), explicit rows and columns around the image (`explicitPads`: padTop..padRight, each
// smaller than the window). ceilMode (valid or explicit) rounds the output size up, PyTorch's
// rule: out = ceil((in + pads - k) / s) + 1, less one when the last window would start past the
// input and its leading pad. Windows are clipped to the input either way.
struct Pool2DParams {
    int64_t poolH = 2, poolW = 2;
    int64_t strideH = 2, strideW = 2;
    Padding padding = Padding::Valid;
    bool explicitPads = false;
    int64_t padTop = 0, padBottom = 0, padLeft = 0, padRight = 0;
    bool ceilMode = false;
};

// Everything a 2-D window kernel needs: batch, input/output spatial sizes, window, stride,
// dilation, top/left padding, channels (inC == outC for pools).
struct Window2D {
    int64_t n = 0, inH = 0, inW = 0, inC = 0;
    int64_t kH = 1, kW = 1, outC = 0;
    int64_t outH = 0, outW = 0;
    int64_t strideH = 1, strideW = 1, dilationH = 1, dilationW = 1;
    int64_t padTop = 0, padLeft = 0;
    int64_t groups = 1; // convolutions only: the filter's I is inC / groups
};

// One axis of a pool with explicit pads and/or ceil_mode (the rule above Pool2DParams). Throws
// ShapeError naming `what` when a pad is negative or not smaller than k, or the window does not fit.
int64_t poolOutputSize(int64_t in, int64_t k, int64_t stride, int64_t padBefore, int64_t padAfter, bool ceilMode,
                       const std::string& what);

// input NHWC, filter HWIO (I = inC / groups). Throws ShapeError (naming `what`) when the window does not fit.
Window2D conv2dWindow(const Shape& input, const Shape& filter, const Conv2DParams& p, const std::string& what);
Window2D pool2dWindow(const Shape& input, const Pool2DParams& p, const std::string& what);

} // namespace strata::ir

#include "engine/ir/Attrs.h"

namespace strata::ir {
// Attribute round trip: strides, dilations, padding (+ groups when > 1) / pool_size, strides, padding (or
// "explicit" with pads [top, bottom, left, right]), ceil_mode.
void writeConv2DAttrs(Attrs& a, const Conv2DParams& p);
Conv2DParams readConv2DAttrs(const Attrs& a);
void writePool2DAttrs(Attrs& a, const Pool2DParams& p);
Pool2DParams readPool2DAttrs(const Attrs& a);
} // namespace strata::ir
