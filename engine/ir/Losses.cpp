#include "engine/ir/Losses.h"

#include "engine/Error.h"

namespace strata::ir::losses {

namespace {
void requireSameShape(const Graph& g, ValueId yTrue, ValueId yPred, const char* what) {
    if (g.shape(yTrue) != g.shape(yPred))
        throw ShapeError(std::string(what) + ": targets " + g.shape(yTrue).toString() + " and predictions " +
                         g.shape(yPred).toString() + " differ");
    if (g.dtype(yTrue) != DType::F32)
        throw StrataError(std::string(what) + ": targets must be float32 (use sparse_categorical_crossentropy "
                                              "for integer labels)");
}
} // namespace

ValueId meanSquaredError(Graph& g, ValueId yTrue, ValueId yPred) {
    requireSameShape(g, yTrue, yPred, "mean_squared_error");
    return g.reduceMeanAll(g.square(g.sub(yPred, yTrue)));
}

ValueId meanAbsoluteError(Graph& g, ValueId yTrue, ValueId yPred) {
    requireSameShape(g, yTrue, yPred, "mean_absolute_error");
    return g.reduceMeanAll(g.abs(g.sub(yPred, yTrue)));
}

ValueId binaryCrossentropy(Graph& g, ValueId z, ValueId p, bool fromLogits) {
    requireSameShape(g, z, p, "binary_crossentropy");
    if (fromLogits) { // max(x, 0) - x z + log(1 + exp(-|x|))
        ValueId loss = g.add(g.sub(g.relu(p), g.mul(p, z)), g.softplus(g.neg(g.abs(p))));
        return g.reduceMeanAll(loss);
    }
    ValueId pc = g.clip(p, kEpsilon, 1.0 - kEpsilon);
    ValueId one = g.scalar(1.0f);
    ValueId ll = g.add(g.mul(z, g.log(pc)), g.mul(g.sub(one, z), g.log(g.sub(one, pc))));
    return g.neg(g.reduceMeanAll(ll));
}

ValueId categoricalCrossentropy(Graph& g, ValueId z, ValueId p, bool fromLogits) {
    requireSameShape(g, z, p, "categorical_crossentropy");
    if (g.shape(p).rank() < 1) throw ShapeError("categorical_crossentropy: predictions need a class axis");
    ValueId logp;
    if (fromLogits) {
        logp = g.logSoftmax(p);
    } else { // renormalize, clip, log (Keras)
        ValueId q = g.div(p, g.reduceSum(p, {-1}, true));
        logp = g.log(g.clip(q, kEpsilon, 1.0 - kEpsilon));
    }
    ValueId perExample = g.neg(g.reduceSum(g.mul(z, logp), {-1}));
    return g.reduceMeanAll(perExample);
}

ValueId sparseCategoricalCrossentropy(Graph& g, ValueId labels, ValueId p, bool fromLogits) {
    const Shape ps = g.shape(p);
    const Shape ls = g.shape(labels);
    if (g.dtype(labels) != DType::I32)
        throw StrataError("sparse_categorical_crossentropy: labels must be int32, got " +
                          std::string(dtypeName(g.dtype(labels))));
    if (ps.rank() < 2) throw ShapeError("sparse_categorical_crossentropy: predictions must be [batch, ..., classes], got " + ps.toString());
    const Shape want(std::vector<int64_t>(ps.dims().begin(), ps.dims().end() - 1));
    const bool trailingOne =
        ls.rank() == ps.rank() && ls.back() == 1 &&
        Shape(std::vector<int64_t>(ls.dims().begin(), ls.dims().end() - 1)) == want;
    if (ls != want && !trailingOne)
        throw ShapeError("sparse_categorical_crossentropy: labels " + ls.toString() + " do not match predictions " +
                         ps.toString() + " (expected " + want.toString() + ")");
    const int64_t classes = ps.back();
    ValueId flatLabels = g.reshape(labels, Shape{want.numElements()});
    ValueId flatP = g.reshape(p, Shape{-1, classes});
    if (fromLogits) return g.reduceMeanAll(g.sparseSoftmaxCrossEntropy(flatP, flatLabels));
    return categoricalCrossentropy(g, g.oneHot(flatLabels, classes), flatP, false);
}

ValueId byName(Graph& g, const std::string& name, ValueId yTrue, ValueId yPred, bool fromLogits) {
    if (name == "mean_squared_error" || name == "mse") return meanSquaredError(g, yTrue, yPred);
    if (name == "mean_absolute_error" || name == "mae") return meanAbsoluteError(g, yTrue, yPred);
    if (name == "binary_crossentropy") return binaryCrossentropy(g, yTrue, yPred, fromLogits);
    if (name == "categorical_crossentropy") return categoricalCrossentropy(g, yTrue, yPred, fromLogits);
    if (name == "sparse_categorical_crossentropy") return sparseCategoricalCrossentropy(g, yTrue, yPred, fromLogits);
    throw ConfigError("unknown loss '" + name + "'");
}

} // namespace strata::ir::losses
