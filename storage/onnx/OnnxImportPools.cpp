// OnnxGraphImport for pooling and resizing: MaxPool/AveragePool with any pads, auto_pad and
// ceil_mode (PyTorch's output-size rule, engine/ir/ConvGeometry.h), the global pools, Resize and
// Upsample (UpSampling2D), Slice of an image (Cropping2D).
#include "storage/onnx/OnnxGraphImport.h"

#include "engine/ir/ConvGeometry.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace strata::storage {

using nlohmann::json;

namespace {
std::string list(const std::vector<int64_t>& v) { return json(v).dump(); }

// Keras' "same" pads of one axis (before, after): the odd cell after.
std::pair<int64_t, int64_t> samePads(int64_t in, int64_t k, int64_t s) {
    const int64_t out = (in + s - 1) / s, total = std::max<int64_t>((out - 1) * s + k - in, 0);
    return {total / 2, total - total / 2};
}
} // namespace

void OnnxGraphImport::pool(const OnnxNode& n) {
    Value x = input(n, 0);
    if (x.shape.size() == 3) return pool1d(n);
    if (x.layout != Layout::ChannelsFirst) fail(n, "its input is not an NCHW image (rank " + std::to_string(x.shape.size()) + ")");
    const bool isMax = n.opType == "MaxPool";
    const auto k = n.intsAttr("kernel_shape"), strides = n.intsAttr("strides", {1, 1});
    if (k.size() != 2 || strides.size() != 2) fail(n, "only 2-D pooling is supported (kernel_shape " + list(k) + ")");
    const OnnxAttribute* givenPads = n.attr("pads");
    requireWindowAttrs(k, strides, n.intsAttr("dilations", {1, 1}), givenPads ? &givenPads->ints : nullptr,
                       [&](const std::string& why) { fail(n, why); });
    if (n.intsAttr("dilations", {1, 1}) != std::vector<int64_t>{1, 1}) fail(n, "dilations other than 1 are not supported");
    if (n.intAttr("storage_order", 0) != 0) fail(n, "storage_order=1 is not supported");
    const std::string autoPad = n.stringAttr("auto_pad", "NOTSET");
    bool ceil = n.intAttr("ceil_mode", 0) != 0;
    // pads as ONNX orders them: [top, left, bottom, right].
    std::vector<int64_t> pads = n.intsAttr("pads", {0, 0, 0, 0});
    std::string padding; // "valid", "same" or "" (explicit pads)
    if (autoPad == "VALID") {
        pads = {0, 0, 0, 0};
    } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
        ceil = false; // auto_pad SAME: ceil(in / s) whatever ceil_mode says
        for (std::size_t a = 0; a < 2; ++a) {
            const int64_t in = x.shape[2 + a];
            if (in < 0) {
                if (autoPad == "SAME_UPPER") continue; // Keras' "same" needs no size
                fail(n, "auto_pad=SAME_LOWER needs a known input size (the spatial size is unknown)");
            }
            auto [before, after] = samePads(in, k[a], strides[a]);
            if (autoPad == "SAME_LOWER") std::swap(before, after);
            pads[a] = before, pads[a + 2] = after;
        }
        if (autoPad == "SAME_UPPER") padding = "same";
    } else if (autoPad != "NOTSET") {
        fail(n, "auto_pad=" + autoPad + " is not supported");
    }
    const bool zero = pads == std::vector<int64_t>{0, 0, 0, 0};
    if (padding.empty() && zero) padding = "valid";
    if (padding.empty() && !ceil && x.shape[2] >= 0 && x.shape[3] >= 0) { // pads that are Keras' "same": say so
        const auto h = samePads(x.shape[2], k[0], strides[0]), w = samePads(x.shape[3], k[1], strides[1]);
        if (pads == std::vector<int64_t>{h.first, w.first, h.second, w.second}) padding = "same";
    }
    for (std::size_t a = 0; a < 4; ++a)
        if (pads[a] >= k[a % 2])
            fail(n, "pads " + list(pads) + " must each be smaller than the kernel " + list(k) + " (a window must hold one input cell)");
    // PyTorch's output size of axis a (0 height, 1 width) of an input of `in` cells; fails by name.
    auto poolSize = [&](std::size_t a, int64_t in, int64_t before, int64_t after, bool ceilMode) {
        try {
            return ir::poolOutputSize(in, k[a], strides[a], before, after, ceilMode, a == 0 ? "height" : "width");
        } catch (const StrataError& e) {
            fail(n, e.what());
        }
    };
    auto outSize = [&](std::size_t a, const std::vector<int64_t>& p, bool ceilMode) {
        const int64_t in = x.shape[2 + a];
        if (in < 0) return in;
        if (padding == "same") return (in + strides[a] - 1) / strides[a];
        return poolSize(a, in, p[a], p[a + 2], ceilMode);
    };
    const bool includePads = !isMax && n.intAttr("count_include_pad", 0) != 0;
    if (includePads && padding == "same" && zero) fail(n, "count_include_pad=1 with auto_pad=SAME_UPPER needs a known input size");
    if (includePads && !zero) {
        // The pads count as zeros: a ZeroPadding2D, then a pool of the padded image without pads.
        // With ceil_mode that is exact only when both keep the same last window.
        Value padded = x;
        for (std::size_t a = 0; a < 2; ++a)
            if (padded.shape[2 + a] >= 0) padded.shape[2 + a] += pads[a] + pads[a + 2];
        if (ceil && padding != "same")
            for (std::size_t a = 0; a < 2; ++a) {
                const int64_t in = x.shape[2 + a];
                if (in < 0) fail(n, "count_include_pad=1 with pads and ceil_mode=1 needs a known input size");
                if (poolSize(a, in, pads[a], pads[a + 2], true) != poolSize(a, in + pads[a] + pads[a + 2], 0, 0, true))
                    fail(n, "count_include_pad=1 with pads " + list(pads) + " and ceil_mode=1 is not supported (its last "
                            "window would differ from a pool over the zero-padded image)");
            }
        OnnxNode padNode = n;
        padNode.name = (n.name.empty() ? n.outputs.at(0) : n.name) + "_pad";
        padNode.outputs = {n.outputs.at(0) + "/zero_pad"};
        addLayer(padNode, "ZeroPadding2D", {{"padding", {{pads[0], pads[2]}, {pads[1], pads[3]}}}}, {x.layer}, Layout::ChannelsFirst,
                 padded.shape);
        x = values_.at(padNode.outputs[0]);
        pads = {0, 0, 0, 0};
        padding = "valid";
    }
    json config = {{"pool_size", k}, {"strides", strides}, {"ceil_mode", ceil}};
    config["padding"] = padding.empty() ? json{{pads[0], pads[2]}, {pads[1], pads[3]}} : json(padding);
    const int64_t outH = outSize(0, pads, ceil), outW = outSize(1, pads, ceil);
    addLayer(n, isMax ? "MaxPooling2D" : "AveragePooling2D", config, {x.layer}, Layout::ChannelsFirst, {x.shape[0], x.shape[1], outH, outW});
}

