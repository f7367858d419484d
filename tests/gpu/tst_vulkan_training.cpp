// Whole training steps on the Vulkan backend against the CPU backend: every optimizer (with
// schedules, dropout and batch-norm moving averages), the step recorded once and replayed, the
// errors a person can cause, and the trainer end to end on the digits dataset.
#include "tests/support/RequiredTools.h"
#include "VulkanTestSupport.h"

#include "engine/Error.h"
#include "engine/Model.h"
#include "engine/ModelSpec.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/data/BuiltinDatasets.h"
#include "engine/ir/Composite.h"
#include "engine/ir/Losses.h"
#include "engine/ir/Optimizers.h"
#include "engine/train/Trainer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>

using namespace strata;
using ir::ValueId;

namespace {

constexpr int64_t kBatch = 8, kIn = 6, kHidden = 5, kClasses = 4;

Tensor randomTensor(Shape s, uint32_t seed, float scale = 0.5f) {
    Tensor t(std::move(s));
    for (int64_t i = 0; i < t.size(); ++i) {
        seed = seed * 1664525u + 1013904223u;
        t.f32()[i] = (float(seed >> 8) / 16777216.0f * 2.0f - 1.0f) * scale;
    }
    return t;
}

Tensor labels(uint32_t seed) {
    Tensor t(Shape{kBatch}, DType::I32);
    for (int64_t i = 0; i < kBatch; ++i) t.i32()[i] = int32_t((seed + uint32_t(i) * 7u) % kClasses);
    return t;
}

// x -> dense relu -> batch norm (moving averages assigned) -> dropout -> dense logits -> sparse CE.
ir::TrainingGraphs mlpStep(const ir::OptimizerConfig& opt) {
    ir::Graph g;
    const ValueId x = g.placeholder("x", {kBatch, kIn});
    const ValueId y = g.placeholder("labels", {kBatch}, DType::I32);
    ValueId h = ir::dense(g, x, g.variable("model/d1/kernel", {kIn, kHidden}), g.variable("model/d1/bias", {kHidden}), "relu");
    const ir::BatchNormOutputs bn = ir::batchNormTraining(g, h, g.variable("model/bn/gamma", {kHidden}), g.variable("model/bn/beta", {kHidden}));
    ir::updateMovingAverage(g, "model/bn/moving_mean", bn.mean);
    ir::updateMovingAverage(g, "model/bn/moving_variance", bn.variance);
    const ValueId iter = g.variable(ir::kIterationsPath, Shape{}, DType::I32);
    h = g.dropout(bn.y, iter, 0.25, 77);
    const ValueId logits = ir::dense(g, h, g.variable("model/d2/kernel", {kHidden, kClasses}), g.variable("model/d2/bias", {kClasses}));
    const ValueId loss = ir::losses::sparseCategoricalCrossentropy(g, y, logits, true);
    return ir::buildTrainingGraphs(g, loss, {"model/d1/kernel", "model/d1/bias", "model/bn/gamma", "model/bn/beta", "model/d2/kernel", "model/d2/bias"}, opt);
}

void initialize(ir::Backend& be) {
    be.setVariable("model/d1/kernel", randomTensor({kIn, kHidden}, 1));
    be.setVariable("model/d1/bias", randomTensor({kHidden}, 2, 0.1f));
    be.setVariable("model/bn/gamma", randomTensor({kHidden}, 3, 0.2f));
    be.setVariable("model/bn/beta", randomTensor({kHidden}, 4, 0.1f));
    be.setVariable("model/bn/moving_mean", Tensor(Shape{kHidden}));
    be.setVariable("model/bn/moving_variance", randomTensor({kHidden}, 5, 0.0f));
    be.setVariable("model/d2/kernel", randomTensor({kHidden, kClasses}, 6));
    be.setVariable("model/d2/bias", Tensor(Shape{kClasses}));
}

// Losses of `steps` training steps with batches derived from the step number.
// Fresh variables and optimizer state, and the prepared training step.
std::unique_ptr<ir::PreparedGraph> freshStep(ir::Backend& be, const ir::TrainingGraphs& tg) {
    initialize(be);
    ir::initializeOptimizerState(be, tg.update);
    return be.prepare(tg.update, {tg.loss});
}

std::vector<float> trainSteps(ir::Backend& be, const ir::TrainingGraphs& tg, int steps) {
    auto plan = freshStep(be, tg);
    std::vector<float> losses;
    std::vector<Tensor> out;
    for (int s = 0; s < steps; ++s) {
        const Tensor x = randomTensor({kBatch, kIn}, 100 + uint32_t(s), 1.0f), y = labels(uint32_t(s));
        const ir::Feed feeds[] = {{"x", ir::TensorView(x)}, {"labels", ir::TensorView(y)}};
        be.run(*plan, feeds, {}, out);
        losses.push_back(out[0].f32()[0]);
    }
    return losses;
}

// The same steps pipelined: step s+1 is enqueued before the results of step s are collected.
std::vector<float> trainStepsPipelined(ir::Backend& be, const ir::TrainingGraphs& tg, int steps) {
    auto plan = freshStep(be, tg);
    std::vector<float> losses;
    std::vector<Tensor> out;
    Tensor x[2], y[2];
    for (int s = 0; s < steps; ++s) {
        x[s % 2] = randomTensor({kBatch, kIn}, 100 + uint32_t(s), 1.0f), y[s % 2] = labels(uint32_t(s));
        const ir::Feed feeds[] = {{"x", ir::TensorView(x[s % 2])}, {"labels", ir::TensorView(y[s % 2])}};
        if (s >= 2) {
            be.collect(out);
            losses.push_back(out[0].f32()[0]);
        }
        be.enqueue(*plan, feeds, {});
    }
    for (int left = std::min(steps, 2); left > 0; --left) {
        be.collect(out);
        losses.push_back(out[0].f32()[0]);
    }
    return losses;
}

// Forwards to a backend and counts how many enqueued runs were outstanding at most, and the
// synchronous runs, so a test sees that a loop pipelines.
class CountingBackend : public ir::Backend {
public:
    explicit CountingBackend(ir::Backend& inner) : inner_(inner) {}
    std::string name() const override { return inner_.name(); }
    void setVariable(const std::string& path, const Tensor& value) override { inner_.setVariable(path, value); }
    Tensor getVariable(const std::string& path) const override { return inner_.getVariable(path); }
    bool hasVariable(const std::string& path) const override { return inner_.hasVariable(path); }
    std::vector<std::string> variablePaths() const override { return inner_.variablePaths(); }
    std::unique_ptr<ir::PreparedGraph> prepare(const ir::Graph& g, std::vector<ValueId> outputs) override {
        return inner_.prepare(g, std::move(outputs));
    }
    void run(ir::PreparedGraph& p, std::span<const ir::Feed> feeds, std::span<const ValueId> fetches,
             std::vector<Tensor>& results) override {
        ++syncRuns;
        inner_.run(p, feeds, fetches, results);
    }
    void enqueue(ir::PreparedGraph& p, std::span<const ir::Feed> feeds, std::span<const ValueId> fetches) override {
        inner_.enqueue(p, feeds, fetches);
        maxOutstanding = std::max(maxOutstanding, ++outstanding);
    }
    void collect(std::vector<Tensor>& results) override {
        inner_.collect(results);
        --outstanding;
    }
    int maxInFlight() const override { return inner_.maxInFlight(); }

