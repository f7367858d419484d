// Embedding, SimpleRNN, LSTM, GRU and Bidirectional: Keras' parameter counts and output shapes,
// config errors naming the key, and what the engine computes against a float64 re-derivation of
// Keras' cell equations written here, loop by loop (every gate order, reset_after both ways,
// go_backwards, return_sequences, every merge mode). Values and gradients through time against
// PyTorch: tst_golden (recurrent_*); the registry walk (tst_layer_calls) differentiates each.
#include "engine/Error.h"
#include "engine/Model.h"
#include "engine/ShapeInference.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/train/Inference.h"

#include "tests/support/WaveVariables.h"

#include <QtTest>

#include <cmath>
#include <map>

using namespace strata;
using nlohmann::json;

namespace {

json oneLayer(const std::string& type, const json& config, const json& shape, const std::string& dtype = "float32") {
    return {{"format", "strata.model/1"}, {"name", "m"}, {"inputs", {"x"}}, {"outputs", {"l"}},
            {"layers", {{{"name", "x"}, {"type", "Input"}, {"config", {{"shape", shape}, {"dtype", dtype}}}},
                        {{"name", "l"}, {"type", type}, {"config", config}, {"inbound", {"x"}}}}}};
}

const LayerInference& layerOf(const InferenceResult& r) {
    if (!r.ok()) throw StrataError(r.issues.front().text());
    return r.layers.at(1);
}

int64_t paramsOf(const std::string& type, const json& config, const json& shape) {
    return layerOf(ShapeInference::run(ModelSpec::fromJson(oneLayer(type, config, shape)))).params.trainable;
}

std::string errorOf(const std::string& type, const json& config, const json& shape) {
    try {
        const InferenceResult r = ShapeInference::run(ModelSpec::fromJson(oneLayer(type, config, shape)));
        return r.ok() ? std::string("(no error)") : r.issues.front().text();
    } catch (const StrataError& e) {
        return e.what();
    }
}

using Mat = std::vector<double>; // row-major

double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

// Keras' cells in float64. x: steps x features of one sample; kernel features x (g * u), recurrent
// u x (g * u), bias (g * u) or, for GRU with reset_after, 2 x (g * u). Returns each step's state,
// in the order taken.
std::vector<Mat> reference(const std::string& type, bool resetAfter, bool backwards, const Mat& x, int64_t steps,
                           int64_t features, int64_t u, const Mat& kernel, const Mat& recurrent, const Mat& bias) {
    const int64_t g = type == "LSTM" ? 4 : type == "GRU" ? 3 : 1, w = g * u;
    Mat h(std::size_t(u), 0.0), c(std::size_t(u), 0.0);
    std::vector<Mat> out;
    for (int64_t k = 0; k < steps; ++k) {
        const int64_t t = backwards ? steps - 1 - k : k;
        Mat xw(std::size_t(w), 0.0), hu(std::size_t(w), 0.0);
        for (int64_t j = 0; j < w; ++j) {
            xw[j] = bias.empty() ? 0.0 : bias[std::size_t(j)];
            for (int64_t f = 0; f < features; ++f) xw[j] += x[std::size_t(t * features + f)] * kernel[std::size_t(f * w + j)];
            hu[j] = resetAfter && !bias.empty() ? bias[std::size_t(w + j)] : 0.0;
            for (int64_t i = 0; i < u; ++i) hu[j] += h[std::size_t(i)] * recurrent[std::size_t(i * w + j)];
        }
        Mat next(std::size_t(u), 0.0), r(std::size_t(u), 0.0);
        if (g == 3)
            for (int64_t j = 0; j < u; ++j) r[j] = sigmoid(xw[u + j] + hu[u + j]); // GRU's reset gate
        for (int64_t j = 0; j < u; ++j) {
            if (type == "SimpleRNN") {
                next[j] = std::tanh(xw[j] + hu[j]);
            } else if (type == "LSTM") {
                const double i = sigmoid(xw[j] + hu[j]), f = sigmoid(xw[u + j] + hu[u + j]);
                const double cc = std::tanh(xw[2 * u + j] + hu[2 * u + j]), o = sigmoid(xw[3 * u + j] + hu[3 * u + j]);
                c[j] = f * c[j] + i * cc;
                next[j] = o * std::tanh(c[j]);
            } else {
                const double z = sigmoid(xw[j] + hu[j]);
                double cand;
                if (resetAfter) {
                    cand = std::tanh(xw[2 * u + j] + r[j] * hu[2 * u + j]);
                } else { // (r * h) times the candidate's recurrent kernel
                    double rh = 0;
                    for (int64_t i = 0; i < u; ++i) rh += r[i] * h[std::size_t(i)] * recurrent[std::size_t(i * w + 2 * u + j)];
                    cand = std::tanh(xw[2 * u + j] + rh);
                }
                next[j] = z * h[j] + (1 - z) * cand;
            }
        }
        h = next;
        out.push_back(h);
    }
    return out;
}

// A deterministic, varied value for element i of a variable or input.
using test::wave;

// Runs a one-layer model of `type` on one sample, its variables set to waves, and compares with
// the float64 reference: the forward and (Bidirectional) backward copies, merged.
void checkAgainstReference(const std::string& type, const json& config, int64_t steps, int64_t features) {
    auto m = Model::fromSpec(ModelSpec::fromJson(oneLayer(type, config, {steps, features})));
    m->build(1);
    const std::map<std::string, Mat> values = test::setWaveVariables(*m);
    Mat x(std::size_t(steps * features));
    std::vector<float> xf(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) xf[i] = float(wave(i, 2.0)), x[i] = xf[i];
    cpu::CpuBackend be;
    const Tensor y = train::runModel(*m, be, {Tensor::fromVector(Shape{1, steps, features}, xf)}, 1).at(0);

    const json inner = type == "Bidirectional" ? config["layer"]["config"] : config;
    const std::string cell = type == "Bidirectional" ? config["layer"]["type"].get<std::string>() : type;
    const int64_t u = inner["units"].get<int64_t>();
    const bool resetAfter = cell == "GRU" && inner.value("reset_after", true);
    const bool sequences = inner.value("return_sequences", false), backwards = inner.value("go_backwards", false);
    auto states = [&](const std::string& prefix, bool back) {
        return reference(cell, resetAfter, back, x, steps, features, u, values.at(prefix + "/kernel"),
                         values.at(prefix + "/recurrent_kernel"), values.count(prefix + "/bias") ? values.at(prefix + "/bias") : Mat{});
    };
    Mat want;
    if (type == "Bidirectional") {
        const std::string name = std::string("model/l/") + (cell == "SimpleRNN" ? "forward_simple_rnn" : cell == "LSTM" ? "forward_lstm" : "forward_gru");
        const std::vector<Mat> f = states(name, backwards), b = states("model/l/backward_" + name.substr(16), !backwards);
        const std::string mode = config.value("merge_mode", "concat");
        auto merge = [&](const Mat& a, const Mat& c) {
            if (mode == "concat") {
                Mat r = a;
                r.insert(r.end(), c.begin(), c.end());
                return r;
            }
            Mat r(a.size());
            for (std::size_t i = 0; i < a.size(); ++i)
                r[i] = mode == "sum" ? a[i] + c[i] : mode == "mul" ? a[i] * c[i] : 0.5 * (a[i] + c[i]);
            return r;
        };
        if (sequences)
            for (int64_t t = 0; t < steps; ++t) {
                const Mat r = merge(f[std::size_t(t)], b[std::size_t(steps - 1 - t)]);
                want.insert(want.end(), r.begin(), r.end());
            }
        else
            want = merge(f.back(), b.back());
    } else {
        const std::vector<Mat> s = states("model/l", backwards);
        if (sequences)
            for (const Mat& h : s) want.insert(want.end(), h.begin(), h.end());
        else
            want = s.back();
    }
    QCOMPARE(y.size(), int64_t(want.size()));
    for (std::size_t i = 0; i < want.size(); ++i)
        QVERIFY2(std::abs(double(y.f32()[i]) - want[i]) < 2e-5,
                 qPrintable(QString("%1 %2: element %3 is %4, want %5").arg(QString::fromStdString(type),
                            QString::fromStdString(config.dump())).arg(i).arg(y.f32()[i]).arg(want[i])));
}

} // namespace

