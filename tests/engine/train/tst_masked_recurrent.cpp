// Masks from Embedding(mask_zero) into SimpleRNN, LSTM, GRU and Bidirectional, against a float64
// re-derivation of Keras 3's masked recurrence written here (keras/src/backend/*/rnn.py: at a
// masked step every state keeps its value and the output repeats the previous one, or is 0 in a
// Bidirectional that returns sequences, which forces zero_output_for_mask), with padding
// at the end, at the start and in the middle of a sample, and a sample that is all padding; the
// mask carried on by return_sequences into GlobalAveragePooling1D's masked mean; gradients of a
// whole Embedding(mask_zero) + LSTM model against finite differences; the mask_zero config rules.
#include "engine/Error.h"
#include "engine/Model.h"
#include "engine/ShapeInference.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/ir/Autodiff.h"
#include "engine/train/Inference.h"
#include "engine/train/Tracer.h"
#include "engine/train/Trainer.h"

#include "tests/support/WaveVariables.h"

#include <QtTest>

#include <cmath>
#include <map>

using namespace strata;
using nlohmann::json;

namespace {

using Mat = std::vector<double>;

constexpr int64_t kSteps = 5, kVocab = 6, kFeatures = 3;
// Padding at the end, at the start, in the middle, and everywhere.
const std::vector<int32_t> kIds{2, 4, 1, 0, 0, /**/ 0, 0, 3, 5, 2, /**/ 1, 0, 4, 0, 5, /**/ 0, 0, 0, 0, 0};

// ids (int32, kSteps) -> Embedding(kVocab, kFeatures, mask_zero) -> `layers` in a chain.
json maskedModel(const json& layers) {
    json all = {{{"name", "ids"}, {"type", "Input"}, {"config", {{"shape", {kSteps}}, {"dtype", "int32"}}}},
                {{"name", "embedding"}, {"type", "Embedding"},
                 {"config", {{"input_dim", kVocab}, {"output_dim", kFeatures}, {"mask_zero", true}}}}};
    for (const json& l : layers) all.push_back(l);
    return {{"format", "strata.model/1"}, {"name", "m"}, {"layers", all}};
}

using test::wave;
double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

std::map<std::string, Mat> setWaves(Model& m) { return test::setWaveVariables(m); }

Tensor run(const Model& m, int64_t batch) {
    cpu::CpuBackend be;
    const std::vector<int32_t> ids(kIds.begin(), kIds.begin() + batch * kSteps);
    return train::runModel(m, be, {Tensor::fromVector(Shape{batch, kSteps}, ids)}, batch).at(0);
}

struct Weights {
    Mat kernel, recurrent, bias;
};

// One step of Keras' cell in float64: h (and c for LSTM) from input row x.
void cell(const std::string& type, bool resetAfter, int64_t u, const double* x, const Weights& w, Mat& h, Mat& c) {
    const int64_t g = type == "LSTM" ? 4 : type == "GRU" ? 3 : 1, width = g * u;
    Mat xw(static_cast<std::size_t>(width)), hu(static_cast<std::size_t>(width));
    for (int64_t j = 0; j < width; ++j) {
        xw[j] = w.bias.empty() ? 0.0 : w.bias[std::size_t(j)];
        for (int64_t f = 0; f < kFeatures; ++f) xw[j] += x[f] * w.kernel[std::size_t(f * width + j)];
        hu[j] = resetAfter && !w.bias.empty() ? w.bias[std::size_t(width + j)] : 0.0;
        for (int64_t i = 0; i < u; ++i) hu[j] += h[std::size_t(i)] * w.recurrent[std::size_t(i * width + j)];
    }
    Mat next(static_cast<std::size_t>(u));
    for (int64_t j = 0; j < u; ++j) {
        if (type == "SimpleRNN") {
            next[j] = std::tanh(xw[j] + hu[j]);
        } else if (type == "LSTM") {
            const double i = sigmoid(xw[j] + hu[j]), f = sigmoid(xw[u + j] + hu[u + j]);
            c[j] = f * c[j] + i * std::tanh(xw[2 * u + j] + hu[2 * u + j]);
            next[j] = sigmoid(xw[3 * u + j] + hu[3 * u + j]) * std::tanh(c[j]);
        } else {
            const double z = sigmoid(xw[j] + hu[j]);
            double cand;
            if (resetAfter) {
                cand = std::tanh(xw[2 * u + j] + sigmoid(xw[u + j] + hu[u + j]) * hu[2 * u + j]);
            } else {
                double rh = 0;
                for (int64_t i = 0; i < u; ++i)
                    rh += sigmoid(xw[u + i] + hu[u + i]) * h[std::size_t(i)] * w.recurrent[std::size_t(i * width + 2 * u + j)];
                cand = std::tanh(xw[2 * u + j] + rh);
            }
            next[j] = z * h[j] + (1 - z) * cand;
        }
    }
    h = next;
}

// Keras' masked recurrence over sample n's embedded ids: each output in the order the steps are
// taken; a masked step keeps h and c, and its output is the previous output (0 before any).
std::vector<Mat> maskedStates(const std::string& type, bool resetAfter, bool backwards, int64_t u, int64_t n,
                              const Mat& table, const Weights& w) {
    Mat h(std::size_t(u), 0.0), c(std::size_t(u), 0.0);
    std::vector<Mat> out;
    for (int64_t k = 0; k < kSteps; ++k) {
        const int64_t t = backwards ? kSteps - 1 - k : k;
        const int32_t id = kIds[std::size_t(n * kSteps + t)];
        if (id != 0) cell(type, resetAfter, u, &table[std::size_t(id * kFeatures)], w, h, c);
        out.push_back(h);
    }
    return out;
}

Weights weightsOf(const std::map<std::string, Mat>& v, const std::string& prefix) {
    return {v.at(prefix + "/kernel"), v.at(prefix + "/recurrent_kernel"), v.count(prefix + "/bias") ? v.at(prefix + "/bias") : Mat{}};
}

// What a one-layer `type` with `config` after the masked Embedding gives for sample n.
Mat reference(const std::string& type, const json& config, const std::map<std::string, Mat>& v, int64_t n) {
    const json inner = type == "Bidirectional" ? config["layer"]["config"] : config;
    const std::string kind = type == "Bidirectional" ? config["layer"]["type"].get<std::string>() : type;
    const int64_t u = inner["units"].get<int64_t>();
    const bool resetAfter = kind == "GRU" && inner.value("reset_after", true);
    const bool sequences = inner.value("return_sequences", false), backwards = inner.value("go_backwards", false);
    const Mat& table = v.at("model/embedding/embeddings");
    Mat want;
    if (type != "Bidirectional") {
        const auto s = maskedStates(kind, resetAfter, backwards, u, n, table, weightsOf(v, "model/l"));
        if (!sequences) return s.back();
        for (const Mat& h : s) want.insert(want.end(), h.begin(), h.end());
        return want;
    }
    const std::string snake = kind == "SimpleRNN" ? "simple_rnn" : kind == "LSTM" ? "lstm" : "gru";
    const auto f = maskedStates(kind, resetAfter, backwards, u, n, table, weightsOf(v, "model/l/forward_" + snake));
    const auto b = maskedStates(kind, resetAfter, !backwards, u, n, table, weightsOf(v, "model/l/backward_" + snake));
    const std::string mode = config.value("merge_mode", "concat");
    auto merge = [&](const Mat& a, const Mat& c) {
        Mat r = a;
        if (mode == "concat") r.insert(r.end(), c.begin(), c.end());
        else
            for (std::size_t i = 0; i < a.size(); ++i) r[i] = mode == "sum" ? a[i] + c[i] : a[i] * c[i];
        return r;
    };
    if (!sequences) return merge(f.back(), b.back());
    for (int64_t t = 0; t < kSteps; ++t) {
        Mat r = merge(f[std::size_t(t)], b[std::size_t(kSteps - 1 - t)]);
        // Keras' Bidirectional sets zero_output_for_mask = return_sequences on both copies: 0 there.
        if (kIds[std::size_t(n * kSteps + t)] == 0) r.assign(r.size(), 0.0);
        want.insert(want.end(), r.begin(), r.end());
    }
    return want;
}

void compare(const Tensor& y, int64_t n, const Mat& want, const std::string& what) {
    const int64_t per = y.size() / y.shape()[0];
    QCOMPARE(per, int64_t(want.size()));
    for (std::size_t i = 0; i < want.size(); ++i) {
        const double got = y.f32()[std::size_t(n * per) + i];
        QVERIFY2(std::abs(got - want[i]) < 2e-5, qPrintable(QString("%1, sample %2: element %3 is %4, want %5")
                                                                .arg(QString::fromStdString(what)).arg(n).arg(i).arg(got).arg(want[i])));
    }
}

// sum(y * w) over a traced inference graph: its gradient per trainable variable.
std::map<std::string, Tensor> gradientsOf(const Model& m, const std::vector<float>& w, int64_t batch) {
    train::TracedModel t = train::traceModel(m, {{Shape{batch, kSteps}}, false}, 1);
    ir::Graph& g = t.graph;
    const Shape out = g.shape(t.outputs[0]);
    const ir::ValueId loss = g.reduceSumAll(g.mul(t.outputs[0], g.constant(Tensor::fromVector(out, w))));
    std::vector<ir::ValueId> wrt;
    std::vector<std::string> paths;
    for (const Variable* v : m.variables()) wrt.push_back(g.findVariable(v->path())), paths.push_back(v->path());
    const auto grads = ir::gradients(g, loss, wrt);
    cpu::CpuBackend be;
    for (const Variable* v : m.variables()) be.setVariable(v->path(), v->value());
    auto plan = be.prepare(g, grads);
    const std::vector<int32_t> ids(kIds.begin(), kIds.begin() + batch * kSteps);
    const Tensor x = Tensor::fromVector(Shape{batch, kSteps}, ids);
    const std::vector<Tensor> r = be.run(*plan, {{t.inputNames[0], ir::TensorView(x)}});
    std::map<std::string, Tensor> out_;
    for (std::size_t k = 0; k < r.size(); ++k) out_[paths[k]] = r[k];
    return out_;
}

} // namespace

