// Softmax, PReLU, Rescaling, ReLU's threshold and the broadcasting merges: Keras 3's parameter
// counts, shape rules and config errors, and values and gradients traced on the CPU backend
// against formulas written out here (PyTorch's numbers are in the activation_layers golden).
#include "engine/Error.h"
#include "engine/LayerRegistry.h"
#include "engine/Model.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/ir/Autodiff.h"
#include "engine/layers/ActivationLayers.h"
#include "engine/train/Tracer.h"

#include <QtTest>

#include <cmath>

using namespace strata;

namespace {
constexpr int64_t None = kUnknownDim;

std::unique_ptr<Layer> make(const std::string& type, nlohmann::json config = nlohmann::json::object()) {
    return LayerRegistry::instance().create(type, defaultLayerName(type), config);
}

// The model's output and the gradient of sum(y * w) for its input x (one input, one output).
struct Run {
    std::vector<float> y, dx;
};
Run runModel(const std::string& specJson, const Shape& shape, const std::vector<float>& xs, const std::vector<float>& ws) {
    auto model = Model::fromSpec(ModelSpec::fromJson(nlohmann::json::parse(specJson)));
    model->build(0);
    train::TracedModel t = train::traceModel(*model, {{shape}, false}, 0);
    ir::Graph& g = t.graph;
    const ir::ValueId x = g.findPlaceholder("x");
    const ir::ValueId loss = g.reduceSumAll(g.mul(t.outputs[0], g.constant(Tensor::fromVector(g.shape(t.outputs[0]), ws))));
    const std::vector<ir::ValueId> grads = ir::gradients(g, loss, {x});
    cpu::CpuBackend be;
    for (const Variable* v : model->variables()) be.setVariable(v->path(), v->value());
    auto out = be.run(*be.prepare(g, {t.outputs[0], grads[0]}), {{"x", Tensor::fromVector(shape, xs)}});
    auto vec = [](const Tensor& t) { return std::vector<float>(t.values().begin(), t.values().end()); };
    return {vec(out[0]), vec(out[1])};
}

std::string oneLayer(const std::string& type, const std::string& config, const std::string& inputShape) {
    return R"({"format": "strata.model/1", "name": "m", "layers": [
        {"name": "x", "type": "Input", "config": {"shape": )" + inputShape + R"(}},
        {"name": "l", "type": ")" + type + R"(", "config": )" + config + "}]}";
}
} // namespace

class TestActivationLayers : public QObject {
    Q_OBJECT
private slots:
    void preluParameterCountsFollowKeras() {
        QCOMPARE(make("PReLU")->countParams({Shape{None, 8, 8, 16}}).total(), int64_t(1024));
        QCOMPARE(make("PReLU", {{"shared_axes", {1, 2}}})->countParams({Shape{None, 8, 8, 16}}).total(), int64_t(16));
        QCOMPARE(make("PReLU", {{"shared_axes", 3}})->countParams({Shape{None, 8, 8, 16}}).total(), int64_t(64));
        QCOMPARE(make("PReLU")->countParams({Shape{None, 10}}).total(), int64_t(10));
        QCOMPARE(make("Softmax")->countParams({Shape{None, 10}}).total(), int64_t(0));
        QCOMPARE(make("Rescaling", {{"scale", 0.5}})->countParams({Shape{None, 10}}).total(), int64_t(0));
    }

    void shapeRules() {
        QCOMPARE(make("Softmax", {{"axis", 1}})->outputShape({Shape{None, 3, 4}}), (Shape{None, 3, 4}));
        QCOMPARE(make("PReLU", {{"shared_axes", {1, 2}}})->outputShape({Shape{None, None, None, 4}}), (Shape{None, None, None, 4}));
        const auto add = make("Multiply");
        QCOMPARE(add->outputShape({Shape{None, 1, 1, 8}, Shape{None, 5, 6, 8}}), (Shape{None, 5, 6, 8}));
        QCOMPARE(add->outputShape({Shape{None, 5, 6, 8}, Shape{None, 1, 1, 8}}), (Shape{None, 5, 6, 8}));
        QCOMPARE(add->outputShape({Shape{None, 1, 6, 1}, Shape{None, 5, 1, 8}}), (Shape{None, 5, 6, 8}));
        QCOMPARE(add->outputShape({Shape{None, 1, 8}, Shape{None, None, 8}}), (Shape{None, None, 8}));
        QCOMPARE(make("Add")->outputShape({Shape{None, 4}, Shape{None, 1}, Shape{None, 4}}), (Shape{None, 4}));
    }

    void shapeErrorsNameTheProblem_data() {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("config");
        QTest::addColumn<QString>("inputs");
        QTest::addColumn<QString>("fragment");
        QTest::newRow("softmax axis") << "Softmax" << R"({"axis":3})" << "[[null,4]]" << "axis 3 is out of range for an input of rank 2";
        QTest::newRow("prelu unknown") << "PReLU" << "{}" << "[[null,null,4]]" << "needs a known size on axis 1 (or that axis in shared_axes)";
        QTest::newRow("prelu shared") << "PReLU" << R"({"shared_axes":[3]})" << "[[null,4]]" << "shared axis 3 is out of range";
        QTest::newRow("merge ranks") << "Add" << "{}" << "[[null,4],[null,1,4]]" << "needs inputs of one rank";
        QTest::newRow("merge sizes") << "Multiply" << "{}" << "[[null,2,4],[null,3,4]]" << "agree or are 1 on every axis";
    }
    void shapeErrorsNameTheProblem() {
        QFETCH(QString, type);
        QFETCH(QString, config);
        QFETCH(QString, inputs);
        QFETCH(QString, fragment);
        auto layer = make(type.toStdString(), nlohmann::json::parse(config.toStdString()));
        std::vector<Shape> in;
        for (const auto& s : nlohmann::json::parse(inputs.toStdString())) in.push_back(Shape::fromJson(s));
        try {
            layer->outputShape(in);
            QFAIL("expected a ShapeError");
        } catch (const ShapeError& e) {
            QVERIFY2(QString(e.what()).contains(fragment), e.what());
        }
    }