std::vector<int64_t> OnnxGraphImport::integers(const OnnxNode& n, std::size_t k, const std::string& what) const {
    if (k >= n.inputs.size() || n.inputs[k].empty()) fail(n, "the " + what + " (input " + std::to_string(k + 1) + ") is missing");
    const OnnxTensor* t = constant(n.inputs[k]);
    if (!t) fail(n, "the " + what + " '" + n.inputs[k] + "' is computed in the graph; only constants are supported");
    if (t->isFloat()) fail(n, "the " + what + " '" + n.inputs[k] + "' is not an integer tensor");
    return t->ints;
}

void OnnxGraphImport::globalAveragePool(const OnnxNode& n) {
    const Value x = input(n, 0);
    if (x.shape.size() == 3) return globalPool1d(n, false, true);
    if (x.layout != Layout::ChannelsFirst) fail(n, "its input is not an NCHW image (rank " + std::to_string(x.shape.size()) + ")");
    addLayer(n, "GlobalAveragePooling2D", {{"keepdims", true}}, {x.layer}, Layout::ChannelsFirst, {x.shape[0], x.shape[1], 1, 1});
}

void OnnxGraphImport::globalMaxPool(const OnnxNode& n) {
    const Value x = input(n, 0);
    if (x.shape.size() == 3) return globalPool1d(n, true, true);
    if (x.layout != Layout::ChannelsFirst) fail(n, "its input is not an NCHW image (rank " + std::to_string(x.shape.size()) + ")");
    addLayer(n, "GlobalMaxPooling2D", {{"keepdims", true}}, {x.layer}, Layout::ChannelsFirst, {x.shape[0], x.shape[1], 1, 1});
}

