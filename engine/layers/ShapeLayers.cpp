#include "engine/layers/ShapeLayers.h"
#include "engine/layers/ResizingLayers.h"

#include "engine/Error.h"
#include "engine/Initializers.h"
#include "engine/LayerRegistry.h"
#include "engine/ir/Optimizers.h"

#include <algorithm>
#include <cstdio>
#include <tuple>
#include <utility>

namespace strata::layers {

Shape Flatten::outputShape(const std::vector<Shape>& inputs) const {
    const Shape& in = inputs.at(0);
    if (in.rank() < 1) throw ShapeError("expects an input with a batch dimension, got " + in.toString());
    return Shape{in[0], in.numElementsFrom(1)};
}

// Row-major over every axis but the batch, as Keras flattens NHWC.
LayerOutput Flatten::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    return {g.reshape(in.at(0), outputShape({g.shape(in[0])}))};
}

Reshape::Reshape(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)) {
    const auto& t = cfg("target_shape");
    int inferred = 0;
    for (const auto& d : t) {
        if (!d.is_number_integer() || (d.get<int64_t>() < 1 && d.get<int64_t>() != -1) || d.get<int64_t>() > kMaxDim)
            configError("target_shape", "entries must be integers from 1 to " + std::to_string(kMaxDim) + " or -1, got " +
                                            t.dump());
        inferred += d.get<int64_t>() == -1;
        targetShape.push_back(d.get<int64_t>());
    }
    if (targetShape.empty()) configError("target_shape", "must not be empty");
    if (inferred > 1) configError("target_shape", "may contain -1 at most once, got " + t.dump());
}

Shape Reshape::outputShape(const std::vector<Shape>& inputs) const {
    const Shape& in = inputs.at(0);
    if (in.rank() < 1) throw ShapeError("expects an input with a batch dimension, got " + in.toString());
    const int64_t n = in.numElementsFrom(1);
    int64_t known = 1;
    for (int64_t d : targetShape)
        if (d != -1 && __builtin_mul_overflow(known, d, &known))
            throw ShapeError("target_shape " + cfg("target_shape").dump() + " has too many elements");
    std::vector<int64_t> dims{in[0]};
    for (int64_t d : targetShape) {
        if (d != -1) dims.push_back(d);
        else if (n == kUnknownDim) dims.push_back(kUnknownDim);
        else {
            if (n % known != 0)
                throw ShapeError("cannot reshape " + in.toString() + " (" + std::to_string(n) + " values per sample) to " +
                                 cfg("target_shape").dump());
            dims.push_back(n / known);
        }
    }
    Shape out(dims);
    if (n != kUnknownDim && out.numElementsFrom(1) != n)
        throw ShapeError("cannot reshape " + in.toString() + " (" + std::to_string(n) + " values per sample) to " +
                         out.toString() + " (" + std::to_string(out.numElementsFrom(1)) + " values)");
    return out;
}

LayerOutput Reshape::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    return {g.reshape(in.at(0), outputShape({g.shape(in[0])}))};
}

std::string Reshape::keyConfigText() const { return cfg("target_shape").dump(); }

Permute::Permute(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)) {
    const auto& d = cfg("dims");
    if (!d.is_array() || d.empty()) configError("dims", "must be a non-empty list of axes, got " + d.dump());
    std::vector<bool> seen(d.size() + 1, false);
    for (const auto& v : d) {
        if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > int64_t(d.size()) || seen[std::size_t(v.get<int64_t>())])
            configError("dims", "must be a permutation of 1.." + std::to_string(d.size()) + " (the batch axis stays), got " + d.dump());
        seen[std::size_t(v.get<int64_t>())] = true;
        dims.push_back(v.get<int64_t>());
    }
}

Shape Permute::outputShape(const std::vector<Shape>& inputs) const {
    const Shape& in = inputs.at(0);
    if (in.rank() != dims.size() + 1)
        throw ShapeError("dims " + cfg("dims").dump() + " permute " + std::to_string(dims.size()) + " axes, the input " + in.toString() +
                         " has " + std::to_string(in.rank() - 1) + " besides the batch");
    std::vector<int64_t> out{in[0]};
    for (int64_t d : dims) out.push_back(in[d]);
    return Shape(out);
}

