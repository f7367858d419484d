// ONNX import and export of the activations and small layers of issue 15: small PyTorch modules
// (tests/storage/torch_onnx_activations.py: squeeze-and-excitation, hardswish/hardsigmoid,
// LayerNorm + GELU MLP, PReLU, a ConvNeXt channels-last LayerNorm) exported at opset 13 import
// with the expected layers and predict like torch to 1e-4; hand-written graphs of the ops the
// patterns become (opset 14+ HardSwish, Gelu, LayerNormalization) and of HardSigmoid's other
// slopes; and Strata's own exports of every new layer and activation re-import through the graph
// route (the embedded spec ignored) and predict the same to 1e-5.
#include "OnnxTestSupport.h"

#include "engine/Activations.h"
#include "storage/onnx/OnnxExport.h"
#include "storage/onnx/OnnxGraph.h"
#include "storage/onnx/OnnxImport.h"

#include <QTemporaryDir>

#include <algorithm>
#include <cmath>
#include "tests/support/RequiredTools.h"
#include <QtTest>

using namespace strata;
using namespace strata::storage;
using namespace strata::onnxtest;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string layerTypes(const ModelSpec& spec) {
    std::string types;
    for (const LayerSpec& l : spec.layers) types += (types.empty() ? "" : " ") + l.type;
    return types;
}

} // namespace

