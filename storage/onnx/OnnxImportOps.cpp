// OnnxGraphImport, per ONNX operator: each inverts what a PyTorch export (NCHW) or Strata's own
// lowering (storage/onnx/OnnxLayers.cpp) writes for one layer.
#include "storage/onnx/OnnxGraphImport.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdio>
#include <cstdlib>
#include <functional>

namespace strata::storage {

using nlohmann::json;

namespace {

int64_t normalizedAxis(int64_t axis, std::size_t rank) { return axis < 0 ? axis + int64_t(rank) : axis; }

std::string list(const std::vector<int64_t>& v) { return json(v).dump(); }

// The product of v[from..]; -1 when a dim is unknown (-1); an overflow is an error, not a value.
[[maybe_unused]] int64_t product(const std::vector<int64_t>& v, std::size_t from = 0) {
    int64_t n = 1;
    for (std::size_t k = from; k < v.size(); ++k) {
        if (v[k] < 0 || n < 0) n = -1;
        else if (__builtin_mul_overflow(n, v[k], &n)) throw StrataError("the shape " + list(v) + " has too many elements");
    }
    return n;
}

// Strata's (Keras') output size and paddings of one window axis: "valid", or "same" with the odd
// pixel at the end (engine/ir/ConvGeometry.h).
struct WindowAxis {
    int64_t out, padBegin, padEnd;
};

WindowAxis strataWindow(int64_t in, int64_t k, int64_t s, int64_t d, bool same) {
    const int64_t span = (k - 1) * d + 1;
    if (!same) return {(in - span) / s + 1, 0, 0};
    const int64_t out = (in + s - 1) / s, total = std::max<int64_t>((out - 1) * s + span - in, 0);
    return {out, total / 2, total - total / 2};
}

// The padding ("valid" or "same") that gives the ONNX window op's pads, and the output shape.
// Fails when the pads cannot be expressed (asymmetric in another way, or the size is unknown).
struct WindowGeometry {
    std::string padding;
    int64_t outH = -1, outW = -1;
};

WindowGeometry windowGeometry(const OnnxNode& n, const std::vector<int64_t>& nchw, const std::vector<int64_t>& k,
                                     const std::vector<int64_t>& s, const std::vector<int64_t>& d,
                                     const std::function<void(const std::string&)>& fail) {
    const std::string autoPad = n.stringAttr("auto_pad", "NOTSET");
    std::vector<int64_t> pads = n.intsAttr("pads", {0, 0, 0, 0});
    if (pads.size() != 4) fail("pads " + list(pads) + " are not 4 values");
    const bool zero = pads == std::vector<int64_t>{0, 0, 0, 0};
    const bool ceil = n.intAttr("ceil_mode", 0) != 0;
    if (autoPad == "VALID" || (autoPad == "NOTSET" && zero)) {
        WindowGeometry g{"valid"};
        for (int a = 0; a < 2; ++a) {
            const int64_t in = nchw[std::size_t(2 + a)];
            if (in < 0) continue;
            const int64_t span = (k[std::size_t(a)] - 1) * d[std::size_t(a)] + 1;
            const WindowAxis w = strataWindow(in, k[std::size_t(a)], s[std::size_t(a)], d[std::size_t(a)], false);
            if (ceil && (in - span) % s[std::size_t(a)] != 0) fail("ceil_mode=1 gives another output size than Strata's pooling");
            (a == 0 ? g.outH : g.outW) = w.out;
        }
        return g;
    }
    if (autoPad != "NOTSET" && autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER") fail("auto_pad=" + autoPad + " is not supported");
    WindowGeometry g{"same"};
    for (int a = 0; a < 2; ++a) {
        const int64_t in = nchw[std::size_t(2 + a)];
        if (in < 0) {
            if (autoPad == "SAME_UPPER") continue;
            fail("padding needs a known input size (the spatial size is unknown)");
        }
        const WindowAxis w = strataWindow(in, k[std::size_t(a)], s[std::size_t(a)], d[std::size_t(a)], true);
        const int64_t total = w.padBegin + w.padEnd;
        const bool matches = autoPad == "SAME_UPPER" ? true
                             : autoPad == "SAME_LOWER" ? total % 2 == 0
                                                        : pads[std::size_t(a)] == w.padBegin && pads[std::size_t(a + 2)] == w.padEnd;
        if (!matches)
            fail("pads " + list(pads) + " with kernel " + list(k) + " and strides " + list(s) + " on a " + std::to_string(nchw[2]) + "x" +
                 std::to_string(nchw[3]) + " input are neither 'valid' nor 'same' padding");
        if (ceil) {
            const int64_t span = (k[std::size_t(a)] - 1) * d[std::size_t(a)] + 1;
            if ((in + total - span) % s[std::size_t(a)] != 0) fail("ceil_mode=1 gives another output size than Strata's pooling");
        }
        (a == 0 ? g.outH : g.outW) = w.out;
    }
    return g;
}

} // namespace

// The float's value as the shortest decimal that reads back as the same float.
double shortestDecimal(float v) {
    char buf[32];
    for (int digits = 6; digits <= 9; ++digits) { // 9 digits always read back
        std::snprintf(buf, sizeof buf, "%.*g", digits, double(v));
        if (std::strtof(buf, nullptr) == v) return std::strtod(buf, nullptr);
    }
    return double(v);
}

std::string windowAttrRangeProblem(const std::string& name, const std::vector<int64_t>& v, int64_t lo) {
    for (int64_t x : v)
        if (x < lo || x > kMaxWindowAttr)
            return name + " " + list(v) + " out of range (" + std::to_string(lo) + " to " + std::to_string(kMaxWindowAttr) + ")";
    return {};
}

void requireWindowAttrs(const std::vector<int64_t>& k, const std::vector<int64_t>& s, const std::vector<int64_t>& d,
                        const std::vector<int64_t>* pads, const std::function<void(const std::string&)>& fail) {
    auto check = [&](const char* name, const std::vector<int64_t>& v, std::size_t count, int64_t lo) {
        if (v.size() != count) fail(std::string(name) + " " + list(v) + " must have " + std::to_string(count) + " values");
        if (const std::string why = windowAttrRangeProblem(name, v, lo); !why.empty()) fail(why);
    };
    check("kernel_shape", k, 2, 1);
    check("strides", s, 2, 1);
    check("dilations", d, 2, 1);
    if (pads) check("pads", *pads, 4, 0);
}

const OnnxTensor& OnnxGraphImport::convWeight(const OnnxNode& n, const Value& x, std::size_t inputAxis, std::vector<int64_t>& k) {
    const std::string what = n.opType == "ConvTranspose" ? "transposed convolutions" : "convolutions";
    if (x.layout != Layout::ChannelsFirst) fail(n, "its input is not an NCHW image (rank " + std::to_string(x.shape.size()) + ")");
    const OnnxTensor& w = requireConstant(n, 1, "weight");
    if (w.dims.size() != 4) fail(n, "only 2-D " + what + " are supported (weight of rank " + std::to_string(w.dims.size()) + ")");
    // Conv's weight is (out, in / group, kh, kw); ConvTranspose (group 1 only) (in, filters, kh, kw).
    const int64_t group = n.intAttr("group", 1);
    if (group != 1 && (n.opType != "Conv" || group < 1 || x.shape[1] < 0 || group > x.shape[1] || w.dims[0] % group != 0))
        fail(n, "group=" + std::to_string(group) + " is not supported" +
                    (n.opType == "Conv" ? " (the output channels, " + std::to_string(w.dims[0]) + ", and the known input channels "
                                          "must be multiples of it)" : " in transposed convolutions"));
    if (x.shape[1] >= 0 && (x.shape[1] % group != 0 || w.dims[inputAxis] != x.shape[1] / group))
        fail(n, "the weight has " + std::to_string(w.dims[inputAxis]) + " input channels" +
                    (group != 1 ? " per group (" + std::to_string(group) + " groups)" : "") + ", the input " + std::to_string(x.shape[1]));
    k = {w.dims[2], w.dims[3]};
    if (n.intsAttr("kernel_shape", k) != k) fail(n, "kernel_shape " + list(n.intsAttr("kernel_shape")) + " does not match the weight");
    return w;
}

void OnnxGraphImport::zeroPadding(const OnnxNode& n, const std::vector<int64_t>& pads) {
    const Value x = input(n, 0);
    const std::string refused = "padding by " + list(pads) + " is not supported (only zeros around the height and width of an image, "
                                "or padding inside Conv and pools)";
    if (x.shape.size() != 4 || pads.size() != 8 || (x.layout != Layout::ChannelsFirst && x.layout != Layout::Same)) fail(n, refused);
    if (const std::string mode = n.stringAttr("mode", "constant"); mode != "constant") fail(n, "mode=" + mode + " is not supported (only constant zeros)");
    float value = n.floatAttr("value", 0.0f); // before opset 11; since, input 3
    if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
        const OnnxTensor& v = requireConstant(n, 2, "constant value");
        value = v.elementCount() == 1 ? v.floats[0] : 1.0f;
    }
    if (value != 0.0f) fail(n, "padding with a value other than 0 is not supported");
    // Axes in the ONNX tensor: NCHW (channels first) or NHWC (as Strata's).
    const bool nchw = x.layout == Layout::ChannelsFirst;
    const std::size_t h = nchw ? 2 : 1, w = nchw ? 3 : 2;
    for (std::size_t a = 0; a < 4; ++a)
        if ((a != h && a != w && (pads[a] != 0 || pads[a + 4] != 0)) || pads[a] < 0 || pads[a + 4] < 0) fail(n, refused);
    std::vector<int64_t> shape = x.shape;
    for (std::size_t a : {h, w})
        if (shape[a] >= 0) shape[a] += pads[a] + pads[a + 4];
    addLayer(n, "ZeroPadding2D", {{"padding", {{pads[h], pads[h + 4]}, {pads[w], pads[w + 4]}}}}, {x.layer}, x.layout, shape);
}

void OnnxGraphImport::conv(const OnnxNode& given) {
    OnnxNode n = given;
    Value x = input(n, 0);
    if (x.shape.size() == 3) return conv1d(n);
    std::vector<int64_t> k;
    const OnnxTensor& w = convWeight(n, x, 1, k);
    const OnnxAttribute* givenPads = n.attr("pads");
    requireWindowAttrs(k, n.intsAttr("strides", {1, 1}), n.intsAttr("dilations", {1, 1}), givenPads ? &givenPads->ints : nullptr,
                       [&](const std::string& why) { fail(n, why); });
    // Explicit pads that are not Keras' "same" for this input (PyTorch's k3/s2/padding 1, ResNet's
    // k7/s2/padding 3): a ZeroPadding2D layer, then a "valid" convolution, which is what they mean.
    if (const OnnxAttribute* padsAttr = n.attr("pads");
        padsAttr && n.stringAttr("auto_pad", "NOTSET") == "NOTSET" && padsAttr->ints.size() == 4 &&
        std::all_of(padsAttr->ints.begin(), padsAttr->ints.end(), [](int64_t p) { return p >= 0; }) &&
        std::any_of(padsAttr->ints.begin(), padsAttr->ints.end(), [](int64_t p) { return p > 0; })) {
        const std::vector<int64_t> pads = padsAttr->ints, s = n.intsAttr("strides", {1, 1}), d = n.intsAttr("dilations", {1, 1});
        bool same = s.size() == 2 && d.size() == 2;
        for (std::size_t a = 0; a < 2 && same; ++a) {
            const int64_t in = x.shape[2 + a];
            const WindowAxis sw = in < 0 ? WindowAxis{} : strataWindow(in, k[a], s[a], d[a], true);
            same = in >= 0 && pads[a] == sw.padBegin && pads[a + 2] == sw.padEnd;
        }
        if (!same) {
            OnnxNode pad = n;
            pad.name = (n.name.empty() ? n.outputs.at(0) : n.name) + "_pad";
            pad.outputs = {n.outputs.at(0) + "/zero_pad"};
            auto grow = [](int64_t dim, int64_t by) { return dim < 0 ? dim : dim + by; };
            addLayer(pad, "ZeroPadding2D", {{"padding", {{pads[0], pads[2]}, {pads[1], pads[3]}}}}, {x.layer}, Layout::ChannelsFirst,
                     {x.shape[0], x.shape[1], grow(x.shape[2], pads[0] + pads[2]), grow(x.shape[3], pads[1] + pads[3])});
            x = values_.at(pad.outputs[0]);
            for (OnnxAttribute& a : n.attributes)
                if (a.name == "pads") a.ints = {0, 0, 0, 0};
        }
    }
    const auto strides = n.intsAttr("strides", {1, 1}), dilations = n.intsAttr("dilations", {1, 1});
    if (strides.size() != 2 || dilations.size() != 2) fail(n, "strides and dilations must have two values");
    const WindowGeometry g = windowGeometry(n, x.shape, k, strides, dilations, [&](const std::string& why) { fail(n, why); });
    const OnnxTensor* b = n.inputs.size() > 2 && !n.inputs[2].empty() ? &requireConstant(n, 2, "bias") : nullptr;
    if (b && b->elementCount() != w.dims[0]) fail(n, "the bias has " + std::to_string(b->elementCount()) + " values for " + std::to_string(w.dims[0]) + " filters");
    json config = {{"kernel_size", k},         {"strides", strides},        {"padding", g.padding},
                   {"dilation_rate", dilations}, {"use_bias", b != nullptr}};
    // group == in channels: DepthwiseConv2D (depth_multiplier out / in), whose kernel (kh, kw, in, dm) is
    // the grouped HWIO filter (kh, kw, 1, in*dm) read in place; any other group: Conv2D with groups.
    const int64_t group = n.intAttr("group", 1);
    const bool depthwise = group > 1 && group == x.shape[1];
    if (depthwise) config["depth_multiplier"] = w.dims[0] / group;
    else config["filters"] = w.dims[0];
    if (group > 1 && !depthwise) config["groups"] = group;
    const int l = addLayer(n, depthwise ? "DepthwiseConv2D" : "Conv2D", config, {x.layer}, Layout::ChannelsFirst,
                           {x.shape[0], w.dims[0], g.outH, g.outW});
    Tensor kernel = kernelOihwToHwio(w.dims, w.floats);
    if (depthwise) kernel.reshape(Shape{k[0], k[1], group, w.dims[0] / group});
    layers_[std::size_t(l)].weights[depthwise ? "depthwise_kernel" : "kernel"] = std::move(kernel);
    if (b) layers_[std::size_t(l)].weights["bias"] = importedTensor({w.dims[0]}, b->floats);
}

void OnnxGraphImport::reduceMean(const OnnxNode& n) {
    const Value x = input(n, 0);
    std::vector<int64_t> axes = n.intsAttr("axes");
    if (n.inputs.size() > 1 && !n.inputs[1].empty()) axes = requireConstant(n, 1, "shape").ints; // opset 18: axes as an input
    for (int64_t& a : axes) a = normalizedAxis(a, x.shape.size());
    std::sort(axes.begin(), axes.end());
    const bool keep = n.intAttr("keepdims", 1) != 0;
    if (reduceOverSteps(n, false)) return;
    const bool nchwSpatial = x.layout == Layout::ChannelsFirst && axes == std::vector<int64_t>{2, 3};
    const bool nhwcSpatial = x.layout == Layout::Same && x.shape.size() == 4 && axes == std::vector<int64_t>{1, 2};
    if (!nchwSpatial && !nhwcSpatial) fail(n, "only a mean over the spatial axes of an image (global average pooling) is supported, not axes " + list(axes));
    const int64_t c = nchwSpatial ? x.shape[1] : x.shape[3];
    const std::vector<int64_t> shape = !keep ? std::vector<int64_t>{x.shape[0], c}
                                       : nchwSpatial ? std::vector<int64_t>{x.shape[0], c, 1, 1}
                                                     : std::vector<int64_t>{x.shape[0], 1, 1, c};
    addLayer(n, "GlobalAveragePooling2D", {{"keepdims", keep}}, {x.layer}, keep ? x.layout : Layout::Same, shape);
}

void OnnxGraphImport::batchNorm(const OnnxNode& n) {
    const Value x = input(n, 0);
    if (n.intAttr("training_mode", 0) != 0) fail(n, "training_mode=1 is not supported (export the model in eval mode)");
    // ONNX normalizes axis 1, which must be Strata's last (channels) axis: (batch, features),
    // an NCHW image, an (N, C, W) sequence.
    if (x.layout == Layout::FlatChw || x.shape.size() < 2 || strataAxes(x)[1] != int64_t(x.shape.size()) - 1)
        fail(n, "only (batch, features) tensors, (N, C, W) sequences and NCHW images are supported (axis 1 must be the channels)");
    const int64_t c = x.shape[1];
    const char* names[] = {"scale", "bias", "mean", "variance"};
    const char* vars[] = {"gamma", "beta", "moving_mean", "moving_variance"};
    std::map<std::string, Tensor> weights;
    for (int k = 0; k < 4; ++k) {
        const OnnxTensor& t = requireConstant(n, std::size_t(k + 1), names[k]);
        if (t.elementCount() != c) fail(n, std::string("the ") + names[k] + " has " + std::to_string(t.elementCount()) + " values for " + std::to_string(c) + " channels");
        weights[vars[k]] = importedTensor({c}, t.floats);
    }
    const json config = {{"axis", -1}, {"epsilon", double(n.floatAttr("epsilon", 1e-5f))}, {"momentum", double(n.floatAttr("momentum", 0.9f))}};
    const int l = addLayer(n, "BatchNormalization", config, {x.layer}, x.layout, x.shape);
    layers_[std::size_t(l)].weights = std::move(weights);
}

void OnnxGraphImport::merge(const OnnxNode& n) {
    const bool add = n.opType == "Add";
    if (n.inputs.size() != 2) fail(n, "expected two inputs");
    if (isConstant(n, 0) || isConstant(n, 1)) { // a bias after MatMul or a bias-less Conv
        const std::size_t k = isConstant(n, 0) ? 1 : 0;
        const Value x = input(n, k);
        const OnnxTensor& b = requireConstant(n, 1 - k, "constant");
        PendingLayer* l = add && fusable(n.inputs[k], true) ? &layers_[std::size_t(x.layer)] : nullptr;
        const int64_t units = l ? l->config.value(l->type == "Dense" ? "units" : "filters", int64_t(-1)) : -1;
        const bool denseBias = l && l->type == "Dense" && b.elementCount() == units && b.dims.size() <= 2 && (b.dims.size() < 2 || b.dims[0] == 1);
        const bool convBias = l && (l->type == "Conv2D" || l->type == "Conv2DTranspose" || l->type == "DepthwiseConv2D") && b.elementCount() == units && b.dims.size() >= 3 && b.dims[b.dims.size() - 3] == units;
        if (!denseBias && !convBias && b.isFloat() && b.elementCount() == 1) return scalarAffine(n, x, b.floats.at(0), add);
        if (!denseBias && !convBias && !add && channelScale(n, x, b)) return;
        if (!denseBias && !convBias && add && positionAdd(n, x, b, n.inputs[1 - k])) return;
        if (!denseBias && !convBias)
            fail(n, std::string(add ? "adding" : "multiplying by") + " the constant '" + n.inputs[1 - k] +
                        "' is not supported (only as the bias right after a MatMul or a bias-less Conv or ConvTranspose)");
        l->config["use_bias"] = true;
        l->weights["bias"] = importedTensor({units}, b.floats);
        l->outputTensor = n.outputs[0];
        return alias(n, x);
    }
    // Two computed values of one rank and layout, broadcast as NumPy does (sizes equal or 1 per axis):
    // a squeeze-and-excitation product of (N, C, 1, 1) and (N, C, H, W).
    const Value a = input(n, 0), b = input(n, 1);
    if (a.layout != b.layout || a.perm != b.perm || a.shape.size() != b.shape.size()) fail(n, "its inputs have different layouts or ranks");
    if (a.layout == Layout::FlatChw && a.chw != b.chw) fail(n, "its inputs are flattened from different NCHW shapes");
    std::vector<int64_t> shape = a.shape;
    for (std::size_t d = 1; d < a.shape.size(); ++d) {
        if (a.shape[d] >= 0 && b.shape[d] >= 0 && a.shape[d] != b.shape[d] && a.shape[d] != 1 && b.shape[d] != 1)
            fail(n, "broadcasting " + list(a.shape) + " with " + list(b.shape) + " is not supported (sizes must agree or be 1)");
        if (a.layout == Layout::FlatChw && a.shape[d] != b.shape[d]) fail(n, "broadcasting flattened NCHW values is not supported");
        if (shape[d] == 1 || shape[d] < 0) shape[d] = b.shape[d] == 1 && shape[d] < 0 ? -1 : b.shape[d];
    }
    addLayer(n, add ? "Add" : "Multiply", json::object(), {a.layer, b.layer}, a.layout, shape);
    values_[n.outputs[0]].chw = a.chw;
}

// An image times a per-channel constant (ConvNeXt's layer_scale, (C, 1, 1) on NCHW): a 1x1
// DepthwiseConv2D without bias whose kernel is the constant, so it stays a trainable parameter of C
// values as in PyTorch.
bool OnnxGraphImport::channelScale(const OnnxNode& n, const Value& x, const OnnxTensor& scale) {
    if (!scale.isFloat() || x.shape.size() != 4 || (x.layout != Layout::ChannelsFirst && x.layout != Layout::Same)) return false;
    const int64_t channels = x.layout == Layout::ChannelsFirst ? x.shape[1] : x.shape[3];
    std::vector<int64_t> dims = scale.dims;
    while (!dims.empty() && dims.front() == 1 && dims.size() > (x.layout == Layout::ChannelsFirst ? 3u : 1u)) dims.erase(dims.begin());
    const std::vector<int64_t> want = x.layout == Layout::ChannelsFirst ? std::vector<int64_t>{channels, 1, 1} : std::vector<int64_t>{channels};
    if (channels < 1 || dims != want || scale.elementCount() != channels) return false;
    const int l = addLayer(n, "DepthwiseConv2D",
                           {{"kernel_size", {1, 1}}, {"strides", {1, 1}}, {"padding", "valid"}, {"depth_multiplier", 1}, {"use_bias", false}},
                           {x.layer}, x.layout, x.shape);
    layers_[std::size_t(l)].weights["depthwise_kernel"] = importedTensor({1, 1, channels, 1}, scale.floats);
    notes_.push_back(n.label() + ": the product with the per-channel constant '" + (isConstant(n, 0) ? n.inputs[0] : n.inputs[1]) +
                     "' is a 1x1 DepthwiseConv2D (its kernel the constant, trainable)");
    return true;
}

void OnnxGraphImport::concat(const OnnxNode& n) {
    for (std::size_t k = 0; k < n.inputs.size(); ++k)
        if (batchExpanded_.count(n.inputs[k]) || isConstant(n, k)) return concatWithBatchConstants(n); // vit's class token
    std::vector<Value> xs;
    for (std::size_t k = 0; k < n.inputs.size(); ++k) xs.push_back(input(n, k));
    if (xs.size() == 1) return alias(n, xs[0]); // a one-input Concat (DenseNet's first block) is the identity
    if (xs.empty()) fail(n, "no inputs");
    const std::size_t rank = xs[0].shape.size();
    const int64_t axis = normalizedAxis(n.intAttr("axis", 1), rank);
    if (axis <= 0 || axis >= int64_t(rank)) fail(n, "axis " + std::to_string(n.intAttr("axis", 1)) + " is not supported");
    std::vector<int> inbound;
    std::vector<int64_t> shape = xs[0].shape;
    shape[std::size_t(axis)] = 0;
    for (const Value& x : xs) {
        if (x.layout != xs[0].layout || x.perm != xs[0].perm || x.shape.size() != rank) fail(n, "its inputs have different layouts or ranks");
        if (x.layout == Layout::FlatChw) fail(n, "joining flattened NCHW images is not supported");
        inbound.push_back(x.layer);
        const int64_t d = x.shape[std::size_t(axis)];
        shape[std::size_t(axis)] = d < 0 || shape[std::size_t(axis)] < 0 ? -1 : shape[std::size_t(axis)] + d;
    }
    const int64_t strataAxis = strataAxes(xs[0])[std::size_t(axis)];
    addLayer(n, "Concatenate", {{"axis", strataAxis}}, inbound, xs[0].layout, shape);
}

void OnnxGraphImport::gemm(const OnnxNode& n) {
    const Value x = input(n, 0);
    if (x.shape.size() != 2) fail(n, "input A must be 2-D");
    if (n.intAttr("transA", 0) != 0) fail(n, "transA=1 is not supported");
    const OnnxTensor& b = requireConstant(n, 1, "weight");
    if (b.dims.size() != 2) fail(n, "the weight must be 2-D");
    const bool transB = n.intAttr("transB", 0) != 0;
    const int64_t in = transB ? b.dims[1] : b.dims[0], units = transB ? b.dims[0] : b.dims[1];
    const float alpha = n.floatAttr("alpha", 1.0f), beta = n.floatAttr("beta", 1.0f);
    std::vector<float> kernel(std::size_t(in * units));
    for (int64_t i = 0; i < in; ++i)
        for (int64_t u = 0; u < units; ++u)
            kernel[std::size_t(i * units + u)] = alpha * b.floats[std::size_t(transB ? u * in + i : i * units + u)];
    const OnnxTensor* c = n.inputs.size() > 2 && !n.inputs[2].empty() ? &requireConstant(n, 2, "bias") : nullptr;
    std::vector<float> bias;
    if (c) {
        if (c->elementCount() == 1) bias.assign(std::size_t(units), beta * c->floats[0]);
        else if (c->elementCount() == units && (c->dims.size() == 1 || (c->dims.size() == 2 && c->dims[0] == 1)))
            for (float v : c->floats) bias.push_back(beta * v);
        else fail(n, "a bias C of shape " + list(c->dims) + " is not supported (only (units) or (1, units))");
    }
    matMulLayer(n, x, in, units, std::move(kernel), c ? &bias : nullptr);
}

void OnnxGraphImport::matMul(const OnnxNode& n) {
    const Value x = input(n, 0);
    const OnnxTensor& b = requireConstant(n, 1, "weight");
    if (b.dims.size() != 2) fail(n, "only a 2-D constant right-hand side (a Dense kernel) is supported");
    if (x.layout == Layout::ChannelsFirst) fail(n, "a matrix product over the width of an NCHW image is not supported");
    matMulLayer(n, x, b.dims[0], b.dims[1], b.floats, nullptr);
}

void OnnxGraphImport::matMulLayer(const OnnxNode& n, const Value& x, int64_t in, int64_t units, std::vector<float> kernel,
                                  const std::vector<float>* bias) {
    if (x.shape.back() >= 0 && x.shape.back() != in)
        fail(n, "the weight takes " + std::to_string(in) + " features, the input has " + std::to_string(x.shape.back()));
    if (x.layout == Layout::FlatChw) { // rows in (C, H, W) order -> Strata's (H, W, C)
        const int64_t c = x.chw[0], h = x.chw[1], w = x.chw[2];
        std::vector<float> permuted(kernel.size());
        for (int64_t ci = 0; ci < c; ++ci)
            for (int64_t y = 0; y < h; ++y)
                for (int64_t z = 0; z < w; ++z)
                    std::copy_n(kernel.begin() + ((ci * h + y) * w + z) * units, units, permuted.begin() + ((y * w + z) * c + ci) * units);
        kernel = std::move(permuted);
    }
    std::vector<int64_t> shape = x.shape;
    shape.back() = units;
    const int l = addLayer(n, "Dense", {{"units", units}, {"use_bias", bias != nullptr}}, {x.layer}, Layout::Same, shape);
    layers_[std::size_t(l)].weights["kernel"] = importedTensor({in, units}, kernel);
    if (bias) layers_[std::size_t(l)].weights["bias"] = importedTensor({units}, *bias);
}

void OnnxGraphImport::clip(const OnnxNode& n) {
    // Before opset 11 the bounds are attributes; since, optional constant inputs.
    float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
    if (m_.opset != 0 && m_.opset < 11) {
        lo = n.floatAttr("min", lo);
        hi = n.floatAttr("max", hi);
    } else {
        auto bound = [&](std::size_t k, const char* what, float fallback) {
            if (k >= n.inputs.size() || n.inputs[k].empty()) return fallback;
            const OnnxTensor& t = requireConstant(n, k, what);
            if (t.elementCount() != 1) fail(n, std::string("the ") + what + " bound must be one value");
            return t.floats[0];
        };
        lo = bound(1, "min", lo);
        hi = bound(2, "max", hi);
    }
    if (hi == 6.0f && lo <= 0.0f) { // after a relu: relu6
        const Value x = input(n, 0);
        const auto u = uses_.find(n.inputs[0]);
        PendingLayer* l = x.layer >= 0 ? &layers_[std::size_t(x.layer)] : nullptr;
        if (l && l->outputTensor == n.inputs[0] && l->config.value("activation", std::string()) == "relu" &&
            !graphOutputs_.count(n.inputs[0]) && u != uses_.end() && u->second == 1) {
            l->config["activation"] = "relu6";
            l->outputTensor = n.outputs[0];
            return alias(n, x);
        }
    }
    if (std::isfinite(hi) && hi >= 0 && lo <= 0 && reluCap(n, lo, hi)) return;
    if (lo == 0.0f && hi == 6.0f) return activation(n, "relu6");
    if (lo == 0.0f && std::isinf(hi) && hi > 0) return activation(n, "relu");
    if (lo == 0.0f && std::isfinite(hi) && hi > 0) { // Keras' ReLU(max_value=hi)
        const Value x = input(n, 0);
        addLayer(n, "ReLU", {{"max_value", shortestDecimal(hi)}}, {x.layer}, x.layout, x.shape);
        values_[n.outputs[0]].chw = x.chw;
        return;
    }
    auto text = [](float v) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.9g", shortestDecimal(v)); // "-1", "0.5", "inf"
        return std::string(buf);
    };
    fail(n, "Clip to [" + text(lo) + ", " + text(hi) + "] has no Strata form (only [0, m]: relu6 for m = 6, relu for m = inf, a ReLU layer otherwise)");
}