LayerOutput Permute::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    outputShape({g.shape(in.at(0))}); // checks the rank
    std::vector<int64_t> perm{0};
    perm.insert(perm.end(), dims.begin(), dims.end());
    return {g.transpose(in[0], perm)};
}

std::string Permute::keyConfigText() const { return cfg("dims").dump(); }

Slice::Slice(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)) {
    auto integer = [&](const char* key, bool nullable) -> std::optional<int64_t> {
        const auto& v = cfg(key);
        if (nullable && v.is_null()) return std::nullopt;
        if (!v.is_number_integer() || v.get<int64_t>() < -kMaxDim || v.get<int64_t>() > kMaxDim)
            configError(key, std::string("must be an integer") + (nullable ? " or null" : "") + ", got " + v.dump());
        return v.get<int64_t>();
    };
    axis = *integer("axis", false);
    if (axis == 0) configError("axis", "is the batch axis, which cannot be sliced; give 1 or more, or -1 for the last");
    start = *integer("start", false);
    stop = integer("stop", true);
}

Slice::Range Slice::range(std::size_t rank, int64_t size) const {
    const int64_t r = int64_t(rank);
    const int64_t a = axis < 0 ? axis + r : axis;
    if (a < 1 || a >= r)
        throw ShapeError("axis " + std::to_string(axis) + " is not an axis of a rank-" + std::to_string(r) + " input besides the batch");
    if (size == kUnknownDim) {
        if (start < 0 || (stop && *stop < 0) || !stop)
            throw ShapeError("axis " + std::to_string(axis) + " has an unknown size, so start and stop must be given and not negative");
        if (*stop <= start) throw ShapeError("start " + std::to_string(start) + " to stop " + std::to_string(*stop) + " keeps nothing");
        return {a, start, *stop};
    }
    auto resolve = [&](int64_t v) { return std::clamp(v < 0 ? v + size : v, int64_t(0), size); };
    const int64_t b = resolve(start), e = stop ? resolve(*stop) : size;
    if (e <= b)
        throw ShapeError("start " + std::to_string(start) + " to stop " + (stop ? std::to_string(*stop) : std::string("the end")) + " of axis " +
                         std::to_string(axis) + " (" + std::to_string(size) + " elements) keeps nothing");
    return {a, b, e};
}

Shape Slice::outputShape(const std::vector<Shape>& inputs) const {
    const Shape& in = inputs.at(0);
    const int64_t r = int64_t(in.rank());
    const int64_t a = axis < 0 ? axis + r : axis;
    const Range k = range(in.rank(), a >= 1 && a < r ? in[std::size_t(a)] : kUnknownDim);
    std::vector<int64_t> out = in.dims();
    out[std::size_t(k.axis)] = k.end - k.begin;
    return Shape(out);
}

LayerOutput Slice::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    const Shape s = g.shape(in.at(0));
    const int64_t r = int64_t(s.rank());
    const int64_t a = axis < 0 ? axis + r : axis;
    const Range k = range(s.rank(), a >= 1 && a < r ? s[std::size_t(a)] : kUnknownDim);
    if (k.begin == 0 && k.end == s[std::size_t(k.axis)]) return {in[0]};
    return {g.slice(in[0], k.axis, k.begin, k.end - k.begin)};
}

std::string Slice::keyConfigText() const {
    return "axis " + std::to_string(axis) + " [" + std::to_string(start) + ":" + (stop ? std::to_string(*stop) : std::string()) + "]";
}

Dropout::Dropout(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)), rate(cfg("rate").get<double>()) {
    if (!(rate >= 0.0 && rate < 1.0)) configError("rate", "must be in [0, 1), got " + cfg("rate").dump());
    const auto& s = cfg("seed");
    if (!s.is_null()) {
        if (!s.is_number_integer() || s.get<int64_t>() < 0)
            configError("seed", "must be a non-negative integer or null, got " + s.dump());
        seed = s.get<int64_t>();
    }
}

