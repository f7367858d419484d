// train::runModel, the engine's one predict path: outputs of a model whose input has unknown
// spatial dimensions take their shape from the traced graph, batches agree with one whole run,
// and inputs of the wrong dtype or sample count are named.
#include "engine/Error.h"
#include "engine/Model.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/train/Inference.h"

#include <QtTest>

#include <cmath>

using namespace strata;

namespace {
std::unique_ptr<Model> convModel() {
    auto m = Model::fromSpec(ModelSpec::fromJson(nlohmann::json::parse(R"({"format": "strata.model/1", "name": "m",
        "layers": [{"name": "img", "type": "Input", "config": {"shape": [null, null, 2]}},
                   {"name": "conv", "type": "Conv2D", "config": {"filters": 3, "kernel_size": 3, "padding": "same", "activation": "relu"}},
                   {"name": "up", "type": "Conv2DTranspose", "config": {"filters": 1, "kernel_size": 2, "strides": 2}}]})")));
    m->build(4);
    return m;
}

Tensor images(int64_t n) {
    std::vector<float> v(std::size_t(n * 5 * 4 * 2));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::cos(0.37f * float(i));
    return Tensor::fromVector(Shape{n, 5, 4, 2}, v);
}
} // namespace

class TestInference : public QObject {
    Q_OBJECT
private slots:
    void unknownSpatialSizesTakeTheTracedShape() {
        auto m = convModel();
        cpu::CpuBackend be;
        const Tensor x = images(5);
        const std::vector<Tensor> whole = train::runModel(*m, be, {x}, 5);
        QCOMPARE(whole.size(), std::size_t(1));
        QCOMPARE(whole[0].shape(), (Shape{5, 10, 8, 1}));
        const std::vector<Tensor> batched = train::runModel(*m, be, {x}, 2); // batches of 2, 2 and 1
        QCOMPARE(batched[0].shape(), whole[0].shape());
        for (int64_t i = 0; i < whole[0].shape().numElements(); ++i)
            QVERIFY2(std::abs(batched[0].f32()[i] - whole[0].f32()[i]) <= 1e-6f, qPrintable(QString::number(i)));
    }

    void noSamplesGiveEmptyOutputs() {
        auto m = convModel();
        cpu::CpuBackend be;
        const std::vector<Tensor> out = train::runModel(*m, be, {Tensor(Shape{0, 5, 4, 2})}, 8);
        QCOMPARE(out.at(0).shape().dims()[0], int64_t(0));
    }

    void wrongInputsAreNamed() {
        auto m = convModel();
        cpu::CpuBackend be;
        try {
            train::runModel(*m, be, {Tensor::fromVector(Shape{1, 1, 1, 2}, std::vector<int32_t>{1, 2})}, 1);
            QFAIL("an int32 input was run");
        } catch (const StrataError& e) {
            QCOMPARE(QString(e.what()), QString("input 'img' must be float32, got int32"));
        }
        try {
            train::runModel(*m, be, {x0(), x0()}, 1);
            QFAIL("two inputs were run");
        } catch (const StrataError& e) {
            QVERIFY2(QString(e.what()).contains("takes 1 inputs, given 2"), e.what());
        }
    }

private:
    static Tensor x0() { return images(1); }
};

QTEST_APPLESS_MAIN(TestInference)
#include "tst_inference.moc"