// Resize (opset 11+: X, roi, scales, sizes) and Upsample (opset 7: attribute scales; 9: input 1)
// by whole factors of height and width: UpSampling2D. Nearest matches for the half-pixel modes
// (any rounding: for a whole factor s, cell o's source rounds to floor(o / s)) and for asymmetric
// with floor; linear for half_pixel and pytorch_half_pixel. Anything else fails by name.
void OnnxGraphImport::resize(const OnnxNode& n) {
    const Value x = input(n, 0);
    if (x.layout != Layout::ChannelsFirst) fail(n, "its input is not an NCHW image (rank " + std::to_string(x.shape.size()) + ")");
    const bool upsample = n.opType == "Upsample";
    const std::string mode = n.stringAttr("mode", "nearest");
    // Upsample: asymmetric coordinates (the cell o reads o / s), nearest rounding down.
    const std::string coords = upsample ? "asymmetric" : n.stringAttr("coordinate_transformation_mode", "half_pixel");
    const std::string nearestMode = upsample ? "floor" : n.stringAttr("nearest_mode", "round_prefer_floor");
    std::vector<double> scales;
    std::vector<int64_t> targetSizes; // sizes that are not whole multiples: a Resizing layer
    if (const OnnxAttribute* a = n.attr("scales"); upsample && a) {
        scales.assign(a->floats.begin(), a->floats.end());
    } else {
        const std::size_t scalesAt = upsample ? 1 : 2;
        const bool hasScales = n.inputs.size() > scalesAt && !n.inputs[scalesAt].empty() &&
                               !(constant(n.inputs[scalesAt]) && constant(n.inputs[scalesAt])->elementCount() == 0);
        if (hasScales) {
            const OnnxTensor& t = requireConstant(n, scalesAt, "scales");
            scales.assign(t.floats.begin(), t.floats.end());
        } else if (!upsample && n.inputs.size() > 3 && !n.inputs[3].empty()) {
            const std::vector<int64_t> sizes = integers(n, 3, "sizes");
            if (sizes.size() != 4) fail(n, "sizes must hold 4 values (N, C, H, W)");
            for (std::size_t a = 0; a < 4; ++a) {
                if (a > 0 && x.shape[a] <= 0) fail(n, "sizes " + list(sizes) + " need the input's size to be known");
                if (a > 0 && sizes[a] % x.shape[a] != 0) targetSizes = sizes;
                scales.push_back(a == 0 || sizes[a] % x.shape[a] != 0 ? 1.0 : double(sizes[a] / x.shape[a]));
            }
            if (!targetSizes.empty() && (sizes[1] != x.shape[1] || sizes[2] < 1 || sizes[3] < 1 || sizes[2] > kMaxDim || sizes[3] > kMaxDim))
                fail(n, "sizes " + list(sizes) + ": only the height and width can be resized");
        } else {
            fail(n, "neither scales nor sizes are given as constants");
        }
    }
    if (!targetSizes.empty() || (!upsample && coords == "tf_half_pixel_for_nn")) return resizeTo(n, x, targetSizes, mode, coords, nearestMode);
    if (scales.size() != 4) fail(n, "scales must hold 4 values (N, C, H, W)");
    if (scales[0] != 1.0 || scales[1] != 1.0) fail(n, "only the height and width can be resized (scales of N and C must be 1)");
    std::vector<int64_t> size(2);
    for (std::size_t a = 0; a < 2; ++a) {
        const double f = scales[2 + a];
        if (!(f >= 1.0 && f <= double(kMaxWindowAttr)) || f != std::floor(f))
            fail(n, "scales " + json(scales).dump() + ": only whole upsampling factors of 1 or more are supported");
        size[a] = int64_t(f);
    }
    std::string interpolation;
    const bool halfPixel = coords == "half_pixel" || coords == "pytorch_half_pixel";
    if (mode == "nearest" && (halfPixel || (coords == "asymmetric" && nearestMode == "floor"))) interpolation = "nearest";
    else if ((mode == "linear" || mode == "bilinear") && halfPixel) interpolation = "bilinear";
    if (interpolation.empty())
        fail(n, "mode=" + mode + " with coordinate_transformation_mode=" + coords + (mode == "nearest" ? " and nearest_mode=" + nearestMode : "") +
                    " is not supported (UpSampling2D is nearest with half_pixel, pytorch_half_pixel or asymmetric/floor coordinates, "
                    "or linear with half_pixel or pytorch_half_pixel)");
    auto grow = [](int64_t d, int64_t by) { return d < 0 ? d : d * by; };
    addLayer(n, "UpSampling2D", {{"size", size}, {"interpolation", interpolation}}, {x.layer}, Layout::ChannelsFirst,
             {x.shape[0], x.shape[1], grow(x.shape[2], size[0]), grow(x.shape[3], size[1])});
}

