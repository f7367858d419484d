// Optimizers against values computed by hand from their formulas (two steps, a different
// gradient each step), schedules, config parsing, slot naming and frozen variables.
#include "engine/Error.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/ir/Autodiff.h"
#include "engine/ir/Optimizers.h"

#include <nlohmann/json.hpp>

#include <QtTest>

#include <cmath>

using namespace strata;
using namespace strata::ir;

namespace {

const std::vector<double> kW0 = {1.0, -2.0, 0.5};
const std::vector<double> kG1 = {0.5, -1.0, 2.0}; // gradient at step 1
const std::vector<double> kG2 = {-0.25, 0.5, 1.0}; // gradient at step 2

// loss = sum(w * c), so the gradient is exactly the fed c. Returns w after two updates.
std::vector<float> trainTwoSteps(const OptimizerConfig& config, cpu::CpuBackend* keep = nullptr) {
    Graph g;
    ValueId w = g.variable("w", {3});
    ValueId c = g.placeholder("c", {3});
    ValueId loss = g.reduceSumAll(g.mul(w, c));
    appendOptimizer(g, config, {w}, gradients(g, loss, {w}));
    cpu::CpuBackend local;
    cpu::CpuBackend& be = keep ? *keep : local;
    be.setVariable("w", Tensor::fromVector({3}, std::vector<float>(kW0.begin(), kW0.end())));
    initializeOptimizerState(be, g);
    auto plan = be.prepare(g, {loss});
    for (const auto* gv : {&kG1, &kG2}) be.run(*plan, {{"c", Tensor::fromVector({3}, std::vector<float>(gv->begin(), gv->end()))}});
    Tensor out = be.getVariable("w");
    return {out.f32(), out.f32() + 3};
}

void compare(const std::vector<float>& got, const std::vector<double>& want) {
    for (std::size_t i = 0; i < want.size(); ++i)
        if (std::fabs(got[i] - want[i]) > 1e-6 * std::max(1.0, std::fabs(want[i])))
            QFAIL(qPrintable(QString("element %1: got %2, expected %3").arg(i).arg(got[i], 0, 'g', 9).arg(want[i], 0, 'g', 9)));
}

OptimizerConfig config(const nlohmann::json& j) { return OptimizerConfig::fromJson(j); }

} // namespace

class TestOptimizers : public QObject {
    Q_OBJECT

private slots:
    void sgdPlain() {
        std::vector<double> w = kW0;
        for (int i = 0; i < 3; ++i) w[i] -= 0.01 * kG1[i] + 0.01 * kG2[i];
        compare(trainTwoSteps(OptimizerConfig::defaults("sgd")), w);
    }

    void sgdMomentumAndNesterov() {
        for (bool nesterov : {false, true}) {
            std::vector<double> w = kW0, m(3, 0.0);
            for (const auto* g : {&kG1, &kG2})
                for (int i = 0; i < 3; ++i) {
                    m[i] = 0.9 * m[i] - 0.1 * (*g)[i];
                    w[i] += nesterov ? 0.9 * m[i] - 0.1 * (*g)[i] : m[i];
                }
            compare(trainTwoSteps(config({{"name", "sgd"}, {"learning_rate", 0.1}, {"momentum", 0.9}, {"nesterov", nesterov}})), w);
        }
    }

    void adamMatchesTextbookFormula() {
        // Step 1 with m_hat = g, v_hat = g^2 moves each weight by lr * g / (|g| + eps).
        cpu::CpuBackend be;
        std::vector<double> w = kW0, m(3, 0.0), v(3, 0.0);
        int t = 0;
        for (const auto* g : {&kG1, &kG2}) {
            ++t;
            for (int i = 0; i < 3; ++i) {
                m[i] = 0.9 * m[i] + 0.1 * (*g)[i];
                v[i] = 0.999 * v[i] + 0.001 * (*g)[i] * (*g)[i];
                const double mh = m[i] / (1 - std::pow(0.9, t)), vh = v[i] / (1 - std::pow(0.999, t));
                w[i] -= 1e-3 * mh / (std::sqrt(vh) + 1e-7);
            }
        }
        compare(trainTwoSteps(OptimizerConfig::defaults("adam"), &be), w);
        Tensor mSlot = be.getVariable("w/.OPTIMIZER_SLOT/optimizer/m");
        Tensor vSlot = be.getVariable("w/.OPTIMIZER_SLOT/optimizer/v");
        compare({mSlot.f32(), mSlot.f32() + 3}, m);
        compare({vSlot.f32(), vSlot.f32() + 3}, v);
        QCOMPARE(be.getVariable(kIterationsPath).i32()[0], 2);
        QCOMPARE(be.getVariable(kIterationsPath).dtype(), DType::I32);
    }

