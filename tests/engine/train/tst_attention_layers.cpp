// MultiHeadAttention, Dot, RepeatVector and PositionEmbedding: Keras' parameter counts and output
// shapes, config and shape errors naming the key or the shapes, and what the engine computes
// against a float64 re-derivation written here loop by loop (MultiHeadAttention with and without
// the causal mask, key != value, without biases; Dot on every axes pair, normalized). The
// registry walk (tst_layer_calls) differentiates each; the op-level gradient of BatchMatMul is
// tst_ops'.
#include "engine/Error.h"
#include "engine/Model.h"
#include "engine/ShapeInference.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/train/Inference.h"
#include "engine/train/Tracer.h"

#include "tests/support/WaveVariables.h"

#include <QtTest>

#include <cmath>
#include <map>

using namespace strata;
using nlohmann::json;

namespace {

// A model of one layer `l` on inputs x0, x1, ... of the given sample shapes.
json model(const std::string& type, const json& config, const std::vector<json>& shapes) {
    json layers = json::array(), inbound = json::array(), inputs = json::array();
    for (std::size_t i = 0; i < shapes.size(); ++i) {
        const std::string n = "x" + std::to_string(i);
        layers.push_back({{"name", n}, {"type", "Input"}, {"config", {{"shape", shapes[i]}}}});
        inbound.push_back(n), inputs.push_back(n);
    }
    layers.push_back({{"name", "l"}, {"type", type}, {"config", config}, {"inbound", inbound}});
    return {{"format", "strata.model/1"}, {"name", "m"}, {"inputs", inputs}, {"outputs", {"l"}}, {"layers", layers}};
}

const LayerInference& layerOf(const InferenceResult& r, std::size_t index) {
    if (!r.ok()) throw StrataError(r.issues.front().text());
    return r.layers.at(index);
}

std::string errorOf(const std::string& type, const json& config, const std::vector<json>& shapes) {
    try {
        const InferenceResult r = ShapeInference::run(ModelSpec::fromJson(model(type, config, shapes)));
        return r.ok() ? std::string("(no error)") : r.issues.front().text();
    } catch (const StrataError& e) {
        return e.what();
    }
}

using Mat = std::vector<double>;

using test::wave;

std::map<std::string, Mat> setVariables(Model& m) { return test::setWaveVariables(m); }

Tensor input(const Shape& s, double phase, Mat& asDouble) {
    std::vector<float> f(std::size_t(s.numElements()));
    for (std::size_t i = 0; i < f.size(); ++i) f[i] = float(wave(i, phase));
    asDouble.assign(f.begin(), f.end());
    return Tensor::fromVector(s, f);
}

// Keras' MultiHeadAttention for one sample, in float64: query t x dq, value s x dv, key s x dk.
Mat attentionReference(const std::map<std::string, Mat>& w, const Mat& query, const Mat& value, const Mat& key, int64_t t, int64_t s,
                       int64_t dq, int64_t dv, int64_t dk, int64_t heads, int64_t kd, int64_t vd, bool causal, bool bias) {
    auto at = [&](const std::string& name) -> const Mat& { return w.at("model/l/" + name); };
    // x (L x d) through kernel (d, heads, width) + bias (heads, width): [h][l][c]
    auto project = [&](const Mat& x, int64_t len, int64_t d, const std::string& sub, int64_t width) {
        const Mat& k = at(sub + "/kernel");
        Mat out(std::size_t(heads * len * width), 0.0);
        for (int64_t h = 0; h < heads; ++h)
            for (int64_t l = 0; l < len; ++l)
                for (int64_t c = 0; c < width; ++c) {
                    double acc = bias ? at(sub + "/bias")[std::size_t(h * width + c)] : 0.0;
                    for (int64_t e = 0; e < d; ++e) acc += x[std::size_t(l * d + e)] * k[std::size_t((e * heads + h) * width + c)];
                    out[std::size_t((h * len + l) * width + c)] = acc;
                }
        return out;
    };
    const Mat q = project(query, t, dq, "query", kd), k = project(key, s, dk, "key", kd), v = project(value, s, dv, "value", vd);
    Mat mixed(std::size_t(heads * t * vd), 0.0);
    for (int64_t h = 0; h < heads; ++h)
        for (int64_t i = 0; i < t; ++i) {
            Mat p(static_cast<std::size_t>(s), 0.0);
            double top = -1e300;
            for (int64_t j = 0; j < s; ++j) {
                double d = 0;
                for (int64_t c = 0; c < kd; ++c) d += q[std::size_t((h * t + i) * kd + c)] * k[std::size_t((h * s + j) * kd + c)];
                p[std::size_t(j)] = d / std::sqrt(double(kd)) + (causal && j > i ? -1e9 : 0.0);
                top = std::max(top, p[std::size_t(j)]);
            }
            double sum = 0;
            for (double& e : p) sum += (e = std::exp(e - top));
            for (int64_t j = 0; j < s; ++j)
                for (int64_t c = 0; c < vd; ++c)
                    mixed[std::size_t((h * t + i) * vd + c)] += p[std::size_t(j)] / sum * v[std::size_t((h * s + j) * vd + c)];
        }
    const Mat& wo = at("attention_output/kernel");
    Mat y(std::size_t(t * dq), 0.0);
    for (int64_t i = 0; i < t; ++i)
        for (int64_t o = 0; o < dq; ++o) {
            double acc = bias ? at("attention_output/bias")[std::size_t(o)] : 0.0;
            for (int64_t h = 0; h < heads; ++h)
                for (int64_t c = 0; c < vd; ++c) acc += mixed[std::size_t((h * t + i) * vd + c)] * wo[std::size_t((h * vd + c) * dq + o)];
            y[std::size_t(i * dq + o)] = acc;
        }
    return y;
}

void compare(const Tensor& got, const Mat& want, double tol) {
    QCOMPARE(got.size(), int64_t(want.size()));
    for (std::size_t i = 0; i < want.size(); ++i)
        if (std::fabs(double(got.f32()[i]) - want[i]) > tol)
            QFAIL(qPrintable(QString("element %1: got %2, want %3").arg(i).arg(double(got.f32()[i])).arg(want[i])));
}

} // namespace