    int outstanding = 0, maxOutstanding = 0, syncRuns = 0;

private:
    ir::Backend& inner_;
};

ir::OptimizerConfig optimizer(const std::string& json) { return ir::OptimizerConfig::fromJson(nlohmann::json::parse(json)); }

} // namespace

class TestVulkanTraining : public QObject {
    Q_OBJECT

    std::unique_ptr<gpu::VulkanBackend> vk_;
    std::string why_;

    // A fresh backend per test: variables do not leak between optimizers.
    bool fresh() {
        vk_ = vktest::makeBackend(why_);
        return vk_ != nullptr;
    }

private slots:
    void cleanup() {
        if (vk_) VK_VERIFY_CLEAN(*vk_);
    }

    void optimizerStepsMatchCpu_data() {
        QTest::addColumn<QString>("config");
        QTest::newRow("sgd") << R"({"name": "sgd", "learning_rate": 0.1})";
        QTest::newRow("sgd_momentum_step_decay")
            << R"({"name": "sgd", "momentum": 0.9, "learning_rate": {"name": "step_decay", "initial_learning_rate": 0.1, "decay_steps": 2, "decay_rate": 0.5}})";
        QTest::newRow("sgd_nesterov_weight_decay") << R"({"name": "sgd", "momentum": 0.8, "nesterov": true, "weight_decay": 0.01})";
        QTest::newRow("adam") << R"({"name": "adam", "learning_rate": 0.01})";
        QTest::newRow("adamw_cosine")
            << R"({"name": "adamw", "learning_rate": {"name": "cosine_decay", "initial_learning_rate": 0.01, "decay_steps": 4, "alpha": 0.1}})";
        QTest::newRow("rmsprop") << R"({"name": "rmsprop", "learning_rate": 0.01})";
        QTest::newRow("rmsprop_centered_momentum") << R"({"name": "rmsprop", "centered": true, "momentum": 0.5, "learning_rate": 0.01})";
    }
    void optimizerStepsMatchCpu() {
        QFETCH(QString, config);
        if (!fresh()) STRATA_SKIP_UNLESS_REQUIRED(why_);
        const ir::TrainingGraphs tg = mlpStep(optimizer(config.toStdString()));
        cpu::CpuBackend cpu(1);
        const std::vector<float> want = trainSteps(cpu, tg, 6), got = trainSteps(*vk_, tg, 6);
        for (std::size_t s = 0; s < want.size(); ++s)
            QVERIFY2(vktest::close(got[s], want[s], 1e-4, 1e-5),
                     qPrintable(QString("step %1: loss %2 on Vulkan, %3 on the CPU").arg(s + 1).arg(got[s]).arg(want[s])));
        QCOMPARE(vk_->variablePaths(), cpu.variablePaths());
        for (const std::string& path : cpu.variablePaths()) { // weights, slots, moving averages, optimizer/iter
            const std::string diff = vktest::compare(vk_->getVariable(path), cpu.getVariable(path), 1e-4, 1e-5);
            QVERIFY2(diff.empty(), qPrintable(QString("%1: %2").arg(path.c_str(), diff.c_str())));
        }
        QCOMPARE(vk_->getVariable(ir::kIterationsPath).i32()[0], 6);
    }

