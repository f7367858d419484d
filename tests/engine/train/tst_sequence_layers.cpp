// Conv1D, MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D and GlobalMaxPooling1D: Keras'
// output shapes and parameter counts, config errors naming the key, and what the engine computes
// for hand-made kernels (a causal output never reads a later step; "same" puts the odd pad at the
// end; pools clip their windows). Values and gradients against PyTorch: tst_golden
// (sequence_conv1d); against onnxruntime and PyTorch code: tests/storage.
#include "engine/Error.h"
#include "engine/Model.h"
#include "engine/ShapeInference.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/train/Inference.h"

#include <QtTest>

using namespace strata;
using nlohmann::json;

namespace {

json oneLayer(const std::string& type, const json& config, const json& shape) {
    return {{"format", "strata.model/1"}, {"name", "m"}, {"inputs", {"x"}}, {"outputs", {"l"}},
            {"layers", {{{"name", "x"}, {"type", "Input"}, {"config", {{"shape", shape}}}},
                        {{"name", "l"}, {"type", type}, {"config", config}, {"inbound", {"x"}}}}}};
}

const LayerInference& layerOf(const InferenceResult& r) {
    if (!r.ok()) throw StrataError(r.issues.front().text());
    return r.layers.at(1);
}

Shape shapeOf(const std::string& type, const json& config, const json& shape) {
    return *layerOf(ShapeInference::run(ModelSpec::fromJson(oneLayer(type, config, shape)))).outputShape;
}

std::string errorOf(const std::string& type, const json& config, const json& shape) {
    const InferenceResult r = ShapeInference::run(ModelSpec::fromJson(oneLayer(type, config, shape)));
    return r.ok() ? std::string("(no error)") : r.issues.front().text();
}

// The layer's output for one sample `x` (steps x channels, row-major), its kernel and bias set.
std::vector<float> run(const std::string& type, const json& config, int64_t steps, int64_t channels, const std::vector<float>& x,
                       const std::vector<float>& kernel = {}, const std::vector<float>& bias = {}) {
    auto m = Model::fromSpec(ModelSpec::fromJson(oneLayer(type, config, {steps, channels})));
    m->build(1);
    for (Variable* v : m->variables()) {
        const std::vector<float>& values = v->name() == "kernel" ? kernel : bias;
        v->assign(Tensor::fromVector(v->value().shape(), values));
    }
    cpu::CpuBackend be;
    const Tensor y = train::runModel(*m, be, {Tensor::fromVector(Shape{1, steps, channels}, x)}, 1).at(0);
    return std::vector<float>(y.f32(), y.f32() + y.size());
}

// Element-wise within float rounding (a mean is a sum times 1/n).
bool near(const std::vector<float>& got, const std::vector<float>& want) {
    if (got.size() != want.size()) return false;
    for (std::size_t i = 0; i < got.size(); ++i)
        if (std::abs(got[i] - want[i]) > 1e-5f * (1 + std::abs(want[i]))) return false;
    return true;
}

} // namespace

class TestSequenceLayers : public QObject {
    Q_OBJECT
private slots:
    void conv1dParameterCountIsKeras() {
        // Keras: Conv1D(16, 5) on 4 channels has 5 * 4 * 16 + 16 = 336 parameters
        const InferenceResult r = ShapeInference::run(ModelSpec::fromJson(oneLayer("Conv1D", {{"filters", 16}, {"kernel_size", 5}}, {20, 4})));
        QCOMPARE(layerOf(r).params.trainable, int64_t(336));
        QCOMPARE(*layerOf(r).outputShape, (Shape{kUnknownDim, 16, 16}));
        const InferenceResult noBias =
            ShapeInference::run(ModelSpec::fromJson(oneLayer("Conv1D", {{"filters", 16}, {"kernel_size", 5}, {"use_bias", false}}, {20, 4})));
        QCOMPARE(layerOf(noBias).params.trainable, int64_t(320));
    }

    void outputLengthsAreKeras_data() {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("config");
        QTest::addColumn<int>("in");
        QTest::addColumn<int>("out");
        QTest::newRow("conv valid") << "Conv1D" << R"({"filters": 2, "kernel_size": 3})" << 10 << 8;
        QTest::newRow("conv valid dilated") << "Conv1D" << R"({"filters": 2, "kernel_size": 3, "dilation_rate": 3})" << 10 << 4;
        QTest::newRow("conv same strided") << "Conv1D" << R"({"filters": 2, "kernel_size": 4, "strides": 3, "padding": "same"})" << 10 << 4;
        QTest::newRow("conv causal dilated") << "Conv1D" << R"({"filters": 2, "kernel_size": 3, "dilation_rate": 4, "padding": "causal"})" << 5 << 5;
        QTest::newRow("conv causal strided") << "Conv1D" << R"({"filters": 2, "kernel_size": 3, "strides": 2, "padding": "causal"})" << 7 << 4;
        QTest::newRow("conv kernel as a list") << "Conv1D" << R"({"filters": 2, "kernel_size": [5], "strides": [2]})" << 10 << 3;
        QTest::newRow("max valid") << "MaxPooling1D" << R"({})" << 7 << 3;
        QTest::newRow("max same") << "MaxPooling1D" << R"({"pool_size": 3, "strides": 2, "padding": "same"})" << 7 << 4;
        QTest::newRow("average valid strided") << "AveragePooling1D" << R"({"pool_size": 3, "strides": 1})" << 7 << 5;
        QTest::newRow("average same") << "AveragePooling1D" << R"({"pool_size": 2, "padding": "same"})" << 7 << 4;
    }
    void outputLengthsAreKeras() {
        QFETCH(QString, type);
        QFETCH(QString, config);
        QFETCH(int, in);
        QFETCH(int, out);
        const Shape s = shapeOf(type.toStdString(), json::parse(config.toStdString()), {in, 3});
        QCOMPARE(s, (Shape{kUnknownDim, out, type == "Conv1D" ? 2 : 3}));
    }

