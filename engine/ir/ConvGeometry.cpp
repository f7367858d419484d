#include "engine/ir/ConvGeometry.h"

#include "engine/Error.h"

#include <algorithm>

namespace strata::ir {

Padding parsePadding(const std::string& s) {
    if (s == "valid") return Padding::Valid;
    if (s == "same") return Padding::Same;
    throw ConfigError("padding must be \"valid\" or \"same\", got \"" + s + "\"");
}

const char* paddingName(Padding p) { return p == Padding::Same ? "same" : "valid"; }

namespace {
// One spatial axis: output size and leading pad.
void axis(int64_t in, int64_t k, int64_t s, int64_t d, Padding p, int64_t& out, int64_t& pad, const std::string& what,
          const Shape& input) {
    if (k < 1 || s < 1 || d < 1)
        throw ShapeError(what + ": window, strides and dilations must be positive");
    const int64_t span = (k - 1) * d + 1;
    if (p == Padding::Same) {
        out = (in + s - 1) / s;
        const int64_t total = std::max<int64_t>((out - 1) * s + span - in, 0);
        pad = total / 2;
    } else {
        if (in < span)
            throw ShapeError(what + ": input " + input.toString() + " is smaller than the window (" +
                             std::to_string(span) + ") with padding \"valid\"");
        out = (in - span) / s + 1;
        pad = 0;
    }
}
} // namespace

Window2D conv2dWindow(const Shape& input, const Shape& filter, const Conv2DParams& p, const std::string& what) {
    if (input.rank() != 4) throw ShapeError(what + ": input must be NHWC (rank 4), got " + input.toString());
    if (filter.rank() != 4) throw ShapeError(what + ": kernel must be HWIO (rank 4), got " + filter.toString());
    if (p.groups < 1) throw ShapeError(what + ": groups must be positive, got " + std::to_string(p.groups));
    if (filter[2] * p.groups != input[3])
        throw ShapeError(what + ": kernel " + filter.toString() + " with " + std::to_string(p.groups) + " group(s) expects " +
                         std::to_string(filter[2] * p.groups) + " input channels, input " + input.toString() + " has " +
                         std::to_string(input[3]));
    if (filter[3] % p.groups != 0)
        throw ShapeError(what + ": kernel " + filter.toString() + " has " + std::to_string(filter[3]) +
                         " output channels, not a multiple of groups (" + std::to_string(p.groups) + ")");
    Window2D w;
    w.groups = p.groups;
    w.n = input[0], w.inH = input[1], w.inW = input[2], w.inC = input[3];
    w.kH = filter[0], w.kW = filter[1], w.outC = filter[3];
    w.strideH = p.strideH, w.strideW = p.strideW, w.dilationH = p.dilationH, w.dilationW = p.dilationW;
    axis(w.inH, w.kH, w.strideH, w.dilationH, p.padding, w.outH, w.padTop, what, input);
    axis(w.inW, w.kW, w.strideW, w.dilationW, p.padding, w.outW, w.padLeft, what, input);
    return w;
}

Window2D pool2dWindow(const Shape& input, const Pool2DParams& p, const std::string& what) {
    if (input.rank() != 4) throw ShapeError(what + ": input must be NHWC (rank 4), got " + input.toString());
    Window2D w;
    w.n = input[0], w.inH = input[1], w.inW = input[2], w.inC = w.outC = input[3];
    w.kH = p.poolH, w.kW = p.poolW, w.strideH = p.strideH, w.strideW = p.strideW;
    axis(w.inH, w.kH, w.strideH, 1, p.padding, w.outH, w.padTop, what, input);
    axis(w.inW, w.kW, w.strideW, 1, p.padding, w.outW, w.padLeft, what, input);
    return w;
}

} // namespace strata::ir

namespace strata::ir {

void writeConv2DAttrs(Attrs& a, const Conv2DParams& p) {
    a.set("strides", std::vector<int64_t>{p.strideH, p.strideW});
    a.set("dilations", std::vector<int64_t>{p.dilationH, p.dilationW});
    a.set("padding", paddingName(p.padding));
    if (p.groups != 1) a.set("groups", p.groups); // absent means 1: ungrouped graphs keep their attributes
}

Conv2DParams readConv2DAttrs(const Attrs& a) {
    Conv2DParams p;
    const auto& s = a.ints("strides");
    const auto& d = a.ints("dilations");
    p.strideH = s[0], p.strideW = s[1], p.dilationH = d[0], p.dilationW = d[1];
    p.padding = parsePadding(a.string("padding"));
    p.groups = a.integer("groups", 1);
    return p;
}

void writePool2DAttrs(Attrs& a, const Pool2DParams& p) {
    a.set("pool_size", std::vector<int64_t>{p.poolH, p.poolW});
    a.set("strides", std::vector<int64_t>{p.strideH, p.strideW});
    a.set("padding", paddingName(p.padding));
}

Pool2DParams readPool2DAttrs(const Attrs& a) {
    Pool2DParams p;
    const auto& k = a.ints("pool_size");
    const auto& s = a.ints("strides");
    p.poolH = k[0], p.poolW = k[1], p.strideH = s[0], p.strideW = s[1];
    p.padding = parsePadding(a.string("padding"));
    return p;
}

} // namespace strata::ir