    // The learning_rate kernel against LearningRateSchedule::at (double, then rounded to float) at
    // many steps, to float32 accuracy: Vulkan's cos() may be off by 2^-11 absolute and pow() by
    // k * 2^-21 (its log2 near 1), so the kernel uses neither. step_decay's rate is a float32 push
    // constant, whose rounding (2^-24 relative) grows k-fold in rate^k: k * 2^-23 is allowed on top.
    void learningRateMatchesScheduleAtEveryStep_data() {
        QTest::addColumn<QString>("schedule");
        QTest::newRow("cosine_decay")
            << R"({"name": "cosine_decay", "initial_learning_rate": 0.01, "decay_steps": 1000, "alpha": 0.1})";
        QTest::newRow("cosine_decay_short") << R"({"name": "cosine_decay", "initial_learning_rate": 0.01, "decay_steps": 3, "alpha": 0.1})";
        QTest::newRow("step_decay_0.96") << R"({"name": "step_decay", "initial_learning_rate": 0.1, "decay_steps": 1, "decay_rate": 0.96})";
        QTest::newRow("step_decay_1.5") << R"({"name": "step_decay", "initial_learning_rate": 1e-3, "decay_steps": 7, "decay_rate": 1.5})";
    }
    void learningRateMatchesScheduleAtEveryStep() {
        QFETCH(QString, schedule);
        if (!fresh()) STRATA_SKIP_UNLESS_REQUIRED(why_);
        const ir::LearningRateSchedule s = ir::LearningRateSchedule::fromJson(nlohmann::json::parse(schedule.toStdString()));
        ir::Graph g;
        const ValueId iter = g.variable(ir::kIterationsPath, Shape{}, DType::I32);
        ir::Attrs a;
        s.writeAttrs(a);
        const ValueId lr = g.addNode1(ir::OpKind::LearningRate, {iter}, std::move(a), Shape{});
        auto plan = vk_->prepare(g, {lr});
        for (int32_t step = 0; step <= 1200; step += step < 20 ? 1 : 37) {
            vk_->setVariable(ir::kIterationsPath, Tensor::fromVector(Shape{}, std::vector<int32_t>{step}));
            const double got = vk_->run(*plan, std::span<const ir::Feed>{})[0].f32()[0], want = float(s.at(step));
            const double k = s.kind == ir::LearningRateSchedule::Kind::StepDecay ? double(step / s.decaySteps) : 0.0;
            QVERIFY2(std::fabs(got - want) <= (1e-6 + k * std::ldexp(1.0, -23)) * std::fabs(want),
                     qPrintable(QString("step %1: %2 on Vulkan, %3 expected (relative %4)")
                                    .arg(step).arg(got, 0, 'g', 9).arg(want, 0, 'g', 9).arg(std::fabs(got - want) / want)));
        }
    }