LayerOutput Dropout::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    if (!ctx.training() || rate == 0.0) return {in.at(0)};
    ir::Graph& g = ctx.graph();
    const ir::ValueId step = g.variable(ir::kIterationsPath, Shape{}, DType::I32);
    const uint64_t maskSeed = seed >= 0 ? uint64_t(seed) : hashString(path(), ctx.seed());
    return {g.dropout(in[0], step, rate, maskSeed)};
}

ZeroPadding2D::ZeroPadding2D(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)) {
    const std::array<int64_t, 4> sides = imageSidesConfig(cfg("padding"), "padding");
    top = sides[0], bottom = sides[1], left = sides[2], right = sides[3];
}

Shape ZeroPadding2D::outputShape(const std::vector<Shape>& inputs) const {
    const Shape& in = inputs.at(0);
    requireRank(in, 4, "(batch, height, width, channels)");
    auto grow = [](int64_t d, int64_t by) { return d == kUnknownDim ? kUnknownDim : d + by; };
    return Shape{in[0], grow(in[1], top + bottom), grow(in[2], left + right), in[3]};
}

LayerOutput ZeroPadding2D::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    ir::ValueId y = in.at(0);
    auto zerosLike = [&](ir::ValueId v, std::size_t axis, int64_t n) {
        std::vector<int64_t> d = g.shape(v).dims();
        d[axis] = n;
        return g.constant(Tensor(Shape(std::move(d))));
    };
    for (std::size_t axis : {std::size_t(1), std::size_t(2)}) {
        const int64_t before = axis == 1 ? top : left, after = axis == 1 ? bottom : right;
        std::vector<ir::ValueId> parts;
        if (before > 0) parts.push_back(zerosLike(y, axis, before));
        parts.push_back(y);
        if (after > 0) parts.push_back(zerosLike(y, axis, after));
        if (parts.size() > 1) y = g.concat(parts, int64_t(axis));
    }
    return {y};
}

std::string ZeroPadding2D::keyConfigText() const {
    if (top == bottom && bottom == left && left == right) return "pad " + std::to_string(top);
    return "pad " + std::to_string(top) + "," + std::to_string(bottom) + "," + std::to_string(left) + "," + std::to_string(right);
}

std::string Dropout::keyConfigText() const {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", rate);
    return buf;
}

void registerReshapingLayers(std::vector<LayerTypeInfo>& out) {
    out.push_back({"Flatten", "Core", "Flattens each sample to one dimension: (N, H, W, C) → (N, H·W·C)",
                   nlohmann::json::object(), 1, 1, {}, makeLayer<Flatten>});
    out.push_back({"Reshape", "Core", "Reshapes each sample to target_shape (one entry may be -1)",
                   {{"target_shape", {-1}}}, 1, 1, {}, makeLayer<Reshape>});
    out.push_back({"ZeroPadding2D", "Convolution",
                   "Adds rows and columns of zeros around each NHWC image: padding p, [h, w] or [[top, bottom], [left, right]]",
                   {{"padding", {1, 1}}}, 1, 1, {}, makeLayer<ZeroPadding2D>});
    out.push_back({"Permute", "Core", "Permutes the axes of each sample: output axis i is input axis dims[i-1] (1-based, the batch stays)",
                   {{"dims", {2, 1}}}, 1, 1, {}, makeLayer<Permute>});
    out.push_back({"Slice", "Core",
                   "Keeps elements start..stop-1 of one axis (-1: the channels), counting from the end when negative; "
                   "stop null: to the end. A Strata addition (torch's x[:, a:b], x.chunk), not a Keras layer",
                   {{"axis", -1}, {"start", 0}, {"stop", nullptr}}, 1, 1, {}, makeLayer<Slice>});
}

void registerRegularizationLayers(std::vector<LayerTypeInfo>& out) {
    out.push_back({"Dropout", "Regularization", "While training, zeroes a fraction `rate` of inputs and scales the rest by 1/(1-rate)",
                   {{"rate", 0.5}, {"seed", nullptr}}, 1, 1, {}, makeLayer<Dropout>});
}

} // namespace strata::layers