class TestRecurrentLayers : public QObject {
    Q_OBJECT
private slots:
    void parameterCountsAreKeras() {
        // The issue's figures, as Keras counts them.
        QCOMPARE(paramsOf("LSTM", {{"units", 48}}, {10, 32}), int64_t(15552));
        QCOMPARE(paramsOf("GRU", {{"units", 48}, {"reset_after", true}}, {10, 32}), int64_t(11808));
        QCOMPARE(paramsOf("GRU", {{"units", 48}, {"reset_after", false}}, {10, 32}), int64_t(11664));
        QCOMPARE(paramsOf("SimpleRNN", {{"units", 48}}, {10, 32}), int64_t(3888));
        QCOMPARE(paramsOf("Embedding", {{"input_dim", 1000}, {"output_dim", 32}}, {10}), int64_t(32000));
        QCOMPARE(paramsOf("Bidirectional", {{"layer", {{"type", "LSTM"}, {"config", {{"units", 48}}}}}}, {10, 32}), int64_t(31104));
        QCOMPARE(paramsOf("LSTM", {{"units", 48}, {"use_bias", false}}, {10, 32}), int64_t(15360));
    }

    void outputShapesAreKeras() {
        auto shapeOf = [](const std::string& type, const json& config, const json& in, const std::string& dtype = "float32") {
            return layerOf(ShapeInference::run(ModelSpec::fromJson(oneLayer(type, config, in, dtype)))).outputShape->toString();
        };
        QCOMPARE(shapeOf("LSTM", {{"units", 5}}, {7, 3}), std::string("(None, 5)"));
        QCOMPARE(shapeOf("GRU", {{"units", 5}, {"return_sequences", true}}, {7, 3}), std::string("(None, 7, 5)"));
        QCOMPARE(shapeOf("SimpleRNN", {{"units", 5}, {"return_sequences", true}}, {nullptr, 3}), std::string("(None, None, 5)"));
        QCOMPARE(shapeOf("Bidirectional", {{"layer", {{"type", "GRU"}, {"config", {{"units", 5}, {"return_sequences", true}}}}}}, {7, 3}),
                 std::string("(None, 7, 10)"));
        QCOMPARE(shapeOf("Bidirectional", {{"layer", {{"type", "LSTM"}, {"config", {{"units", 5}}}}}, {"merge_mode", "sum"}}, {7, 3}),
                 std::string("(None, 5)"));
        QCOMPARE(shapeOf("Embedding", {{"input_dim", 10}, {"output_dim", 4}}, {6}, "int32"), std::string("(None, 6, 4)"));
    }