    // The fused Adam update against the CPU's at steps 1..60 and a few large ones, to float32
    // accuracy: the bias corrections 1 - beta^t must not lean on Vulkan's log/exp, whose
    // precision near 1 is only 2^-21 absolute (5e-4 relative for log(0.999)).
    void adamBiasCorrectionMatchesCpuAtEveryStep_data() {
        QTest::addColumn<double>("beta1");
        QTest::addColumn<double>("beta2");
        QTest::newRow("0.9/0.999") << 0.9 << 0.999;
        QTest::newRow("0.5/0.9") << 0.5 << 0.9;
        QTest::newRow("0/0.99") << 0.0 << 0.99;
        QTest::newRow("0.99/0.9999") << 0.99 << 0.9999;
    }
    void adamBiasCorrectionMatchesCpuAtEveryStep() {
        QFETCH(double, beta1);
        QFETCH(double, beta2);
        if (!fresh()) STRATA_SKIP_UNLESS_REQUIRED(why_);
        constexpr int64_t n = 64;
        ir::Graph g;
        const ValueId w = g.variable("w", {n}), grad = g.variable("g", {n}), m = g.variable("m", {n}), v = g.variable("v", {n});
        const ValueId iter = g.variable(ir::kIterationsPath, Shape{}, DType::I32);
        const ValueId lr = g.constant(Tensor::fromVector(Shape{}, std::vector<float>{0.01f}));
        ir::Attrs a;
        a.set("beta_1", beta1).set("beta_2", beta2).set("epsilon", 1e-7).set("weight_decay", 0.0);
        const auto out = g.addNode(ir::OpKind::AdamUpdate, {w, grad, m, v, lr, iter}, std::move(a),
                                   {{Shape{n}, DType::F32}, {Shape{n}, DType::F32}, {Shape{n}, DType::F32}});
        cpu::CpuBackend cpu(1);
        auto vkPlan = vk_->prepare(g, {out[0]});
        auto cpuPlan = cpu.prepare(g, {out[0]});
        Tensor vSlot = randomTensor({n}, 13, 1.0f);
        for (int64_t i = 0; i < n; ++i) vSlot.f32()[i] *= vSlot.f32()[i]; // v >= 0
        std::vector<int32_t> steps;
        for (int32_t t = 0; t < 60; ++t) steps.push_back(t);
        for (int32_t t : {99, 999, 4999, 99999}) steps.push_back(t);
        for (int32_t t : steps) {
            for (ir::Backend* be : {static_cast<ir::Backend*>(vk_.get()), static_cast<ir::Backend*>(&cpu)}) {
                be->setVariable("w", Tensor(Shape{n})); // w = 0: the output is the step itself, no rounding of w + step
                be->setVariable("g", randomTensor({n}, 11, 1e-3f));
                be->setVariable("m", randomTensor({n}, 12, 1e-3f));
                be->setVariable("v", vSlot);
                be->setVariable(ir::kIterationsPath, Tensor::fromVector(Shape{}, std::vector<int32_t>{t}));
            }
            const Tensor got = vk_->run(*vkPlan, std::span<const ir::Feed>{})[0];
            const Tensor want = cpu.run(*cpuPlan, std::span<const ir::Feed>{})[0];
            for (int64_t i = 0; i < n; ++i) { // float32 rounding of a few operations: 1e-6 of the step
                const double dg = got.f32()[i], dw = want.f32()[i];
                QVERIFY2(std::fabs(dg - dw) <= 1e-6 * std::fabs(dw),
                         qPrintable(QString("t = %1, element %2: step %3 on Vulkan, %4 on the CPU")
                                        .arg(t + 1).arg(i).arg(dg, 0, 'g', 9).arg(dw, 0, 'g', 9)));
            }
        }
    }

