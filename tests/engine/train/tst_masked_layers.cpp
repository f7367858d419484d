// Masks from Embedding(mask_zero) into MultiHeadAttention (query, value and key padding, causal;
// Keras 3's _compute_attention_mask, a row with nothing left uniform, or zero with dropout), the
// merge layers (Keras' base_merge: OR of the masks only when every input has one; Multiply's
// masked elements as 1; Concatenate's), BatchNormalization's masked batch statistics, a Block
// (a functional model called as a layer), and the layers that drop a mask (PositionEmbedding, so
// the transformer example's Add has none, as in Keras) or refuse one (Softmax); and the static
// flow the exports use (masks::maskFlow). Each against float64 arithmetic written here.
#include "engine/Error.h"
#include "engine/Masks.h"
#include "engine/Model.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/train/Inference.h"
#include "engine/train/Tracer.h"

#include "tests/support/WaveVariables.h"

#include <QtTest>

#include <cmath>
#include <functional>
#include <map>

using namespace strata;
using nlohmann::json;

namespace {

using Mat = std::vector<double>;

constexpr int64_t kT = 4, kS = 5, kVocab = 6;
// Two samples each: query ids (T steps), value ids (S steps), key ids (S steps).
const std::vector<int32_t> kQ{3, 1, 0, 0, /**/ 0, 0, 0, 0};
const std::vector<int32_t> kV{2, 0, 5, 1, 0, /**/ 4, 3, 0, 0, 0};
const std::vector<int32_t> kK{1, 2, 3, 0, 4, /**/ 5, 0, 1, 0, 0};

json ids(const std::string& name, int64_t steps) {
    return {{"name", name}, {"type", "Input"}, {"config", {{"shape", {steps}}, {"dtype", "int32"}}}};
}
json embedding(const std::string& name, const std::string& from, int64_t dim, bool maskZero = true) {
    return {{"name", name}, {"type", "Embedding"}, {"inbound", {from}},
            {"config", {{"input_dim", kVocab}, {"output_dim", dim}, {"mask_zero", maskZero}}}};
}
json layer(const std::string& name, const std::string& type, const json& config, const json& inbound) {
    return {{"name", name}, {"type", type}, {"config", config}, {"inbound", inbound}};
}
std::unique_ptr<Model> modelOf(const json& layers, const json& inputs, const std::string& output) {
    auto m = Model::fromSpec(ModelSpec::fromJson(
        {{"format", "strata.model/1"}, {"name", "m"}, {"inputs", inputs}, {"outputs", {output}}, {"layers", layers}}));
    m->build(1);
    return m;
}

using test::wave;

std::map<std::string, Mat> setWaves(Model& m) { return test::setWaveVariables(m); }

Tensor idsTensor(const std::vector<int32_t>& v, int64_t steps) { return Tensor::fromVector(Shape{int64_t(v.size()) / steps, steps}, v); }

Tensor run(const Model& m, const std::vector<Tensor>& in) {
    cpu::CpuBackend be;
    return train::runModel(m, be, in, in[0].shape()[0]).at(0);
}

// Row id of a table of width d as a vector.
Mat row(const Mat& table, int32_t id, int64_t d) { return Mat(table.begin() + id * d, table.begin() + (id + 1) * d); }

void compare(const Tensor& y, const Mat& want, double tol, const QString& what) {
    QCOMPARE(y.size(), int64_t(want.size()));
    for (std::size_t i = 0; i < want.size(); ++i)
        QVERIFY2(std::abs(double(y.f32()[i]) - want[i]) < tol,
                 qPrintable(QString("%1: element %2 is %3, want %4").arg(what).arg(i).arg(y.f32()[i]).arg(want[i])));
}

// Keras' MultiHeadAttention for one sample in float64 with allowed(i, j) (false: masked out):
// masked scores are -1e9 before the softmax; zeroMasked zeroes their probabilities after it.
Mat attention(const std::map<std::string, Mat>& w, const Mat& q, const Mat& v, const Mat& k, int64_t t, int64_t s, int64_t d,
              int64_t heads, int64_t kd, const std::function<bool(int64_t, int64_t)>& allowed, bool zeroMasked) {
    auto at = [&](const std::string& n) -> const Mat& { return w.at("model/mha/" + n); };
    auto project = [&](const Mat& x, int64_t len, const std::string& sub) {
        Mat out(std::size_t(heads * len * kd), 0.0);
        for (int64_t h = 0; h < heads; ++h)
            for (int64_t l = 0; l < len; ++l)
                for (int64_t c = 0; c < kd; ++c) {
                    double acc = at(sub + "/bias")[std::size_t(h * kd + c)];
                    for (int64_t e = 0; e < d; ++e) acc += x[std::size_t(l * d + e)] * at(sub + "/kernel")[std::size_t((e * heads + h) * kd + c)];
                    out[std::size_t((h * len + l) * kd + c)] = acc;
                }
        return out;
    };
    const Mat pq = project(q, t, "query"), pk = project(k, s, "key"), pv = project(v, s, "value");
    Mat mixed(std::size_t(heads * t * kd), 0.0);
    for (int64_t h = 0; h < heads; ++h)
        for (int64_t i = 0; i < t; ++i) {
            Mat p(static_cast<std::size_t>(s));
            double top = -1e300, sum = 0;
            for (int64_t j = 0; j < s; ++j) {
                double dot = 0;
                for (int64_t c = 0; c < kd; ++c) dot += pq[std::size_t((h * t + i) * kd + c)] * pk[std::size_t((h * s + j) * kd + c)];
                p[std::size_t(j)] = allowed(i, j) ? dot / std::sqrt(double(kd)) : -1e9;
                top = std::max(top, p[std::size_t(j)]);
            }
            for (double& e : p) sum += (e = std::exp(e - top));
            for (int64_t j = 0; j < s; ++j) {
                const double pr = zeroMasked && !allowed(i, j) ? 0.0 : p[std::size_t(j)] / sum;
                for (int64_t c = 0; c < kd; ++c) mixed[std::size_t((h * t + i) * kd + c)] += pr * pv[std::size_t((h * s + j) * kd + c)];
            }
        }
    Mat y(std::size_t(t * d), 0.0);
    for (int64_t i = 0; i < t; ++i)
        for (int64_t o = 0; o < d; ++o) {
            double acc = at("attention_output/bias")[std::size_t(o)];
            for (int64_t h = 0; h < heads; ++h)
                for (int64_t c = 0; c < kd; ++c)
                    acc += mixed[std::size_t((h * t + i) * kd + c)] * at("attention_output/kernel")[std::size_t((h * kd + c) * d + o)];
            y[std::size_t(i * d + o)] = acc;
        }
    return y;
}

// Embeds sample n of `ids` (steps each) with the table at `path`.
Mat embedded(const std::map<std::string, Mat>& w, const std::string& path, const std::vector<int32_t>& idv, int64_t n, int64_t steps,
             int64_t d) {
    Mat out;
    for (int64_t t = 0; t < steps; ++t) {
        const Mat r = row(w.at(path), idv[std::size_t(n * steps + t)], d);
        out.insert(out.end(), r.begin(), r.end());
    }
    return out;
}

} // namespace

