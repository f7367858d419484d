// OnnxGraphImport: a ConvTranspose node (group 1) becomes a Conv2DTranspose layer when its
// geometry is one that Keras' "valid" or "same" gives, i.e. TensorFlow's conv2d_transpose;
// anything else is refused, naming the attribute.
//
// Per spatial axis, every ConvTranspose is the full transposed convolution (length
// (in - 1) * s + span, span = (k - 1) * d + 1, zero past its end) read from cell `begin` on, for
// in * s + `excess` cells. Keras "valid" is begin 0, excess max(span - s, 0); "same" is begin
// max(span - s, 0) / 2 (the odd cell cropped at the end), excess 0. Neither depends on the input
// size, so explicit pads need no known spatial size; output_shape does.
#include "storage/onnx/OnnxGraphImport.h"

#include <algorithm>

namespace strata::storage {

using nlohmann::json;

namespace {

std::string list(const std::vector<int64_t>& v) { return json(v).dump(); }

struct TransposedAxis {
    int64_t begin = 0, excess = 0;
    bool operator==(const TransposedAxis&) const = default;
};

TransposedAxis kerasAxis(int64_t span, int64_t stride, bool same) {
    const int64_t total = std::max<int64_t>(span - stride, 0);
    return same ? TransposedAxis{total / 2, 0} : TransposedAxis{0, total};
}

} // namespace

void OnnxGraphImport::convTranspose(const OnnxNode& n) {
    const Value x = input(n, 0);
    std::vector<int64_t> k;
    const OnnxTensor& w = convWeight(n, x, 0, k);
    const int64_t filters = w.dims[1];
    const auto strides = n.intsAttr("strides", {1, 1}), dilations = n.intsAttr("dilations", {1, 1});
    const auto outputPadding = n.intsAttr("output_padding", {0, 0});
    const OnnxAttribute* padsAttr = n.attr("pads");
    requireWindowAttrs(k, strides, dilations, padsAttr ? &padsAttr->ints : nullptr, [&](const std::string& why) { fail(n, why); });
    if (outputPadding.size() != 2) fail(n, "output_padding " + list(outputPadding) + " must have two values");
    for (int64_t p : outputPadding)
        if (p < 0 || p > kMaxWindowAttr)
            fail(n, "output_padding " + list(outputPadding) + " out of range (0 to " + std::to_string(kMaxWindowAttr) + ")");
    if (dilations != std::vector<int64_t>{1, 1} && strides != std::vector<int64_t>{1, 1})
        fail(n, "dilations " + list(dilations) + " with strides " + list(strides) +
                    " are not supported (Strata's Conv2DTranspose, as Keras', dilates only with stride 1)");

    const std::string autoPad = n.stringAttr("auto_pad", "NOTSET");
    const OnnxAttribute* outputShapeAttr = n.attr("output_shape");
    const std::vector<int64_t> outputShape = outputShapeAttr ? outputShapeAttr->ints : std::vector<int64_t>{};
    const std::vector<int64_t> pads = n.intsAttr("pads", {0, 0, 0, 0});
    if (pads.size() != 4 || std::any_of(pads.begin(), pads.end(), [](int64_t p) { return p < 0; }))
        fail(n, "pads " + list(pads) + " are not 4 values of at least 0");
    if (outputShapeAttr && outputShape.size() != 2) fail(n, "output_shape " + list(outputShape) + " is not 2 values (height, width)");
    for (int64_t d : outputShape)
        if (d < 0 || d > kMaxDim) fail(n, "output_shape " + list(outputShape) + " out of range (0 to " + std::to_string(kMaxDim) + ")");
    if (autoPad != "NOTSET" && autoPad != "VALID" && autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER")
        fail(n, "auto_pad=" + autoPad + " is not supported");

    // What the node's attributes make of each axis (ONNX's ConvTranspose rules), then which Keras
    // padding that is.
    std::string what = outputShapeAttr ? "output_shape " + list(outputShape)
                       : autoPad == "NOTSET" ? "pads " + list(pads)
                                             : "auto_pad=" + autoPad;
    if (outputPadding != std::vector<int64_t>{0, 0}) what += " with output_padding " + list(outputPadding);
    TransposedAxis axes[2], valid[2], same[2];
    for (std::size_t a = 0; a < 2; ++a) {
        const int64_t in = x.shape[2 + a], s = strides[a], span = (k[a] - 1) * dilations[a] + 1;
        const int64_t reach = span - s + outputPadding[a]; // the full length's excess over in * s
        if (outputShapeAttr) { // total padding = what the full length has beyond output_shape
            if (in < 0) fail(n, "output_shape needs a known input size (the spatial size is unknown)");
            const int64_t total = in * s + reach - outputShape[a];
            if (total < 0) fail(n, what + " is longer than the transposed convolution reaches on a " + std::to_string(in) + "-cell axis");
            // As the ONNX spec says: SAME_UPPER puts the odd cell at the end, anything else at the start.
            axes[a] = {autoPad == "SAME_UPPER" ? total / 2 : total - total / 2, reach - total};
        } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") { // the output is in * s
            if (reach < 0) fail(n, what + " asks for more than the transposed convolution reaches (kernel " + list(k) + ", strides " + list(strides) + ")");
            axes[a] = {autoPad == "SAME_UPPER" ? reach / 2 : reach - reach / 2, 0};
        } else {
            const int64_t begin = autoPad == "VALID" ? 0 : pads[a], end = autoPad == "VALID" ? 0 : pads[a + 2];
            axes[a] = {begin, reach - begin - end};
        }
        valid[a] = kerasAxis(span, s, false);
        same[a] = kerasAxis(span, s, true);
    }
    const bool isValid = axes[0] == valid[0] && axes[1] == valid[1], isSame = axes[0] == same[0] && axes[1] == same[1];
    if (!isValid && !isSame)
        fail(n, what + " for kernel " + list(k) + ", strides " + list(strides) + " and dilations " + list(dilations) +
                    " is neither 'valid' nor 'same' padding of a Keras Conv2DTranspose (TensorFlow's conv2d_transpose: the odd "
                    "padding cell cropped at the end, the cells no kernel reaches added by output_padding)");

    const OnnxTensor* b = n.inputs.size() > 2 && !n.inputs[2].empty() ? &requireConstant(n, 2, "bias") : nullptr;
    if (b && b->elementCount() != filters) fail(n, "the bias has " + std::to_string(b->elementCount()) + " values for " + std::to_string(filters) + " filters");
    std::vector<int64_t> shape = {x.shape[0], filters, -1, -1};
    for (std::size_t a = 0; a < 2; ++a)
        if (x.shape[2 + a] >= 0) shape[2 + a] = x.shape[2 + a] * strides[a] + axes[a].excess;
    const json config = {{"filters", filters}, {"kernel_size", k},          {"strides", strides},
                         {"padding", isValid ? "valid" : "same"}, {"dilation_rate", dilations}, {"use_bias", b != nullptr}};
    const int l = addLayer(n, "Conv2DTranspose", config, {x.layer}, Layout::ChannelsFirst, shape);
    // (C_in, filters, kh, kw) -> Keras' (kh, kw, filters, C_in): the same axis permutation as OIHW -> HWIO.
    layers_[std::size_t(l)].weights["kernel"] = kernelOihwToHwio(w.dims, w.floats);
    if (b) layers_[std::size_t(l)].weights["bias"] = importedTensor({filters}, b->floats);
}

} // namespace strata::storage