    // The step is recorded once: replays reuse it, and barriers stay below one per dispatch.
    void stepIsRecordedOnceAndReplayed() {
        if (!fresh()) STRATA_SKIP_UNLESS_REQUIRED(why_);
        const ir::TrainingGraphs tg = mlpStep(ir::OptimizerConfig::defaults("adam"));
        trainSteps(*vk_, tg, 1);
        const int dispatches = vk_->lastDispatchCount(), recordings = vk_->recordCount();
        QVERIFY(dispatches > 20);
        QVERIFY2(vk_->lastBarrierCount() < dispatches,
                 qPrintable(QString("%1 barriers for %2 dispatches").arg(vk_->lastBarrierCount()).arg(dispatches)));
        auto plan = vk_->prepare(tg.update, {tg.loss});
        const Tensor x = randomTensor({kBatch, kIn}, 5, 1.0f), y = labels(3);
        const ir::Feed feeds[] = {{"x", ir::TensorView(x)}, {"labels", ir::TensorView(y)}};
        vk_->run(*plan, feeds);
        const int afterFirst = vk_->recordCount();
        for (int i = 0; i < 5; ++i) vk_->run(*plan, feeds);
        QCOMPARE(afterFirst, recordings + 1);
        QCOMPARE(vk_->recordCount(), afterFirst);
        vk_->setVariable("model/d1/bias", Tensor(Shape{kHidden})); // same shape: an upload, no re-recording
        vk_->run(*plan, feeds);
        QCOMPARE(vk_->recordCount(), afterFirst);
    }

    // Recording in dependency levels (one barrier per level) changes only where barriers go: a
    // model with two branches trains bit for bit as in program order, with fewer barriers. (A
    // chain such as an MLP gains nothing: the liveness arena reuses memory in program order.)
    void reorderedStepMatchesProgramOrder() {
        gpu::VulkanOptions plain;
        plain.reorder = false;
        auto inOrder = vktest::makeBackend(why_, plain);
        if (!inOrder || !fresh()) STRATA_SKIP_UNLESS_REQUIRED(why_);
        const ModelSpec spec = ModelSpec::load(STRATA_TEST_DATA_DIR "/../../resources/examples/two_branch.json");
        std::vector<std::vector<float>> losses;
        std::vector<std::map<std::string, Tensor>> weights;
        for (gpu::VulkanBackend* be : {inOrder.get(), vk_.get()}) {
            auto model = Model::fromSpec(spec);
            model->build(7);
            const int in = model->inputIndices()[0];
            data::Dataset d;
            d.x = randomTensor(model->outputShape(in).withoutFirst().prepended(48), 11, 1.0f);
            d.y = Tensor(Shape{48}, DType::I32);
            d.numClasses = int(model->outputShape(model->outputIndices()[0]).back());
            for (int64_t i = 0; i < 48; ++i) d.y.i32()[i] = int32_t(i % d.numClasses);
            train::TrainOptions opts;
            opts.epochs = 1;
            opts.batchSize = 16;
            opts.optimizer = ir::OptimizerConfig::defaults("adam");
            train::Trainer trainer(*model, *be, opts);
            std::vector<float> l;
            trainer.onStep([&](const train::StepEvent& e) { l.push_back(float(e.loss)); });
            const train::FitResult fit = trainer.fit(d);
            QVERIFY2(!fit.diverged, fit.message.c_str());
            losses.push_back(l);
            std::map<std::string, Tensor> w;
            for (const std::string& path : be->variablePaths()) w[path] = be->getVariable(path);
            weights.push_back(std::move(w));
        }
        QCOMPARE(losses[1].size(), std::size_t(3));
        QCOMPARE(losses[1], losses[0]);
        QCOMPARE(weights[1].size(), weights[0].size());
        for (const auto& [path, t] : weights[0]) {
            const std::string diff = vktest::compare(weights[1].at(path), t, 0, 0);
            QVERIFY2(diff.empty(), qPrintable(QString("%1: %2").arg(path.c_str(), diff.c_str())));
        }
        qInfo("two_branch step: %d dispatches, %d barriers in dependency levels, %d in program order", vk_->lastDispatchCount(),
              vk_->lastBarrierCount(), inOrder->lastBarrierCount());
        QCOMPARE(vk_->lastDispatchCount(), inOrder->lastDispatchCount());
        QVERIFY2(vk_->lastBarrierCount() < inOrder->lastBarrierCount(),
                 qPrintable(QString("%1 barriers in levels, %2 in program order").arg(vk_->lastBarrierCount()).arg(inOrder->lastBarrierCount())));
        VK_VERIFY_CLEAN(*inOrder);
    }

