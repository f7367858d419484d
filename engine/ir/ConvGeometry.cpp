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

int64_t poolOutputSize(int64_t in, int64_t k, int64_t s, int64_t before, int64_t after, bool ceil, const std::string& what) {
    if (k < 1 || s < 1) throw ShapeError(what + ": window and strides must be positive");
    if (before < 0 || after < 0 || before >= k || after >= k)
        throw ShapeError(what + ": pads (" + std::to_string(before) + ", " + std::to_string(after) +
                         ") must be from 0 to the window's size less one (" + std::to_string(k - 1) + ")");
    const int64_t padded = in + before + after;
    if (padded < k)
        throw ShapeError(what + ": an input of " + std::to_string(in) + " with pads (" + std::to_string(before) + ", " +
                         std::to_string(after) + ") is smaller than the window (" + std::to_string(k) + ")");
    int64_t out = (padded - k + (ceil ? s - 1 : 0)) / s + 1;
    if (ceil && (out - 1) * s >= in + before) --out; // the last window must start inside the input or its leading pad
    return out;
}

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
    if (p.explicitPads || p.ceilMode) {
        if (p.explicitPads && p.padding == Padding::Same) throw ShapeError(what + ": explicit pads and padding \"same\" exclude each other");
        if (p.ceilMode && p.padding == Padding::Same) throw ShapeError(what + ": ceil_mode applies to \"valid\" or explicit pads, not \"same\"");
        w.outH = poolOutputSize(w.inH, w.kH, w.strideH, p.padTop, p.padBottom, p.ceilMode, what + " (height)");
        w.outW = poolOutputSize(w.inW, w.kW, w.strideW, p.padLeft, p.padRight, p.ceilMode, what + " (width)");
        w.padTop = p.padTop, w.padLeft = p.padLeft;
        return w;
    }
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
    a.set("padding", p.explicitPads ? "explicit" : paddingName(p.padding));
    if (p.explicitPads) a.set("pads", std::vector<int64_t>{p.padTop, p.padBottom, p.padLeft, p.padRight});
    if (p.ceilMode) a.set("ceil_mode", int64_t(1));
}

Pool2DParams readPool2DAttrs(const Attrs& a) {
    Pool2DParams p;
    const auto& k = a.ints("pool_size");
    const auto& s = a.ints("strides");
    p.poolH = k[0], p.poolW = k[1], p.strideH = s[0], p.strideW = s[1];
    const std::string& padding = a.string("padding");
    if (padding == "explicit") {
        const auto& pads = a.ints("pads");
        if (pads.size() != 4) throw ShapeError("pool attribute pads must hold 4 values (top, bottom, left, right)");
        p.explicitPads = true;
        p.padTop = pads[0], p.padBottom = pads[1], p.padLeft = pads[2], p.padRight = pads[3];
    } else {
        p.padding = parsePadding(padding);
    }
    p.ceilMode = a.has("ceil_mode") && a.integer("ceil_mode") != 0;
    return p;
}

} // namespace strata::ir
