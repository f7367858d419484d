#include "engine/train/AugmentationPreview.h"

#include "engine/Error.h"
#include "engine/LayerRegistry.h"
#include "engine/Model.h"
#include "engine/Variable.h"
#include "engine/ir/Optimizers.h"
#include "engine/train/Tracer.h"

#include <cstring>

namespace strata::train {

bool isPreprocessingType(const std::string& type) {
    if (type == "Rescaling") return true;
    const LayerTypeInfo* info = LayerRegistry::instance().find(type);
    return info && info->category == "Preprocessing";
}

ModelSpec preprocessingSpec(const ModelSpec& spec, const Shape& sampleShape) {
    ModelSpec out;
    out.name = spec.name + "_preprocessing";
    LayerSpec input;
    input.name = out.uniqueName("sample");
    input.type = "Input";
    input.config = {{"shape", sampleShape.dims()}};
    out.layers.push_back(input);
    for (const LayerSpec& l : spec.layers) {
        if (!isPreprocessingType(l.type)) continue;
        LayerSpec copy;
        copy.name = out.uniqueName(l.name);
        copy.type = l.type;
        copy.config = l.config;
        copy.inbound = {out.layers.back().name};
        out.layers.push_back(std::move(copy));
    }
    out.inputs = {out.layers.front().name};
    out.outputs = {out.layers.back().name};
    return out;
}

std::vector<Tensor> augmentSample(const ModelSpec& preprocessing, const Tensor& sample, int copies, uint64_t seed,
                                  ir::Backend& backend) {
    const auto model = Model::fromSpec(preprocessing);
    model->build(seed);
    for (const Variable* v : model->variables()) backend.setVariable(v->path(), v->value());
    const Shape batch = sample.shape().prepended(1);
    std::vector<Tensor> out;
    for (int i = 0; i < copies; ++i) {
        const TracedModel traced = traceModel(*model, Signature{{batch}, true}, seed + uint64_t(i));
        // The random layers draw from (seed, step) as in training: the step is optimizer/iter, which a
        // preview has no optimizer to keep; each copy takes its own.
        for (ir::ValueId v : traced.graph.variables())
            if (traced.graph.variablePath(v) == ir::kIterationsPath) {
                Tensor step(traced.graph.shape(v), traced.graph.dtype(v));
                if (step.dtype() == DType::I32 && step.size() == 1) step.i32()[0] = int32_t((seed + uint64_t(i)) & 0x7fffffff);
                backend.setVariable(ir::kIterationsPath, step);
            }
        auto prepared = backend.prepare(traced.graph, traced.outputs);
        std::vector<Tensor> results = backend.run(*prepared, {ir::Feed{traced.inputNames.at(0), ir::TensorView(sample.bytes(), batch, sample.dtype())}});
        Tensor& r = results.at(0);
        Tensor one(r.shape().withoutFirst(), r.dtype());
        std::memcpy(one.bytes(), r.bytes(), one.byteSize());
        out.push_back(std::move(one));
    }
    return out;
}

} // namespace strata::train
