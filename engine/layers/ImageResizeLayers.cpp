#include "engine/layers/ImageResizeLayers.h"

#include "engine/Error.h"
#include "engine/LayerRegistry.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace strata::layers {

std::vector<float> resizeMatrix(int64_t in, int64_t out, bool bilinear) {
    std::vector<float> m(std::size_t(in * out), 0.0f);
    const double scale = double(in) / double(out);
    for (int64_t o = 0; o < out; ++o) {
        float* row = m.data() + o * in;
        if (!bilinear) {
            row[std::min<int64_t>(int64_t(std::floor((double(o) + 0.5) * scale)), in - 1)] = 1.0f;
            continue;
        }
        const double src = (double(o) + 0.5) * scale - 0.5, f = std::floor(src);
        const int64_t lo = std::clamp<int64_t>(int64_t(f), 0, in - 1), hi = std::clamp<int64_t>(int64_t(f) + 1, 0, in - 1);
        const double lerp = src - f;
        row[lo] += float(1.0 - lerp);
        row[hi] += float(lerp);
    }
    return m;
}

std::array<int64_t, 4> centerCropBox(int64_t h, int64_t w, int64_t height, int64_t width) {
    const int64_t ch = std::max<int64_t>(std::min<int64_t>(h, int64_t(double(w * height) / double(width))), 1);
    const int64_t cw = std::max<int64_t>(std::min<int64_t>(w, int64_t(double(h * width) / double(height))), 1);
    return {int64_t(double(h - ch) / 2.0), int64_t(double(w - cw) / 2.0), ch, cw};
}

namespace {

// x with axis 1 (rows) or 2 (columns) resized from `in` to `out` cells by its matrix.
ir::ValueId resizeAxis(ir::Graph& g, ir::ValueId x, int64_t axis, int64_t out, bool bilinear) {
    const Shape s = g.shape(x);
    const int64_t in = s[std::size_t(axis)];
    if (in == out) return x;
    constexpr int64_t kMaxMatrix = int64_t(1) << 26; // 256 MiB of weights: far past any image a person resizes
    if (in > kMaxMatrix / out)
        throw ShapeError("resizing " + std::to_string(in) + " " + (axis == 1 ? "rows" : "columns") + " to " + std::to_string(out) +
                         " needs a " + std::to_string(in) + "x" + std::to_string(out) + " interpolation matrix, more than " +
                         std::to_string(kMaxMatrix) + " values");
    const std::vector<int64_t> toFront = axis == 1 ? std::vector<int64_t>{1, 0, 2, 3} : std::vector<int64_t>{2, 0, 1, 3};
    const std::vector<int64_t> back = axis == 1 ? std::vector<int64_t>{1, 0, 2, 3} : std::vector<int64_t>{1, 2, 0, 3};
    ir::ValueId v = g.transpose(x, toFront);
    std::vector<int64_t> dims = g.shape(v).dims();
    v = g.reshape(v, Shape{in, s.numElements() / in});
    v = g.matmul(g.constant(Tensor::fromVector(Shape{out, in}, resizeMatrix(in, out, bilinear))), v);
    dims[0] = out;
    return g.transpose(g.reshape(v, Shape(std::move(dims))), back);
}

Shape resizedShape(const Shape& in, int64_t height, int64_t width) {
    requireRank(in, 4, "(batch, height, width, channels)");
    return Shape{in[0], height, width, in[3]};
}

} // namespace

ir::ValueId cropAndResize(ir::Graph& g, ir::ValueId x, int64_t height, int64_t width, bool bilinear, bool crop) {
    const Shape s = g.shape(x);
    if (crop) {
        const auto box = centerCropBox(s[1], s[2], height, width);
        if (box[2] != s[1]) x = g.slice(x, 1, box[0], box[2]);
        if (box[3] != s[2]) x = g.slice(x, 2, box[1], box[3]);
    }
    return resizeAxis(g, resizeAxis(g, x, 1, height, bilinear), 2, width, bilinear);
}

Resizing::Resizing(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)), height(intConfig("height", 1)), width(intConfig("width", 1)),
      bilinear(choiceConfig("interpolation", {"bilinear", "nearest"}) == "bilinear"),
      cropToAspectRatio(cfg("crop_to_aspect_ratio").get<bool>()) {}

Shape Resizing::outputShape(const std::vector<Shape>& inputs) const { return resizedShape(inputs.at(0), height, width); }

LayerOutput Resizing::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    return {cropAndResize(ctx.graph(), in.at(0), height, width, bilinear, cropToAspectRatio)};
}

std::string Resizing::keyConfigText() const {
    return std::to_string(height) + "x" + std::to_string(width) + (bilinear ? "" : " nearest") + (cropToAspectRatio ? " crop" : "");
}

RandomCrop::RandomCrop(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : RandomImageLayer(info, std::move(name), std::move(config)), height(intConfig("height", 1)), width(intConfig("width", 1)) {}

Shape RandomCrop::outputShape(const std::vector<Shape>& inputs) const { return resizedShape(inputs.at(0), height, width); }

LayerOutput RandomCrop::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    const ir::ValueId x = in.at(0);
    const Shape s = g.shape(x);
    if (!ctx.training() || s[1] <= height || s[2] <= width) return {cropAndResize(g, x, height, width, true, true)};
    // Offsets floor(u (H - height + 1)), exact in float32; the crop is a whole-pixel translation by
    // (h0, w0) (ImageTransform, nearest: each output pixel reads one input pixel), then a slice.
    const ir::ValueId u = uniforms(ctx, Shape{1, 2});
    const ir::ValueId h0 = g.floor(g.mul(g.slice(u, 1, 0, 1), g.scalar(float(s[1] - height + 1))));
    const ir::ValueId w0 = g.floor(g.mul(g.slice(u, 1, 1, 1), g.scalar(float(s[2] - width + 1))));
    const ir::ValueId ones = filled(g, s[0], 1.0), zeros = filled(g, s[0], 0.0);
    const ir::ValueId dh = g.mul(ones, h0), dw = g.mul(ones, w0); // [N, 1]: the batch's one offset
    const ir::ValueId t = g.concat({ones, zeros, dw, zeros, ones, dh, zeros, zeros}, 1);
    ir::ValueId y = g.imageTransform(x, t, 0, 0, 0.0);
    y = g.slice(g.slice(y, 1, 0, height), 2, 0, width);
    return {y};
}

std::string RandomCrop::keyConfigText() const { return std::to_string(height) + "x" + std::to_string(width); }

void registerImageResizeLayers(std::vector<LayerTypeInfo>& out) {
    out.push_back({"Resizing", "Preprocessing",
                   "Resizes each image to (height, width): bilinear or nearest, after an optional centred crop to the target's aspect ratio",
                   {{"height", 224}, {"width", 224}, {"interpolation", "bilinear"}, {"crop_to_aspect_ratio", false}}, 1, 1, {},
                   makeLayer<Resizing>});
    out.push_back({"RandomCrop", "Preprocessing",
                   "While training, crops a random (height, width) box (one per batch); in inference the centred box, resized",
                   {{"height", 224}, {"width", 224}, {"seed", nullptr}}, 1, 1, {}, makeLayer<RandomCrop>});
}

} // namespace strata::layers
