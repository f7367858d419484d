// strata-bench train: trains an example model with the CPU backend, timing only the training
// loop, and prints one JSON line in the same form as tests/bench/reference/torch_train.py, so
// tests/bench/train_vs_pytorch.py can put the two side by side.
#include "BenchRegistry.h"

#include "engine/Model.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/data/BuiltinDatasets.h"
#include "engine/train/Trainer.h"

#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

namespace {

int run(const std::vector<std::string>& args) {
    using namespace strata;
    using namespace strata::bench;
    const std::string model = argValue(args, "--model", "fashion_mlp");
    const int threads = std::stoi(argValue(args, "--threads", "1"));
    const int epochs = std::stoi(argValue(args, "--epochs", "1"));
    const int64_t steps = std::stoll(argValue(args, "--steps", "-1"));
    const int64_t batch = std::stoll(argValue(args, "--batch", "64"));
    const double lr = std::stod(argValue(args, "--lr", "0.001"));
    const uint64_t seed = std::stoull(argValue(args, "--seed", "0"));
    const std::string dataName = argValue(args, "--data", model == "digits_mlp" ? "digits" : "fashion-mnist");
    const char* resources = std::getenv("STRATA_RESOURCES");
    const std::string examples = (resources ? std::string(resources) : std::string(STRATA_SOURCE_DIR) + "/resources") + "/examples/";
    auto spec = ModelSpec::load(examples + model + ".json");
    auto m = Model::fromSpec(spec);
    m->build(seed);
    auto splits = data::loadBuiltinDataset(dataName);
    // An autoencoder example learns to give back its input (strata-cli train --reconstruct).
    const bool reconstruct = model.find("autoencoder") != std::string::npos;
    const int in = m->inputIndices()[0];
    for (data::Dataset* d : {&splits.train, &splits.test}) {
        if (reconstruct) data::useInputsAsTargets(*d);
        data::reshapeFeatures(*d, m->outputShape(in).withoutFirst(), m->layers()[in]->name());
        data::reshapeTargets(*d, m->outputShape(m->outputIndices()[0]).withoutFirst());
    }

    cpu::CpuBackend backend(threads);
    train::TrainOptions opts;
    opts.epochs = steps > 0 ? 1 << 20 : epochs;
    opts.maxSteps = steps;
    opts.batchSize = batch;
    opts.seed = seed;
    if (reconstruct) opts.loss = "mean_squared_error";
    opts.optimizer = ir::OptimizerConfig::defaults("adam");
    opts.optimizer.learningRate = ir::LearningRateSchedule::constant(lr);
    train::Trainer trainer(*m, backend, opts);
    auto fit = trainer.fit(splits.train);
    double seconds = 0, samples = 0;
    for (const auto& e : fit.epochs) seconds += e.seconds, samples += e.samplesPerSecond * e.seconds;
    auto test = trainer.evaluate(splits.test);
    nlohmann::json out = {{"framework", "strata"},
                          {"backend", "cpu"},
                          {"model", model},
                          {"threads", threads},
                          {"batch", batch},
                          {"steps", fit.steps},
                          {"samples_per_second", seconds > 0 ? samples / seconds : 0},
                          {"seconds", seconds},
                          {"test_accuracy", reconstruct ? nlohmann::json(nullptr) : nlohmann::json(test.accuracy)},
                          {"test_loss", test.loss},
                          {"peak_rss_bytes", peakRssBytes()}};
    if (steps < 0) out["epochs"] = epochs;
    std::cout << out.dump() << std::endl;
    return 0;
}

const strata::bench::Register reg("train",
                                  "train an example on the CPU backend: --model fashion_mlp|mnist_cnn|digits_mlp|fashion_autoencoder "
                                  "[--threads T] [--epochs N | --steps N] [--batch B] [--lr X] [--seed S] [--data NAME]",
                                  run);

} // namespace