class TestMaskedRecurrent : public QObject {
    Q_OBJECT
private slots:
    void maskedRecurrenceIsKeras_data() {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("config");
        QTest::newRow("SimpleRNN") << "SimpleRNN" << R"({"units": 3})";
        QTest::newRow("SimpleRNN sequences backwards") << "SimpleRNN" << R"({"units": 3, "return_sequences": true, "go_backwards": true})";
        QTest::newRow("LSTM") << "LSTM" << R"({"units": 4})";
        QTest::newRow("LSTM sequences") << "LSTM" << R"({"units": 3, "return_sequences": true})";
        QTest::newRow("LSTM sequences backwards no bias")
            << "LSTM" << R"({"units": 2, "go_backwards": true, "return_sequences": true, "use_bias": false})";
        QTest::newRow("GRU reset_after sequences") << "GRU" << R"({"units": 3, "return_sequences": true})";
        QTest::newRow("GRU reset_before backwards") << "GRU" << R"({"units": 3, "reset_after": false, "go_backwards": true})";
        QTest::newRow("Bidirectional LSTM sequences concat")
            << "Bidirectional" << R"({"layer": {"type": "LSTM", "config": {"units": 2, "return_sequences": true}}})";
        QTest::newRow("Bidirectional GRU sum")
            << "Bidirectional" << R"({"layer": {"type": "GRU", "config": {"units": 3}}, "merge_mode": "sum"})";
        QTest::newRow("Bidirectional RNN backwards sequences mul")
            << "Bidirectional"
            << R"({"layer": {"type": "SimpleRNN", "config": {"units": 2, "go_backwards": true, "return_sequences": true}}, "merge_mode": "mul"})";
    }