// A Resize to sizes that are not whole multiples (or with TensorFlow's nearest coordinates): a
// Resizing layer, bilinear as linear with half_pixel coordinates, nearest as tf_half_pixel_for_nn
// with floor (Strata's Resizing export).
void OnnxGraphImport::resizeTo(const OnnxNode& n, const Value& x, std::vector<int64_t> sizes, const std::string& mode,
                               const std::string& coords, const std::string& nearestMode) {
    if (sizes.empty()) {
        if (n.inputs.size() <= 3 || n.inputs[3].empty()) fail(n, "tf_half_pixel_for_nn coordinates are imported with sizes only");
        sizes = integers(n, 3, "sizes");
        if (sizes.size() != 4 || sizes[1] != x.shape[1]) fail(n, "sizes " + list(sizes) + ": only the height and width can be resized");
    }
    std::string interpolation;
    if ((mode == "linear" || mode == "bilinear") && coords == "half_pixel") interpolation = "bilinear";
    else if (mode == "nearest" && coords == "tf_half_pixel_for_nn" && nearestMode == "floor") interpolation = "nearest";
    else
        fail(n, "a Resize to sizes " + list(sizes) + " is imported as linear with half_pixel coordinates or nearest with "
                "tf_half_pixel_for_nn and floor (a Resizing layer), not mode=" + mode + " with " + coords);
    addLayer(n, "Resizing", {{"height", sizes[2]}, {"width", sizes[3]}, {"interpolation", interpolation}}, {x.layer},
             Layout::ChannelsFirst, {x.shape[0], x.shape[1], sizes[2], sizes[3]});
}