    // A bias added to a product (dense, convolution) is added by the GEMM as it stores: one
    // dispatch less, the same values as the CPU. Not when the product itself is read elsewhere.
    void biasAddsFuseIntoTheirGemm() {
        if (!fresh()) STRATA_SKIP_UNLESS_REQUIRED(why_);
        cpu::CpuBackend cpu(1);
        for (ir::Backend* be : {static_cast<ir::Backend*>(&cpu), static_cast<ir::Backend*>(vk_.get())}) {
            be->setVariable("w", randomTensor({6, 7}, 21));
            be->setVariable("b", randomTensor({7}, 22));
            be->setVariable("f", randomTensor({3, 3, 4, 3}, 23));
            be->setVariable("fb", randomTensor({3}, 24));
        }
        ir::Graph g;
        const ValueId x = g.placeholder("x", {5, 6}), img = g.placeholder("img", {2, 5, 5, 4});
        const ValueId product = g.matmul(x, g.variable("w", {6, 7}));
        const ValueId dense = g.relu(g.add(product, g.variable("b", {7})));
        const ValueId conv = g.add(g.conv2d(img, g.variable("f", {3, 3, 4, 3}), {}), g.variable("fb", {3}));
        const Tensor xv = randomTensor({5, 6}, 25, 1.0f), iv = randomTensor({2, 5, 5, 4}, 26, 1.0f);
        const ir::Feed feeds[] = {{"x", ir::TensorView(xv)}, {"img", ir::TensorView(iv)}};
        auto run = [&](ir::Backend& be, std::vector<ValueId> outs) {
            auto plan = be.prepare(g, outs);
            return be.run(*plan, feeds);
        };
        const std::vector<Tensor> want = run(cpu, {dense, conv, product});
        const std::vector<Tensor> fused = run(*vk_, {dense, conv});
        // matmul(+bias), relu, im2col, conv GEMM(+bias): the two adds run no kernel.
        QCOMPARE(vk_->lastDispatchCount(), 4);
        for (int i = 0; i < 2; ++i) {
            const std::string d = vktest::compare(fused[std::size_t(i)], want[std::size_t(i)]);
            QVERIFY2(d.empty(), d.c_str());
        }
        const std::vector<Tensor> apart = run(*vk_, {dense, conv, product}); // the product is fetched: its add runs
        QCOMPARE(vk_->lastDispatchCount(), 5);
        for (int i = 0; i < 3; ++i) {
            const std::string d = vktest::compare(apart[std::size_t(i)], want[std::size_t(i)]);
            QVERIFY2(d.empty(), d.c_str());
        }
    }

    // A profiled backend times every command of the step (timestamp queries), names the op and
    // kernel of each, and still computes the same step.
    void profileTimesEveryCommand() {
        gpu::VulkanOptions o;
        o.profile = true;
        vk_ = vktest::makeBackend(why_, o);
        if (!vk_) STRATA_SKIP_UNLESS_REQUIRED(why_);
        const ir::TrainingGraphs tg = mlpStep(ir::OptimizerConfig::defaults("adam"));
        cpu::CpuBackend cpu(1);
        const std::vector<float> want = trainSteps(cpu, tg, 3), got = trainSteps(*vk_, tg, 3);
        for (std::size_t s = 0; s < want.size(); ++s) QVERIFY(vktest::close(got[s], want[s], 1e-4, 1e-5));
        const std::vector<gpu::KernelTime> prof = vk_->profile();
        if (prof.empty()) QSKIP("this device has no timestamp queries on its compute queue");
        QVERIFY(int(prof.size()) > vk_->lastDispatchCount()); // every dispatch, plus copies and fills
        int adam = 0, matmul = 0;
        for (const gpu::KernelTime& k : prof) {
            QCOMPARE(k.runs, int64_t(3));
            QVERIFY2(k.microseconds >= 0 && std::isfinite(k.microseconds), k.label.c_str());
            QVERIFY(!k.label.empty() && !k.kernel.empty());
            adam += k.kernel == "adam";
            matmul += k.label.find("matmul") != std::string::npos && k.kernel.rfind("matmul", 0) == 0;
        }
        QCOMPARE(adam, 6); // one update per trainable variable
        QVERIFY(matmul >= 2);
        QVERIFY(std::any_of(prof.begin(), prof.end(), [](const gpu::KernelTime& k) { return k.microseconds > 0; }));
        vk_->resetProfile();
        QVERIFY(vk_->profile().empty());
    }

