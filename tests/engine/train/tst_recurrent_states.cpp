// Layers with several outputs: Keras' return_state and initial_state on SimpleRNN, LSTM, GRU and
// Bidirectional, wired as "NAME:K" (ModelSpec.h, OutputRef). Shapes, the messages for a wrong
// reference, the summary's Keras columns, and the values against the layer's own output and a
// float64 re-derivation of the LSTM cell from given initial states. Against PyTorch (outputs,
// gradients through time, optimizer steps): tst_golden's recurrent_states.
#include "engine/Error.h"
#include "engine/Model.h"
#include "engine/ShapeInference.h"
#include "engine/Summary.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/train/Inference.h"

#include "tests/support/WaveVariables.h"

#include <QtTest>

#include <cmath>

using namespace strata;
using nlohmann::json;

namespace {

json layer(const std::string& name, const std::string& type, const json& config, const json& inbound) {
    return {{"name", name}, {"type", type}, {"config", config}, {"inbound", inbound}};
}

json input(const std::string& name, const json& shape) { return {{"name", name}, {"type", "Input"}, {"config", {{"shape", shape}}}}; }

ModelSpec specOf(const json& layers, const json& outputs, const json& inputs = json::array({"x"})) {
    return ModelSpec::fromJson({{"format", "strata.model/1"}, {"name", "m"}, {"inputs", inputs}, {"outputs", outputs}, {"layers", layers}});
}

std::string firstIssue(const ModelSpec& spec) {
    const InferenceResult r = ShapeInference::run(spec);
    return r.ok() ? std::string("(no error)") : r.issues.front().text();
}

std::vector<float> waveInput(int64_t n) {
    std::vector<float> x(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(test::wave(i, 2.0));
    return x;
}

double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

} // namespace

class TestRecurrentStates : public QObject {
    Q_OBJECT
private slots:
    void statesAreExtraOutputs() {
        const ModelSpec spec = specOf({input("x", {5, 3}), layer("lstm", "LSTM", {{"units", 4}, {"return_state", true}}, {"x"}),
                                       layer("gru", "GRU", {{"units", 2}, {"return_state", true}, {"return_sequences", true}}, {"x"}),
                                       layer("cat", "Concatenate", json::object(), {"lstm", "lstm:1", "lstm:2", "gru:1"})},
                                      {"cat"});
        const InferenceResult r = ShapeInference::run(spec);
        QVERIFY2(r.ok(), r.ok() ? "" : r.issues.front().text().c_str());
        const LayerInference& lstm = r.layers[1];
        QCOMPARE(lstm.outputShape->toString(), std::string("(None, 4)"));
        QCOMPARE(int(lstm.extraOutputShapes.size()), 2);
        QCOMPARE(lstm.extraOutputShapes[1].toString(), std::string("(None, 4)"));
        QCOMPARE(r.layers[2].extraOutputShapes.at(0).toString(), std::string("(None, 2)"));
        QCOMPARE(r.layers[3].inboundOutput, (std::vector<int>{0, 1, 2, 1}));
        QCOMPARE(r.layers[3].outputShape->toString(), std::string("(None, 14)"));
        // The state's names, for ports and the PyTorch export's locals.
        QCOMPARE(lstm.layer->extraOutputNames(), (std::vector<std::string>{"state_h", "state_c"}));
        QCOMPARE(r.layers[2].layer->extraOutputNames(), std::vector<std::string>{"state"});
        // Return_state does not change the parameter count.
        QCOMPARE(lstm.params.trainable, int64_t(4 * 4 * (3 + 4 + 1)));
    }

    void summaryListsEveryOutputAsKeras() {
        const ModelSpec spec = specOf({input("x", {5, 3}), layer("lstm", "LSTM", {{"units", 4}, {"return_state", true}}, {"x"}),
                                       layer("add", "Add", json::object(), {"lstm", "lstm:2"})},
                                      {"add"});
        const std::string s = SummaryTable::fromSpec(spec, ShapeInference::run(spec)).format();
        QVERIFY2(s.find("[(None, 4), (None, 4), (None, 4)]") != std::string::npos, s.c_str());
        QVERIFY2(s.find("lstm[0][2]") != std::string::npos && s.find("lstm[0][0]") != std::string::npos, s.c_str());
    }