class TestAttentionLayers : public QObject {
    Q_OBJECT
private slots:
    void multiHeadAttentionHasKerasParameterCount() {
        // keras.layers.MultiHeadAttention(num_heads=2, key_dim=16) on 32-wide query and value.
        const auto r = ShapeInference::run(ModelSpec::fromJson(model("MultiHeadAttention", {{"num_heads", 2}, {"key_dim", 16}}, {{5, 32}, {7, 32}})));
        QCOMPARE(layerOf(r, 2).params.trainable, int64_t(4224));
        QCOMPARE(layerOf(r, 2).outputShape->toString(), (Shape{kUnknownDim, 5, 32}.toString()));
        // key of its own width, value_dim, no biases: 3*2*4 + 6*2*4 + 5*2*2 + 2*2*3
        const auto r2 = ShapeInference::run(ModelSpec::fromJson(model(
            "MultiHeadAttention", {{"num_heads", 2}, {"key_dim", 4}, {"value_dim", 2}, {"use_bias", false}}, {{4, 3}, {5, 5}, {5, 6}})));
        QCOMPARE(layerOf(r2, 3).params.trainable, int64_t(3 * 8 + 6 * 8 + 5 * 4 + 4 * 3));
    }

    void variablesHaveKerasPathsAndShapes() {
        auto m = Model::fromSpec(ModelSpec::fromJson(model("MultiHeadAttention", {{"num_heads", 2}, {"key_dim", 16}}, {{5, 32}, {7, 24}})));
        m->build(1);
        std::map<std::string, std::string> shapes;
        for (Variable* v : m->variables()) shapes[v->path()] = v->value().shape().toString();
        QCOMPARE(shapes.size(), std::size_t(8));
        QCOMPARE(shapes.at("model/l/query/kernel"), (Shape{32, 2, 16}.toString()));
        QCOMPARE(shapes.at("model/l/query/bias"), (Shape{2, 16}.toString()));
        QCOMPARE(shapes.at("model/l/key/kernel"), (Shape{24, 2, 16}.toString()));
        QCOMPARE(shapes.at("model/l/value/kernel"), (Shape{24, 2, 16}.toString()));
        QCOMPARE(shapes.at("model/l/attention_output/kernel"), (Shape{2, 16, 32}.toString()));
        QCOMPARE(shapes.at("model/l/attention_output/bias"), (Shape{32}.toString()));
    }