    // Two steps in flight give the same losses and weights as synchronous steps on the CPU; each
    // of the plan's two slots is recorded once; the limit and the order of calls are enforced.
    void pipelinedStepsMatchSynchronous() {
        if (!fresh()) STRATA_SKIP_UNLESS_REQUIRED(why_);
        const ir::TrainingGraphs tg = mlpStep(ir::OptimizerConfig::defaults("adam"));
        cpu::CpuBackend cpu(1);
        const std::vector<float> want = trainSteps(cpu, tg, 7);
        const int before = vk_->recordCount();
        const std::vector<float> got = trainStepsPipelined(*vk_, tg, 7);
        QCOMPARE(vk_->recordCount(), before + 2);
        QCOMPARE(got.size(), want.size());
        for (std::size_t i = 0; i < got.size(); ++i)
            QVERIFY2(vktest::close(got[i], want[i], 1e-4, 1e-5), qPrintable(QString("step %1: %2 vs %3").arg(i).arg(got[i]).arg(want[i])));
        for (const std::string& path : cpu.variablePaths()) {
            const std::string diff = vktest::compare(vk_->getVariable(path), cpu.getVariable(path), 1e-4, 1e-5);
            QVERIFY2(diff.empty(), qPrintable(QString("%1: %2").arg(path.c_str(), diff.c_str())));
        }

        auto plan = vk_->prepare(tg.update, {tg.loss});
        const Tensor x = randomTensor({kBatch, kIn}, 5, 1.0f), y = labels(3);
        const ir::Feed feeds[] = {{"x", ir::TensorView(x)}, {"labels", ir::TensorView(y)}};
        std::vector<Tensor> out;
        QVERIFY_THROWS_EXCEPTION(strata::StrataError, vk_->collect(out)); // nothing enqueued
        vk_->enqueue(*plan, feeds, {});
        vk_->enqueue(*plan, feeds, {});
        QVERIFY_THROWS_EXCEPTION(strata::StrataError, vk_->enqueue(*plan, feeds, {})); // a third in flight
        QVERIFY_THROWS_EXCEPTION(strata::StrataError, vk_->run(*plan, feeds));          // a synchronous run now
        QCOMPARE(vk_->getVariable(ir::kIterationsPath).i32()[0], 9); // reads wait for both runs
        vk_->collect(out);
        vk_->collect(out);
        QCOMPARE(vk_->run(*plan, feeds).size(), std::size_t(1));
    }

    void labelOutOfRangeIsAnError() {
        if (!fresh()) STRATA_SKIP_UNLESS_REQUIRED(why_);
        const ir::TrainingGraphs tg = mlpStep(ir::OptimizerConfig::defaults("sgd"));
        initialize(*vk_);
        ir::initializeOptimizerState(*vk_, tg.forward);
        auto plan = vk_->prepare(tg.forward, {tg.loss});
        const Tensor x = randomTensor({kBatch, kIn}, 5, 1.0f);
        Tensor y = labels(0);
        y.i32()[3] = 7;
        const ir::Feed feeds[] = {{"x", ir::TensorView(x)}, {"labels", ir::TensorView(y)}};
        try {
            vk_->run(*plan, feeds);
            QFAIL("a label outside [0, 4) was accepted");
        } catch (const StrataError& e) {
            QVERIFY2(QString(e.what()).contains("label 7 at batch row 3 is outside [0, 4)"), e.what());
        }
    }

