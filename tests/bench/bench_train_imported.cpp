// strata-bench train-imported: training steps of a model imported from elsewhere (a saved-model
// folder, e.g. `strata-cli import resnet18.onnx --out DIR`) or of a spec (--spec, fresh weights) on the CPU backend, on random images
// (or token ids, for an int32 input) and labels of the model's input shape (cross-entropy from logits, as a torch classifier is
// trained), timing only the steps after the first (which traces and plans). One JSON line in the
// form of tests/bench/reference/torch_train_vision.py, for tests/bench/vision_vs_pytorch.py.
#include "BenchRegistry.h"

#include "engine/Model.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/data/Dataset.h"
#include "engine/layers/EmbeddingLayers.h"
#include "engine/train/Trainer.h"
#include "storage/SavedModel.h"

#include <iostream>
#include <nlohmann/json.hpp>
#include <random>

namespace {

int run(const std::vector<std::string>& args) {
    using namespace strata;
    using namespace strata::bench;
    const std::string dir = argValue(args, "--saved-model", ""), specFile = argValue(args, "--spec", "");
    if (dir.empty() == specFile.empty()) {
        std::cerr << "strata-bench train-imported: give --saved-model DIR or --spec MODEL.json\n";
        return 2;
    }
    const int threads = std::stoi(argValue(args, "--threads", "1"));
    const int64_t steps = std::stoll(argValue(args, "--steps", "10"));
    const int64_t batch = std::stoll(argValue(args, "--batch", "16"));
    const double lr = std::stod(argValue(args, "--lr", "0.01"));
    const std::string name = argValue(args, "--name", dir);

    std::unique_ptr<Model> m;
    if (!dir.empty()) {
        m = storage::SavedModel::load(dir).instantiate();
    } else { // a spec, its variables initialized from seed 0
        m = Model::fromSpec(ModelSpec::load(specFile));
        m->build(0);
    }
    const int in = m->inputIndices()[0];
    const Shape sample = m->outputShape(in).withoutFirst();
    const int64_t classes = m->outputShape(m->outputIndices()[0]).back();

    // (steps + 1) batches of random images in [-1, 1] and labels: the first step warms up.
    const int64_t n = (steps + 1) * batch;
    data::Dataset d;
    d.name = "random images";
    d.numClasses = int(classes);
    std::vector<int64_t> dims = {n};
    for (int64_t v : sample.dims()) dims.push_back(v);
    d.x = Tensor(Shape(dims));
    d.y = Tensor(Shape{n}, DType::I32);
    std::mt19937 rng(0);
    std::uniform_real_distribution<float> pixel(-1.0f, 1.0f);
    // An int32 input (token ids, e.g. an imported nn.Embedding) gets random ids below the table size of
    // the Embedding that reads it; any other input random values in [-1, 1].
    int64_t vocab = 0;
    for (const Layer* l : m->layers())
        if (const auto* e = dynamic_cast<const layers::Embedding*>(l)) vocab = vocab == 0 ? e->inputDim : std::min(vocab, e->inputDim);
    const bool intInput = m->layers()[std::size_t(in)]->config().value("dtype", std::string("float32")) == "int32";
    if (intInput && vocab == 0) {
        std::cerr << "strata-bench train-imported: the int32 input is read by no Embedding; no range for its ids\n";
        return 2;
    }
    if (intInput) {
        d.x = Tensor(Shape(dims), DType::I32);
        for (int64_t i = 0; i < d.x.size(); ++i) d.x.i32()[i] = int32_t(rng() % uint64_t(vocab));
    } else if (vocab > 0) { // ids in a float input (a spec's Embedding casts them)
        for (float& v : d.x.values()) v = float(rng() % uint64_t(vocab));
    } else {
        for (float& v : d.x.values()) v = pixel(rng);
    }
    for (int64_t i = 0; i < n; ++i) d.y.i32()[i] = int32_t(rng() % uint32_t(classes));

    cpu::CpuBackend backend(threads);
    train::TrainOptions opts;
    opts.epochs = 1;
    opts.batchSize = batch;
    opts.shuffle = false;
    // Cross-entropy on logits, as a torch classifier is trained; on probabilities after a softmax output.
    opts.fromLogits = m->layers()[std::size_t(m->outputIndices()[0])]->config().value("activation", std::string()) != "softmax";
    opts.loss = "sparse_categorical_crossentropy";
    opts.optimizer = ir::OptimizerConfig::defaults("sgd");
    opts.optimizer.momentum = 0.9;
    opts.optimizer.learningRate = ir::LearningRateSchedule::constant(lr);
    train::Trainer trainer(*m, backend, opts);
    double first = 0, last = 0;
    int64_t timed = 0;
    trainer.onStep([&](const train::StepEvent& e) {
        const double now = nowSeconds();
        if (e.step == 1) first = now; // after the first step: tracing, planning and allocation done
        else ++timed;
        last = now;
    });
    const train::FitResult fit = trainer.fit(d);
    const double seconds = last - first;
    nlohmann::json out = {{"framework", "strata"},
                          {"backend", "cpu"},
                          {"model", name},
                          {"threads", threads},
                          {"batch", batch},
                          {"steps", timed},
                          {"samples_per_second", seconds > 0 ? double(timed * batch) / seconds : 0},
                          {"seconds", seconds},
                          {"final_loss", fit.epochs.empty() ? nlohmann::json(nullptr) : nlohmann::json(fit.epochs.back().loss)},
                          {"peak_rss_bytes", peakRssBytes()}};
    std::cout << out.dump() << std::endl;
    return 0;
}

const strata::bench::Register reg("train-imported",
                                  "training steps of a saved-model folder (e.g. imported from torch) on random images, CPU: "
                                  "--saved-model DIR | --spec MODEL.json [--name NAME] [--threads T] [--steps N] [--batch B] [--lr X]",
                                  run);

} // namespace
