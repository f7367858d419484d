// The registry walk for `Layer::call`: every registered layer type, built from its row in
// tests/support/LayerExamples.h, is traced by the tracer (which only calls layers) in inference
// and training, runs on the CPU backend with the shape its shape rule gives, and is
// differentiable with respect to its inputs and trainable variables.
#include "engine/Error.h"
#include "engine/LayerRegistry.h"
#include "engine/Model.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/ir/Autodiff.h"
#include "engine/train/Tracer.h"
#include "tests/support/LayerExamples.h"

#include <QtTest>

#include <cmath>

using namespace strata;

class TestLayerCalls : public QObject {
    Q_OBJECT
private slots:
    void everyRegisteredTypeHasAnExample() {
        for (const LayerTypeInfo& t : LayerRegistry::instance().types())
            QVERIFY2(test::layerExamples().count(t.type), qPrintable("layer type " + QString::fromStdString(t.type) +
                                                                      " has no row in tests/support/LayerExamples.h"));
    }

    void everyTypeCallsItself_data() {
        QTest::addColumn<QString>("type");
        QTest::addColumn<bool>("training");
        for (const LayerTypeInfo& t : LayerRegistry::instance().types())
            for (bool training : {false, true})
                QTest::newRow((t.type + (training ? " training" : " inference")).c_str()) << QString::fromStdString(t.type) << training;
    }

    void everyTypeCallsItself() {
        QFETCH(QString, type);
        QFETCH(bool, training);
        if (!test::layerExamples().count(type.toStdString())) QFAIL("no example (see everyRegisteredTypeHasAnExample)");
        auto model = Model::fromSpec(test::layerExampleSpec(type.toStdString()));
        model->build(1);
        const int64_t batch = 3;
        train::Signature sig{{}, training};
        for (int i : model->inputIndices()) sig.inputs.push_back(model->outputShape(i).withoutFirst().prepended(batch));
        train::TracedModel t = train::traceModel(*model, sig, 5);
        ir::Graph& g = t.graph;
        const Shape expected = model->outputShape(model->outputIndices()[0]).withoutFirst().prepended(batch);
        QCOMPARE(g.shape(t.outputs[0]).toString(), expected.toString());

        // d sum(y * w) / d (inputs and trainable variables): the call is made of differentiable ops.
        std::vector<ir::ValueId> wrt;
        for (const std::string& name : t.inputNames) wrt.push_back(g.findPlaceholder(name));
        for (const Variable* v : model->variables())
            if (v->isEffectivelyTrainable()) wrt.push_back(g.findVariable(v->path()));
        std::vector<float> weights(std::size_t(expected.numElements()));
        for (std::size_t i = 0; i < weights.size(); ++i) weights[i] = 0.5f + 0.25f * float(i % 5);
        const ir::ValueId loss = g.reduceSumAll(g.mul(t.outputs[0], g.constant(Tensor::fromVector(expected, weights))));
        std::vector<ir::ValueId> fetch = {t.outputs[0]};
        if (type != "Input") {
            const auto grads = ir::gradients(g, loss, wrt);
            for (std::size_t k = 0; k < grads.size(); ++k) {
                // Token ids have no gradient (Keras' is None): Embedding casts its input to int32.
                // PositionEmbedding reads only its input's shape (Keras-NLP's gradient is None too).
                if (grads[k] == ir::kNoValue && k < t.inputNames.size() && (type == "Embedding" || type == "PositionEmbedding")) continue;
                QVERIFY2(grads[k] != ir::kNoValue, qPrintable(type + ": no gradient for input or variable " + QString::number(k)));
                fetch.push_back(grads[k]);
            }
        }

        cpu::CpuBackend be;
        for (const Variable* v : model->variables()) be.setVariable(v->path(), v->value());
        be.setVariable("optimizer/iter", Tensor::fromVector(Shape{}, std::vector<int32_t>{0}));
        auto plan = be.prepare(g, fetch);
        std::vector<Tensor> xs;
        std::vector<ir::Feed> feeds;
        for (std::size_t k = 0; k < sig.inputs.size(); ++k) {
            std::vector<float> v(std::size_t(sig.inputs[k].numElements()));
            for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(float(i) * 0.7f + float(k));
            xs.push_back(Tensor::fromVector(sig.inputs[k], v));
        }
        for (std::size_t k = 0; k < xs.size(); ++k) feeds.push_back({t.inputNames[k], ir::TensorView(xs[k])});
        const std::vector<Tensor> out = be.run(*plan, feeds);
        QCOMPARE(out.size(), fetch.size());
        QCOMPARE(out[0].shape().toString(), expected.toString());
        for (const Tensor& r : out)
            for (int64_t i = 0; i < r.shape().numElements(); ++i)
                QVERIFY2(std::isfinite(r.f32()[i]), qPrintable(type + ": a non-finite value or gradient"));
    }

    void aCallErrorNamesTheLayer() {
        // BatchNormalization over an axis other than the last traces to an error naming the layer.
        const auto spec = ModelSpec::fromJson(nlohmann::json::parse(R"({"format": "strata.model/1", "name": "m",
            "layers": [{"name": "x", "type": "Input", "config": {"shape": [2, 3]}},
                       {"name": "bn_axis1", "type": "BatchNormalization", "config": {"axis": 1}}]})"));
        auto model = Model::fromSpec(spec);
        model->build(0);
        try {
            train::traceModel(*model, {{Shape{2, 2, 3}}, false}, 0);
            QFAIL("traced");
        } catch (const StrataError& e) {
            QVERIFY2(std::string(e.what()).rfind("layer 'bn_axis1'", 0) == 0, e.what());
        }
    }

    void blockErrorsNameTheInnerLayer() {
        const auto spec = ModelSpec::fromJson(nlohmann::json::parse(R"({"format": "strata.model/1", "name": "m",
            "layers": [{"name": "x", "type": "Input", "config": {"shape": [2, 3]}},
                       {"name": "enc", "type": "Block", "config": {"spec": {"inputs": ["i"], "outputs": ["bn"], "layers": [
                           {"name": "i", "type": "Input", "config": {"shape": [2, 3]}},
                           {"name": "bn", "type": "LayerNormalization", "config": {"axis": 1}}]}}}]})"));
        auto model = Model::fromSpec(spec);
        model->build(0);
        try {
            train::traceModel(*model, {{Shape{2, 2, 3}}, true}, 0);
            QFAIL("traced");
        } catch (const StrataError& e) {
            QVERIFY2(std::string(e.what()).rfind("layer 'bn'", 0) == 0, e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestLayerCalls)
#include "tst_layer_calls.moc"