class TestMaskedLayers : public QObject {
    Q_OBJECT
private slots:
    void attentionMasksAreKeras_data() {
        QTest::addColumn<bool>("withKey");
        QTest::addColumn<bool>("causal");
        QTest::addColumn<double>("dropout");
        QTest::newRow("query and value padding") << false << false << 0.0;
        QTest::newRow("query, value and key padding, causal") << true << true << 0.0;
        QTest::newRow("dropout path zeroes masked probabilities") << true << false << 0.25;
    }

    void attentionMasksAreKeras() {
        QFETCH(bool, withKey);
        QFETCH(bool, causal);
        QFETCH(double, dropout);
        const int64_t d = 4, heads = 2, kd = 3;
        json layers = {ids("q", kT), ids("v", kS), embedding("qe", "q", d), embedding("ve", "v", d)};
        json inbound = {"qe", "ve"}, inputs = {"q", "v"};
        if (withKey) {
            layers.push_back(ids("k", kS)), layers.push_back(embedding("ke", "k", d));
            inbound.push_back("ke"), inputs.push_back("k");
        }
        layers.push_back(layer("mha", "MultiHeadAttention",
                               {{"num_heads", heads}, {"key_dim", kd}, {"use_causal_mask", causal}, {"dropout", dropout}}, inbound));
        auto m = modelOf(layers, inputs, "mha");
        const auto w = setWaves(*m);
        std::vector<Tensor> in{idsTensor(kQ, kT), idsTensor(kV, kS)};
        if (withKey) in.push_back(idsTensor(kK, kS));
        const Tensor y = run(*m, in); // inference: no dropout drawn, but Keras' masked-softmax path
        Mat want;
        for (int64_t n = 0; n < 2; ++n) {
            auto allowed = [&](int64_t i, int64_t j) {
                return kQ[std::size_t(n * kT + i)] != 0 && kV[std::size_t(n * kS + j)] != 0 &&
                       (!withKey || kK[std::size_t(n * kS + j)] != 0) && (!causal || j <= i);
            };
            const Mat q = embedded(w, "model/qe/embeddings", kQ, n, kT, d), v = embedded(w, "model/ve/embeddings", kV, n, kS, d);
            const Mat k = withKey ? embedded(w, "model/ke/embeddings", kK, n, kS, d) : v;
            const Mat s = attention(w, q, v, k, kT, kS, d, heads, kd, allowed, dropout > 0);
            want.insert(want.end(), s.begin(), s.end());
        }
        compare(y, want, 2e-5, "MultiHeadAttention");
    }

