// OnnxGraphImport for rank-3 (N, C, W) tensors, PyTorch's sequences: Conv (nn.Conv1d) is Conv1D,
// MaxPool and AveragePool are MaxPooling1D and AveragePooling1D, GlobalAveragePool, GlobalMaxPool
// and ReduceMean over the steps are the global 1-D pools. The Strata tensor is (N, W, C): the ONNX
// tensor is held in the order {0, 2, 1} of it (layout Permuted), as a Transpose would leave it.
#include "storage/onnx/OnnxGraphImport.h"

#include <algorithm>

namespace strata::storage {

using json = nlohmann::json;

namespace {

const std::vector<int64_t> kSequenceChannelsFirst = {0, 2, 1};

std::string list(const std::vector<int64_t>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
    return s + "]";
}

// TensorFlow's "same" pads (before, after) of one axis: the odd cell after.
std::pair<int64_t, int64_t> samePads1d(int64_t in, int64_t span, int64_t stride) {
    const int64_t out = (in + stride - 1) / stride, total = std::max<int64_t>((out - 1) * stride + span - in, 0);
    return {total / 2, total - total / 2};
}

} // namespace

OnnxGraphImport::Value OnnxGraphImport::sequenceChannelsFirst(const OnnxNode& n, const Value& x) {
    if (x.shape.size() != 3) fail(n, "its input is not a sequence (N, C, W) (rank " + std::to_string(x.shape.size()) + ")");
    if (x.layout == Layout::FlatChw) fail(n, "its input is a flattened NCHW image, not a sequence");
    if (strataAxes(x) == kSequenceChannelsFirst) return x;
    // Any other order: that order in ONNX's, then (N, C, W) -> (N, W, C) by a Permute.
    const Value same = materialize(n, x);
    Value out = same;
    out.layer = addInnerLayer(n, "Permute", {{"dims", {2, 1}}}, {same.layer});
    return withAxes(out, kSequenceChannelsFirst);
}

void OnnxGraphImport::addSequenceLayer(const OnnxNode& n, const std::string& type, json config, int inbound,
                                       std::vector<int64_t> shape) {
    addLayer(n, type, std::move(config), {inbound}, Layout::Same, {});
    Value v = withAxes(values_.at(n.outputs.at(0)), kSequenceChannelsFirst);
    v.shape = std::move(shape);
    values_[n.outputs[0]] = v;
}

// The Keras padding ("valid", "same" or "causal") that pads [begin, end] or auto_pad are for a
// window of `span` cells; fails by name for any other.
std::string OnnxGraphImport::sequencePadding(const OnnxNode& n, int64_t in, int64_t span, int64_t stride, bool causalAllowed) {
    const std::string autoPad = n.stringAttr("auto_pad", "NOTSET");
    if (autoPad == "VALID") return "valid";
    if (autoPad == "SAME_UPPER") return "same";
    if (autoPad != "NOTSET") fail(n, "auto_pad=" + autoPad + " is not supported on a sequence");
    const std::vector<int64_t> pads = n.intsAttr("pads", {0, 0});
    if (pads.size() != 2) fail(n, "pads " + list(pads) + " must have two values on a sequence");
    if (pads[0] == 0 && pads[1] == 0) return "valid";
    if (causalAllowed && pads[0] == span - 1 && pads[1] == 0) return "causal";
    if (in >= 0 && samePads1d(in, span, stride) == std::pair<int64_t, int64_t>{pads[0], pads[1]}) return "same";
    fail(n, "pads " + list(pads) + " are neither \"valid\", \"same\"" + std::string(causalAllowed ? ", \"causal\"" : "") +
                " for a length of " + (in >= 0 ? std::to_string(in) : std::string("unknown")) + " (Conv1D and the 1-D pools "
                "take no other padding)");
}

void OnnxGraphImport::conv1d(const OnnxNode& n) {
    const Value x = sequenceChannelsFirst(n, input(n, 0));
    const OnnxTensor& w = requireConstant(n, 1, "weight");
    if (w.dims.size() != 3) fail(n, "a convolution of a sequence needs a weight of rank 3, got rank " + std::to_string(w.dims.size()));
    if (n.intAttr("group", 1) != 1) fail(n, "group=" + std::to_string(n.intAttr("group", 1)) + " is not supported on a sequence");
    if (x.shape[1] >= 0 && w.dims[1] != x.shape[1])
        fail(n, "the weight has " + std::to_string(w.dims[1]) + " input channels, the input " + std::to_string(x.shape[1]));
    const int64_t k = w.dims[2], filters = w.dims[0];
    if (n.intsAttr("kernel_shape", {k}) != std::vector<int64_t>{k}) fail(n, "kernel_shape " + list(n.intsAttr("kernel_shape")) + " does not match the weight");
    const std::vector<int64_t> s = n.intsAttr("strides", {1}), d = n.intsAttr("dilations", {1});
    const OnnxAttribute* givenPads = n.attr("pads");
    if (s.size() != 1 || d.size() != 1) fail(n, "strides and dilations must have one value on a sequence");
    requireWindowAttrs({k, 1}, {s[0], 1}, {d[0], 1}, nullptr, [&](const std::string& why) { fail(n, why); });
    if (givenPads)
        if (const std::string why = windowAttrRangeProblem("pads", givenPads->ints, 0); !why.empty()) fail(n, why);
    if (s[0] > 1 && d[0] > 1) fail(n, "strides > 1 with dilations > 1 is not supported (as in Keras)");
    const int64_t span = (k - 1) * d[0] + 1, in = x.shape[2];
    const std::string padding = sequencePadding(n, in, span, s[0], true);
    const int64_t out = in < 0 ? -1 : padding == "valid" ? (in - span) / s[0] + 1 : (in + s[0] - 1) / s[0];
    if (in >= 0 && out < 1) fail(n, "the kernel span " + std::to_string(span) + " does not fit the length " + std::to_string(in));
    const OnnxTensor* b = n.inputs.size() > 2 && !n.inputs[2].empty() ? &requireConstant(n, 2, "bias") : nullptr;
    if (b && b->elementCount() != filters) fail(n, "the bias has " + std::to_string(b->elementCount()) + " values for " + std::to_string(filters) + " filters");
    addSequenceLayer(n, "Conv1D",
                     {{"filters", filters}, {"kernel_size", k}, {"strides", s[0]}, {"padding", padding}, {"dilation_rate", d[0]},
                      {"use_bias", b != nullptr}},
                     x.layer, {x.shape[0], filters, out});
    PendingLayer& l = layers_.back();
    l.weights["kernel"] = kernelOiwToWio(w.dims, w.floats);
    if (b) l.weights["bias"] = importedTensor({filters}, b->floats);
}

void OnnxGraphImport::pool1d(const OnnxNode& n) {
    const Value x = sequenceChannelsFirst(n, input(n, 0));
    const bool isMax = n.opType == "MaxPool";
    const std::vector<int64_t> k = n.intsAttr("kernel_shape"), s = n.intsAttr("strides", {1});
    if (k.size() != 1 || s.size() != 1) fail(n, "kernel_shape " + list(k) + " and strides must have one value on a sequence");
    requireWindowAttrs({k[0], 1}, {s[0], 1}, {1, 1}, nullptr, [&](const std::string& why) { fail(n, why); });
    if (n.intsAttr("dilations", {1}) != std::vector<int64_t>{1}) fail(n, "dilations other than 1 are not supported");
    if (n.intAttr("storage_order", 0) != 0) fail(n, "storage_order=1 is not supported");
    const int64_t in = x.shape[2];
    const std::string padding = sequencePadding(n, in, k[0], s[0], false);
    if (!isMax && padding == "same" && n.intAttr("count_include_pad", 0) != 0)
        fail(n, "count_include_pad=1 is not supported on a sequence (AveragePooling1D counts only the input's steps)");
    const int64_t out = in < 0 ? -1 : padding == "valid" ? (in - k[0]) / s[0] + 1 : (in + s[0] - 1) / s[0];
    if (n.intAttr("ceil_mode", 0) != 0 && padding == "valid" && in >= 0 && (in - k[0]) % s[0] != 0)
        fail(n, "ceil_mode=1 adds a last window here, which the 1-D pools do not have");
    if (in >= 0 && out < 1) fail(n, "the window " + std::to_string(k[0]) + " does not fit the length " + std::to_string(in));
    addSequenceLayer(n, isMax ? "MaxPooling1D" : "AveragePooling1D", {{"pool_size", k[0]}, {"strides", s[0]}, {"padding", padding}},
                     x.layer, {x.shape[0], x.shape[1], out});
}

void OnnxGraphImport::globalPool1d(const OnnxNode& n, bool isMax, bool keepDims) {
    const Value x = sequenceChannelsFirst(n, input(n, 0));
    if (keepDims) addSequenceLayer(n, isMax ? "GlobalMaxPooling1D" : "GlobalAveragePooling1D", {{"keepdims", true}}, x.layer, {x.shape[0], x.shape[1], 1});
    else addLayer(n, isMax ? "GlobalMaxPooling1D" : "GlobalAveragePooling1D", json::object(), {x.layer}, Layout::Same, {x.shape[0], x.shape[1]});
}

bool OnnxGraphImport::reduceOverSteps(const OnnxNode& n, bool isMax) {
    const Value x = input(n, 0);
    std::vector<int64_t> axes = n.intsAttr("axes");
    if (n.inputs.size() > 1 && !n.inputs[1].empty()) axes = requireConstant(n, 1, "axes").ints; // opset 18: an input
    if (x.shape.size() != 3 || x.layout == Layout::FlatChw || axes.size() != 1) return false;
    const int64_t axis = axes[0] < 0 ? axes[0] + 3 : axes[0];
    const std::vector<int64_t> held = strataAxes(x);
    if (axis < 0 || axis > 2 || held[std::size_t(axis)] != 1) return false; // not the steps
    const bool keep = n.intAttr("keepdims", 1) != 0;
    const std::string type = isMax ? "GlobalMaxPooling1D" : "GlobalAveragePooling1D";
    if (held == kSequenceChannelsFirst) globalPool1d(n, isMax, keep);
    else if (held == std::vector<int64_t>{0, 1, 2}) // (N, W, C) as Strata holds it
        addLayer(n, type, {{"keepdims", keep}}, {x.layer}, Layout::Same,
                 keep ? std::vector<int64_t>{x.shape[0], 1, x.shape[2]} : std::vector<int64_t>{x.shape[0], x.shape[2]});
    else
        return false;
    return true;
}

Tensor kernelOiwToWio(const std::vector<int64_t>& dims, const std::vector<float>& values) {
    const int64_t filters = dims.at(0), cin = dims.at(1), k = dims.at(2);
    std::vector<float> kernel(values.size());
    for (int64_t o = 0; o < filters; ++o)
        for (int64_t i = 0; i < cin; ++i)
            for (int64_t t = 0; t < k; ++t) kernel[std::size_t((t * cin + i) * filters + o)] = values[std::size_t((o * cin + i) * k + t)];
    return importedTensor({k, cin, filters}, kernel);
}

} // namespace strata::storage
