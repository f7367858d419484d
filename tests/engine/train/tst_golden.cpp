// Golden tests against PyTorch 1.13 (tests/reference/make_golden.py, data in tests/data/golden):
// forward outputs, loss, gradients, batch-norm moving averages and the weights after the steps of
// every optimizer entry (constant rates and learning-rate schedules), for Dense, Conv2D (strided,
// dilated), Conv2DTranspose, pooling, padding, normalization, dropout, merge models and every
// activation, traced from specs and run on the CPU backend. The checks live in
// tests/support/GoldenFiles.h; tests/gpu/tst_vulkan_golden.cpp runs the same ones on Vulkan.
// Tolerance: 1e-5 relative with 1e-6 absolute (tests/reference/README.md says why).
#include "engine/Activations.h"
#include "engine/cpu/CpuBackend.h"

#include "tests/support/GoldenFiles.h"

#include <QtTest>

using namespace strata;

namespace {
constexpr golden::Tolerance kTolerance{1e-5, 1e-6};
}

class TestGolden : public QObject {
    Q_OBJECT

    golden::Checker check_{kTolerance};

private slots:
    void allModelsPresent() {
        const QStringList n = golden::names();
        QVERIFY(n.size() >= 16);
        for (const char* m : {"conv_transpose", "conv_dilated", "padding_leaky_relu", "dropout", "activations", "attention_mha",
                              "dot_merge", "repeat_vector", "masked_lstm", "masked_bidirectional",
                              "masked_attention", "recurrent_states"})
            QVERIFY2(n.contains(m), m);
    }

    // Every activation the engine knows has its branch in the activations golden.
    void everyActivationHasAGolden() {
        const golden::json spec = golden::load("activations")["spec"];
        for (const std::string& a : activationNames()) {
            bool found = false;
            for (const auto& layer : spec["layers"])
                found = found || (layer["type"] == "Dense" && layer["config"]["activation"] == a);
            QVERIFY2(found, a.c_str());
        }
    }

    // dropout.json spelled out at the Dropout op itself: with the file's mask for step 0, the
    // output is x * 4/3 where kept (rate 0.25) and exactly 0 where dropped, and the gradient that
    // reaches its input is dL/dy * 4/3 where kept and exactly 0 where dropped.
    void dropoutScalesKeptUnitsAndBlocksDroppedOnes() {
        golden::Fixture f("dropout");
        ir::ValueId loss;
        train::TracedModel t = f.trace(true, loss);
        ir::ValueId x = ir::kNoValue, y = ir::kNoValue;
        for (int32_t n = 0; n < t.graph.nodeCount(); ++n)
            if (t.graph.node(n).op == ir::OpKind::Dropout) x = t.graph.node(n).inputs[0], y = t.graph.node(n).outputs[0];
        QVERIFY(y != ir::kNoValue);
        const std::vector<ir::ValueId> g = ir::gradients(t.graph, loss, {x, y});
        cpu::CpuBackend be;
        f.loadState(be, t.graph);
        std::vector<Tensor> r;
        be.run(*be.prepare(t.graph, {x, y, g[0], g[1]}), f.feeds(), {}, r);
        const Tensor mask = golden::tensorOf(f.golden["dropout_masks"]["dropout"], DType::I32);
        const int64_t n = r[0].size();
        QCOMPARE(mask.size(), 4 * n); // steps 0..3
        int kept = 0;
        for (int64_t i = 0; i < n; ++i) {
            const bool keep = mask.i32()[i] != 0; // step 0
            kept += keep;
            if (!keep) {
                QCOMPARE(r[1].f32()[i], 0.0f);
                QCOMPARE(r[2].f32()[i], 0.0f);
                continue;
            }
            QVERIFY(std::fabs(r[1].f32()[i] - r[0].f32()[i] * 4.0 / 3.0) <= 1e-6 * std::fabs(r[0].f32()[i]));
            QVERIFY(std::fabs(r[2].f32()[i] - r[3].f32()[i] * 4.0 / 3.0) <= 1e-6 * std::fabs(r[3].f32()[i]) + 1e-12);
            QVERIFY(r[2].f32()[i] != 0.0f);
        }
        QVERIFY2(kept > 0 && kept < n, "the mask keeps some units and drops others");
    }

    void forwardLossAndGradients_data() {
        QTest::addColumn<QString>("name");
        for (const QString& n : golden::names()) QTest::newRow(n.toUtf8().constData()) << n;
    }
    void forwardLossAndGradients() {
        QFETCH(QString, name);
        cpu::CpuBackend be;
        const std::string why = golden::checkForwardAndGradients(be, name, check_);
        QVERIFY2(why.empty(), why.c_str());
    }

    void inferenceOutputs_data() {
        QTest::addColumn<QString>("name");
        for (const QString& n : golden::namesWithInference()) QTest::newRow(n.toUtf8().constData()) << n;
    }
    void inferenceOutputs() {
        QFETCH(QString, name);
        cpu::CpuBackend be;
        const std::string why = golden::checkInference(be, name, check_);
        QVERIFY2(why.empty(), why.c_str());
    }

    void optimizerSteps_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("entry");
        for (const auto& [n, e] : golden::optimizerEntries())
            QTest::newRow((n + "/" + e.section('/', 1)).toUtf8().constData()) << n << e;
    }
    void optimizerSteps() {
        QFETCH(QString, name);
        QFETCH(QString, entry);
        cpu::CpuBackend be;
        const std::string why = golden::checkOptimizerSteps(be, name, entry, check_);
        QVERIFY2(why.empty(), why.c_str());
    }

    void cleanupTestCase() {
        qInfo("closest to the tolerance: %s at %.3g of it", check_.worstWhat().c_str(), check_.worstRatio());
    }
};

QTEST_APPLESS_MAIN(TestGolden)
#include "tst_golden.moc"
