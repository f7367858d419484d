// The ReLU layer (Keras' keras.layers.ReLU): its config checks, shape, values and gradients as
// traced by its call, on the CPU backend.
#include "engine/Error.h"
#include "engine/LayerRegistry.h"
#include "engine/Model.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/ir/Autodiff.h"
#include "engine/layers/CoreLayers.h"
#include "engine/train/Tracer.h"

#include <QtTest>

#include <cmath>

using namespace strata;

namespace {
std::unique_ptr<Model> reluModel(const nlohmann::json& config) {
    nlohmann::json spec = {{"format", kModelFormat}, {"name", "m"},
                           {"layers", {{{"name", "x"}, {"type", "Input"}, {"config", {{"shape", {4}}}}},
                                       {{"name", "relu"}, {"type", "ReLU"}, {"config", config}}}}};
    auto m = Model::fromSpec(ModelSpec::fromJson(spec));
    m->build(0);
    return m;
}
} // namespace

class TestRelu : public QObject {
    Q_OBJECT
private slots:
    void defaultsAreKeras() {
        QCOMPARE(defaultLayerName("ReLU"), std::string("re_lu"));
        auto l = LayerRegistry::instance().create("ReLU", "r");
        const auto& r = static_cast<const layers::ReLU&>(*l);
        QVERIFY(!r.maxValue);
        QCOMPARE(r.negativeSlope, 0.0);
        QCOMPARE(l->outputShape({Shape{kUnknownDim, 3, 5}}), (Shape{kUnknownDim, 3, 5}));
        QCOMPARE(l->countParams({Shape{kUnknownDim, 3}}).total(), int64_t(0));
        QCOMPARE(QString::fromStdString(LayerRegistry::instance().create("ReLU", "r", {{"max_value", 6}})->keyConfigText()), QString("max 6"));
    }

    void badConfigNamesTheKey_data() {
        QTest::addColumn<QString>("config");
        QTest::addColumn<QString>("message");
        QTest::newRow("negative max") << R"({"max_value": -1})" << "max_value: must be a finite number >= 0, got -1";
        QTest::newRow("negative slope") << R"({"negative_slope": -0.5})" << "negative_slope: must be a finite number >= 0, got -0.5";
        QTest::newRow("negative threshold") << R"({"threshold": -0.5})" << "threshold: must be a finite number >= 0, got -0.5";
        QTest::newRow("slope kind") << R"({"negative_slope": "x"})" << "negative_slope: expected a number, got a string \"x\"";
        QTest::newRow("unknown key") << R"({"alpha": 0.1})" << "unknown config key 'alpha' for ReLU (known keys: max_value, negative_slope, threshold, trainable)";
    }
    void badConfigNamesTheKey() {
        QFETCH(QString, config);
        QFETCH(QString, message);
        try {
            LayerRegistry::instance().create("ReLU", "r", nlohmann::json::parse(config.toStdString()));
            QFAIL("accepted");
        } catch (const ConfigError& e) {
            QCOMPARE(QString(e.what()), message);
        }
    }

    void valuesAndGradients_data() {
        QTest::addColumn<QString>("config");
        QTest::addColumn<double>("maxValue"); // < 0: none
        QTest::addColumn<double>("slope");
        QTest::newRow("plain") << "{}" << -1.0 << 0.0;
        QTest::newRow("capped") << R"({"max_value": 1.5})" << 1.5 << 0.0;
        QTest::newRow("leaky capped") << R"({"max_value": 2, "negative_slope": 0.25})" << 2.0 << 0.25;
        QTest::newRow("leaky") << R"({"negative_slope": 0.5})" << -1.0 << 0.5;
    }
    void valuesAndGradients() {
        QFETCH(QString, config);
        QFETCH(double, maxValue);
        QFETCH(double, slope);
        auto model = reluModel(nlohmann::json::parse(config.toStdString()));
        const Shape shape{2, 4};
        const std::vector<float> xs = {-2.0f, -0.5f, 0.25f, 3.0f, 1.75f, 0.75f, -1.0f, 2.5f};
        const std::vector<float> ws = {1.0f, 2.0f, -1.0f, 0.5f, 3.0f, -2.0f, 1.5f, -0.5f};
        train::TracedModel t = train::traceModel(*model, {{shape}, false}, 0);
        ir::Graph& g = t.graph;
        const ir::ValueId x = g.findPlaceholder("x");
        const ir::ValueId loss = g.reduceSumAll(g.mul(t.outputs[0], g.constant(Tensor::fromVector(shape, ws))));
        const auto grads = ir::gradients(g, loss, {x});
        cpu::CpuBackend be;
        auto plan = be.prepare(g, {t.outputs[0], grads[0]});
        const Tensor xt = Tensor::fromVector(shape, xs);
        const auto out = be.run(*plan, {{"x", xt}});
        for (std::size_t i = 0; i < xs.size(); ++i) {
            double y = xs[i] >= 0 ? xs[i] : slope * xs[i], dy = xs[i] >= 0 ? 1.0 : slope;
            if (maxValue >= 0 && y > maxValue) y = maxValue, dy = 0.0;
            QVERIFY2(std::abs(out[0].f32()[i] - y) <= 1e-6, qPrintable(QString("y[%1] = %2, expected %3").arg(i).arg(out[0].f32()[i]).arg(y)));
            QVERIFY2(std::abs(out[1].f32()[i] - ws[i] * dy) <= 1e-6, qPrintable(QString("dx[%1] = %2").arg(i).arg(out[1].f32()[i])));
        }
    }
};

QTEST_APPLESS_MAIN(TestRelu)
#include "tst_relu.moc"
