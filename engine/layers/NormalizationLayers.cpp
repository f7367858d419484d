#include "engine/layers/NormalizationLayers.h"

#include "engine/Error.h"
#include "engine/LayerRegistry.h"
#include "engine/Masks.h"
#include "engine/ir/Composite.h"

namespace strata::layers {

Normalization::Normalization(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)), axis(cfg("axis").get<int64_t>()),
      epsilon(cfg("epsilon").get<double>()),
      momentum(info.defaults.contains("momentum") ? cfg("momentum").get<double>() : 0.0),
      center(cfg("center").get<bool>()), scale(cfg("scale").get<bool>()) {
    if (!(epsilon > 0)) configError("epsilon", "must be positive, got " + cfg("epsilon").dump());
    if (isBatchNorm() && !(momentum >= 0 && momentum < 1))
        configError("momentum", "must be in [0, 1), got " + cfg("momentum").dump());
}

std::size_t Normalization::axisFor(std::size_t rank) const {
    const int64_t a = axis < 0 ? int64_t(rank) + axis : axis;
    if (a < 1 || a >= int64_t(rank))
        throw ShapeError("axis " + std::to_string(axis) + " is out of range for an input of rank " +
                         std::to_string(rank) + " (the batch axis 0 cannot be normalized over)");
    return std::size_t(a);
}

Shape Normalization::outputShape(const std::vector<Shape>& inputs) const {
    const Shape& in = inputs.at(0);
    const std::size_t a = axisFor(in.rank());
    if (!in.isKnown(a))
        throw ShapeError("needs a known size on axis " + std::to_string(axis) + ", got " + in.toString());
    return in;
}

std::vector<VariableSpec> Normalization::variableSpecs(const std::vector<Shape>& inputs) const {
    const Shape& in = inputs.at(0);
    const int64_t n = in[axisFor(in.rank())];
    std::vector<VariableSpec> v;
    if (scale) v.push_back({"gamma", Shape{n}, true, "ones", n, n});
    if (center) v.push_back({"beta", Shape{n}, true, "zeros", n, n});
    if (isBatchNorm()) {
        v.push_back({"moving_mean", Shape{n}, false, "zeros", n, n});
        v.push_back({"moving_variance", Shape{n}, false, "ones", n, n});
    }
    return v;
}

LayerOutput Normalization::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    const ir::ValueId x = in.at(0);
    const std::size_t rank = g.shape(x).rank();
    if (axisFor(rank) != rank - 1)
        throw StrataError("layer '" + name() + "': normalizing over an axis other than the last is not supported yet");
    const ir::ValueId gamma = ctx.maybeVariable(*this, "gamma"), beta = ctx.maybeVariable(*this, "beta");
    if (!isBatchNorm()) return {ir::layerNorm(g, x, gamma, beta, epsilon)};
    if (!ctx.training() || !effectivelyTrainable()) // a frozen BatchNormalization runs in inference mode, as in Keras
        return {ir::batchNormInference(g, x, gamma, beta, ctx.variable(*this, "moving_mean"),
                                       ctx.variable(*this, "moving_variance"), epsilon)};
    ir::BatchNormOutputs bn;
    if (const ir::ValueId mask = ctx.inputMask(0); mask != ir::kNoValue) {
        // Keras' _moments with a mask: mean and (biased) variance over the unmasked steps only, each
        // sum divided by (count + 1e-7).
        masks::requireSequenceMask(g, mask, x, "BatchNormalization");
        const ir::ValueId m = masks::expandLast(g, mask);
        std::vector<int64_t> axes(rank - 1);
        for (std::size_t a = 0; a + 1 < rank; ++a) axes[a] = int64_t(a);
        const int64_t channels = g.shape(x).back();
        const ir::ValueId count = g.add(g.reduceSum(g.broadcastTo(m, g.shape(x)), axes), g.scalar(1e-7f));
        bn.mean = g.div(g.reduceSum(g.mul(x, m), axes), count);
        const ir::ValueId d = g.mul(g.sub(x, g.reshape(bn.mean, Shape{channels})), m);
        bn.variance = g.div(g.reduceSum(g.square(d), axes), count);
        bn.y = ir::batchNormInference(g, x, gamma, beta, bn.mean, bn.variance, epsilon);
    } else {
        bn = ir::batchNormTraining(g, x, gamma, beta, epsilon);
    }
    for (const char* moving : {"moving_mean", "moving_variance"}) {
        const Variable* v = findVariable(moving);
        if (!v) throw StrataError("layer '" + name() + "' has no variable '" + moving + "' (is it built?)");
        ir::updateMovingAverage(g, v->path(), std::string(moving) == "moving_mean" ? bn.mean : bn.variance, momentum);
    }
    return {bn.y};
}

void registerNormalizationLayers(std::vector<LayerTypeInfo>& out) {
    out.push_back({"BatchNormalization", "Normalization",
                   "Normalizes with batch statistics while training and moving averages at inference",
                   {{"axis", -1}, {"momentum", 0.99}, {"epsilon", 0.001}, {"center", true}, {"scale", true}}, 1, 1, {},
                   makeLayer<Normalization>});
    out.push_back({"LayerNormalization", "Normalization", "Normalizes each sample over its last axis, then scales and shifts",
                   {{"axis", -1}, {"epsilon", 0.001}, {"center", true}, {"scale", true}}, 1, 1, {},
                   makeLayer<Normalization>});
}

} // namespace strata::layers
