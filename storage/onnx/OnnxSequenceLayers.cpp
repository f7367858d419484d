// Export rules of the sequence layers (engine/layers/SequenceLayers.h): Conv1D, MaxPooling1D and
// AveragePooling1D run on an NCW copy of the (N, W, C) tensor, made by a Transpose, and stay NCW
// until a layer needs NWC, as the 2-D layers do with NCHW; the global pools reduce the steps axis
// of whichever form is at hand.
#include "storage/onnx/OnnxLowering.h"

#include "engine/layers/SequenceLayers.h"

#include <algorithm>

namespace strata::storage {

namespace {

// kernel_shape, strides and pads [begin, end] of a 1-D window op: "same" is TensorFlow's (the odd
// cell at the end), written as pads where they do not depend on the length (a known length, or
// stride 1: span - 1 in all) and as auto_pad SAME_UPPER (the same rule) otherwise, which is only
// without dilation (Keras has no strided dilated convolution; onnxruntime refuses SAME_UPPER with
// dilation); "causal" pads (k - 1) * d cells at the beginning only.
std::vector<OnnxAttr> windowAttrs1d(const Shape& in, int64_t k, int64_t stride, int64_t dilation, const std::string& padding) {
    std::vector<OnnxAttr> a = {OnnxAttr::integers("kernel_shape", {k}), OnnxAttr::integers("strides", {stride})};
    const int64_t span = (k - 1) * dilation + 1;
    if (padding == "causal") {
        a.push_back(OnnxAttr::integers("pads", {span - 1, 0}));
    } else if (padding != "same") {
        a.push_back(OnnxAttr::integers("pads", {0, 0}));
    } else if (in.isKnown(1) || stride == 1) {
        const int64_t out = in.isKnown(1) ? (in[1] + stride - 1) / stride : 0;
        const int64_t total = in.isKnown(1) ? std::max<int64_t>((out - 1) * stride + span - in[1], 0) : span - 1;
        a.push_back(OnnxAttr::integers("pads", {total / 2, total - total / 2}));
    } else {
        a.push_back(OnnxAttr::text("auto_pad", "SAME_UPPER"));
    }
    return a;
}

} // namespace

int OnnxLowering::conv1d(const Layer& l, const std::vector<int>& ins, const Shape& outShape, const Site& site) {
    const int in = ins.at(0);
    const auto& c = static_cast<const layers::Conv1D&>(l);
    // kernel (k, in, filters) (Keras) -> (filters, in, k) (ONNX)
    std::vector<std::string> inputs = {nchw(in), weight(l, "kernel", {2, 1, 0})};
    if (c.useBias) inputs.push_back(weight(l, "bias"));
    auto attrs = windowAttrs1d(values_[std::size_t(in)].shape, c.kernelSize, c.strides, c.dilation, c.padding);
    attrs.push_back(OnnxAttr::integers("dilations", {c.dilation}));
    const std::string y = tmp(site, "conv");
    g_.node("Conv", inputs, y, std::move(attrs));
    return result(activation(c.activation, y, Layout::Nchw, site), Layout::Nchw, outShape, site);
}

int OnnxLowering::pool1d(const Layer& l, const std::vector<int>& ins, const Shape& outShape, const Site& site) {
    const int in = ins.at(0);
    const auto& p = static_cast<const layers::Pooling1D&>(l);
    auto attrs = windowAttrs1d(values_[std::size_t(in)].shape, p.poolSize, p.strides, 1, p.padding);
    if (!p.isMax()) attrs.push_back(OnnxAttr::integer("count_include_pad", 0)); // the engine clips windows
    const std::string y = tmp(site, p.isMax() ? "max_pool" : "avg_pool");
    g_.node(p.isMax() ? "MaxPool" : "AveragePool", {nchw(in)}, y, std::move(attrs));
    return result(y, Layout::Nchw, outShape, site);
}

int OnnxLowering::globalPool1d(const Layer& l, const std::vector<int>& ins, const Shape& outShape, const Site& site) {
    const int in = ins.at(0);
    const auto& p = static_cast<const layers::GlobalPooling1D&>(l);
    const char* op = p.isMax() ? "ReduceMax" : "ReduceMean";
    const std::string y = tmp(site, p.isMax() ? "max" : "mean");
    if (!p.keepDims && preferNchw({in})) // [N, C] either way
        g_.node(op, {nchw(in)}, y, {OnnxAttr::integers("axes", {2}), OnnxAttr::integer("keepdims", 0)});
    else
        g_.node(op, {nhwc(in)}, y, {OnnxAttr::integers("axes", {1}), OnnxAttr::integer("keepdims", p.keepDims ? 1 : 0)});
    return result(y, Layout::Nhwc, outShape, site);
}

} // namespace strata::storage