class TestOnnxActivations : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    bool torchReady_ = false;
    std::string torchMissing_;

    fs::path path(const std::string& name) const { return fs::path(dir_.path().toStdString()) / name; }

    // Exports `spec` (built, weights randomized), imports the file through its graph and compares
    // layer types (when given), parameter counts and outputs.
    void graphRoundTrip(const std::string& name, const json& spec, const std::string& expectedTypes = {}) {
        const auto original = builtModel(ModelSpec::fromJson(spec), 5);
        const fs::path file = path(name + ".onnx");
        writeOnnxModel(*original, file);
        OnnxImportOptions options;
        options.useEmbeddedSpec = false;
        const ImportedModel imported = importOnnxFile(file, options);
        QVERIFY(!imported.fromEmbeddedSpec);
        if (!expectedTypes.empty())
            QVERIFY2(layerTypes(imported.spec) == expectedTypes, (layerTypes(imported.spec) + "\nspec: " + imported.spec.toJson().dump()).c_str());
        const auto model = imported.instantiate();
        QCOMPARE(model->paramCounts().total(), original->paramCounts().total());
        const auto inputs = randomInputs(*original, 3, 9);
        const auto want = engineOutputs(*original, inputs), got = engineOutputs(*model, inputs);
        QCOMPARE(got.size(), want.size());
        for (std::size_t k = 0; k < got.size(); ++k) {
            const std::string diff = difference(got[k], want[k], 1e-5, 1e-5);
            QVERIFY2(diff.empty(), (name + " output " + std::to_string(k) + ": " + diff + "\nimported: " + imported.spec.toJson().dump()).c_str());
        }
    }

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        const std::string script = std::string(STRATA_TEST_DATA_DIR) + "/../storage/torch_onnx_activations.py";
        fs::create_directories(path("torch"));
        const Proc p = runProcess(kPython, {QString::fromStdString(script), QString::fromStdString(path("torch").string())});
        if (p.code == 3) {
            torchMissing_ = p.err;
            return;
        }
        QVERIFY2(p.code == 0, ("torch_onnx_activations.py failed:\n" + p.err).c_str());
        torchReady_ = true;
    }

    void torchModules_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("expectedTypes");
        QTest::newRow("squeeze-excitation, sigmoid") << "torch_se" << "Input Conv2D GlobalAveragePooling2D Conv2D Conv2D Multiply Flatten Dense";
        QTest::newRow("squeeze-excitation, hardsigmoid") << "torch_se_hard" << "Input Conv2D GlobalAveragePooling2D Conv2D Conv2D Multiply Flatten Dense";
        QTest::newRow("hardswish, hardsigmoid") << "torch_hard" << "Input Conv2D Conv2D Multiply Add Flatten Dense";
        QTest::newRow("hardswish opset 14") << "torch_hard_opset14" << "Input Conv2D Conv2D Multiply Add Flatten Dense";
        QTest::newRow("LayerNorm, GELU, SiLU, mish") << "torch_ln_gelu"
                                                     << "Input LayerNormalization Dense Dense Activation Add Activation Add "
                                                        "Activation Activation Multiply Activation Add Dense LayerNormalization";
        QTest::newRow("PReLU, softmax over the height") << "torch_prelu" << "Input Conv2D PReLU Softmax Rescaling Flatten Dense PReLU";
        QTest::newRow("ConvNeXt channels-last LayerNorm") << "torch_convnext_block" << "Input Conv2D LayerNormalization Dense";
    }
    void torchModules() {
        if (!torchReady_) STRATA_SKIP_UNLESS_REQUIRED("PyTorch is not available: " + torchMissing_);
        QFETCH(QString, name);
        QFETCH(QString, expectedTypes);
        const ImportedModel imported = importOnnxFile(path("torch") / (name.toStdString() + ".onnx"));
        QVERIFY(!imported.fromEmbeddedSpec);
        const std::string types = layerTypes(imported.spec);
        QVERIFY2(types == expectedTypes.toStdString(), (types + "\nspec: " + imported.spec.toJson().dump()).c_str());
        const auto model = imported.instantiate();
        const json io = json::parse(testutil::readText(path("torch") / (name.toStdString() + ".json")));
        const auto got = engineOutputs(*model, {nchwToNhwc(tensorFromJson(io["input"]))});
        QCOMPARE(got.size(), std::size_t(1));
        const Tensor want = nchwToNhwc(tensorFromJson(io["output"]));
        const std::string diff = difference(got[0], want, 1e-4, 1e-4);
        QVERIFY2(diff.empty(), (name.toStdString() + ": " + diff + "\nspec: " + imported.spec.toJson().dump()).c_str());
    }

    // The PReLU of an image keeps one slope per channel (torch's weight [C, 1, 1]): alpha (1, 1, C),
    // shared over height and width; the features' single slope is shared over axis 1.
    void torchPreluSlopesBecomeSharedAxes() {
        if (!torchReady_) STRATA_SKIP_UNLESS_REQUIRED("PyTorch is not available: " + torchMissing_);
        const ImportedModel m = importOnnxFile(path("torch") / "torch_prelu.onnx");
        std::vector<json> shared;
        for (const LayerSpec& l : m.spec.layers)
            if (l.type == "PReLU") shared.push_back(l.config["shared_axes"]);
        QCOMPARE(shared.size(), std::size_t(2));
        QCOMPARE(shared[0], json({1, 2}));
        QCOMPARE(shared[1], json({1}));
    }

    // Every activation the engine knows, as an Activation layer and inside a Dense, through the graph.
    void everyActivationReimportsThroughTheGraph() {
        json spec = {{"format", "strata.model/1"}, {"name", "acts"}, {"outputs", json::array()}};
        spec["layers"] = json::array({{{"name", "x"}, {"type", "Input"}, {"config", {{"shape", {6}}}}},
                                      {{"name", "h"}, {"type", "Dense"}, {"config", {{"units", 5}}}, {"inbound", {"x"}}}});
        for (const std::string& a : activationNames()) {
            spec["layers"].push_back({{"name", "act_" + a}, {"type", "Activation"}, {"config", {{"activation", a}}}, {"inbound", {"h"}}});
            spec["layers"].push_back({{"name", "dense_" + a}, {"type", "Dense"}, {"config", {{"units", 3}, {"activation", a}}}, {"inbound", {"x"}}});
            spec["outputs"].push_back("act_" + a);
            spec["outputs"].push_back("dense_" + a);
        }
        graphRoundTrip("acts", spec);
    }

    // ReLU with a threshold, Softmax over a middle axis, PReLU (per channel and per element),
    // Rescaling, a broadcast Multiply (squeeze-and-excitation) and LayerNormalization: each comes
    // back as itself through the graph.
    void newLayersReimportThroughTheGraph() {
        const json spec = json::parse(R"({"format": "strata.model/1", "name": "layers", "layers": [
          {"name": "x", "type": "Input", "config": {"shape": [5, 5, 3]}},
          {"name": "conv", "type": "Conv2D", "config": {"filters": 4, "kernel_size": 3, "padding": "same"}},
          {"name": "prelu", "type": "PReLU", "config": {"shared_axes": [1, 2]}},
          {"name": "relu", "type": "ReLU", "config": {"threshold": 0.1, "negative_slope": 0.2, "max_value": 1.5}},
          {"name": "squeeze", "type": "GlobalAveragePooling2D", "config": {"keepdims": true}},
          {"name": "excite", "type": "Dense", "config": {"units": 4, "activation": "hard_sigmoid"}},
          {"name": "scaled", "type": "Multiply", "inbound": ["relu", "excite"]},
          {"name": "softmax", "type": "Softmax", "config": {"axis": 1}, "inbound": ["scaled"]},
          {"name": "rescale", "type": "Rescaling", "config": {"scale": 2.5, "offset": -0.25}},
          {"name": "prelu_all", "type": "PReLU"},
          {"name": "norm", "type": "LayerNormalization", "config": {"epsilon": 0.0001}},
          {"name": "flat", "type": "Flatten"},
          {"name": "out", "type": "Dense", "config": {"units": 3, "activation": "gelu_tanh"}}]})");
        graphRoundTrip("layers", spec,
                       "Input Conv2D PReLU ReLU Rescaling Activation Rescaling Add GlobalAveragePooling2D Dense Multiply Softmax Rescaling "
                       "PReLU LayerNormalization Flatten Dense"); // the ReLU: ThresholdedRelu, Clip, + -slope * Relu(t - x)
    }

    // ReLU's other forms: a plain threshold, and a cap without one.
    void reluFormsReimport() {
        graphRoundTrip("relus", json::parse(R"({"format": "strata.model/1", "name": "relus", "layers": [
          {"name": "x", "type": "Input", "config": {"shape": [6]}},
          {"name": "a", "type": "ReLU", "config": {"threshold": 0.3}},
          {"name": "b", "type": "ReLU", "config": {"max_value": 0.4, "negative_slope": 0.05}},
          {"name": "c", "type": "Rescaling", "config": {"scale": -1.5}}]})"), "Input ReLU ReLU Rescaling");
    }

    // ONNX ops of later opsets (what the patterns become; opset 17, the newest read: Gelu, opset 20,
    // is not among them) and HardSigmoid's other slopes, written by hand: each node's value against
    // the formula.
    void handWrittenNodes() {
        OnnxGraph g("hand");
        g.input("x", kOnnxFloat, {{-1, "batch"}, {4, {}}});
        const std::vector<float> gamma = {1.5f, 0.5f, -1.0f, 2.0f}, beta = {0.1f, 0.2f, 0.3f, -0.4f};
        const std::string gName = g.initializer("gamma", {4}, gamma), bName = g.initializer("beta", {4}, beta);
        g.node("HardSigmoid", {"x"}, "hs", {OnnxAttr::real("alpha", 0.2f), OnnxAttr::real("beta", 0.5f)}); // Keras 2's slope
        g.node("HardSwish", {"x"}, "hw");
        g.node("LayerNormalization", {"x", gName, bName}, "ln", {OnnxAttr::integer("axis", -1), OnnxAttr::real("epsilon", 1e-3f)});
        g.node("ThresholdedRelu", {"x"}, "tr", {OnnxAttr::real("alpha", 0.25f)});
        for (const char* o : {"hs", "hw", "ln", "tr"}) g.output(o, kOnnxFloat, {{-1, "batch"}, {4, {}}});
        OnnxModelInfo info;
        info.opset = 17;
        const fs::path file = path("hand.onnx");
        testutil::writeText(file, g.modelBytes(info));
        const ImportedModel imported = importOnnxFile(file);
        QCOMPARE(layerTypes(imported.spec), std::string("Input Rescaling ReLU Activation LayerNormalization ReLU"));
        const auto model = imported.instantiate();
        const Tensor x = Tensor::fromVector(Shape{2, 4}, std::vector<float>{-4.0f, -1.0f, 0.2f, 3.5f, 2.0f, -0.3f, 0.5f, -2.5f});
        const auto y = engineOutputs(*model, {x});
        QCOMPARE(y.size(), std::size_t(4));
        for (int64_t r = 0; r < 2; ++r) {
            double mean = 0, var = 0;
            for (int64_t c = 0; c < 4; ++c) mean += x.f32()[r * 4 + c] / 4.0;
            for (int64_t c = 0; c < 4; ++c) var += std::pow(x.f32()[r * 4 + c] - mean, 2) / 4.0;
            for (int64_t c = 0; c < 4; ++c) {
                const std::size_t i = std::size_t(r * 4 + c);
                const double v = x.f32()[i];
                const double want[4] = {std::clamp(0.2 * v + 0.5, 0.0, 1.0), v * std::clamp(v / 6 + 0.5, 0.0, 1.0),
                                        (v - mean) / std::sqrt(var + 1e-3) * gamma[std::size_t(c)] + beta[std::size_t(c)],
                                        v > 0.25 ? v : 0.0};
                for (int k = 0; k < 4; ++k)
                    QVERIFY2(std::abs(y[std::size_t(k)].f32()[i] - want[k]) <= 1e-5,
                             qPrintable(QString("output %1 [%2] = %3, expected %4").arg(k).arg(i).arg(y[std::size_t(k)].f32()[i]).arg(want[k])));
            }
        }
    }
};

QTEST_MAIN(TestOnnxActivations)
#include "tst_onnx_activations.moc"
