// OnnxLowering, per layer type: the rules of the export table (OnnxExportTable.cpp), each mirroring
// the inference graph engine/train/Tracer.cpp builds.
#include "storage/onnx/OnnxLowering.h"

#include "engine/layers/ConvolutionLayers.h"
#include "engine/layers/PoolingLayers.h"
#include "engine/layers/CoreLayers.h"
#include "engine/layers/DepthwiseLayers.h"
#include "engine/layers/MergeLayers.h"
#include "engine/layers/NormalizationLayers.h"
#include "engine/layers/ShapeLayers.h"

#include <algorithm>
#include <cmath>

namespace strata::storage {

StorageError onnxLayerError(const std::string& layer, const std::string& type, const std::string& why) {
    return StorageError("layer '" + layer + "' (" + type + ") cannot be exported to ONNX: " + why);
}

namespace {

// kernel_shape, strides and pads (top, left, bottom, right) of a window op, with Keras/TensorFlow
// semantics (engine/ir/ConvGeometry.h): "same" puts the odd pixel at the bottom/right, as ONNX's
// SAME_UPPER does, which is used when the spatial size is only known when the model runs.
std::vector<OnnxAttr> windowAttrs(const Shape& in, const std::vector<int64_t>& k, const std::vector<int64_t>& stride,
                                  const std::vector<int64_t>& dilation, bool same) {
    std::vector<OnnxAttr> a = {OnnxAttr::integers("kernel_shape", k), OnnxAttr::integers("strides", stride)};
    if (!same) {
        a.push_back(OnnxAttr::integers("pads", {0, 0, 0, 0}));
    } else if (in.isKnown(1) && in.isKnown(2)) {
        std::vector<int64_t> pads(4);
        for (std::size_t axis = 0; axis < 2; ++axis) {
            const int64_t size = in[axis + 1], out = (size + stride[axis] - 1) / stride[axis];
            const int64_t total = std::max<int64_t>((out - 1) * stride[axis] + (k[axis] - 1) * dilation[axis] + 1 - size, 0);
            pads[axis] = total / 2;
            pads[axis + 2] = total - total / 2;
        }
        a.push_back(OnnxAttr::integers("pads", pads));
    } else {
        a.push_back(OnnxAttr::text("auto_pad", "SAME_UPPER"));
    }
    return a;
}

} // namespace

bool OnnxLowering::preferNchw(const std::vector<int>& in) const {
    bool someLackNhwc = false;
    for (int v : in) {
        const Value& x = values_[std::size_t(v)];
        if (x.nchw.empty()) return false;
        someLackNhwc = someLackNhwc || x.nhwc.empty();
    }
    return someLackNhwc;
}

int OnnxLowering::identity(const Layer&, const std::vector<int>& in, const Shape&, const Site&) {
    return in.at(0); // Dropout: the identity at inference
}

int OnnxLowering::activationLayer(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site) {
    const auto& a = static_cast<const layers::Activation&>(l);
    if (a.activation == "linear") return in.at(0);
    const bool useNchw = values_[std::size_t(in.at(0))].nhwc.empty(); // element-wise: stay in the layout at hand
    const std::string x = useNchw ? nchw(in[0]) : nhwc(in[0]);
    const Layout layout = useNchw ? Layout::Nchw : Layout::Nhwc;
    return result(activation(a.activation, x, layout, site), layout, outShape, site);
}

int OnnxLowering::leakyRelu(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site) {
    const auto& lr = static_cast<const layers::LeakyReLU&>(l); // element-wise: stays in the layout at hand
    const bool useNchw = values_[std::size_t(in.at(0))].nhwc.empty();
    const std::string x = useNchw ? nchw(in[0]) : nhwc(in[0]), y = tmp(site, "leaky_relu");
    g_.node("LeakyRelu", {x}, y, {OnnxAttr::real("alpha", float(lr.alpha))});
    return result(y, useNchw ? Layout::Nchw : Layout::Nhwc, outShape, site);
}

int OnnxLowering::globalAveragePool(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site) {
    const auto& gap = static_cast<const layers::GlobalAveragePooling2D&>(l);
    const std::string y = tmp(site, "mean");
    if (!gap.keepDims && preferNchw({in.at(0)})) // [N, C] either way
        g_.node("ReduceMean", {nchw(in[0])}, y, {OnnxAttr::integers("axes", {2, 3}), OnnxAttr::integer("keepdims", 0)});
    else
        g_.node("ReduceMean", {nhwc(in.at(0))}, y,
                {OnnxAttr::integers("axes", {1, 2}), OnnxAttr::integer("keepdims", gap.keepDims ? 1 : 0)});
    return result(y, Layout::Nhwc, outShape, site);
}

// A constant Pad of zeros on NCHW, as the convolutions it feeds.
int OnnxLowering::zeroPadding(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site) {
    const auto& zp = static_cast<const layers::ZeroPadding2D&>(l);
    const std::string y = tmp(site, "zero_pad");
    const std::vector<int64_t> pads = {0, 0, zp.top, zp.left, 0, 0, zp.bottom, zp.right};
    g_.node("Pad", {nchw(in.at(0)), g_.int64Initializer(site.base + "/pads", pads)}, y, {OnnxAttr::text("mode", "constant")});
    return result(y, Layout::Nchw, outShape, site);
}

// Row-major over (H, W, C), as the engine flattens.
int OnnxLowering::flatten(const Layer&, const std::vector<int>& in, const Shape& outShape, const Site& site) {
    const std::string y = tmp(site, "flatten");
    g_.node("Flatten", {nhwc(in.at(0))}, y, {OnnxAttr::integer("axis", 1)});
    return result(y, Layout::Nhwc, outShape, site);
}

int OnnxLowering::reshape(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site) {
    const auto& r = static_cast<const layers::Reshape&>(l);
    std::vector<int64_t> target = {0}; // 0: keep the batch dimension
    target.insert(target.end(), r.targetShape.begin(), r.targetShape.end());
    const std::string y = tmp(site, "reshape");
    g_.node("Reshape", {nhwc(in.at(0)), g_.int64Initializer(site.base + "/shape", target)}, y);
    return result(y, Layout::Nhwc, outShape, site);
}

int OnnxLowering::dense(const Layer& l, const std::vector<int>& ins, const Shape& outShape, const Site& site) {
    const int in = ins.at(0);
    const auto& d = static_cast<const layers::Dense&>(l);
    const std::string x = nhwc(in), kernel = weight(l, "kernel");
    const std::string bias = d.useBias ? weight(l, "bias") : std::string();
    std::string y;
    if (values_[std::size_t(in)].shape.rank() == 2) { // x [N, in] @ kernel [in, units] + bias
        y = tmp(site, "gemm");
        std::vector<std::string> inputs = {x, kernel};
        if (!bias.empty()) inputs.push_back(bias);
        g_.node("Gemm", inputs, y);
    } else { // over the last axis, as Keras' Dense does
        y = tmp(site, "matmul");
        g_.node("MatMul", {x, kernel}, y);
        if (!bias.empty()) {
            const std::string b = tmp(site, "bias_add");
            g_.node("Add", {y, bias}, b);
            y = b;
        }
    }
    return result(activation(d.activation, y, Layout::Nhwc, site), Layout::Nhwc, outShape, site);
}

int OnnxLowering::conv(const Layer& l, const std::vector<int>& ins, const Shape& outShape, const Site& site) {
    const int in = ins.at(0);
    const auto& c = static_cast<const layers::Conv2D&>(l);
    const std::vector<int64_t> perm = {3, 2, 0, 1}; // kernel HWIO (Keras) -> OIHW (ONNX)
    std::vector<std::string> inputs = {nchw(in), weight(l, "kernel", perm)};
    if (c.useBias) inputs.push_back(weight(l, "bias"));
    auto attrs = windowAttrs(values_[std::size_t(in)].shape, c.kernelSize, c.strides, c.dilation, c.padding == "same");
    attrs.push_back(OnnxAttr::integers("dilations", c.dilation));
    if (c.groups != 1) attrs.push_back(OnnxAttr::integer("group", c.groups));
    const std::string y = tmp(site, "conv");
    g_.node("Conv", inputs, y, std::move(attrs));
    return result(activation(c.activation, y, Layout::Nchw, site), Layout::Nchw, outShape, site);
}

// DepthwiseConv2D: a Conv with group = in channels; its kernel (kh, kw, in, dm) holds the same floats
// as the grouped HWIO filter (kh, kw, 1, in*dm), whose OIHW form (in*dm, 1, kh, kw) ONNX reads.
// SeparableConv2D: that Conv without bias, then a 1x1 Conv with the pointwise kernel and the bias.
int OnnxLowering::depthwiseConv(const Layer& l, const std::vector<int>& ins, const Shape& outShape, const Site& site) {
    const int in = ins.at(0);
    const auto& c = static_cast<const layers::DepthwiseLayerBase&>(l);
    const bool separable = l.type() == "SeparableConv2D";
    const Shape& inShape = values_[std::size_t(in)].shape;
    const int64_t channels = inShape[3];
    std::vector<std::string> inputs = {nchw(in), weight(l, "depthwise_kernel", {3, 2, 0, 1},
                                                        {c.kernelSize[0], c.kernelSize[1], 1, channels * c.depthMultiplier})};
    if (c.useBias && !separable) inputs.push_back(weight(l, "bias"));
    auto attrs = windowAttrs(inShape, c.kernelSize, c.strides, c.dilation, c.padding == "same");
    attrs.push_back(OnnxAttr::integers("dilations", c.dilation));
    attrs.push_back(OnnxAttr::integer("group", channels));
    std::string y = tmp(site, "depthwise_conv");
    g_.node("Conv", inputs, y, std::move(attrs));
    if (separable) {
        std::vector<std::string> pointwise = {y, weight(l, "pointwise_kernel", {3, 2, 0, 1})};
        if (c.useBias) pointwise.push_back(weight(l, "bias"));
        y = tmp(site, "pointwise_conv");
        g_.node("Conv", pointwise, y, {OnnxAttr::integers("kernel_shape", {1, 1})});
    }
    return result(activation(c.activation, y, Layout::Nchw, site), Layout::Nchw, outShape, site);
}

// TensorFlow's conv2d_transpose as ONNX's ConvTranspose: the full transposed convolution is
// (in - 1) * s + span long; "same" crops max(span - s, 0) cells, the odd one at the bottom/right
// (pads [top, left, bottom, right] may be asymmetric in ConvTranspose), and output_padding appends
// the s - span cells no kernel reaches when span < s, so the output is in * s ("same") or
// in * s + max(span - s, 0) ("valid") as the layer's shape says. None of this depends on the input
// size, so unknown spatial sizes need no auto_pad.
int OnnxLowering::convTranspose(const Layer& l, const std::vector<int>& ins, const Shape& outShape, const Site& site) {
    const int in = ins.at(0);
    const auto& c = static_cast<const layers::Conv2DTranspose&>(l);
    const std::vector<int64_t> perm = {3, 2, 0, 1}; // kernel (kh, kw, filters, in) (Keras) -> (in, filters, kh, kw) (ONNX)
    std::vector<std::string> inputs = {nchw(in), weight(l, "kernel", perm)};
    if (c.useBias) inputs.push_back(weight(l, "bias"));
    std::vector<int64_t> pads(4, 0), outputPadding(2, 0);
    for (std::size_t axis = 0; axis < 2; ++axis) {
        const int64_t span = (c.kernelSize[axis] - 1) * c.dilation[axis] + 1, stride = c.strides[axis];
        const int64_t total = c.padding == "same" ? std::max<int64_t>(span - stride, 0) : 0;
        pads[axis] = total / 2;
        pads[axis + 2] = total - total / 2;
        outputPadding[axis] = std::max<int64_t>(stride - span, 0);
    }
    std::vector<OnnxAttr> attrs = {OnnxAttr::integers("kernel_shape", c.kernelSize), OnnxAttr::integers("strides", c.strides),
                                   OnnxAttr::integers("dilations", c.dilation), OnnxAttr::integers("pads", pads)};
    if (outputPadding != std::vector<int64_t>{0, 0}) attrs.push_back(OnnxAttr::integers("output_padding", outputPadding));
    const std::string y = tmp(site, "conv_transpose");
    g_.node("ConvTranspose", inputs, y, std::move(attrs));
    return result(activation(c.activation, y, Layout::Nchw, site), Layout::Nchw, outShape, site);
}

int OnnxLowering::pool(const Layer& l, const std::vector<int>& ins, const Shape& outShape, const Site& site) {
    const int in = ins.at(0);
    const auto& p = static_cast<const layers::Pooling2D&>(l);
    auto attrs = windowAttrs(values_[std::size_t(in)].shape, p.poolSize, p.strides, {1, 1}, p.padding == "same");
    if (p.explicitPads() || p.ceilMode) {
        // ONNX orders pads [top, left, bottom, right]. ONNX's ceil_mode keeps a last window that
        // PyTorch (and Strata) drop when it would start in the bottom/right pad, so for a known size
        // the trailing pads are what makes floor rounding give the layer's output size.
        std::vector<int64_t> pads = {p.pads[0], p.pads[2], p.pads[1], p.pads[3]};
        const Shape& x = values_[std::size_t(in)].shape;
        const bool known = x.isKnown(1) && x.isKnown(2);
        if (known)
            for (std::size_t axis = 0; axis < 2; ++axis) {
                const int64_t out = outShape[axis + 1], k = p.poolSize[axis], s = p.strides[axis];
                pads[axis + 2] = std::max<int64_t>((out - 1) * s + k - x[axis + 1] - pads[axis], 0);
            }
        for (OnnxAttr& a : attrs)
            if (a.name == "pads") a = OnnxAttr::integers("pads", pads);
        if (p.ceilMode && !known) attrs.push_back(OnnxAttr::integer("ceil_mode", 1)); // the same unless a window starts in a pad
    }
    if (!p.isMax()) attrs.push_back(OnnxAttr::integer("count_include_pad", 0)); // the engine clips windows
    const std::string y = tmp(site, p.isMax() ? "max_pool" : "avg_pool");
    g_.node(p.isMax() ? "MaxPool" : "AveragePool", {nchw(in)}, y, std::move(attrs));
    return result(y, Layout::Nchw, outShape, site);
}

int OnnxLowering::normalization(const Layer& l, const std::vector<int>& ins, const Shape& outShape, const Site& site) {
    const int in = ins.at(0);
    const auto& n = static_cast<const layers::Normalization&>(l);
    const Shape& s = values_[std::size_t(in)].shape;
    if (n.axisFor(s.rank()) != s.rank() - 1)
        throw onnxLayerError(site.base, l.type(), "normalizing over axis " + std::to_string(n.axis) +
                                                      ", not the last one, is not supported (the engine does not run it either)");
    const int64_t channels = s.back();
    const Variable* gammaVar = n.scale ? l.findVariable("gamma") : nullptr;
    const std::string gamma = n.scale ? weight(l, "gamma") : std::string(), beta = n.center ? weight(l, "beta") : std::string();
    const float eps = float(n.epsilon);
    if (n.isBatchNorm() && (s.rank() == 2 || s.rank() == 4)) {
        // ONNX BatchNormalization normalizes axis 1: [N, C] as it is, [N, H, W, C] in NCHW.
        const bool useNchw = s.rank() == 4;
        const std::string x = useNchw ? nchw(in) : nhwc(in), y = tmp(site, "batch_norm");
        const std::string scale = n.scale ? gamma : g_.initializer(site.base + "/ones", {channels}, std::vector<float>(std::size_t(channels), 1.0f));
        const std::string bias = n.center ? beta : g_.initializer(site.base + "/zeros", {channels}, std::vector<float>(std::size_t(channels), 0.0f));
        g_.node("BatchNormalization", {x, scale, bias, weight(l, "moving_mean"), weight(l, "moving_variance")}, y,
                {OnnxAttr::real("epsilon", eps)});
        return result(y, useNchw ? Layout::Nchw : Layout::Nhwc, outShape, site);
    }
    const std::string x = nhwc(in);
    std::string y;
    if (n.isBatchNorm()) { // other ranks: (x - mean) * (gamma / sqrt(var + eps)) + beta over the last axis
        const Variable* var = l.findVariable("moving_variance");
        if (!var) throw StorageError("has no variable 'moving_variance' (is the model built?)");
        std::vector<float> factor(static_cast<std::size_t>(channels));
        for (int64_t c = 0; c < channels; ++c)
            factor[std::size_t(c)] = std::pow(var->value().f32()[c] + eps, -0.5f) * (gammaVar ? gammaVar->value().f32()[c] : 1.0f);
        const std::string centered = tmp(site, "centered");
        g_.node("Sub", {x, weight(l, "moving_mean")}, centered);
        y = tmp(site, "scaled");
        g_.node("Mul", {centered, g_.initializer(site.base + "/factor", {channels}, factor)}, y);
    } else { // LayerNormalization (opset 13 has none): over the last axis
        const std::string mean = tmp(site, "mean"), centered = tmp(site, "centered"), square = tmp(site, "square"),
                          var = tmp(site, "variance"), varEps = tmp(site, "variance_eps"), stddev = tmp(site, "stddev");
        const std::vector<OnnxAttr> lastAxis = {OnnxAttr::integers("axes", {-1}), OnnxAttr::integer("keepdims", 1)};
        g_.node("ReduceMean", {x}, mean, lastAxis);
        g_.node("Sub", {x, mean}, centered);
        g_.node("Mul", {centered, centered}, square);
        g_.node("ReduceMean", {square}, var, lastAxis);
        g_.node("Add", {var, g_.scalar(site.base + "/epsilon", eps)}, varEps);
        g_.node("Sqrt", {varEps}, stddev);
        y = tmp(site, "normalized");
        g_.node("Div", {centered, stddev}, y);
        if (n.scale) {
            const std::string scaled = tmp(site, "scaled");
            g_.node("Mul", {y, gamma}, scaled);
            y = scaled;
        }
    }
    if (n.center) {
        const std::string shifted = tmp(site, "shifted");
        g_.node("Add", {y, beta}, shifted);
        y = shifted;
    }
    return result(y, Layout::Nhwc, outShape, site);
}

int OnnxLowering::concatenate(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site) {
    const bool useNchw = preferNchw(in);
    std::vector<std::string> xs;
    for (int v : in) xs.push_back(useNchw ? nchw(v) : nhwc(v));
    const auto& c = static_cast<const layers::Concatenate&>(l);
    const std::size_t rank = values_[std::size_t(in.at(0))].shape.rank();
    int64_t axis = int64_t(c.axisFor(rank));
    if (useNchw) // NHWC axis -> NCHW axis; NWC -> NCW
        axis = (rank == 3 ? std::vector<int64_t>{0, 2, 1} : std::vector<int64_t>{0, 2, 3, 1})[std::size_t(axis)];
    const std::string y = tmp(site, "concat");
    g_.node("Concat", xs, y, {OnnxAttr::integer("axis", axis)});
    return result(y, useNchw ? Layout::Nchw : Layout::Nhwc, outShape, site);
}

int OnnxLowering::elementwise(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site) {
    const bool useNchw = preferNchw(in);
    std::vector<std::string> xs;
    for (int v : in) xs.push_back(useNchw ? nchw(v) : nhwc(v));
    if (in.size() == 1) return in[0];
    const bool add = static_cast<const layers::ElementwiseMerge&>(l).isAdd();
    std::string y = xs[0];
    for (std::size_t k = 1; k < xs.size(); ++k) {
        const std::string next = tmp(site, add ? "add" : "mul");
        g_.node(add ? "Add" : "Mul", {y, xs[k]}, next);
        y = next;
    }
    return result(y, useNchw ? Layout::Nchw : Layout::Nhwc, outShape, site);
}

} // namespace strata::storage