    void configErrorsNameTheKey_data() {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("config");
        QTest::addColumn<QString>("fragment");
        QTest::newRow("relu threshold") << "ReLU" << R"({"threshold":-1})" << "threshold: must be a finite number >= 0, got -1";
        QTest::newRow("relu slope") << "ReLU" << R"({"negative_slope":-0.5})" << "negative_slope: must be a finite number >= 0";
        QTest::newRow("softmax batch") << "Softmax" << R"({"axis":0})" << "axis: 0 is the batch axis";
        QTest::newRow("softmax kind") << "Softmax" << R"({"axis":[1,2]})" << "axis: must be an integer";
        QTest::newRow("prelu shared 0") << "PReLU" << R"({"shared_axes":[0]})" << "shared_axes: axes count from 1";
        QTest::newRow("prelu shared kind") << "PReLU" << R"({"shared_axes":"all"})" << "shared_axes: must be null, an integer or a list";
        QTest::newRow("prelu init") << "PReLU" << R"({"alpha_initializer":"magic"})" << "alpha_initializer: unknown initializer";
        QTest::newRow("rescaling scale missing") << "Rescaling" << "{}" << "scale: required for Rescaling";
        QTest::newRow("rescaling scale kind") << "Rescaling" << R"({"scale":"1/255"})" << "scale: expected a number";
    }
    void configErrorsNameTheKey() {
        QFETCH(QString, type);
        QFETCH(QString, config);
        QFETCH(QString, fragment);
        try {
            make(type.toStdString(), nlohmann::json::parse(config.toStdString()));
            QFAIL("expected a ConfigError");
        } catch (const ConfigError& e) {
            QVERIFY2(QString(e.what()).contains(fragment), e.what());
        }
    }

    // Keras 3: x above the threshold (capped at max_value), negative_slope * (x - threshold) at
    // and below it; the gradient 1 between threshold and cap, negative_slope below, 0 above the cap.
    void reluThresholdFollowsKeras() {
        const std::vector<float> xs = {-2.0f, -0.5f, 0.1f, 0.4f, 0.6f, 1.0f, 2.5f, 3.5f};
        const std::vector<float> ws = {1.0f, 2.0f, -1.0f, 0.5f, 3.0f, -2.0f, 1.5f, -0.5f};
        const Run r = runModel(oneLayer("ReLU", R"({"threshold": 0.5, "negative_slope": 0.1, "max_value": 3.0})", "[8]"),
                               Shape{1, 8}, xs, ws);
        for (std::size_t i = 0; i < xs.size(); ++i) {
            const double x = xs[i];
            const double y = x > 0.5 ? std::min(x, 3.0) : 0.1 * (x - 0.5);
            const double d = x > 0.5 ? (x <= 3.0 ? 1.0 : 0.0) : 0.1;
            QVERIFY2(std::abs(r.y[i] - y) <= 1e-6, qPrintable(QString("y[%1] = %2, expected %3").arg(i).arg(r.y[i]).arg(y)));
            QVERIFY2(std::abs(r.dx[i] - ws[i] * d) <= 1e-6, qPrintable(QString("dx[%1] = %2").arg(i).arg(r.dx[i])));
        }
    }

    // Softmax over axis 1 of (1, 2, 3): each column sums to 1.
    void softmaxOverAMiddleAxis() {
        const std::vector<float> xs = {0.5f, -1.0f, 2.0f, 1.5f, 0.0f, -2.0f};
        const Run r = runModel(oneLayer("Softmax", R"({"axis": 1})", "[2, 3]"), Shape{1, 2, 3}, xs, std::vector<float>(6, 1.0f));
        for (int c = 0; c < 3; ++c) {
            const double a = xs[std::size_t(c)], b = xs[std::size_t(3 + c)];
            const double ea = 1.0 / (1.0 + std::exp(b - a));
            QVERIFY(std::abs(r.y[std::size_t(c)] - ea) <= 1e-6);
            QVERIFY(std::abs(r.y[std::size_t(3 + c)] - (1.0 - ea)) <= 1e-6);
            QVERIFY(std::abs(r.dx[std::size_t(c)]) <= 1e-6); // d(sum of a distribution) = 0
        }
    }

    // Rescaling's value and gradient; a fresh PReLU (alpha 0) is a ReLU.
    void rescalingAndFreshPrelu() {
        const std::vector<float> xs = {-2.0f, 0.5f, 255.0f};
        const Run r = runModel(oneLayer("Rescaling", R"({"scale": 0.00392156862745098, "offset": -1})", "[3]"), Shape{1, 3}, xs,
                               {1.0f, 2.0f, 3.0f});
        for (std::size_t i = 0; i < 3; ++i) {
            QVERIFY(std::abs(r.y[i] - (xs[i] / 255.0 - 1.0)) <= 1e-6);
            QVERIFY(std::abs(r.dx[i] - double(i + 1) / 255.0) <= 1e-7);
        }
        const Run p = runModel(oneLayer("PReLU", "{}", "[3]"), Shape{1, 3}, xs, {1.0f, 1.0f, 1.0f});
        QCOMPARE(p.y, (std::vector<float>{0.0f, 0.5f, 255.0f}));
    }
};

QTEST_APPLESS_MAIN(TestActivationLayers)
#include "tst_activation_layers.moc"