    void maskedRecurrenceIsKeras() {
        QFETCH(QString, type);
        QFETCH(QString, config);
        const json cfg = json::parse(config.toStdString());
        auto m = Model::fromSpec(ModelSpec::fromJson(maskedModel({{{"name", "l"}, {"type", type.toStdString()}, {"config", cfg}}})));
        m->build(1);
        const auto values = setWaves(*m);
        const Tensor y = run(*m, 4);
        for (int64_t n = 0; n < 4; ++n) compare(y, n, reference(type.toStdString(), cfg, values, n), config.toStdString());
    }

    void paddingRowDoesNotMatter() {
        // Id 0's embedding row never reaches a masked recurrence: changing it changes nothing.
        auto m = Model::fromSpec(ModelSpec::fromJson(maskedModel({{{"name", "l"}, {"type", "GRU"}, {"config", {{"units", 3}}}}})));
        m->build(2);
        setWaves(*m);
        const Tensor before = run(*m, 4);
        Variable* table = m->findVariable("embedding/embeddings");
        Tensor changed = table->value();
        for (int64_t f = 0; f < kFeatures; ++f) changed.f32()[f] = 5.0f + float(f);
        table->assign(changed);
        const Tensor after = run(*m, 4);
        for (int64_t i = 0; i < before.size(); ++i) QCOMPARE(after.f32()[i], before.f32()[i]);
    }