    void dotAndRepeatVectorShapes() {
        auto out = [](const std::string& type, const json& config, const std::vector<json>& shapes) {
            return layerOf(ShapeInference::run(ModelSpec::fromJson(model(type, config, shapes))), shapes.size()).outputShape->toString();
        };
        QCOMPARE(out("Dot", {{"axes", 1}}, {{4}, {4}}), (Shape{kUnknownDim, 1}.toString()));
        QCOMPARE(out("Dot", {{"axes", {2, 2}}}, {{3, 4}, {5, 4}}), (Shape{kUnknownDim, 3, 5}.toString()));
        QCOMPARE(out("Dot", {{"axes", {1, 1}}}, {{3, 4}, {3, 5}}), (Shape{kUnknownDim, 4, 5}.toString()));
        QCOMPARE(out("Dot", {{"axes", {1, 2}}}, {{4}, {3, 4}}), (Shape{kUnknownDim, 3}.toString()));
        QCOMPARE(out("RepeatVector", {{"n", 3}}, {{4}}), (Shape{kUnknownDim, 3, 4}.toString()));
        QCOMPARE(out("PositionEmbedding", {{"sequence_length", 8}}, {{5, 4}}), (Shape{kUnknownDim, 5, 4}.toString()));
        const auto pe = ShapeInference::run(ModelSpec::fromJson(model("PositionEmbedding", {{"sequence_length", 8}}, {{5, 4}})));
        QCOMPARE(layerOf(pe, 1).params.trainable, int64_t(32));
    }

    void errorsNameTheKeyOrTheShapes() {
        QVERIFY(errorOf("MultiHeadAttention", {{"num_heads", 0}}, {{4, 3}, {4, 3}}).find("num_heads") != std::string::npos);
        QVERIFY(errorOf("MultiHeadAttention", {{"output_shape", 8}}, {{4, 3}, {4, 3}}).find("output_shape") != std::string::npos);
        QVERIFY(errorOf("MultiHeadAttention", {{"attention_axes", 1}}, {{4, 3}, {4, 3}}).find("attention_axes") != std::string::npos);
        QVERIFY(errorOf("MultiHeadAttention", {{"dropout", 1.0}}, {{4, 3}, {4, 3}}).find("dropout") != std::string::npos);
        const std::string steps = errorOf("MultiHeadAttention", json::object(), {{4, 3}, {5, 3}, {6, 3}});
        QVERIFY2(steps.find("(None, 5, 3)") != std::string::npos && steps.find("(None, 6, 3)") != std::string::npos, steps.c_str());
        QVERIFY(errorOf("Dot", {{"axes", {1, 2, 3}}}, {{4}, {4}}).find("axes") != std::string::npos);
        const std::string dot = errorOf("Dot", {{"axes", 1}}, {{4}, {5}});
        QVERIFY2(dot.find("(None, 4)") != std::string::npos && dot.find("(None, 5)") != std::string::npos, dot.c_str());
        QVERIFY(errorOf("RepeatVector", {{"n", 0}}, {{4}}).find("n:") != std::string::npos);
        const std::string pe = errorOf("PositionEmbedding", {{"sequence_length", 4}}, {{5, 3}});
        QVERIFY2(pe.find("sequence_length") != std::string::npos && pe.find("(None, 5, 3)") != std::string::npos, pe.c_str());
    }