    void wrongReferencesAreNamed() {
        auto oneUse = [](const json& lstmConfig, const std::string& ref) {
            return specOf({input("x", {5, 3}), layer("lstm", "LSTM", lstmConfig, {"x"}), layer("d", "Dense", {{"units", 2}}, {ref})}, {"d"});
        };
        const std::string past = firstIssue(oneUse({{"units", 4}, {"return_state", true}}, "lstm:3"));
        QVERIFY2(past.find("'lstm' has 3 outputs ('lstm' and 'lstm:1' to 'lstm:2')") != std::string::npos, past.c_str());
        const std::string off = firstIssue(oneUse({{"units", 4}}, "lstm:1"));
        QVERIFY2(off.find("has one output") != std::string::npos && off.find("return_state") != std::string::npos, off.c_str());
        const std::string unknown = firstIssue(oneUse({{"units", 4}}, "lstn:1"));
        QVERIFY2(unknown.find("unknown inbound layer 'lstn:1'") != std::string::npos, unknown.c_str());
        const std::string zero = firstIssue(oneUse({{"units", 4}}, "lstm:01")); // not a reference: an unknown name
        QVERIFY2(zero.find("unknown inbound layer 'lstm:01'") != std::string::npos, zero.c_str());
        // A model output is a layer's first output.
        const std::string out = firstIssue(specOf({input("x", {5, 3}), layer("lstm", "LSTM", {{"units", 4}, {"return_state", true}}, {"x"})},
                                                  {"lstm:1"}));
        QVERIFY2(out.find("output 'lstm:1' is output 1 of layer 'lstm'") != std::string::npos, out.c_str());
    }

    void aLayerNamedLikeAReferenceIsReachedByName() {
        const ModelSpec spec = specOf({input("x", {5, 3}), layer("a:1", "LSTM", {{"units", 4}}, {"x"}), layer("d", "Dense", {{"units", 2}}, {"a:1"})},
                                      {"d"});
        const InferenceResult r = ShapeInference::run(spec);
        QVERIFY2(r.ok(), r.ok() ? "" : r.issues.front().text().c_str());
        QCOMPARE(r.layers[2].inbound, std::vector<int>{1});
        QCOMPARE(r.layers[2].inboundOutput, std::vector<int>{0});
    }

    void initialStatesAreChecked() {
        auto withInputs = [](const std::string& type, const json& inbound, const json& stateShape) {
            return specOf({input("x", {5, 3}), input("h", stateShape), input("c", {4}),
                           layer("r", type, {{"units", 4}}, inbound)},
                          {"r"}, {"x", "h", "c"});
        };
        QCOMPARE(firstIssue(withInputs("LSTM", {"x", "h", "c"}, {4})), std::string("(no error)"));
        QCOMPARE(firstIssue(withInputs("GRU", {"x", "h"}, {4})), std::string("(no error)"));
        const std::string two = firstIssue(withInputs("LSTM", {"x", "h"}, {4}));
        QVERIFY2(two.find("initial states h and c (3 inputs), got 2 inputs") != std::string::npos, two.c_str());
        const std::string wide = firstIssue(withInputs("LSTM", {"x", "h", "c"}, {5}));
        QVERIFY2(wide.find("initial state h (input 2) must be (None, 4), got (None, 5)") != std::string::npos, wide.c_str());
        const std::string many = firstIssue(withInputs("GRU", {"x", "h", "c"}, {4}));
        QVERIFY2(many.find("expects 1 to 2 inputs, got 3") != std::string::npos, many.c_str());
    }

    // The states are the layer's own values: h is the last output (the last step processed with
    // go_backwards), and a Bidirectional layer's are its copies' in Keras' order.
    void statesMatchTheOutputs() {
        const ModelSpec spec = specOf(
            {input("x", {5, 3}),
             layer("seq", "LSTM", {{"units", 4}, {"return_state", true}, {"return_sequences", true}, {"go_backwards", true}}, {"x"}),
             layer("last", "Slice", {{"axis", 1}, {"start", -1}}, {"seq"}), layer("flat", "Flatten", json::object(), {"last"}),
             layer("bi", "Bidirectional", {{"layer", {{"type", "GRU"}, {"config", {{"units", 2}, {"return_state", true}}}}}}, {"x"}),
             layer("cat", "Concatenate", json::object(), {"flat", "seq:1", "bi", "bi:1", "bi:2"})},
            {"cat"});
        auto m = Model::fromSpec(spec);
        m->build(3);
        test::setWaveVariables(*m);
        cpu::CpuBackend be;
        const Tensor y = train::runModel(*m, be, {Tensor::fromVector(Shape{2, 5, 3}, waveInput(30))}, 2).at(0);
        QCOMPARE(y.shape().toString(), std::string("(2, 16)"));
        for (int64_t n = 0; n < 2; ++n) {
            const float* row = y.f32() + n * 16;
            for (int k = 0; k < 4; ++k) QCOMPARE(row[4 + k], row[k]);      // seq:1 == the last step taken
            for (int k = 0; k < 4; ++k) QCOMPARE(row[12 + k], row[8 + k]); // [bi:1, bi:2] == bi (concat)
        }
    }

