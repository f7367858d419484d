// strata-bench mlp-step --threads T [--batch 64] [--steps 2000]
// One training step (forward + backward + Adam) of the 784-128(relu)-10 MLP with sparse
// categorical cross-entropy from logits, on the CPU backend, as the trainer will run it.
#include "BenchRegistry.h"

#include "engine/cpu/CpuBackend.h"
#include "engine/ir/Composite.h"
#include "engine/ir/Losses.h"
#include "engine/ir/Optimizers.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <iostream>

namespace strata::bench {
namespace {

Tensor glorot(Shape s, uint32_t seed) {
    Tensor t(s);
    const float limit = std::sqrt(6.0f / float(s[0] + s[1]));
    for (int64_t i = 0; i < t.size(); ++i) {
        seed = seed * 1664525u + 1013904223u;
        t.f32()[i] = (float(seed >> 8) / 16777216.0f * 2.0f - 1.0f) * limit;
    }
    return t;
}

int runMlpStep(const std::vector<std::string>& args) {
    const int threads = std::stoi(argValue(args, "--threads", "1"));
    const int64_t batch = std::stoll(argValue(args, "--batch", "64"));
    const int steps = std::stoi(argValue(args, "--steps", "2000"));
    if (threads < 1 || batch < 1 || steps < 10) {
        std::cerr << "mlp-step: --threads and --batch must be positive, --steps at least 10\n";
        return 2;
    }
    using namespace ir;
    Graph g;
    const ValueId x = g.placeholder("x", {batch, 784});
    const ValueId y = g.placeholder("y", {batch}, DType::I32);
    const ValueId h = dense(g, x, g.variable("model/dense/kernel", {784, 128}), g.variable("model/dense/bias", {128}), "relu");
    const ValueId logits = dense(g, h, g.variable("model/dense_1/kernel", {128, 10}), g.variable("model/dense_1/bias", {10}));
    const ValueId loss = losses::sparseCategoricalCrossentropy(g, y, logits, true);
    const std::vector<std::string> trainable = {"model/dense/kernel", "model/dense/bias", "model/dense_1/kernel",
                                                "model/dense_1/bias"};
    TrainingGraphs tg = buildTrainingGraphs(g, loss, trainable, OptimizerConfig::defaults("adam"));

    cpu::CpuBackend backend(threads);
    backend.setVariable("model/dense/kernel", glorot({784, 128}, 1));
    backend.setVariable("model/dense/bias", Tensor(Shape{128}));
    backend.setVariable("model/dense_1/kernel", glorot({128, 10}, 2));
    backend.setVariable("model/dense_1/bias", Tensor(Shape{10}));
    initializeOptimizerState(backend, tg.update);
    auto step = backend.prepare(tg.update, {tg.loss});

    // Several distinct random batches in turn, so the model cannot fit one batch exactly.
    constexpr int kBatches = 16;
    std::vector<Tensor> xs, ys;
    uint32_t seed = 12345;
    auto next = [&seed] { return (seed = seed * 1664525u + 1013904223u) >> 8; };
    for (int b = 0; b < kBatches; ++b) {
        xs.emplace_back(Shape{batch, 784});
        ys.emplace_back(Shape{batch}, DType::I32);
        for (int64_t i = 0; i < xs.back().size(); ++i) xs.back().f32()[i] = float(next() % 256) / 255.0f;
        for (int64_t i = 0; i < batch; ++i) ys.back().i32()[i] = int32_t(next() % 10);
    }
    std::vector<std::vector<Feed>> feeds;
    for (int b = 0; b < kBatches; ++b) feeds.push_back({{"x", TensorView(xs[b])}, {"y", TensorView(ys[b])}});
    std::vector<Tensor> out;
    int stepIndex = 0;
    auto trainStep = [&] { backend.run(*step, feeds[std::size_t(stepIndex++ % kBatches)], {}, out); };
    for (int i = 0; i < 20; ++i) trainStep(); // warm-up
    const float firstLoss = out[0].f32()[0];

    std::vector<double> rates;
    const int perRound = std::max(steps / 5, 1);
    for (int round = 0; round < 5; ++round) {
        const double t0 = nowSeconds();
        for (int i = 0; i < perRound; ++i) trainStep();
        rates.push_back(double(perRound * batch) / (nowSeconds() - t0));
    }
    const double sps = median(rates);
    std::cout << nlohmann::json{{"bench", "mlp-step"}, {"backend", "cpu"}, {"threads", threads}, {"batch", batch},
                                {"samples_per_second", sps}, {"blas_core", cpu::CpuBackend::blasCoreName()}, {"step_ms", 1000.0 * double(batch) / sps},
                                {"loss_first", firstLoss}, {"loss_last", out[0].f32()[0]},
                                {"peak_rss_bytes", peakRssBytes()}}
                     .dump()
              << std::endl;
    return 0;
}

const Register reg("mlp-step", "--threads T [--batch 64]: forward+backward+Adam of a 784-128-10 MLP, samples/s", runMlpStep);

} // namespace
} // namespace strata::bench