    void multiHeadAttentionMatchesReference_data() {
        QTest::addColumn<bool>("causal");
        QTest::addColumn<bool>("withKey");
        QTest::addColumn<bool>("bias");
        QTest::newRow("self") << false << false << true;
        QTest::newRow("causal") << true << false << true;
        QTest::newRow("key differs from value") << false << true << true;
        QTest::newRow("causal, key, no bias") << true << true << false;
    }
    void multiHeadAttentionMatchesReference() {
        QFETCH(bool, causal);
        QFETCH(bool, withKey);
        QFETCH(bool, bias);
        const int64_t batch = 2, t = 4, s = 5, dq = 3, dv = 2, dk = 6, heads = 2, kd = 3, vd = 2;
        std::vector<json> shapes{{t, dq}, {s, dv}};
        if (withKey) shapes.push_back({s, dk});
        const json config = {{"num_heads", heads}, {"key_dim", kd}, {"value_dim", vd}, {"use_causal_mask", causal}, {"use_bias", bias}};
        auto m = Model::fromSpec(ModelSpec::fromJson(model("MultiHeadAttention", config, shapes)));
        m->build(1);
        const std::map<std::string, Mat> w = setVariables(*m);
        Mat q, v, k;
        std::vector<Tensor> inputs{input(Shape{batch, t, dq}, 2.0, q), input(Shape{batch, s, dv}, 0.7, v)};
        if (withKey) inputs.push_back(input(Shape{batch, s, dk}, 1.3, k));
        cpu::CpuBackend be;
        const Tensor y = train::runModel(*m, be, inputs, batch).at(0);
        Mat want;
        for (int64_t b = 0; b < batch; ++b) {
            auto sample = [&](const Mat& x, int64_t len, int64_t d) { return Mat(x.begin() + b * len * d, x.begin() + (b + 1) * len * d); };
            const Mat vs = sample(v, s, dv);
            const Mat r = attentionReference(w, sample(q, t, dq), vs, withKey ? sample(k, s, dk) : vs, t, s, dq, dv, withKey ? dk : dv, heads,
                                             kd, vd, causal, bias);
            want.insert(want.end(), r.begin(), r.end());
        }
        compare(y, want, 2e-5);
    }

    // Attention-probability dropout: the inference output is the reference's; a training trace
    // with dropout differs from it, one with dropout 0 does not.
    void dropoutAppliesOnlyWhileTraining() {
        auto run = [](double rate, bool training) {
            const json config = {{"num_heads", 2}, {"key_dim", 3}, {"dropout", rate}, {"seed", 5}};
            auto m = Model::fromSpec(ModelSpec::fromJson(model("MultiHeadAttention", config, {{4, 3}, {4, 3}})));
            m->build(1);
            setVariables(*m);
            train::TracedModel t = train::traceModel(*m, train::Signature{{Shape{2, 4, 3}, Shape{2, 4, 3}}, training}, 5);
            cpu::CpuBackend be;
            for (const Variable* v : m->variables()) be.setVariable(v->path(), v->value());
            be.setVariable("optimizer/iter", Tensor::fromVector(Shape{}, std::vector<int32_t>{1}));
            auto plan = be.prepare(t.graph, {t.outputs[0]});
            Mat q, v;
            const Tensor a = input(Shape{2, 4, 3}, 2.0, q), b = input(Shape{2, 4, 3}, 0.7, v);
            const std::vector<ir::Feed> feeds = {{t.inputNames[0], ir::TensorView(a)}, {t.inputNames[1], ir::TensorView(b)}};
            return be.run(*plan, feeds).at(0);
        };
        const Tensor inference = run(0.5, false), noDropout = run(0.0, true), dropped = run(0.5, true);
        bool differs = false;
        for (int64_t i = 0; i < inference.size(); ++i) {
            QCOMPARE(noDropout.f32()[i], inference.f32()[i]);
            differs = differs || std::fabs(dropped.f32()[i] - inference.f32()[i]) > 1e-4f;
        }
        QVERIFY(differs);
    }

