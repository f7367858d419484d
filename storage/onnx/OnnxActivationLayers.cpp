// The export rules of ReLU, Softmax, PReLU and Rescaling (rows of OnnxExportTable.cpp).
#include "engine/layers/ActivationLayers.h"
#include "engine/layers/CoreLayers.h"
#include "storage/onnx/OnnxLowering.h"

namespace strata::storage {

// Relu, LeakyRelu for a slope, or for a threshold t (Keras 3) ThresholdedRelu(t); then Clip to
// max_value (min omitted); with a threshold and a slope, plus -slope * Relu(t - x), written with
// Mul/Add of scalars so that the graph import reads it back. Element-wise: any layout.
int OnnxLowering::relu(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site) {
    const auto& r = static_cast<const layers::ReLU&>(l);
    const bool useNchw = values_[std::size_t(in.at(0))].nhwc.empty();
    const std::string x = useNchw ? nchw(in[0]) : nhwc(in[0]);
    std::string y;
    if (r.threshold != 0.0) {
        y = tmp(site, "thresholded_relu");
        g_.node("ThresholdedRelu", {x}, y, {OnnxAttr::real("alpha", float(r.threshold))});
    } else {
        y = tmp(site, r.negativeSlope == 0.0 ? "relu" : "leaky_relu");
        if (r.negativeSlope == 0.0) g_.node("Relu", {x}, y);
        else g_.node("LeakyRelu", {x}, y, {OnnxAttr::real("alpha", float(r.negativeSlope))});
    }
    if (r.maxValue) {
        const std::string capped = tmp(site, "clip");
        g_.node("Clip", {y, "", g_.scalar(site.base + "/max_value", float(*r.maxValue))}, capped);
        y = capped;
    }
    if (r.threshold != 0.0 && r.negativeSlope != 0.0) { // + (-slope) * Relu(x * -1 + t): Mul, Add, Relu, Mul, Add
        const std::string negated = tmp(site, "negated"), below = tmp(site, "below"), neg = tmp(site, "relu_below"),
                          scaled = tmp(site, "negative_part"), out = tmp(site, "sum");
        g_.node("Mul", {x, g_.scalar(site.base + "/minus_one", -1.0f)}, negated);
        g_.node("Add", {negated, g_.scalar(site.base + "/threshold", float(r.threshold))}, below);
        g_.node("Relu", {below}, neg);
        g_.node("Mul", {neg, g_.scalar(site.base + "/negative_slope", float(-r.negativeSlope))}, scaled);
        g_.node("Add", {y, scaled}, out);
        y = out;
    }
    return result(y, useNchw ? Layout::Nchw : Layout::Nhwc, outShape, site);
}

int OnnxLowering::softmax(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site) {
    const auto& s = static_cast<const layers::Softmax&>(l);
    const std::string y = tmp(site, "softmax");
    g_.node("Softmax", {nhwc(in.at(0))}, y, {OnnxAttr::integer("axis", int64_t(s.axisFor(outShape.rank())))});
    return result(y, Layout::Nhwc, outShape, site);
}

// PRelu broadcasts its slope to the input from the right, as the variable [input[1:]] does in NHWC.
int OnnxLowering::prelu(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site) {
    const std::string y = tmp(site, "prelu");
    g_.node("PRelu", {nhwc(in.at(0)), weight(l, "alpha")}, y);
    return result(y, Layout::Nhwc, outShape, site);
}

int OnnxLowering::rescaling(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site) {
    const auto& r = static_cast<const layers::Rescaling&>(l);
    const bool useNchw = values_[std::size_t(in.at(0))].nhwc.empty(); // element-wise: any layout
    const std::string x = useNchw ? nchw(in[0]) : nhwc(in[0]), scaled = tmp(site, "scaled"), y = tmp(site, "rescaled");
    g_.node("Mul", {x, g_.scalar(site.base + "/scale", float(r.scale))}, scaled);
    g_.node("Add", {scaled, g_.scalar(site.base + "/offset", float(r.offset))}, y);
    return result(y, useNchw ? Layout::Nchw : Layout::Nhwc, outShape, site);
}

} // namespace strata::storage