// A Slice with step 1: of the height and width of an NCHW image, Cropping2D; of any other axis
// but the batch (the channels: torch's x.chunk, x[:, a:b]), a Slice layer per axis.
void OnnxGraphImport::slice(const OnnxNode& n) {
    Value x = input(n, 0);
    if (x.layout == Layout::FlatChw) fail(n, "slicing a flattened NCHW image is not supported");
    const int64_t rank = int64_t(x.shape.size());
    std::vector<int64_t> starts, ends, axes, steps;
    if (n.inputs.size() >= 3) { // opset 10+
        starts = integers(n, 1, "starts");
        ends = integers(n, 2, "ends");
        if (n.inputs.size() > 3 && !n.inputs[3].empty()) axes = integers(n, 3, "axes");
        if (n.inputs.size() > 4 && !n.inputs[4].empty()) steps = integers(n, 4, "steps");
    } else {
        starts = n.intsAttr("starts"), ends = n.intsAttr("ends"), axes = n.intsAttr("axes");
    }
    if (axes.empty())
        for (std::size_t a = 0; a < starts.size(); ++a) axes.push_back(int64_t(a));
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (starts.size() != ends.size() || axes.size() != starts.size() || steps.size() != starts.size())
        fail(n, "starts, ends, axes and steps must have as many values");
    std::array<int64_t, 4> crop{}; // top, bottom, left, right
    bool cropped = false;
    std::vector<int64_t> shape = x.shape;
    struct AxisSlice {
        int64_t axis, begin, end; // end -1: to the end of an axis of unknown size
    };
    std::vector<AxisSlice> others;
    // The batch is ONNX's first axis, unless a recurrent op's view moved it ([D, N, u] states).
    const int64_t batchAxis = x.layout == Layout::Permuted
                                  ? int64_t(std::find(x.perm.begin(), x.perm.end(), 0) - x.perm.begin())
                                  : 0;
    for (std::size_t k = 0; k < axes.size(); ++k) {
        const int64_t axis = axes[k] < 0 ? axes[k] + rank : axes[k];
        if (axis < 0 || axis >= rank) fail(n, "axis " + std::to_string(axes[k]) + " is not an axis of its rank-" + std::to_string(rank) + " input");
        const int64_t in = x.shape[std::size_t(axis)];
        int64_t begin = starts[k], end = ends[k];
        if (begin < 0 && in >= 0) begin += in;
        if (end < 0 && in >= 0) end += in;
        if (in >= 0) begin = std::clamp<int64_t>(begin, 0, in), end = std::clamp<int64_t>(end, 0, in);
        const bool whole = begin == 0 && (end >= kMaxDim || (in >= 0 && end == in));
        if (steps[k] != 1) fail(n, "only steps of 1 are supported");
        if (whole) continue;
        if (axis == batchAxis) fail(n, "slicing the batch axis is not supported");
        if (x.layout != Layout::ChannelsFirst || axis == 1) {
            if (begin < 0) fail(n, "a negative start on an axis of unknown size is not supported");
            if (in < 0 && end < kMaxDim) fail(n, "a slice to a given end of an axis of unknown size is not supported");
            if (in >= 0 && begin >= end) fail(n, "the slice " + std::to_string(starts[k]) + ":" + std::to_string(ends[k]) + " is empty");
            others.push_back({axis, begin, in >= 0 ? end : -1});
            if (in >= 0) shape[std::size_t(axis)] = end - begin;
            continue;
        }
        cropped = true;
        int64_t after = 0;
        if (ends[k] < 0 && ends[k] > -kMaxDim) after = -ends[k];
        else if (in >= 0) after = in - end;
        else if (ends[k] < kMaxDim) fail(n, "a slice to a positive end of an axis of unknown size is not supported");
        if (begin < 0) fail(n, "a negative start on an axis of unknown size is not supported");
        if (in >= 0 && begin >= end) fail(n, "the slice " + std::to_string(starts[k]) + ":" + std::to_string(ends[k]) + " is empty");
        crop[std::size_t(axis - 2) * 2] = begin, crop[std::size_t(axis - 2) * 2 + 1] = after;
        if (in >= 0) shape[std::size_t(axis)] = in - begin - after;
    }
    if (!cropped && others.empty()) return alias(n, x); // the whole tensor
    if (cropped) {
        addLayer(n, "Cropping2D", {{"cropping", {{crop[0], crop[1]}, {crop[2], crop[3]}}}}, {x.layer}, Layout::ChannelsFirst, shape);
        x = values_.at(n.outputs.at(0));
    }
    for (const AxisSlice& s : others) { // ONNX axis -> the Strata tensor's axis
        int64_t axis = s.axis;
        if (x.layout == Layout::ChannelsFirst) axis = axis == 1 ? 3 : axis - 1;
        if (x.layout == Layout::Permuted) axis = x.perm.at(std::size_t(s.axis));
        addLayer(n, "Slice", {{"axis", axis}, {"start", s.begin}, {"stop", s.end < 0 ? json(nullptr) : json(s.end)}}, {x.layer}, x.layout, shape);
        x = values_.at(n.outputs.at(0));
    }
}

} // namespace strata::storage