    // An LSTM started from given states, against Keras' cell in float64; its c state too.
    void initialStateStartsTheRecurrence() {
        const int64_t steps = 3, features = 2, u = 3;
        const ModelSpec spec = specOf({input("x", {steps, features}), input("h0", {u}), input("c0", {u}),
                                       layer("lstm", "LSTM", {{"units", u}, {"return_state", true}}, {"x", "h0", "c0"}),
                                       layer("cat", "Concatenate", json::object(), {"lstm", "lstm:2"})},
                                      {"cat"}, {"x", "h0", "c0"});
        auto m = Model::fromSpec(spec);
        m->build(5);
        const auto w = test::setWaveVariables(*m);
        const std::vector<float> x = waveInput(steps * features), h0 = {0.3f, -0.2f, 0.5f}, c0 = {-0.4f, 0.1f, 0.25f};
        cpu::CpuBackend be;
        const Tensor y = train::runModel(*m, be,
                                         {Tensor::fromVector(Shape{1, steps, features}, x), Tensor::fromVector(Shape{1, u}, h0),
                                          Tensor::fromVector(Shape{1, u}, c0)},
                                         1)
                             .at(0);
        const auto& kernel = w.at("model/lstm/kernel");
        const auto& recurrent = w.at("model/lstm/recurrent_kernel");
        const auto& bias = w.at("model/lstm/bias");
        std::vector<double> h(h0.begin(), h0.end()), c(c0.begin(), c0.end());
        for (int64_t t = 0; t < steps; ++t) {
            std::vector<double> z(std::size_t(4 * u));
            for (int64_t j = 0; j < 4 * u; ++j) {
                z[j] = bias[std::size_t(j)];
                for (int64_t f = 0; f < features; ++f) z[j] += double(x[std::size_t(t * features + f)]) * kernel[std::size_t(f * 4 * u + j)];
                for (int64_t i = 0; i < u; ++i) z[j] += h[std::size_t(i)] * recurrent[std::size_t(i * 4 * u + j)];
            }
            for (int64_t j = 0; j < u; ++j) {
                c[j] = sigmoid(z[u + j]) * c[j] + sigmoid(z[j]) * std::tanh(z[2 * u + j]);
                h[j] = sigmoid(z[3 * u + j]) * std::tanh(c[j]);
            }
        }
        for (int64_t j = 0; j < u; ++j) {
            QVERIFY2(std::abs(y.f32()[j] - h[std::size_t(j)]) < 2e-5, qPrintable(QString("h[%1]").arg(j)));
            QVERIFY2(std::abs(y.f32()[u + j] - c[std::size_t(j)]) < 2e-5, qPrintable(QString("c[%1]").arg(j)));
        }
    }

    // Inside a block, states wire as at the top level; a block's output is a first output.
    void blocksCarryStates() {
        const json inner = {{"layers", {input("seq", {5, 3}), layer("enc", "LSTM", {{"units", 4}, {"return_state", true}}, {"seq"}),
                                        layer("dec", "GRU", {{"units", 4}}, {"seq", "enc:1"})}},
                            {"outputs", {"dec"}}};
        const ModelSpec spec = specOf({input("x", {5, 3}), layer("block", "Block", {{"spec", inner}}, {"x"})}, {"block"});
        QCOMPARE(firstIssue(spec), std::string("(no error)"));
        auto m = Model::fromSpec(spec);
        m->build(1);
        cpu::CpuBackend be;
        QCOMPARE(train::runModel(*m, be, {Tensor::fromVector(Shape{1, 5, 3}, waveInput(15))}, 1).at(0).shape().toString(),
                 std::string("(1, 4)"));
        json stateOut = inner;
        stateOut["outputs"] = {"enc:1"};
        const std::string why = firstIssue(specOf({input("x", {5, 3}), layer("block", "Block", {{"spec", stateOut}}, {"x"})}, {"block"}));
        QVERIFY2(why.find("a model output is a layer's first output") != std::string::npos, why.c_str());
    }

    void referencesParse() {
        std::string name;
        int k = 0;
        QVERIFY(splitOutputSuffix("lstm:2", name, k) && name == "lstm" && k == 2);
        QVERIFY(splitOutputSuffix("a:b:12", name, k) && name == "a:b" && k == 12);
        QVERIFY(!splitOutputSuffix("lstm:0", name, k));
        QVERIFY(!splitOutputSuffix("lstm:", name, k));
        QVERIFY(!splitOutputSuffix(":1", name, k));
        QVERIFY(!splitOutputSuffix("lstm:-1", name, k));
        QVERIFY(!splitOutputSuffix("lstm:999", name, k));
        QCOMPARE(outputRefText("lstm", 0), std::string("lstm"));
        QCOMPARE(outputRefText("lstm", 2), std::string("lstm:2"));
        const auto isLayer = [](const std::string& n) { return n == "keep:1"; };
        QCOMPARE(renameOutputRef("old:2", "old", "new", isLayer), std::string("new:2"));
        QCOMPARE(renameOutputRef("old", "old", "new", isLayer), std::string("new"));
        QCOMPARE(renameOutputRef("keep:1", "keep", "new", isLayer), std::string("keep:1"));
        QCOMPARE(renameOutputRef("other:1", "old", "new", isLayer), std::string("other:1"));
    }
};

QTEST_APPLESS_MAIN(TestRecurrentStates)
#include "tst_recurrent_states.moc"