    void feedErrorsNameTheFeed() {
        if (!fresh()) STRATA_SKIP_UNLESS_REQUIRED(why_);
        ir::Graph g;
        const ValueId x = g.placeholder("x", {2, 3});
        const ValueId y = g.relu(x);
        auto plan = vk_->prepare(g, {y});
        const Tensor wrong(Shape{3, 2});
        QVERIFY_THROWS_EXCEPTION(ShapeError, vk_->run(*plan, {{"x", ir::TensorView(wrong)}}));
        QVERIFY_THROWS_EXCEPTION(StrataError, vk_->run(*plan, {{"nope", ir::TensorView(wrong)}}));
        QVERIFY_THROWS_EXCEPTION(StrataError, vk_->run(*plan, std::span<const ir::Feed>{}));
        QVERIFY_THROWS_EXCEPTION(StrataError, vk_->getVariable("model/absent"));
        ir::Graph h;
        const ValueId v = h.variable("model/unset", {2});
        auto p2 = vk_->prepare(h, {h.neg(v)});
        QVERIFY_THROWS_EXCEPTION(StrataError, vk_->run(*p2, std::span<const ir::Feed>{}));
    }

    // The trainer end to end: the digits MLP learns on the device.
    // Evaluate and predict keep two batches in flight on Vulkan and give what the CPU gives, the
    // last, shorter batch (359 test rows, batches of 32) included.
    void evaluateAndPredictArePipelinedAndMatchCpu() {
        if (!fresh()) STRATA_SKIP_UNLESS_REQUIRED(why_);
        auto spec = ModelSpec::load(STRATA_TEST_DATA_DIR "/../../resources/examples/digits_mlp.json");
        auto onVulkan = Model::fromSpec(spec), onCpu = Model::fromSpec(spec);
        onVulkan->build(0);
        onCpu->build(0);
        auto splits = data::loadBuiltinDataset("digits");
        train::TrainOptions opts;
        opts.batchSize = 32;
        CountingBackend counted(*vk_);
        cpu::CpuBackend cpuBackend(1);
        train::Trainer vkTrainer(*onVulkan, counted, opts), cpuTrainer(*onCpu, cpuBackend, opts);
        const train::EvalResult want = cpuTrainer.evaluate(splits.test), got = vkTrainer.evaluate(splits.test);
        QCOMPARE(got.samples, want.samples);
        QCOMPARE(got.accuracy, want.accuracy);
        QVERIFY2(std::fabs(got.loss - want.loss) <= 1e-5 * std::fabs(want.loss), qPrintable(QString("loss %1 vs %2").arg(got.loss).arg(want.loss)));
        QCOMPARE(counted.syncRuns, 0);
        QCOMPARE(counted.maxOutstanding, 2);
        QCOMPARE(counted.outstanding, 0);

        counted.maxOutstanding = 0;
        const Tensor p = vkTrainer.predict(splits.test.x), q = cpuTrainer.predict(splits.test.x);
        QCOMPARE(p.shape(), q.shape());
        for (int64_t i = 0; i < q.size(); ++i)
            QVERIFY2(std::fabs(p.f32()[i] - q.f32()[i]) <= 1e-5f, qPrintable(QString("element %1: %2 vs %3").arg(i).arg(p.f32()[i]).arg(q.f32()[i])));
        QCOMPARE(counted.syncRuns, 0);
        QCOMPARE(counted.maxOutstanding, 2);
        QCOMPARE(counted.outstanding, 0);
    }

    void trainerLearnsDigits() {
        if (!fresh()) STRATA_SKIP_UNLESS_REQUIRED(why_);
        auto spec = ModelSpec::load(STRATA_TEST_DATA_DIR "/../../resources/examples/digits_mlp.json");
        auto model = Model::fromSpec(spec);
        model->build(0);
        auto splits = data::loadBuiltinDataset("digits");
        train::TrainOptions opts;
        opts.epochs = 10;
        opts.batchSize = 32;
        opts.optimizer = ir::OptimizerConfig::defaults("adam");
        train::Trainer trainer(*model, *vk_, opts);
        const train::FitResult fit = trainer.fit(splits.train);
        QVERIFY2(!fit.diverged, fit.message.c_str());
        const double accuracy = trainer.evaluate(splits.test).accuracy;
        qInfo("digits_mlp, 10 epochs on Vulkan: test accuracy %.4f", accuracy);
        QVERIFY2(accuracy >= 0.9, qPrintable(QString("test accuracy %1").arg(accuracy)));
        // The epoch's accuracy comes from pipelined steps: each step's output against its own labels.
        const double trainAccuracy = fit.epochs.back().accuracy;
        QVERIFY2(trainAccuracy >= 0.9, qPrintable(QString("training accuracy of the last epoch %1").arg(trainAccuracy)));
    }
};

QTEST_APPLESS_MAIN(TestVulkanTraining)
#include "tst_vulkan_training.moc"