    void attentionOutputCarriesTheQueryMask() {
        // Self-attention, then GlobalAveragePooling1D: the mean over the query's real steps.
        const json layers = {ids("q", kT), embedding("qe", "q", 4),
                             layer("mha", "MultiHeadAttention", {{"num_heads", 1}, {"key_dim", 2}}, {"qe", "qe"}),
                             layer("pool", "GlobalAveragePooling1D", json::object(), {"mha"})};
        auto m = modelOf(layers, {"q"}, "pool");
        const auto w = setWaves(*m);
        const Tensor y = run(*m, {idsTensor(std::vector<int32_t>(kQ.begin(), kQ.begin() + kT), kT)});
        const Mat q = embedded(w, "model/qe/embeddings", kQ, 0, kT, 4);
        auto allowed = [&](int64_t i, int64_t j) { return kQ[std::size_t(i)] != 0 && kQ[std::size_t(j)] != 0; };
        const Mat s = attention(w, q, q, q, kT, kT, 4, 1, 2, allowed, false);
        Mat mean(4, 0.0);
        for (int64_t o = 0; o < 4; ++o) mean[std::size_t(o)] = (s[std::size_t(o)] + s[std::size_t(4 + o)]) / 2; // steps 0, 1 are real
        compare(y, mean, 2e-5, "attention -> GlobalAveragePooling1D");
    }