    void configErrorsNameTheKey() {
        QVERIFY(errorOf("LSTM", {{"units", 0}}, {4, 2}).find("units") != std::string::npos);
        QVERIFY(errorOf("GRU", {{"recurrent_activation", "sofmax"}}, {4, 2}).find("recurrent_activation") != std::string::npos);
        QVERIFY(errorOf("LSTM", {{"units", 4}}, {4}).find("3D input") != std::string::npos);
        QVERIFY(errorOf("SimpleRNN", {{"units", 4}}, {0, 2}).find("at least one step") != std::string::npos);
        const std::string wrapsDense = errorOf("Bidirectional", {{"layer", {{"type", "Dense"}, {"config", json::object()}}}}, {4, 2});
        QVERIFY2(wrapsDense.find("layer") != std::string::npos && wrapsDense.find("SimpleRNN, LSTM or GRU") != std::string::npos,
                 wrapsDense.c_str());
        const std::string innerError = errorOf("Bidirectional", {{"layer", {{"type", "GRU"}, {"config", {{"units", -3}}}}}}, {4, 2});
        QVERIFY2(innerError.find("units") != std::string::npos, innerError.c_str());
        QVERIFY(errorOf("Bidirectional", {{"merge_mode", "max"}}, {4, 2}).find("merge_mode") != std::string::npos);
        // mask_zero needs room for the padding id 0 (Keras: input_dim = vocabulary + 1).
        const std::string mask = errorOf("Embedding", {{"input_dim", 1}, {"output_dim", 4}, {"mask_zero", true}}, {6});
        QVERIFY2(mask.find("input_dim") != std::string::npos && mask.find("mask_zero") != std::string::npos, mask.c_str());
    }

    void cellsMatchKerasEquations_data() {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("config");
        QTest::newRow("SimpleRNN") << "SimpleRNN" << R"({"units": 3})";
        QTest::newRow("SimpleRNN sequences backwards") << "SimpleRNN" << R"({"units": 3, "return_sequences": true, "go_backwards": true})";
        QTest::newRow("LSTM") << "LSTM" << R"({"units": 4})";
        QTest::newRow("LSTM sequences no bias") << "LSTM" << R"({"units": 3, "return_sequences": true, "use_bias": false})";
        QTest::newRow("LSTM backwards") << "LSTM" << R"({"units": 2, "go_backwards": true, "return_sequences": true})";
        QTest::newRow("GRU reset_after") << "GRU" << R"({"units": 3, "return_sequences": true})";
        QTest::newRow("GRU reset_before") << "GRU" << R"({"units": 3, "reset_after": false, "return_sequences": true})";
        QTest::newRow("GRU backwards") << "GRU" << R"({"units": 4, "go_backwards": true})";
        QTest::newRow("Bidirectional LSTM concat") << "Bidirectional" << R"({"layer": {"type": "LSTM", "config": {"units": 3}}})";
        QTest::newRow("Bidirectional GRU sequences sum")
            << "Bidirectional" << R"({"layer": {"type": "GRU", "config": {"units": 2, "return_sequences": true}}, "merge_mode": "sum"})";
        QTest::newRow("Bidirectional RNN sequences mul")
            << "Bidirectional" << R"({"layer": {"type": "SimpleRNN", "config": {"units": 2, "return_sequences": true}}, "merge_mode": "mul"})";
        QTest::newRow("Bidirectional LSTM ave backwards")
            << "Bidirectional" << R"({"layer": {"type": "LSTM", "config": {"units": 2, "go_backwards": true, "return_sequences": true}}, "merge_mode": "ave"})";
    }

