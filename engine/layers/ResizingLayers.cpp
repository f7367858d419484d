#include "engine/layers/ResizingLayers.h"

#include "engine/Error.h"
#include "engine/LayerRegistry.h"

#include <algorithm>
#include <cmath>

namespace strata::layers {

static const char* kImageShape = "(batch, height, width, channels)";

std::array<int64_t, 4> imageSidesConfig(const nlohmann::json& v, const std::string& key) {
    auto amount = [&](const nlohmann::json& a) {
        if (!a.is_number_integer() || a.get<int64_t>() < 0 || a.get<int64_t>() > kMaxDim)
            throw ConfigError(key + ": expected p, [h, w] or [[top, bottom], [left, right]] of integers from 0 to " +
                              std::to_string(kMaxDim) + ", got " + v.dump());
        return a.get<int64_t>();
    };
    auto pair = [&](const nlohmann::json& a) -> std::pair<int64_t, int64_t> {
        if (a.is_array()) {
            if (a.size() != 2) amount(nullptr);
            return {amount(a[0]), amount(a[1])};
        }
        const int64_t n = amount(a);
        return {n, n};
    };
    if (!v.is_array()) {
        const int64_t n = amount(v);
        return {n, n, n, n};
    }
    if (v.size() != 2) amount(nullptr);
    const auto [top, bottom] = pair(v[0]);
    const auto [left, right] = pair(v[1]);
    return {top, bottom, left, right};
}

std::vector<float> bilinearUpsamplingMatrix(int64_t in, int64_t factor) {
    const int64_t out = in * factor;
    std::vector<float> m(std::size_t(out * in), 0.0f);
    for (int64_t o = 0; o < out; ++o) {
        // The output cell's centre in input coordinates, clamped to the first cell's centre.
        const double src = std::max((double(o) + 0.5) / double(factor) - 0.5, 0.0);
        const int64_t lo = std::min(int64_t(std::floor(src)), in - 1), hi = std::min(lo + 1, in - 1);
        const double t = src - double(lo);
        m[std::size_t(o * in + lo)] += float(1.0 - t);
        m[std::size_t(o * in + hi)] += float(t);
    }
    return m;
}

UpSampling2D::UpSampling2D(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)), size(pairConfig("size", 1)),
      interpolation(choiceConfig("interpolation", {"nearest", "bilinear"})) {}

Shape UpSampling2D::outputShape(const std::vector<Shape>& inputs) const {
    const Shape& in = inputs.at(0);
    requireRank(in, 4, kImageShape);
    auto grow = [](int64_t d, int64_t by, const char* axis) {
        if (d == kUnknownDim) return kUnknownDim;
        if (d > kMaxDim / by) throw ShapeError(std::string("the upsampled ") + axis + " (" + std::to_string(d) + " × " + std::to_string(by) + ") is too large");
        return d * by;
    };
    return Shape{in[0], grow(in[1], size[0], "height"), grow(in[2], size[1], "width"), in[3]};
}

LayerOutput UpSampling2D::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    ir::ValueId x = in.at(0);
    const Shape s = g.shape(x);
    const int64_t n = s[0], h = s[1], w = s[2], c = s[3];
    if (interpolation == "nearest") {
        x = g.reshape(x, Shape{n, h, 1, w, 1, c});
        x = g.broadcastTo(x, Shape{n, h, size[0], w, size[1], c});
        return {g.reshape(x, Shape{n, h * size[0], w * size[1], c})};
    }
    // Bilinear: each axis in turn moved first, flattened to (in, rest), multiplied by its matrix.
    auto axis = [&](ir::ValueId v, int64_t cells, int64_t factor, const std::vector<int64_t>& toFront,
                    const std::vector<int64_t>& back) {
        v = g.transpose(v, toFront);
        Shape moved = g.shape(v);
        v = g.reshape(v, Shape{cells, moved.numElements() / cells});
        const ir::ValueId m = g.constant(Tensor::fromVector(Shape{cells * factor, cells}, bilinearUpsamplingMatrix(cells, factor)));
        v = g.matmul(m, v);
        std::vector<int64_t> dims = moved.dims();
        dims[0] = cells * factor;
        return g.transpose(g.reshape(v, Shape(std::move(dims))), back);
    };
    if (size[0] > 1) x = axis(x, h, size[0], {1, 0, 2, 3}, {1, 0, 2, 3});
    if (size[1] > 1) x = axis(x, w, size[1], {2, 0, 1, 3}, {1, 2, 0, 3});
    return {x};
}

std::string UpSampling2D::keyConfigText() const {
    return "×" + std::to_string(size[0]) + (size[1] != size[0] ? "," + std::to_string(size[1]) : "") +
           (interpolation == "nearest" ? "" : " " + interpolation);
}

Cropping2D::Cropping2D(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)), cropping(imageSidesConfig(cfg("cropping"), "cropping")) {}

Shape Cropping2D::outputShape(const std::vector<Shape>& inputs) const {
    const Shape& in = inputs.at(0);
    requireRank(in, 4, kImageShape);
    auto crop = [&](int64_t d, int64_t before, int64_t after, const char* axis) {
        if (d == kUnknownDim) return kUnknownDim;
        if (before + after >= d)
            throw ShapeError(std::string("cropping ") + std::to_string(before) + " + " + std::to_string(after) + " of the " + axis +
                             " leaves nothing of " + std::to_string(d));
        return d - before - after;
    };
    return Shape{in[0], crop(in[1], cropping[0], cropping[1], "height"), crop(in[2], cropping[2], cropping[3], "width"), in[3]};
}

LayerOutput Cropping2D::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    ir::ValueId x = in.at(0);
    const Shape out = outputShape({g.shape(x)});
    if (cropping[0] || cropping[1]) x = g.slice(x, 1, cropping[0], out[1]);
    if (cropping[2] || cropping[3]) x = g.slice(x, 2, cropping[2], out[2]);
    return {x};
}

std::string Cropping2D::keyConfigText() const {
    const auto& c = cropping;
    if (c[0] == c[1] && c[1] == c[2] && c[2] == c[3]) return "crop " + std::to_string(c[0]);
    return "crop " + std::to_string(c[0]) + "," + std::to_string(c[1]) + "," + std::to_string(c[2]) + "," + std::to_string(c[3]);
}

void registerResizingLayers(std::vector<LayerTypeInfo>& out) {
    out.push_back({"UpSampling2D", "Convolution",
                   "Upsamples each NHWC image by size (rows, columns): interpolation \"nearest\" repeats cells, \"bilinear\" "
                   "interpolates (half-pixel centres)",
                   {{"size", {2, 2}}, {"interpolation", "nearest"}}, 1, 1, {}, makeLayer<UpSampling2D>});
    out.push_back({"Cropping2D", "Convolution",
                   "Drops rows and columns at the sides of each NHWC image: cropping p, [h, w] or [[top, bottom], [left, right]]",
                   {{"cropping", {{0, 0}, {0, 0}}}}, 1, 1, {}, makeLayer<Cropping2D>});
}

} // namespace strata::layers
