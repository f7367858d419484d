// strata-bench train-onnx: training steps of a model imported from an ONNX file through its graph
// (as `strata-cli import --ignore-embedded-spec` does: torchvision's architectures exported by
// torch.onnx), on the CPU backend with random images and labels. Times the steps after --warmup
// (tracing, planning and the first steps excluded) and prints one JSON line in the form of
// tests/bench/reference/torch_vision_train.py, which tests/bench/vision_vs_pytorch.py compares.
#include "BenchRegistry.h"

#include "engine/Model.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/data/Dataset.h"
#include "engine/train/Trainer.h"
#include "storage/onnx/OnnxImport.h"

#include <iostream>
#include <nlohmann/json.hpp>
#include <random>

namespace {

int run(const std::vector<std::string>& args) {
    using namespace strata;
    using namespace strata::bench;
    const std::string file = argValue(args, "--onnx", "");
    if (file.empty()) throw std::runtime_error("train-onnx needs --onnx FILE");
    const int threads = std::stoi(argValue(args, "--threads", "1"));
    const int64_t batch = std::stoll(argValue(args, "--batch", "16"));
    const int64_t warmup = std::stoll(argValue(args, "--warmup", "2"));
    const int64_t steps = std::stoll(argValue(args, "--steps", "10"));
    const double lr = std::stod(argValue(args, "--lr", "0.001"));

    storage::OnnxImportOptions options;
    options.useEmbeddedSpec = false;
    const storage::ImportedModel imported = storage::importOnnxFile(file, options);
    auto model = imported.instantiate();
    const Shape in = model->outputShape(model->inputIndices()[0]).withoutFirst();
    const int64_t classes = model->outputShape(model->outputIndices()[0]).back();

    // Random images and labels, every class index in range: the step's cost does not depend on them.
    const int64_t samples = batch * (warmup + steps);
    std::mt19937 rng(0);
    std::normal_distribution<float> normal;
    std::vector<int64_t> dims{samples};
    dims.insert(dims.end(), in.dims().begin(), in.dims().end());
    Tensor x{Shape(dims)};
    for (int64_t i = 0; i < x.size(); ++i) x.f32()[i] = normal(rng);
    std::vector<int32_t> labels(static_cast<std::size_t>(samples));
    for (auto& l : labels) l = int32_t(rng() % uint32_t(classes));
    data::Dataset train = data::datasetFromArrays("random", std::move(x), Tensor::fromVector({samples}, labels));

    cpu::CpuBackend backend(threads);
    train::TrainOptions opts;
    opts.epochs = 1;
    opts.maxSteps = warmup + steps;
    opts.batchSize = batch;
    opts.shuffle = false;
    opts.fromLogits = true; // torchvision classifiers end in logits
    opts.optimizer = ir::OptimizerConfig::defaults("adam");
    opts.optimizer.learningRate = ir::LearningRateSchedule::constant(lr);
    train::Trainer trainer(*model, backend, opts);
    double start = 0, end = 0;
    trainer.onStep([&](const train::StepEvent& e) {
        if (e.step == warmup) start = nowSeconds();
        if (e.step == warmup + steps) end = nowSeconds();
    });
    if (warmup == 0) start = nowSeconds();
    const auto fit = trainer.fit(train);
    const double seconds = end - start;
    nlohmann::json out = {{"framework", "strata"},
                          {"backend", "cpu"},
                          {"model", imported.spec.name},
                          {"threads", threads},
                          {"batch", batch},
                          {"steps", steps},
                          {"samples_per_second", seconds > 0 ? double(batch * steps) / seconds : 0},
                          {"seconds", seconds},
                          {"parameters", model->paramCounts().total()},
                          {"peak_rss_bytes", peakRssBytes()}};
    if (fit.diverged) out["message"] = fit.message;
    std::cout << out.dump() << std::endl;
    return 0;
}

const strata::bench::Register reg("train-onnx",
                                  "training steps of an ONNX model imported through its graph, CPU backend, random data: "
                                  "--onnx FILE [--threads T] [--batch 16] [--warmup 2] [--steps 10] [--lr X]",
                                  run);

} // namespace
