// End to end on the CPU backend: small models train, the three graphs of a signature behave,
// batch-norm statistics move, a training step allocates nothing after the first run.
#include "engine/cpu/CpuBackend.h"
#include "engine/cpu/CpuPlan.h"
#include "engine/ir/Composite.h"
#include "engine/ir/Losses.h"
#include "engine/ir/Optimizers.h"

#include <nlohmann/json.hpp>

#include <QtTest>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>

// Counts heap allocations, to prove a prepared training step allocates nothing.
static std::atomic<long> gAllocations{0};
void* operator new(std::size_t n) {
    ++gAllocations;
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* operator new(std::size_t n, std::align_val_t a) {
    ++gAllocations;
    if (void* p = std::aligned_alloc(std::size_t(a), (n + std::size_t(a) - 1) / std::size_t(a) * std::size_t(a))) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

using namespace strata;
using namespace strata::ir;

namespace {

Tensor randomTensor(Shape s, float scale, uint32_t seed) {
    Tensor t(s);
    for (int64_t i = 0; i < t.size(); ++i) {
        seed = seed * 1664525u + 1013904223u;
        t.f32()[i] = (float(seed >> 8) / 16777216.0f * 2.0f - 1.0f) * scale;
    }
    return t;
}

// Two Gaussian-ish blobs split by the line x0 + x1 = 0.
void toyData(int64_t n, Tensor& x, Tensor& y) {
    x = randomTensor({n, 2}, 1.0f, 7);
    y = Tensor(Shape{n}, DType::I32);
    for (int64_t i = 0; i < n; ++i) {
        const int32_t label = x.f32()[2 * i] + x.f32()[2 * i + 1] > 0 ? 1 : 0;
        const float push = label ? 0.3f : -0.3f; // a margin between the classes
        x.f32()[2 * i] += push, x.f32()[2 * i + 1] += push;
        y.i32()[i] = label;
    }
}

struct Mlp {
    Graph g;
    ValueId logits = kNoValue, loss = kNoValue;
    std::vector<std::string> trainable = {"model/dense/kernel", "model/dense/bias", "model/dense_1/kernel", "model/dense_1/bias"};
};

Mlp tinyMlp(int64_t batch) {
    Mlp m;
    ValueId x = m.g.placeholder("x", {batch, 2});
    ValueId y = m.g.placeholder("y", {batch}, DType::I32);
    ValueId h = dense(m.g, x, m.g.variable("model/dense/kernel", {2, 8}), m.g.variable("model/dense/bias", {8}), "relu");
    m.logits = dense(m.g, h, m.g.variable("model/dense_1/kernel", {8, 2}), m.g.variable("model/dense_1/bias", {2}));
    m.loss = losses::sparseCategoricalCrossentropy(m.g, y, m.logits, true);
    return m;
}

void initMlp(Backend& be) {
    be.setVariable("model/dense/kernel", randomTensor({2, 8}, 0.7f, 1));
    be.setVariable("model/dense/bias", Tensor(Shape{8}));
    be.setVariable("model/dense_1/kernel", randomTensor({8, 2}, 0.7f, 2));
    be.setVariable("model/dense_1/bias", Tensor(Shape{2}));
}

} // namespace

class TestTraining : public QObject {
    Q_OBJECT

private slots:
    void tinyMlpLearnsSeparableProblem() {
        Tensor x, y;
        toyData(64, x, y);
        Mlp m = tinyMlp(64);
        TrainingGraphs tg = buildTrainingGraphs(m.g, m.loss, m.trainable, OptimizerConfig::fromJson({{"name", "adam"}, {"learning_rate", 0.05}}));
        cpu::CpuBackend be;
        initMlp(be);
        initializeOptimizerState(be, tg.update);
        auto step = be.prepare(tg.update, {tg.loss});
        const std::vector<Feed> feeds = {{"x", x}, {"y", y}};
        const float first = be.run(*step, feeds)[0].f32()[0];
        float last = first;
        for (int i = 0; i < 150; ++i) last = be.run(*step, feeds)[0].f32()[0];
        QVERIFY2(last < 0.25f * first, qPrintable(QString("loss %1 -> %2").arg(first).arg(last)));
        auto predict = be.prepare(tg.forward, {m.logits});
        const Tensor logits = be.run(*predict, feeds)[0];
        int correct = 0;
        for (int64_t i = 0; i < 64; ++i) correct += (logits.f32()[2 * i + 1] > logits.f32()[2 * i]) == (y.i32()[i] == 1);
        QVERIFY2(correct >= 60, qPrintable(QString("%1 of 64 correct").arg(correct)));
    }

    void onlyTheUpdateGraphChangesVariables() {
        Tensor x, y;
        toyData(8, x, y);
        Mlp m = tinyMlp(8);
        TrainingGraphs tg = buildTrainingGraphs(m.g, m.loss, m.trainable, OptimizerConfig::defaults("sgd"));
        cpu::CpuBackend be;
        initMlp(be);
        initializeOptimizerState(be, tg.update);
        const Tensor k0 = be.getVariable("model/dense_1/kernel");
        const std::vector<Feed> feeds = {{"x", x}, {"y", y}};
        auto fwd = be.prepare(tg.forward, {tg.loss});
        std::vector<ValueId> outs = {tg.loss};
        outs.insert(outs.end(), tg.gradients.begin(), tg.gradients.end());
        auto bwd = be.prepare(tg.backward, outs);
        auto upd = be.prepare(tg.update, {tg.loss});
        const float l0 = be.run(*fwd, feeds)[0].f32()[0];
        const auto grads = be.run(*bwd, feeds);
        QCOMPARE(grads[0].f32()[0], l0);
        QCOMPARE(grads[3].shape(), Shape({8, 2}));
        QCOMPARE(be.getVariable("model/dense_1/kernel").f32()[3], k0.f32()[3]);
        be.run(*upd, feeds);
        // SGD: k1 = k0 - 0.01 * dk, with dk from the backward graph.
        QVERIFY(std::fabs(be.getVariable("model/dense_1/kernel").f32()[3] - (k0.f32()[3] - 0.01f * grads[3].f32()[3])) < 1e-6f);
        QCOMPARE(be.getVariable(kIterationsPath).i32()[0], 1);
    }

    void optimizerUpdatesRunInPlace() {
        Mlp m = tinyMlp(4);
        TrainingGraphs tg = buildTrainingGraphs(m.g, m.loss, m.trainable, OptimizerConfig::defaults("adam"));
        cpu::CpuBackend be;
        auto plan = be.prepare(tg.update, {tg.loss});
        const auto& p = dynamic_cast<const cpu::CpuPlan&>(*plan);
        QCOMPARE(p.buffers.copies.size(), std::size_t(0)); // every assignment writes straight into its variable
    }

    void batchNormMovingAveragesAndDropoutTrain() {
        const int64_t n = 16;
        Graph g;
        ValueId x = g.placeholder("x", {n, 3});
        ValueId y = g.placeholder("y", {n, 1});
        ValueId iter = g.variable(kIterationsPath, {}, DType::I32);
        ValueId h = dense(g, x, g.variable("model/dense/kernel", {3, 4}), g.variable("model/dense/bias", {4}));
        BatchNormOutputs bn = batchNormTraining(g, h, g.variable("model/bn/gamma", {4}), g.variable("model/bn/beta", {4}));
        updateMovingAverage(g, "model/bn/moving_mean", bn.mean);
        updateMovingAverage(g, "model/bn/moving_variance", bn.variance);
        ValueId d = g.dropout(g.relu(bn.y), iter, 0.25, 42);
        ValueId out = dense(g, d, g.variable("model/out/kernel", {4, 1}), g.variable("model/out/bias", {1}));
        ValueId loss = losses::meanSquaredError(g, y, out);
        TrainingGraphs tg = buildTrainingGraphs(g, loss,
                                                {"model/dense/kernel", "model/dense/bias", "model/bn/gamma", "model/bn/beta",
                                                 "model/out/kernel", "model/out/bias"},
                                                OptimizerConfig::defaults("adam"));
        cpu::CpuBackend be;
        be.setVariable("model/dense/kernel", randomTensor({3, 4}, 1.0f, 3));
        be.setVariable("model/dense/bias", Tensor(Shape{4}));
        Tensor ones(Shape{4});
        ones.fill(1.0f);
        be.setVariable("model/bn/gamma", ones);
        be.setVariable("model/bn/beta", Tensor(Shape{4}));
        be.setVariable("model/bn/moving_mean", Tensor(Shape{4}));
        be.setVariable("model/bn/moving_variance", ones);
        be.setVariable("model/out/kernel", randomTensor({4, 1}, 1.0f, 4));
        be.setVariable("model/out/bias", Tensor(Shape{1}));
        initializeOptimizerState(be, tg.update);
        const Tensor xs = randomTensor({n, 3}, 2.0f, 5), ys = randomTensor({n, 1}, 1.0f, 6);
        const std::vector<Feed> feeds = {{"x", xs}, {"y", ys}};
        auto stats = be.prepare(tg.forward, {bn.mean, bn.variance});
        const std::vector<Tensor> batch = be.run(*stats, feeds);
        auto step = be.prepare(tg.update, {tg.loss});
        const float first = be.run(*step, feeds)[0].f32()[0];
        const Tensor mm = be.getVariable("model/bn/moving_mean"), mv = be.getVariable("model/bn/moving_variance");
        for (int c = 0; c < 4; ++c) {
            QVERIFY(std::fabs(mm.f32()[c] - 0.01f * batch[0].f32()[c]) < 1e-6f);
            QVERIFY(std::fabs(mv.f32()[c] - (0.99f + 0.01f * batch[1].f32()[c])) < 1e-6f);
        }
        float last = first;
        for (int i = 0; i < 300; ++i) last = be.run(*step, feeds)[0].f32()[0];
        QVERIFY2(last < first, qPrintable(QString("loss %1 -> %2").arg(first).arg(last)));
    }

    void smallConvNetTrains() {
        const int64_t n = 8;
        Graph g;
        ValueId x = g.placeholder("x", {n, 6, 6, 1});
        ValueId y = g.placeholder("y", {n}, DType::I32);
        ValueId c = g.relu(g.add(g.conv2d(x, g.variable("model/conv/kernel", {3, 3, 1, 4}), Conv2DParams{1, 1, 1, 1, Padding::Same}),
                                 g.variable("model/conv/bias", {4})));
        ValueId p = g.maxPool2d(c, Pool2DParams{2, 2, 2, 2, Padding::Valid});
        ValueId q = g.avgPool2d(p, Pool2DParams{3, 3, 1, 1, Padding::Same});
        ValueId logits = dense(g, g.reshape(q, {n, -1}), g.variable("model/dense/kernel", {36, 2}), g.variable("model/dense/bias", {2}));
        ValueId loss = losses::sparseCategoricalCrossentropy(g, y, logits, true);
        TrainingGraphs tg = buildTrainingGraphs(g, loss, {"model/conv/kernel", "model/conv/bias", "model/dense/kernel", "model/dense/bias"},
                                                OptimizerConfig::fromJson({{"name", "sgd"}, {"learning_rate", 0.1}, {"momentum", 0.9}}));
        cpu::CpuBackend be;
        be.setVariable("model/conv/kernel", randomTensor({3, 3, 1, 4}, 0.5f, 8));
        be.setVariable("model/conv/bias", Tensor(Shape{4}));
        be.setVariable("model/dense/kernel", randomTensor({36, 2}, 0.3f, 9));
        be.setVariable("model/dense/bias", Tensor(Shape{2}));
        initializeOptimizerState(be, tg.update);
        Tensor xs = randomTensor({n, 6, 6, 1}, 1.0f, 10);
        Tensor ys(Shape{n}, DType::I32);
        for (int64_t i = 0; i < n; ++i) ys.i32()[i] = int32_t(i % 2);
        for (int64_t i = 0; i < n; ++i) // class 1 images are brighter
            for (int64_t j = 0; j < 36; ++j) xs.f32()[i * 36 + j] += ys.i32()[i] ? 1.0f : -1.0f;
        auto step = be.prepare(tg.update, {tg.loss});
        const std::vector<Feed> feeds = {{"x", xs}, {"y", ys}};
        const float first = be.run(*step, feeds)[0].f32()[0];
        float last = first;
        for (int i = 0; i < 40; ++i) last = be.run(*step, feeds)[0].f32()[0];
        QVERIFY2(last < 0.5f * first, qPrintable(QString("loss %1 -> %2").arg(first).arg(last)));
    }

    void trainingStepAllocatesNothingAfterTheFirstRun() {
        Tensor x, y;
        toyData(32, x, y);
        Mlp m = tinyMlp(32);
        TrainingGraphs tg = buildTrainingGraphs(m.g, m.loss, m.trainable, OptimizerConfig::defaults("adam"));
        cpu::CpuBackend be;
        initMlp(be);
        initializeOptimizerState(be, tg.update);
        auto step = be.prepare(tg.update, {tg.loss});
        const std::vector<Feed> feeds = {{"x", x}, {"y", y}};
        std::vector<Tensor> out;
        const long start = gAllocations.load();
        be.run(*step, feeds, {}, out);
        QVERIFY(gAllocations.load() > start); // the counter works: the first run allocates the result
        const long before = gAllocations.load();
        for (int i = 0; i < 10; ++i) be.run(*step, feeds, {}, out);
        QCOMPARE(gAllocations.load() - before, 0L);
    }
};

QTEST_APPLESS_MAIN(TestTraining)
#include "tst_training.moc"
