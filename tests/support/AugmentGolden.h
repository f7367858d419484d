// The augmentation layers' golden file (tests/data/augment/augment_reference.json, written by
// tests/reference/augment_reference.py from NumPy / PyTorch): each case's layer is traced in
// training mode (unless the case says "training": false), run at the case's optimizer step on a
// backend and compared with the reference's output; the uniforms the host computes for (seed,
// step) are compared with the file's where it lists them.
// Shared by tests/engine/train/tst_augment_golden.cpp (CPU) and tests/gpu/tst_vulkan_augment.cpp.
#pragma once

#include "engine/Model.h"
#include "engine/ModelSpec.h"
#include "engine/ir/Backend.h"
#include "engine/layers/AugmentationLayers.h"
#include "engine/train/Tracer.h"

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace augment_golden {

using nlohmann::json;

inline const json& file() {
    static const json f = [] {
        std::ifstream in(STRATA_TEST_DATA_DIR "/augment/augment_reference.json");
        return json::parse(in);
    }();
    return f;
}

inline strata::Shape inputShape() { return strata::Shape(file()["input_shape"].get<std::vector<int64_t>>()); }

inline strata::Tensor inputBatch() {
    return strata::Tensor::fromVector(inputShape(), file()["input"].get<std::vector<float>>());
}

// A model of the case's layer on an input of the file's image shape, built.
inline std::unique_ptr<strata::Model> caseModel(const json& c) {
    const strata::Shape s = inputShape();
    const json spec = {{"format", "strata.model/1"},
                       {"name", "augment"},
                       {"inputs", {"x"}},
                       {"outputs", {"aug"}},
                       {"layers",
                        {{{"name", "x"}, {"type", "Input"}, {"config", {{"shape", {s[1], s[2], s[3]}}}}},
                         {{"name", "aug"}, {"type", c["layer"]["type"]}, {"config", c["layer"]["config"]}, {"inbound", {"x"}}}}}};
    auto model = strata::Model::fromSpec(strata::ModelSpec::fromJson(spec));
    model->build(0);
    return model;
}

// The layer's output for the file's input at `step`, traced with `training`, run on `be`.
inline strata::Tensor runLayer(strata::ir::Backend& be, const strata::Model& model, bool training, int32_t step) {
    const strata::train::TracedModel t = strata::train::traceModel(model, {{inputShape()}, training}, 0);
    be.setVariable("optimizer/iter", strata::Tensor::fromVector(strata::Shape{}, std::vector<int32_t>{step}));
    auto plan = be.prepare(t.graph, {t.outputs[0]});
    const strata::Tensor x = inputBatch();
    const std::vector<strata::ir::Feed> feeds = {{t.inputNames[0], strata::ir::TensorView(x)}};
    std::vector<strata::Tensor> r;
    be.run(*plan, feeds, {}, r);
    return r.at(0);
}

// "" when case `c` matches on `be` (|got - want| <= rel |want| + abs), else what differs.
inline std::string checkCase(strata::ir::Backend& be, const json& c, double rel, double abs) {
    const std::string name = c["name"].get<std::string>();
    const int32_t step = c["step"].get<int32_t>();
    if (c.contains("uniforms")) { // the parameters the layer draws, computed on the host
        const auto seed = c["layer"]["config"]["seed"].get<uint64_t>();
        const std::vector<float> want = c["uniforms"].get<std::vector<float>>();
        const std::vector<float> host = strata::layers::augmentationUniforms(seed, uint32_t(step), int64_t(want.size()));
        for (std::size_t i = 0; i < want.size(); ++i)
            if (host[i] != want[i])
                return name + ": host uniform " + std::to_string(i) + " is " + std::to_string(host[i]) + ", the reference's " +
                       std::to_string(want[i]);
    }
    const auto model = caseModel(c);
    const strata::Tensor y = runLayer(be, *model, c.value("training", true), step);
    if (y.shape() != strata::Shape(c["output_shape"].get<std::vector<int64_t>>()))
        return name + ": output shape " + y.shape().toString();
    const std::vector<float> out = c["output"].get<std::vector<float>>();
    if (y.size() != int64_t(out.size())) return name + ": " + std::to_string(y.size()) + " outputs, the reference has " + std::to_string(out.size());
    for (std::size_t i = 0; i < out.size(); ++i) {
        const double g = y.f32()[i], w = out[i];
        if (!(std::fabs(g - w) <= rel * std::fabs(w) + abs))
            return name + ": element " + std::to_string(i) + " is " + std::to_string(g) + ", the reference's " + std::to_string(w);
    }
    return {};
}

} // namespace augment_golden
