// Labels, the fused softmax cross-entropy, the learning-rate schedule and the Adam update.
#include "gpu/kernels/KernelContext.h"

#include "engine/ir/Schedule.h"

namespace strata::gpu {

using ir::OpKind;

bool emitTraining(KernelContext& k, const ir::Node& n) {
    const ir::Graph& g = k.graph;
    const ir::ValueId y = n.outputs[0];
    const Binding status{k.status, true};
    switch (n.op) {
    case OpKind::OneHot: {
        const uint32_t p[2] = {uint32_t(g.shape(n.inputs[0]).numElements()), uint32_t(n.attrs.integer("depth"))};
        k.recorder.dispatch(k.elementwise("one_hot", 3), {k.in(n.inputs[0]), k.out(y), status}, p, k.groups(int64_t(p[0]) * p[1]));
        return true;
    }
    case OpKind::SparseSoftmaxCrossEntropy:
    case OpKind::SparseSoftmaxCrossEntropyGrad: {
        const Shape& xs = g.shape(n.inputs[0]);
        const bool grad = n.op == OpKind::SparseSoftmaxCrossEntropyGrad;
        const uint32_t p[3] = {uint32_t(xs[0]), uint32_t(xs[1]), grad};
        const ir::ValueId dloss = grad ? n.inputs[2] : n.inputs[0]; // the loss kernel does not read it
        k.recorder.dispatch(k.elementwise("sparse_ce", 5), {k.in(n.inputs[0]), k.in(n.inputs[1]), k.in(dloss), k.out(y), status},
                            p, k.groups(xs[0]));
        return true;
    }
    case OpKind::LearningRate: {
        const ir::LearningRateSchedule s = ir::LearningRateSchedule::fromAttrs(n.attrs);
        struct {
            uint32_t kind, iterIsInt;
            float learningRate;
            int32_t decaySteps;
            float decayRate, alpha;
        } p{uint32_t(s.kind), g.dtype(n.inputs[0]) == DType::I32, float(s.learningRate), int32_t(s.decaySteps),
            float(s.decayRate), float(s.alpha)};
        k.recorder.dispatch(k.elementwise("learning_rate", 2), {k.in(n.inputs[0]), k.out(y)}, p, 1);
        return true;
    }
    case OpKind::AdamUpdate: {
        const int64_t count = g.shape(y).numElements();
        struct {
            uint32_t n, iterIsInt;
            float beta1, beta2, epsilon, weightDecay;
        } p{uint32_t(count), g.dtype(n.inputs[5]) == DType::I32, float(n.attrs.real("beta_1")), float(n.attrs.real("beta_2")),
            float(n.attrs.real("epsilon")), float(n.attrs.real("weight_decay"))};
        std::vector<Binding> b;
        for (ir::ValueId v : n.inputs) b.push_back(k.in(v));
        for (ir::ValueId v : n.outputs) b.push_back(k.out(v));
        k.recorder.dispatch(k.elementwise("adam", 9), std::move(b), p, k.groups(count));
        return true;
    }
    default: return false;
    }
}

} // namespace strata::gpu
