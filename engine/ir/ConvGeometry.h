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

struct Pool2DParams {
    int64_t poolH = 2, poolW = 2;
    int64_t strideH = 2, strideW = 2;
    Padding padding = Padding::Valid;
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

// input NHWC, filter HWIO (I = inC / groups). Throws ShapeError (naming `what`) when the window does not fit.
Window2D conv2dWindow(const Shape& input, const Shape& filter, const Conv2DParams& p, const std::string& what);
Window2D pool2dWindow(const Shape& input, const Pool2DParams& p, const std::string& what);

} // namespace strata::ir

#include "engine/ir/Attrs.h"

namespace strata::ir {
// Attribute round trip: strides, dilations, padding (+ groups when > 1) / pool_size, strides, padding.
void writeConv2DAttrs(Attrs& a, const Conv2DParams& p);
Conv2DParams readConv2DAttrs(const Attrs& a);
void writePool2DAttrs(Attrs& a, const Pool2DParams& p);
Pool2DParams readPool2DAttrs(const Attrs& a);
} // namespace strata::ir
