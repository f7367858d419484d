// strata-bench shape-inference: validation + shape inference of a generated spec, as run on every
// edit in the editor. Prints {"bench","layers","median_us","min_us","runs","peak_rss_bytes"}.
#include "BenchRegistry.h"

#include "engine/ModelSpec.h"
#include "engine/ShapeInference.h"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

namespace {

// A functional spec of `n` layers: residual Dense/LayerNormalization/Add units with some
// Concatenate and Dropout, so every kind of rule and merge is exercised.
strata::ModelSpec generateSpec(int n) {
    nlohmann::json layers = nlohmann::json::array();
    layers.push_back({{"name", "x"}, {"type", "Input"}, {"config", {{"shape", {64}}}}});
    std::string prev = "x";
    int i = 1;
    while (i < n) {
        const std::string id = std::to_string(i);
        const int kind = i % 5;
        if (kind == 0 && i + 1 < n) {
            layers.push_back({{"name", "branch_" + id}, {"type", "Dense"}, {"config", {{"units", 64}}}, {"inbound", {prev}}});
            layers.push_back({{"name", "add_" + id}, {"type", "Add"}, {"inbound", {prev, "branch_" + id}}});
            prev = "add_" + id;
            i += 2;
            continue;
        }
        if (kind == 1) layers.push_back({{"name", "dense_" + id}, {"type", "Dense"}, {"config", {{"units", 64}, {"activation", "relu"}}}, {"inbound", {prev}}});
        else if (kind == 2) layers.push_back({{"name", "norm_" + id}, {"type", "LayerNormalization"}, {"inbound", {prev}}});
        else if (kind == 3) layers.push_back({{"name", "drop_" + id}, {"type", "Dropout"}, {"config", {{"rate", 0.1}}}, {"inbound", {prev}}});
        else layers.push_back({{"name", "act_" + id}, {"type", "Activation"}, {"config", {{"activation", "gelu"}}}, {"inbound", {prev}}});
        prev = layers.back()["name"];
        ++i;
    }
    return strata::ModelSpec::fromJson({{"format", "strata.model/1"}, {"name", "generated"}, {"layers", layers}});
}

int run(const std::vector<std::string>& args) {
    using namespace strata::bench;
    const int n = std::stoi(argValue(args, "--layers", "500"));
    const int runs = std::stoi(argValue(args, "--runs", "200"));
    strata::ModelSpec spec = generateSpec(n);
    auto check = strata::ShapeInference::run(spec);
    if (!check.ok()) {
        std::cerr << "generated spec is invalid: " << check.issues.front().text() << "\n";
        return 1;
    }
    std::vector<double> times;
    for (int r = 0; r < runs; ++r) {
        double t0 = nowSeconds();
        auto result = strata::ShapeInference::run(spec);
        times.push_back((nowSeconds() - t0) * 1e6);
        if (!result.ok()) return 1;
    }
    double mn = *std::min_element(times.begin(), times.end());
    nlohmann::json out = {{"bench", "shape-inference"}, {"layers", spec.layers.size()}, {"median_us", median(times)},
                          {"min_us", mn}, {"runs", runs}, {"target_us", 1000}, {"peak_rss_bytes", peakRssBytes()}};
    std::cout << out.dump() << std::endl;
    return 0;
}

const strata::bench::Register reg("shape-inference", "validate + infer shapes of a generated spec [--layers 500] [--runs 200]", run);

} // namespace