    void mergesFollowKeras() {
        try {
            merges();
        } catch (const std::exception& e) {
            QFAIL(e.what());
        }
    }

private:
    void merges() {
        // a and b: two masked embeddings of the same ids table width; their masks differ.
        const std::vector<int32_t> a{3, 0, 2, 0, 0}, b{0, 4, 1, 0, 0};
        const json base = {ids("ia", kS), ids("ib", kS), embedding("a", "ia", 2), embedding("b", "ib", 2)};
        auto check = [&](const json& extra, const std::string& out, const std::function<Mat(const Mat&, const Mat&)>& want, const QString& what) {
            json layers = base;
            for (const json& l : extra) layers.push_back(l);
            auto m = modelOf(layers, {"ia", "ib"}, out);
            const auto w = setWaves(*m);
            const Tensor y = run(*m, {idsTensor(a, kS), idsTensor(b, kS)});
            compare(y, want(embedded(w, "model/a/embeddings", a, 0, kS, 2), embedded(w, "model/b/embeddings", b, 0, kS, 2)), 1e-5, what);
        };
        auto pool = [](const std::string& from) { return layer("pool", "GlobalAveragePooling1D", json::object(), {from}); };
        // Add: the OR of the masks (steps 0, 1, 2), the sum.
        check(json::array({layer("add", "Add", json::object(), {"a", "b"}), pool("add")}), "pool", [](const Mat& x, const Mat& z) {
            Mat r(2, 0.0);
            for (int t = 0; t < 3; ++t)
                for (int c = 0; c < 2; ++c) r[c] += (x[t * 2 + c] + z[t * 2 + c]) / 3;
            return r;
        }, "Add");
        // Multiply: a masked-out element counts as 1; the OR mask zeroes steps 3, 4 (and pools 0..2).
        check(json::array({layer("mul", "Multiply", json::object(), {"a", "b"})}), "mul", [&](const Mat& x, const Mat& z) {
            Mat r(10, 0.0);
            for (int t = 0; t < 5; ++t)
                for (int c = 0; c < 2; ++c)
                    r[t * 2 + c] = (t < 3 ? 1.0 : 0.0) * (a[t] ? x[t * 2 + c] : 1.0) * (b[t] ? z[t * 2 + c] : 1.0);
            return r;
        }, "Multiply");
        // Concatenate along the steps: the masks joined, so the mean is over the 4 real steps.
        check(json::array({layer("cat", "Concatenate", {{"axis", 1}}, {"a", "b"}), pool("cat")}), "pool", [&](const Mat& x, const Mat& z) {
            Mat r(2, 0.0);
            for (int t = 0; t < 5; ++t)
                for (int c = 0; c < 2; ++c) r[c] += (a[t] ? x[t * 2 + c] : 0.0) / 4 + (b[t] ? z[t * 2 + c] : 0.0) / 4;
            return r;
        }, "Concatenate steps");
    }

private slots:
    void transformerExampleAddHasNoMask() {
        // PositionEmbedding drops the mask (Keras-Hub's does not support masking), so the Add of an
        // embedding and its positions has none (Keras' base_merge): the mean is over every step.
        const std::vector<int32_t> a{3, 0, 2, 0, 0};
        const json layers = {ids("ia", kS), embedding("a", "ia", 2), layer("pos", "PositionEmbedding", {{"sequence_length", kS}}, {"a"}),
                             layer("sum", "Add", json::object(), {"a", "pos"}),
                             layer("pool", "GlobalAveragePooling1D", json::object(), {"sum"})};
        auto m = modelOf(layers, {"ia"}, "pool");
        const auto w = setWaves(*m);
        const Tensor y = run(*m, {idsTensor(a, kS)});
        const Mat x = embedded(w, "model/a/embeddings", a, 0, kS, 2);
        const Mat& p = w.at("model/pos/embeddings");
        Mat want(2, 0.0);
        for (int t = 0; t < kS; ++t)
            for (int c = 0; c < 2; ++c) want[std::size_t(c)] += (x[std::size_t(t * 2 + c)] + p[std::size_t(t * 2 + c)]) / kS;
        compare(y, want, 1e-5, "Add(embedding, positions)");
    }