    void adamwDecaysBeforeTheAdamStep() {
        std::vector<double> w = kW0, m(3, 0.0), v(3, 0.0);
        const double lr = 0.01, wd = 0.004;
        int t = 0;
        for (const auto* g : {&kG1, &kG2}) {
            ++t;
            for (int i = 0; i < 3; ++i) {
                w[i] -= lr * wd * w[i];
                m[i] = 0.9 * m[i] + 0.1 * (*g)[i];
                v[i] = 0.999 * v[i] + 0.001 * (*g)[i] * (*g)[i];
                w[i] -= lr * (m[i] / (1 - std::pow(0.9, t))) / (std::sqrt(v[i] / (1 - std::pow(0.999, t))) + 1e-7);
            }
        }
        OptimizerConfig c = config({{"name", "adamw"}, {"learning_rate", lr}});
        QCOMPARE(c.weightDecay, 0.004);
        compare(trainTwoSteps(c), w);
    }

    void rmspropPlainAndCenteredWithMomentum() {
        for (bool centered : {false, true}) {
            const double momentum = centered ? 0.5 : 0.0;
            std::vector<double> w = kW0, rms(3, 0.0), mg(3, 0.0), mom(3, 0.0);
            for (const auto* g : {&kG1, &kG2})
                for (int i = 0; i < 3; ++i) {
                    rms[i] = 0.9 * rms[i] + 0.1 * (*g)[i] * (*g)[i];
                    mg[i] = 0.9 * mg[i] + 0.1 * (*g)[i];
                    const double denom = centered ? rms[i] - mg[i] * mg[i] : rms[i];
                    const double inc = 1e-3 * (*g)[i] / std::sqrt(denom + 1e-7);
                    mom[i] = momentum * mom[i] + inc;
                    w[i] -= momentum > 0 ? mom[i] : inc;
                }
            compare(trainTwoSteps(config({{"name", "rmsprop"}, {"centered", centered}, {"momentum", momentum}})), w);
        }
    }

    void scheduleValues() {
        auto step = LearningRateSchedule::fromJson({{"name", "step_decay"}, {"initial_learning_rate", 0.1}, {"decay_steps", 10}, {"decay_rate", 0.5}});
        QCOMPARE(step.at(0), 0.1);
        QCOMPARE(step.at(9), 0.1);
        QCOMPARE(step.at(10), 0.05);
        QCOMPARE(step.at(25), 0.025);
        auto cosine = LearningRateSchedule::fromJson({{"name", "cosine_decay"}, {"initial_learning_rate", 1.0}, {"decay_steps", 100}, {"alpha", 0.1}});
        QCOMPARE(cosine.at(0), 1.0);
        QVERIFY(std::fabs(cosine.at(50) - 0.55) < 1e-12);
        QVERIFY(std::fabs(cosine.at(100) - 0.1) < 1e-12);
        QVERIFY(std::fabs(cosine.at(1000) - 0.1) < 1e-12);
        QCOMPARE(LearningRateSchedule::fromJson(0.3).at(123), 0.3);
        QCOMPARE(LearningRateSchedule::fromJson(cosine.toJson()).at(50), cosine.at(50));
    }