    void dotMatchesReference_data() {
        QTest::addColumn<int>("ax");
        QTest::addColumn<int>("ay");
        QTest::addColumn<bool>("normalize");
        for (bool n : {false, true})
            for (int ax : {1, 2})
                for (int ay : {1, 2}) QTest::addRow("axes %d %d%s", ax, ay, n ? " normalized" : "") << ax << ay << n;
    }
    void dotMatchesReference() {
        QFETCH(int, ax);
        QFETCH(int, ay);
        QFETCH(bool, normalize);
        const int64_t batch = 2, d = 3, fx = 4, fy = 5; // contracted length d; free lengths fx, fy
        const json sx = ax == 1 ? json{d, fx} : json{fx, d}, sy = ay == 1 ? json{d, fy} : json{fy, d};
        auto m = Model::fromSpec(ModelSpec::fromJson(model("Dot", {{"axes", {ax, ay}}, {"normalize", normalize}}, {sx, sy})));
        m->build(1);
        Mat x, y;
        std::vector<Tensor> inputs{input(Shape{batch, sx[0].get<int64_t>(), sx[1].get<int64_t>()}, 0.4, x),
                                   input(Shape{batch, sy[0].get<int64_t>(), sy[1].get<int64_t>()}, 1.9, y)};
        cpu::CpuBackend be;
        const Tensor z = train::runModel(*m, be, inputs, batch).at(0);
        auto xAt = [&](int64_t b, int64_t free, int64_t c) { return x[std::size_t(b * d * fx + (ax == 1 ? c * fx + free : free * d + c))]; };
        auto yAt = [&](int64_t b, int64_t free, int64_t c) { return y[std::size_t(b * d * fy + (ay == 1 ? c * fy + free : free * d + c))]; };
        Mat want;
        for (int64_t b = 0; b < batch; ++b)
            for (int64_t i = 0; i < fx; ++i)
                for (int64_t j = 0; j < fy; ++j) {
                    double dotv = 0, nx = 0, ny = 0;
                    for (int64_t c = 0; c < d; ++c) dotv += xAt(b, i, c) * yAt(b, j, c), nx += xAt(b, i, c) * xAt(b, i, c), ny += yAt(b, j, c) * yAt(b, j, c);
                    want.push_back(normalize ? dotv / std::sqrt(nx) / std::sqrt(ny) : dotv);
                }
        compare(z, want, 1e-5);
    }

    void repeatVectorAndPositionEmbeddingMatchReference() {
        auto rv = Model::fromSpec(ModelSpec::fromJson(model("RepeatVector", {{"n", 3}}, {{4}})));
        rv->build(1);
        Mat x;
        cpu::CpuBackend be;
        const Tensor r = train::runModel(*rv, be, {input(Shape{2, 4}, 0.1, x)}, 2).at(0);
        Mat want;
        for (int b = 0; b < 2; ++b)
            for (int n = 0; n < 3; ++n) want.insert(want.end(), x.begin() + b * 4, x.begin() + b * 4 + 4);
        compare(r, want, 0.0);

        auto pe = Model::fromSpec(ModelSpec::fromJson(model("PositionEmbedding", {{"sequence_length", 6}}, {{4, 3}})));
        pe->build(1);
        const auto table = setVariables(*pe).at("model/l/embeddings");
        cpu::CpuBackend be2;
        const Tensor p = train::runModel(*pe, be2, {input(Shape{2, 4, 3}, 0.5, x)}, 2).at(0);
        want.clear();
        for (int b = 0; b < 2; ++b) want.insert(want.end(), table.begin(), table.begin() + 12); // the first 4 rows of (6, 3)
        compare(p, want, 0.0);
    }
};

QTEST_GUILESS_MAIN(TestAttentionLayers)
#include "tst_attention_layers.moc"