    void cellsMatchKerasEquations() {
        QFETCH(QString, type);
        QFETCH(QString, config);
        checkAgainstReference(type.toStdString(), json::parse(config.toStdString()), 5, 3);
    }

    void lstmForgetBiasStartsAtOne() {
        auto m = Model::fromSpec(ModelSpec::fromJson(oneLayer("LSTM", {{"units", 3}}, {4, 2})));
        m->build(7);
        const Variable* bias = m->findVariable("l/bias");
        QVERIFY(bias);
        const std::vector<float> want{0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0};
        QCOMPARE(std::vector<float>(bias->value().f32(), bias->value().f32() + 12), want);
        auto off = Model::fromSpec(ModelSpec::fromJson(oneLayer("LSTM", {{"units", 3}, {"unit_forget_bias", false}}, {4, 2})));
        off->build(7);
        QCOMPARE(off->findVariable("l/bias")->value().f32()[4], 0.0f);
    }

    void recurrentKernelIsOrthogonal() {
        auto m = Model::fromSpec(ModelSpec::fromJson(oneLayer("GRU", {{"units", 6}}, {4, 2})));
        m->build(3);
        const Tensor& u = m->findVariable("l/recurrent_kernel")->value(); // 6 x 18: orthonormal rows
        for (int a = 0; a < 6; ++a)
            for (int b = 0; b < 6; ++b) {
                double dot = 0;
                for (int j = 0; j < 18; ++j) dot += double(u.f32()[a * 18 + j]) * u.f32()[b * 18 + j];
                QVERIFY2(std::abs(dot - (a == b ? 1.0 : 0.0)) < 1e-5, qPrintable(QString("rows %1, %2: %3").arg(a).arg(b).arg(dot)));
            }
    }

    void embeddingLooksUpRows() {
        try {
            embeddingLookups();
        } catch (const std::exception& e) {
            QFAIL(e.what());
        }
    }

private:
    void embeddingLookups() {
        auto m = Model::fromSpec(ModelSpec::fromJson(oneLayer("Embedding", {{"input_dim", 4}, {"output_dim", 2}}, {5}, "int32")));
        m->build(1);
        m->variables()[0]->assign(Tensor::fromVector(Shape{4, 2}, std::vector<float>{0, 1, 10, 11, 20, 21, 30, 31}));
        cpu::CpuBackend be;
        const Tensor y =
            train::runModel(*m, be, {Tensor::fromVector(Shape{1, 5}, std::vector<int32_t>{3, 0, 2, 1, 3})}, 1).at(0);
        const std::vector<float> want{30, 31, 0, 1, 20, 21, 10, 11, 30, 31};
        QCOMPARE(std::vector<float>(y.f32(), y.f32() + y.size()), want);
        // An id outside [0, input_dim) is an error naming it.
        try {
            train::runModel(*m, be, {Tensor::fromVector(Shape{1, 5}, std::vector<int32_t>{3, 0, 2, 9, 1})}, 1);
            QFAIL("an id of 9 for input_dim 4 was looked up");
        } catch (const StrataError& e) {
            QVERIFY2(std::string(e.what()).find("9") != std::string::npos, e.what());
        }
        // A float column is cast to ids as Keras casts it.
        auto f = Model::fromSpec(ModelSpec::fromJson(oneLayer("Embedding", {{"input_dim", 4}, {"output_dim", 2}}, {2})));
        f->build(1);
        f->variables()[0]->assign(Tensor::fromVector(Shape{4, 2}, std::vector<float>{0, 1, 10, 11, 20, 21, 30, 31}));
        const Tensor yf = train::runModel(*f, be, {Tensor::fromVector(Shape{1, 2}, std::vector<float>{1.0f, 3.0f})}, 1).at(0);
        QCOMPARE(std::vector<float>(yf.f32(), yf.f32() + yf.size()), (std::vector<float>{10, 11, 30, 31}));
    }
};

QTEST_APPLESS_MAIN(TestRecurrentLayers)
#include "tst_recurrent_layers.moc"