    void batchNormalizationCountsRealSteps() {
        // Training: mean and variance over the unmasked steps of the batch (Keras' _moments).
        const json layers = {ids("ia", kS), embedding("a", "ia", 2), layer("bn", "BatchNormalization", json::object(), {"a"})};
        auto m = modelOf(layers, {"ia"}, "bn");
        const auto w = setWaves(*m);
        train::TracedModel t = train::traceModel(*m, {{Shape{2, kS}}, true}, 1);
        cpu::CpuBackend be;
        for (const Variable* v : m->variables()) be.setVariable(v->path(), v->value());
        auto plan = be.prepare(t.graph, {t.outputs[0]});
        const Tensor x = idsTensor(kV, kS);
        const Tensor y = be.run(*plan, {{t.inputNames[0], ir::TensorView(x)}}).at(0);
        Mat want(20, 0.0);
        const Mat e = embedded(w, "model/a/embeddings", kV, 0, kS, 2), e1 = embedded(w, "model/a/embeddings", kV, 1, kS, 2);
        Mat all = e;
        all.insert(all.end(), e1.begin(), e1.end());
        for (int c = 0; c < 2; ++c) {
            double sum = 0, count = 0, sq = 0;
            for (int i = 0; i < 10; ++i)
                if (kV[std::size_t(i)] != 0) sum += all[std::size_t(i * 2 + c)], count += 1;
            const double mean = sum / (count + 1e-7);
            for (int i = 0; i < 10; ++i)
                if (kV[std::size_t(i)] != 0) sq += (all[std::size_t(i * 2 + c)] - mean) * (all[std::size_t(i * 2 + c)] - mean);
            const double var = sq / (count + 1e-7);
            const double gamma = w.at("model/bn/gamma")[std::size_t(c)], beta = w.at("model/bn/beta")[std::size_t(c)];
            for (int i = 0; i < 10; ++i) want[std::size_t(i * 2 + c)] = (all[std::size_t(i * 2 + c)] - mean) / std::sqrt(var + 1e-3) * gamma + beta;
        }
        compare(y, want, 1e-4, "BatchNormalization");
    }

    void blockKeepsMasksFlowing() {
        // A Block (Dense inside) passes the mask in and out: the pooling after it averages real steps.
        const json inner = {{"name", "inner"}, {"inputs", {"x"}}, {"outputs", {"d"}},
                            {"layers", {{{"name", "x"}, {"type", "Input"}, {"config", {{"shape", {kS, 2}}}}},
                                        {{"name", "d"}, {"type", "Dense"}, {"config", {{"units", 1}}}, {"inbound", {"x"}}}}}};
        const std::vector<int32_t> a{3, 0, 2, 0, 0};
        const json layers = {ids("ia", kS), embedding("a", "ia", 2), layer("blk", "Block", {{"spec", inner}}, {"a"}),
                             layer("pool", "GlobalAveragePooling1D", json::object(), {"blk"})};
        auto m = modelOf(layers, {"ia"}, "pool");
        const auto w = setWaves(*m);
        const Tensor y = run(*m, {idsTensor(a, kS)});
        const Mat x = embedded(w, "model/a/embeddings", a, 0, kS, 2);
        const Mat& k = w.at("model/blk/d/kernel");
        const double b = w.at("model/blk/d/bias")[0];
        const double want = ((x[0] * k[0] + x[1] * k[1] + b) + (x[4] * k[0] + x[5] * k[1] + b)) / 2; // steps 0 and 2
        compare(y, {want}, 1e-5, "Block");
        // The static flow sees the same: the block's output is masked, the pooling changes with it.
        const masks::MaskFlow f = masks::maskFlow(
            {m->layers(), m->order(), [&](int i) -> const std::vector<int>& { return m->inbound(i); }, m->inputIndices()});
        QVERIFY(f.masked[2] && !f.masked[3]);
        QCOMPARE(f.effects.size(), std::size_t(1));
        QVERIFY2(f.effects[0].find("'pool'") != std::string::npos, f.effects[0].c_str());
    }

    void softmaxRefusesAMask() {
        const json layers = {ids("ia", kS), embedding("a", "ia", 3), layer("sm", "Softmax", json::object(), {"a"})};
        auto m = modelOf(layers, {"ia"}, "sm");
        try {
            train::traceModel(*m, {{Shape{1, kS}}, false}, 0);
            QFAIL("a masked Softmax traced");
        } catch (const StrataError& e) {
            const std::string msg = e.what();
            QVERIFY2(msg.find("'sm'") != std::string::npos && msg.find("mask") != std::string::npos, e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestMaskedLayers)
#include "tst_masked_layers.moc"