    void sequencesCarryTheMaskIntoAveragePooling() {
        // Keras: LSTM(return_sequences) keeps the mask; GlobalAveragePooling1D averages the real steps.
        const json layers = {{{"name", "l"}, {"type", "LSTM"}, {"config", {{"units", 3}, {"return_sequences", true}}}},
                             {{"name", "pool"}, {"type", "GlobalAveragePooling1D"}}};
        auto m = Model::fromSpec(ModelSpec::fromJson(maskedModel(layers)));
        m->build(3);
        const auto values = setWaves(*m);
        const Tensor y = run(*m, 3); // not the all-padding sample: Keras divides 0 by 0 there
        for (int64_t n = 0; n < 3; ++n) {
            const Mat seq = reference("LSTM", {{"units", 3}, {"return_sequences", true}}, values, n);
            Mat mean(3, 0.0);
            double count = 0;
            for (int64_t t = 0; t < kSteps; ++t) {
                if (kIds[std::size_t(n * kSteps + t)] == 0) continue;
                count += 1;
                for (int j = 0; j < 3; ++j) mean[j] += seq[std::size_t(t * 3 + j)];
            }
            for (double& v : mean) v /= count;
            compare(y, n, mean, "LSTM sequences -> GlobalAveragePooling1D");
        }
    }

    void lastStateDropsTheMask() {
        // Keras: an LSTM without return_sequences outputs no mask, nor does a Conv1D: the average
        // after it is over every step.
        const json layers = {{{"name", "conv"}, {"type", "Conv1D"}, {"config", {{"filters", 2}, {"kernel_size", 1}}}},
                             {{"name", "pool"}, {"type", "GlobalAveragePooling1D"}}};
        auto m = Model::fromSpec(ModelSpec::fromJson(maskedModel(layers)));
        m->build(3);
        const auto v = setWaves(*m);
        const Tensor y = run(*m, 1);
        const Mat& table = v.at("model/embedding/embeddings");
        const Mat& k = v.at("model/conv/kernel");
        const Mat& b = v.at("model/conv/bias");
        for (int j = 0; j < 2; ++j) {
            double sum = 0;
            for (int64_t t = 0; t < kSteps; ++t) {
                sum += b[j];
                for (int64_t f = 0; f < kFeatures; ++f) sum += table[std::size_t(kIds[std::size_t(t)] * kFeatures + f)] * k[std::size_t(f * 2 + j)];
            }
            QVERIFY(std::abs(y.f32()[j] - sum / kSteps) < 1e-5);
        }
    }