void OnnxGraphImport::activation(const OnnxNode& n, const std::string& name) {
    const Value x = input(n, 0);
    const std::size_t rank = x.shape.size();
    if (name == "softmax" || name == "log_softmax") {
        const bool opset13 = m_.opset == 0 || m_.opset >= 13;
        const int64_t axis = normalizedAxis(n.intAttr("axis", opset13 ? -1 : 1), rank);
        const bool channels = x.layout == Layout::ChannelsFirst ? axis == 1 && (opset13 || x.shape[2] * x.shape[3] == 1) : axis == int64_t(rank) - 1;
        if (!channels) fail(n, "a softmax over axis " + std::to_string(axis) + " is not supported (only over the features or channels)");
    }
    auto near = [](float a, double b) { return std::abs(double(a) - b) <= 1e-5 * std::max(1.0, std::abs(b)); };
    if (name == "leaky_relu") { // alpha 0.2 is the activation leaky_relu; fused when it can be, else a LeakyReLU layer
        const float alpha = n.floatAttr("alpha", 0.01f); // ONNX's default, as nn.LeakyReLU's
        if (!std::isfinite(alpha)) fail(n, "alpha=" + std::to_string(alpha) + " is not a finite number");
        if (!near(alpha, 0.2) || !fusable(n.inputs[0], false)) {
            addLayer(n, "LeakyReLU", {{"alpha", shortestDecimal(alpha)}}, {x.layer}, x.layout, x.shape);
            values_[n.outputs[0]].chw = x.chw;
            return;
        }
    }
    if (name == "elu" && !near(n.floatAttr("alpha", 1.0f), 1.0)) fail(n, "alpha other than 1 is not supported");
    if (name == "selu" && (!near(n.floatAttr("alpha", 1.67326319f), 1.67326324) || !near(n.floatAttr("gamma", 1.05070102f), 1.05070098)))
        fail(n, "alpha and gamma other than SELU's standard ones are not supported");
    if (fusable(n.inputs[0], false)) {
        PendingLayer& l = layers_[std::size_t(x.layer)];
        l.config["activation"] = name;
        l.outputTensor = n.outputs[0];
        return alias(n, x);
    }
    addLayer(n, "Activation", {{"activation", name}}, {x.layer}, x.layout, x.shape);
    values_[n.outputs[0]].chw = x.chw;
}

} // namespace strata::storage