    void scheduleRunsInsideTheGraph() {
        // lr 0.1 at step 0, 0.05 at step 1: the update uses the counter before incrementing.
        std::vector<double> w = kW0;
        for (int i = 0; i < 3; ++i) w[i] -= 0.1 * kG1[i] + 0.05 * kG2[i];
        compare(trainTwoSteps(config({{"name", "sgd"},
                                      {"learning_rate", {{"name", "step_decay"}, {"initial_learning_rate", 0.1},
                                                         {"decay_steps", 1}, {"decay_rate", 0.5}}}})),
                w);
    }

    void configErrorsNameTheOption() {
        auto message = [](const nlohmann::json& j) {
            try {
                OptimizerConfig::fromJson(j);
            } catch (const ConfigError& e) {
                return QString(e.what());
            }
            return QString("no error");
        };
        QVERIFY(message({{"name", "adam"}, {"momentum", 0.9}}).contains("unknown option 'momentum'"));
        QVERIFY(message({{"name", "sgd"}, {"beta_1", 0.9}}).contains("'beta_1'"));
        QVERIFY(message({{"name", "adagrad"}}).contains("'adagrad'"));
        QVERIFY(message({{"name", "adam"}, {"learning_rate", {{"name", "cosine_decay"}, {"warmup", 3}}}}).contains("'warmup'"));
        QVERIFY(message({{"name", "adam"}, {"beta_1", 1.5}}).contains("beta_1"));
        QVERIFY(message({{"learning_rate", 0.1}}).contains("name"));
    }

    void defaultsAreKeras() {
        QCOMPARE(OptimizerConfig::defaults("sgd").learningRate.learningRate, 0.01);
        const OptimizerConfig adam = OptimizerConfig::fromJson({{"name", "adam"}});
        QCOMPARE(adam.learningRate.learningRate, 1e-3);
        QCOMPARE(adam.beta1, 0.9);
        QCOMPARE(adam.beta2, 0.999);
        QCOMPARE(adam.epsilon, 1e-7);
        const OptimizerConfig rms = OptimizerConfig::fromJson({{"name", "rmsprop"}});
        QCOMPARE(rms.rho, 0.9);
        QCOMPARE(rms.centered, false);
        const OptimizerConfig round = OptimizerConfig::fromJson(OptimizerConfig::defaults("adamw").toJson());
        QCOMPARE(round.weightDecay, 0.004);
        QCOMPARE(round.name, std::string("adamw"));
    }

    void frozenVariableGetsNoUpdateAndNoSlots() {
        Graph g;
        ValueId x = g.placeholder("x", {2, 2});
        ValueId frozen = g.variable("model/frozen/kernel", {2, 2});
        ValueId w = g.variable("model/dense/kernel", {2, 1});
        ValueId loss = g.reduceMeanAll(g.square(g.matmul(g.matmul(x, frozen), w)));
        TrainingGraphs tg = buildTrainingGraphs(g, loss, {"model/dense/kernel"}, OptimizerConfig::defaults("adam"));
        QCOMPARE(tg.update.findVariable(slotPath("model/frozen/kernel", "m")), kNoValue);
        cpu::CpuBackend be;
        const Tensor f0 = Tensor::fromVector({2, 2}, std::vector<float>{1, 2, 3, 4});
        const Tensor w0 = Tensor::fromVector({2, 1}, std::vector<float>{0.5f, -0.5f});
        be.setVariable("model/frozen/kernel", f0);
        be.setVariable("model/dense/kernel", w0);
        initializeOptimizerState(be, tg.update);
        QVERIFY(!be.hasVariable(slotPath("model/frozen/kernel", "m")));
        auto plan = be.prepare(tg.update, {tg.loss});
        be.run(*plan, {{"x", Tensor::fromVector({2, 2}, std::vector<float>{1, 0, 0, 1})}});
        const Tensor f1 = be.getVariable("model/frozen/kernel");
        const Tensor w1 = be.getVariable("model/dense/kernel");
        for (int i = 0; i < 4; ++i) QCOMPARE(f1.f32()[i], f0.f32()[i]);
        QVERIFY(w1.f32()[0] != w0.f32()[0]);
    }
};

QTEST_APPLESS_MAIN(TestOptimizers)
#include "tst_optimizers.moc"