    void wholeModelGradientsMatchFiniteDifferences() {
        // Embedding(mask_zero) -> LSTM(return_sequences) -> GlobalAveragePooling1D -> Dense: the
        // analytic gradient of sum(y * w) against central differences of the engine's own forward.
        const json layers = {{{"name", "lstm"}, {"type", "LSTM"}, {"config", {{"units", 3}, {"return_sequences", true}}}},
                             {{"name", "pool"}, {"type", "GlobalAveragePooling1D"}},
                             {{"name", "dense"}, {"type", "Dense"}, {"config", {{"units", 2}}}}};
        auto m = Model::fromSpec(ModelSpec::fromJson(maskedModel(layers)));
        m->build(4);
        setWaves(*m);
        const int64_t batch = 3;
        const std::vector<float> w{0.5f, -1.0f, 0.75f, 1.25f, -0.25f, 1.0f};
        const auto grads = gradientsOf(*m, w, batch);
        auto objective = [&] {
            const Tensor y = run(*m, batch);
            double s = 0;
            for (int64_t i = 0; i < y.size(); ++i) s += double(y.f32()[i]) * w[std::size_t(i)];
            return s;
        };
        for (Variable* v : m->variables()) {
            const Tensor& gv = grads.at(v->path());
            if (v->path() == "model/embedding/embeddings")
                for (int64_t f = 0; f < kFeatures; ++f) QCOMPARE(gv.f32()[f], 0.0f); // the padding row: no gradient
            for (int64_t i = 0; i < v->value().size(); i += 3) {
                Tensor p = v->value();
                const float keep = p.f32()[i];
                p.f32()[i] = keep + 1e-2f;
                v->assign(p);
                const double up = objective();
                p.f32()[i] = keep - 1e-2f;
                v->assign(p);
                const double down = objective();
                p.f32()[i] = keep;
                v->assign(p);
                const double fd = (up - down) / 2e-2;
                QVERIFY2(std::abs(fd - gv.f32()[i]) < 2e-3 + 1e-2 * std::abs(fd),
                         qPrintable(QString("%1[%2]: %3, finite differences %4").arg(QString::fromStdString(v->path())).arg(i)
                                        .arg(gv.f32()[i]).arg(fd)));
            }
        }
    }

    void maskZeroNeedsRoomForPadding() {
        auto error = [](int64_t inputDim) {
            try {
                ModelSpec spec = ModelSpec::fromJson(maskedModel(json::array()));
                spec.layers[1].config["input_dim"] = inputDim;
                const InferenceResult r = ShapeInference::run(spec);
                return r.ok() ? std::string() : r.issues.front().text();
            } catch (const StrataError& e) {
                return std::string(e.what());
            }
        };
        const std::string one = error(1);
        QVERIFY2(one.find("input_dim") != std::string::npos && one.find("mask_zero") != std::string::npos, one.c_str());
        QCOMPARE(error(2), std::string());
    }

    void outputMaskIsRefusedByTheLoss() {
        // Keras would weight the loss by a sequence output's mask; Strata refuses by name.
        const json layers = {{{"name", "seq"}, {"type", "LSTM"}, {"config", {{"units", 2}, {"return_sequences", true}}}}};
        auto m = Model::fromSpec(ModelSpec::fromJson(maskedModel(layers)));
        m->build(1);
        train::TracedModel t = train::traceModel(*m, {{Shape{2, kSteps}}, true}, 1);
        QCOMPARE(t.outputNames.at(0), std::string("seq"));
        QVERIFY(t.outputMasks.at(0) != ir::kNoValue);
        train::TrainOptions options;
        options.loss = "mean_squared_error";
        try {
            train::appendLosses(t.graph, t, options);
            QFAIL("a loss on a masked output was built");
        } catch (const StrataError& e) {
            const std::string msg = e.what();
            QVERIFY2(msg.find("'seq'") != std::string::npos && msg.find("mask") != std::string::npos, e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestMaskedRecurrent)
#include "tst_masked_recurrent.moc"