    void globalPoolsDropTheSteps() {
        for (const char* type : {"GlobalAveragePooling1D", "GlobalMaxPooling1D"}) {
            QCOMPARE(shapeOf(type, json::object(), {7, 5}), (Shape{kUnknownDim, 5}));
            QCOMPARE(shapeOf(type, {{"keepdims", true}}, {7, 5}), (Shape{kUnknownDim, 1, 5}));
            QCOMPARE(shapeOf(type, json::object(), {nullptr, 5}), (Shape{kUnknownDim, 5}));
        }
    }

    void badConfigsAndShapesNameTheProblem() {
        QVERIFY(errorOf("Conv1D", {{"padding", "full"}}, {8, 2}).find("padding") != std::string::npos);
        QVERIFY(errorOf("Conv1D", {{"kernel_size", {3, 3}}}, {8, 2}).find("kernel_size") != std::string::npos);
        QVERIFY(errorOf("Conv1D", {{"strides", 2}, {"dilation_rate", 2}}, {8, 2}).find("dilation_rate") != std::string::npos);
        QVERIFY(errorOf("Conv1D", {{"kernel_size", 9}}, {8, 2}).find("does not fit") != std::string::npos);
        QVERIFY(errorOf("MaxPooling1D", {{"padding", "causal"}}, {8, 2}).find("padding") != std::string::npos);
        QVERIFY(errorOf("Conv1D", json::object(), {8, 8, 2}).find("(batch, steps, channels)") != std::string::npos);
        QVERIFY(errorOf("GlobalMaxPooling1D", json::object(), {8}).find("(batch, steps, channels)") != std::string::npos);
    }

    // Kernel (3 taps, 1 channel, 1 filter) = [1, 10, 100], dilation 2: output t reads x[t-4], x[t-2], x[t].
    void causalOutputsReadOnlyEarlierSteps() {
        const std::vector<float> x = {1, 2, 3, 4, 5, 6};
        const std::vector<float> y = run("Conv1D", {{"filters", 1}, {"kernel_size", 3}, {"dilation_rate", 2}, {"padding", "causal"}}, 6, 1, x,
                                         {1, 10, 100}, {0.5f});
        const std::vector<float> want = {100.5f, 200.5f, 310.5f, 420.5f, 531.5f, 642.5f};
        QCOMPARE(y, want);
        std::vector<float> later = x;
        later[5] = -7; // only the last output reads the last step
        const std::vector<float> y2 = run("Conv1D", {{"filters", 1}, {"kernel_size", 3}, {"dilation_rate", 2}, {"padding", "causal"}}, 6, 1, later,
                                          {1, 10, 100}, {0.5f});
        for (int t = 0; t < 5; ++t) QCOMPARE(y2[t], y[t]);
        QVERIFY(y2[5] != y[5]);
    }

    // kernel_size 4 on 5 steps, "same": 3 pads, 1 before and 2 after (TensorFlow's), so output 0
    // reads [pad, x0, x1, x2].
    void samePutsTheOddPadAtTheEnd() {
        const std::vector<float> y = run("Conv1D", {{"filters", 1}, {"kernel_size", 4}, {"padding", "same"}, {"use_bias", false}}, 5, 1,
                                         {1, 2, 3, 4, 5}, {1000, 100, 10, 1});
        const std::vector<float> want = {123, 1234, 2345, 3450, 4500};
        QCOMPARE(y, want);
    }

    // Channels stay apart: two channels, windows of 2 with stride 2 over 5 steps, "same" (3 outputs,
    // the last window holds one step and the average counts only it).
    void poolsClipTheirWindows() {
        const std::vector<float> x = {1, -1, 4, -4, 2, -2, 8, -8, 3, -3};
        QVERIFY(near(run("MaxPooling1D", {{"padding", "same"}}, 5, 2, x), (std::vector<float>{4, -1, 8, -2, 3, -3})));
        QVERIFY(near(run("AveragePooling1D", {{"padding", "same"}}, 5, 2, x), (std::vector<float>{2.5f, -2.5f, 5, -5, 3, -3})));
        QVERIFY(near(run("GlobalMaxPooling1D", json::object(), 5, 2, x), (std::vector<float>{8, -1})));
        QVERIFY(near(run("GlobalAveragePooling1D", json::object(), 5, 2, x), (std::vector<float>{3.6f, -3.6f})));
    }

    void conv1dMixesChannels() {
        // 2 steps, 2 channels, kernel_size 1, 3 filters: a per-step matrix product
        const std::vector<float> y = run("Conv1D", {{"filters", 3}, {"kernel_size", 1}}, 2, 2, {1, 2, 3, 4}, {1, 2, 3, 4, 5, 6}, {0, 0, 1});
        QCOMPARE(y, (std::vector<float>{9, 12, 16, 19, 26, 34}));
    }
};

QTEST_APPLESS_MAIN(TestSequenceLayers)
#include "tst_sequence_layers.moc"
