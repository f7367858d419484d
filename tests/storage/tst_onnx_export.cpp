// ONNX export checked by independent tools: every example and small specs covering every layer
// type and activation (random non-trivial weights, BatchNorm moving statistics included) are
// exported, passed through onnx.checker.check_model(full_check=True) (Debian's python3-onnx) and
// run by onnxruntime (npm onnxruntime-node, tests/onnx) on the inputs the engine runs; outputs
// must agree to 1e-4 relative / 1e-5 absolute. Also: names, symbolic batch, the CLI (project and
// saved-model sources). The failures of writing the file are in tst_onnx_files.
//
// Missing tools make the suite fail (not skip), saying how to install them.
#include "OnnxTestSupport.h"

#include "app/cli/Cli.h"
#include "storage/CheckpointStore.h"
#include "storage/onnx/OnnxExport.h"
#include "storage/onnx/OnnxImport.h"
#include "storage/onnx/OnnxReader.h"
#include "storage/SavedModel.h"
#include "storage/StorageError.h"

#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <map>
#include <sstream>

using namespace strata;
using namespace strata::storage;
using namespace strata::onnxtest;
namespace fs = std::filesystem;
using nlohmann::json;


class TestOnnxExport : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    QString node_;
    int runs_ = 0;

    fs::path path(const std::string& name) const { return fs::path(dir_.path().toStdString()) / name; }

    // check_onnx.py on every file: one JSON line each (see tests/onnx/check_onnx.py).
    std::vector<json> checkFiles(const std::vector<fs::path>& files) {
        QStringList args = {QString::fromStdString(onnxToolsDir() + "/check_onnx.py")};
        for (const auto& f : files) args << QString::fromStdString(f.string());
        const Proc p = runProcess(kPython, args);
        if (p.code != 0) {
            QTest::qFail(("onnx.checker rejects an exported file:\n" + p.err).c_str(), __FILE__, __LINE__);
            return {};
        }
        std::vector<json> out;
        std::istringstream lines(p.out);
        for (std::string line; std::getline(lines, line);)
            if (!line.empty()) out.push_back(json::parse(line));
        return out;
    }

    // onnxruntime on each (file, inputs); returns each run's {"inputs": names, "outputs": {name: tensor}}.
    std::vector<json> runOnnx(const std::vector<std::pair<fs::path, std::vector<std::pair<std::string, Tensor>>>>& runs) {
        QStringList args = {QString::fromStdString(onnxToolsDir() + "/run_onnx.js")};
        std::vector<fs::path> outFiles;
        for (const auto& [file, inputs] : runs) {
            json feeds = json::object();
            for (const auto& [name, t] : inputs) feeds[name] = tensorJson(t);
            const fs::path in = path("in" + std::to_string(runs_) + ".json"), out = path("out" + std::to_string(runs_++) + ".json");
            testutil::writeText(in, feeds.dump());
            args << QString::fromStdString(file.string()) << QString::fromStdString(in.string()) << QString::fromStdString(out.string());
            outFiles.push_back(out);
        }
        const Proc p = runProcess(node_, args);
        if (p.code != 0) {
            QTest::qFail(("onnxruntime cannot run an exported file:\n" + p.err).c_str(), __FILE__, __LINE__);
            return {};
        }
        std::vector<json> results;
        for (const auto& f : outFiles) results.push_back(json::parse(testutil::readText(f)));
        return results;
    }

    static void feedsOf(const Model& m, const std::vector<Tensor>& inputs, std::vector<std::pair<std::string, Tensor>>& out) {
        const auto idx = m.inputIndices();
        for (std::size_t k = 0; k < idx.size(); ++k) out.emplace_back(m.layers()[idx[k]]->name(), inputs[k]);
    }

    // Compares onnxruntime's outputs with the engine's, output by output, element by element.
    static bool sameAsEngine(const Model& m, const std::vector<Tensor>& inputs, const json& ort, const std::string& what) {
        const std::vector<Tensor> expected = engineOutputs(m, inputs);
        const auto outs = m.outputIndices();
        for (std::size_t k = 0; k < outs.size(); ++k) {
            const std::string name = m.layers()[outs[k]]->name();
            const std::string where = what + ", output '" + name + "'";
            if (!ort["outputs"].contains(name)) return QTest::qVerify(false, "output name", (where + ": not in the ONNX outputs").c_str(), __FILE__, __LINE__);
            const json& got = ort["outputs"][name];
            if (got["dims"].get<std::vector<int64_t>>() != expected[k].shape().dims())
                return QTest::qVerify(false, "shape", (where + ": shape " + got["dims"].dump() + " vs engine " + expected[k].shape().toString()).c_str(),
                                      __FILE__, __LINE__);
            const auto values = got["data"].get<std::vector<double>>();
            const float* e = expected[k].f32();
            for (std::size_t i = 0; i < values.size(); ++i)
                if (!(std::abs(values[i] - e[i]) <= 1e-5 + 1e-4 * std::abs(e[i])))
                    return QTest::qVerify(false, "values", (where + ": element " + std::to_string(i) + " is " + std::to_string(values[i]) +
                                                            ", the engine computes " + std::to_string(e[i])).c_str(), __FILE__, __LINE__);
        }
        return true;
    }

    // Exports every case, checks the files, runs them, compares with the engine.
    void verify(std::vector<Case>& cases) {
        std::vector<fs::path> files;
        std::vector<std::pair<fs::path, std::vector<std::pair<std::string, Tensor>>>> runs;
        for (Case& c : cases) {
            if (c.file.empty()) {
                c.file = path(c.name + ".onnx");
                writeOnnxModel(*c.model, c.file);
            }
            const std::string problem = onnxCheckerProblem(c.file); // libonnx in C++, before python3-onnx's check below
            QVERIFY2(problem.empty(), problem.c_str());
            files.push_back(c.file);
            runs.emplace_back(c.file, std::vector<std::pair<std::string, Tensor>>{});
            feedsOf(*c.model, c.inputs, runs.back().second);
        }
        const auto checked = checkFiles(files);
        QCOMPARE(checked.size(), cases.size());
        const auto results = runOnnx(runs);
        QCOMPARE(results.size(), cases.size());
        for (std::size_t i = 0; i < cases.size(); ++i)
            QVERIFY(sameAsEngine(*cases[i].model, cases[i].inputs, results[i], cases[i].name));
    }

    Case specCase(const std::string& name, const std::string& specText, uint32_t seed, int64_t batch = 3, std::vector<int64_t> unknown = {}) {
        Case c{name, builtModel(ModelSpec::parse(specText, name), seed), {}, {}};
        c.inputs = randomInputs(*c.model, batch, seed + 7, std::move(unknown));
        return c;
    }

private slots:
    void initTestCase();
    void examplesRunAsInTheEngine();
    void everyActivationInBothLayouts();
    void leakyReluLayersKeepTheirAlpha();
    void reluLayersAreReluLeakyReluAndClip();
    void convolutionsAndPools();
    void sequenceLayers();
    void recurrentLayers();
    void transposedConvolutions();
    void unknownSpatialSizes();
    void mergesReshapesAndNormalizations();
    void nestedBlocks();
    void namesSymbolicBatchAndWeights();
    void cliExportsProjectsAndSavedModels();
};


// Every tool must be there: a missing one fails the suite with what to install.
void TestOnnxExport::initTestCase() {
    QVERIFY(dir_.isValid());
    std::string missing;
    const Proc py = runProcess(kPython, {"-c", "import onnx, onnx.checker; print(onnx.__version__)"});
    if (py.code != 0) missing += "- Python's onnx package for /usr/bin/python3 (Debian package python3-onnx): " + py.err + "\n";
    node_ = QStandardPaths::findExecutable("node");
    if (node_.isEmpty()) node_ = QStandardPaths::findExecutable("nodejs");
    if (node_.isEmpty()) missing += "- node (Debian packages nodejs npm) is not on PATH\n";
    else if (!fs::is_directory(onnxToolsDir() + "/node_modules/onnxruntime-node"))
        missing += "- onnxruntime-node is not installed in " + onnxToolsDir() + " (run 'npm ci' there)\n";
    if (!missing.empty()) QFAIL(("the ONNX export tests need tools that are missing:\n" + missing + kInstallHint).c_str());
}

// Embedding (Gather), SimpleRNN, LSTM and GRU as ONNX's RNN, LSTM and GRU (gate orders, both
// reset_after forms, go_backwards, return_sequences, other activations) and Bidirectional (every
// merge mode, a wrapped layer that goes backwards), run by onnxruntime as the engine runs them.
void TestOnnxExport::recurrentLayers() {
    auto spec = [](const std::string& first, const std::string& second, const std::string& input = "[5, 3]") {
        return R"({"format": "strata.model/1", "name": "rnn", "layers": [{"name": "x", "type": "Input", "config": {"shape": )" + input +
               R"(}}, {"name": "a", )" + first + R"(, "inbound": ["x"]}, {"name": "b", )" + second + R"(, "inbound": ["a"]}]})";
    };
    const std::string bi = R"("type": "Bidirectional", "config": {"layer": {"type": )";
    std::vector<Case> cases;
    cases.push_back(specCase("lstm", spec(R"("type": "LSTM", "config": {"units": 4, "return_sequences": true})",
                                          R"("type": "LSTM", "config": {"units": 3, "go_backwards": true})"), 50));
    cases.push_back(specCase("gru", spec(R"("type": "GRU", "config": {"units": 4, "reset_after": false, "return_sequences": true, "go_backwards": true})",
                                         R"("type": "GRU", "config": {"units": 3})"), 51));
    cases.push_back(specCase("rnn", spec(R"("type": "SimpleRNN", "config": {"units": 4, "activation": "relu", "return_sequences": true})",
                                         R"("type": "SimpleRNN", "config": {"units": 2, "activation": "linear", "use_bias": false})"), 52));
    cases.push_back(specCase("cell_activations", spec(R"("type": "LSTM", "config": {"units": 3, "activation": "softsign", "recurrent_activation": "hard_sigmoid", "return_sequences": true})",
                                                      R"("type": "GRU", "config": {"units": 2, "activation": "elu", "recurrent_activation": "sigmoid"})"), 53));
    cases.push_back(specCase("bidirectional", spec(bi + R"("LSTM", "config": {"units": 3, "return_sequences": true}}})",
                                                   bi + R"("GRU", "config": {"units": 2}}, "merge_mode": "sum"})"), 54));
    cases.push_back(specCase("bidirectional_backwards", spec(bi + R"("LSTM", "config": {"units": 2, "go_backwards": true, "return_sequences": true}}, "merge_mode": "ave"})",
                                                             bi + R"("SimpleRNN", "config": {"units": 2, "go_backwards": true}}, "merge_mode": "mul"})"), 55));
    cases.push_back(specCase("embedding", spec(R"("type": "Embedding", "config": {"input_dim": 9, "output_dim": 4})",
                                               R"("type": "GRU", "config": {"units": 3, "return_sequences": true})", "[6]"), 56));
    for (float& id : cases.back().inputs.at(0).values()) id = std::floor(std::abs(id) * 5.9f); // ids 0..8
    // return_state and initial_state: the operators' Y_h and Y_c, and their initial_h and initial_c.
    cases.push_back(specCase("states", R"({"format": "strata.model/1", "name": "states", "layers": [
      {"name": "x", "type": "Input", "config": {"shape": [5, 3]}},
      {"name": "enc", "type": "LSTM", "config": {"units": 4, "return_state": true, "go_backwards": true}, "inbound": ["x"]},
      {"name": "dec", "type": "LSTM", "config": {"units": 4, "return_sequences": true}, "inbound": ["x", "enc:1", "enc:2"]},
      {"name": "gru", "type": "GRU", "config": {"units": 3, "return_sequences": true, "return_state": true}, "inbound": ["dec"]},
      {"name": "gru_2", "type": "GRU", "config": {"units": 3}, "inbound": ["gru", "gru:1"]},
      {"name": "bi", "type": "Bidirectional", "config": {"layer": {"type": "LSTM", "config": {"units": 2, "return_state": true}}}, "inbound": ["dec"]},
      {"name": "cat", "type": "Concatenate", "inbound": ["enc", "gru_2", "bi:2", "bi:4", "bi:1"]},
      {"name": "out", "type": "Dense", "config": {"units": 3}, "inbound": ["cat"]}]})", 57));
    verify(cases);
    const OnnxModel m = readOnnxFile(cases[4].file);
    QVERIFY(std::any_of(m.graph.nodes.begin(), m.graph.nodes.end(),
                        [](const OnnxNode& n) { return n.opType == "LSTM" && n.stringAttr("direction", "") == "bidirectional"; }));
    const OnnxModel states = readOnnxFile(cases.back().file);
    QVERIFY(std::any_of(states.graph.nodes.begin(), states.graph.nodes.end(), [](const OnnxNode& n) {
        return n.opType == "LSTM" && n.inputs.size() == 7 && !n.inputs[5].empty() && !n.inputs[6].empty(); // the decoder's
    }));
    // The graph route reads the states back: the same outputs from the file alone.
    OnnxImportOptions options;
    options.useEmbeddedSpec = false;
    ImportedModel imported;
    try {
        imported = importOnnxFile(cases.back().file, options);
    } catch (const std::exception& e) {
        QFAIL((std::string("the exported states do not import through the graph: ") + e.what()).c_str());
    }
    QCOMPARE(imported.instantiate()->paramCounts().total(), cases.back().model->paramCounts().total());
    const std::vector<Tensor> want = engineOutputs(*cases.back().model, cases.back().inputs);
    const std::vector<Tensor> got = engineOutputs(*imported.instantiate(), cases.back().inputs);
    QCOMPARE(got.size(), want.size());
    const std::string diff = difference(got.at(0), want.at(0), 1e-5, 1e-5);
    QVERIFY2(diff.empty(), diff.c_str());
    bool usesStates = false;
    for (const LayerSpec& l : imported.spec.layers)
        for (const std::string& in : l.inbound) usesStates = usesStates || in.find(':') != std::string::npos;
    QVERIFY2(usesStates, imported.spec.toJson().dump().c_str());
}

// Conv1D (dilated "same" with an odd total pad, dilated "causal", strided "same"), the 1-D pools
// and the global 1-D pools on NCW, for a known length (explicit pads) and an unknown one (auto_pad
// SAME_UPPER where the pads depend on it), run by onnxruntime as the engine runs them.
void TestOnnxExport::sequenceLayers() {
    for (const char* length : {"12", "null"}) {
        const std::string spec = std::string(R"({"format": "strata.model/1", "name": "seq", "outputs": ["probs", "gmp", "gap"], "layers": [
          {"name": "x", "type": "Input", "config": {"shape": [)") + length + R"(, 3]}},
          {"name": "same", "type": "Conv1D", "config": {"filters": 4, "kernel_size": 2, "padding": "same", "dilation_rate": 3, "activation": "relu"}, "inbound": ["x"]},
          {"name": "causal", "type": "Conv1D", "config": {"filters": 5, "kernel_size": 3, "padding": "causal", "dilation_rate": 3}, "inbound": ["same"]},
          {"name": "strided", "type": "Conv1D", "config": {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "softmax"}, "inbound": ["causal"]},
          {"name": "mp", "type": "MaxPooling1D", "config": {"pool_size": 3, "strides": 2, "padding": "same"}, "inbound": ["strided"]},
          {"name": "ap", "type": "AveragePooling1D", "config": {"pool_size": 2, "strides": 1, "padding": "same"}, "inbound": ["causal"]},
          {"name": "gap", "type": "GlobalAveragePooling1D", "config": {"keepdims": true}, "inbound": ["ap"]},
          {"name": "gmp", "type": "GlobalMaxPooling1D", "inbound": ["mp"]},
          {"name": "probs", "type": "Dense", "config": {"units": 3, "activation": "softmax"}, "inbound": ["gmp"]}]})";
        const bool known = std::string(length) == "12";
        std::vector<Case> cases;
        cases.push_back(specCase(known ? "seq_known" : "seq_unknown", spec, 40, 3, known ? std::vector<int64_t>{} : std::vector<int64_t>{13}));
        verify(cases);
        const OnnxModel m = readOnnxFile(cases[0].file);
        int convs = 0, transposes = 0;
        for (const OnnxNode& n : m.graph.nodes) {
            if (n.opType == "Transpose") ++transposes;
            if (n.opType != "Conv") continue;
            ++convs;
            if (n.inputs.at(1) == "model/causal/kernel") QCOMPARE(n.intsAttr("pads"), (std::vector<int64_t>{6, 0})); // (k - 1) * d before
            // stride 1: span 4 needs 3 pads whatever the length, the odd one after (onnxruntime has no dilated SAME_UPPER)
            if (n.inputs.at(1) == "model/same/kernel") QCOMPARE(n.intsAttr("pads"), (std::vector<int64_t>{1, 2}));
            if (n.inputs.at(1) == "model/strided/kernel" && known) QCOMPARE(n.intsAttr("pads"), (std::vector<int64_t>{0, 1})); // 12 -> 6
            if (n.inputs.at(1) == "model/strided/kernel" && !known) QCOMPARE(n.stringAttr("auto_pad", ""), std::string("SAME_UPPER"));
        }
        QCOMPARE(convs, 3);
        QCOMPARE(transposes, 2); // into NCW once; back once for the NWC output "gap" (the other pools reduce NCW)
    }
}

void TestOnnxExport::examplesRunAsInTheEngine() {
    std::vector<Case> cases;
    uint32_t seed = 10;
    for (const char* name : {"digits_mlp", "fashion_mlp", "mnist_cnn", "two_branch", "autoencoder"}) {
        Case c{name, builtModel(testutil::example((std::string(name) + ".json").c_str()), seed), {}, {}};
        c.inputs = randomInputs(*c.model, 3, seed++);
        cases.push_back(std::move(c));
    }
    verify(cases);
}

// Each activation as an Activation layer after a Dense (NHWC) and after a Conv2D (NCHW in ONNX,
// where softmax runs over axis 1); every one of them is a model output.
void TestOnnxExport::everyActivationInBothLayouts() {
    for (bool conv : {false, true}) {
        json spec = {{"format", "strata.model/1"}, {"name", conv ? "conv_activations" : "activations"}, {"outputs", json::array()}};
        spec["layers"] = json::array({{{"name", "x"}, {"type", "Input"}, {"config", {{"shape", conv ? json{5, 4, 3} : json{6}}}}}});
        spec["layers"].push_back(conv ? json{{"name", "h"}, {"type", "Conv2D"}, {"config", {{"filters", 4}, {"kernel_size", {3, 3}}, {"padding", "same"}}}, {"inbound", {"x"}}}
                                      : json{{"name", "h"}, {"type", "Dense"}, {"config", {{"units", 7}}}, {"inbound", {"x"}}});
        for (const std::string& a : activationNames()) {
            spec["layers"].push_back({{"name", "act_" + a}, {"type", "Activation"}, {"config", {{"activation", a}}}, {"inbound", {"h"}}});
            spec["outputs"].push_back("act_" + a);
        }
        std::vector<Case> cases;
        cases.push_back(specCase(spec["name"].get<std::string>(), spec.dump(), conv ? 21 : 20));
        verify(cases);
    }
    // The same activations inside Dense and Conv2D layers.
    std::vector<Case> cases;
    for (const std::string& a : activationNames())
        cases.push_back(specCase("dense_" + a, R"({"format": "strata.model/1", "name": "d", "layers": [
          {"name": "x", "type": "Input", "config": {"shape": [4, 4, 2]}},
          {"name": "c", "type": "Conv2D", "config": {"filters": 3, "kernel_size": [2, 2], "activation": ")" + a + R"("}},
          {"name": "f", "type": "Flatten"},
          {"name": "out", "type": "Dense", "config": {"units": 5, "activation": ")" + a + R"("}}]})", 30));
    verify(cases);
}

// LeakyReLU layers are LeakyRelu nodes with their own alpha, after a Dense (NHWC), between a
// Conv2D and a pool (staying NCHW: no Transpose but the one in and the one out) and on rank 3.
void TestOnnxExport::leakyReluLayersKeepTheirAlpha() {
    std::vector<Case> cases;
    cases.push_back(specCase("leaky", R"({"format": "strata.model/1", "name": "leaky", "inputs": ["x", "img", "seq"],
      "outputs": ["lr_dense", "lr_neg", "lr_seq"], "layers": [
      {"name": "x", "type": "Input", "config": {"shape": [6]}},
      {"name": "img", "type": "Input", "config": {"shape": [6, 6, 2]}},
      {"name": "seq", "type": "Input", "config": {"shape": [3, 4]}},
      {"name": "d", "type": "Dense", "config": {"units": 5}, "inbound": ["x"]},
      {"name": "lr_dense", "type": "LeakyReLU", "config": {"alpha": 0.05}, "inbound": ["d"]},
      {"name": "c", "type": "Conv2D", "config": {"filters": 3, "kernel_size": [3, 3], "padding": "same"}, "inbound": ["img"]},
      {"name": "lr_conv", "type": "LeakyReLU", "config": {"alpha": 0.01}, "inbound": ["c"]},
      {"name": "mp", "type": "MaxPooling2D", "inbound": ["lr_conv"]},
      {"name": "lr_neg", "type": "LeakyReLU", "config": {"alpha": -0.5}, "inbound": ["mp"]},
      {"name": "lr_seq", "type": "LeakyReLU", "inbound": ["seq"]}]})", 25));
    verify(cases); // the checker accepts it and onnxruntime computes what the engine does
    const OnnxModel m = readOnnxFile(cases[0].file);
    std::vector<float> alphas;
    int transposes = 0;
    for (const OnnxNode& n : m.graph.nodes) {
        if (n.opType == "LeakyRelu") alphas.push_back(n.floatAttr("alpha", std::nanf("")));
        transposes += n.opType == "Transpose";
    }
    std::sort(alphas.begin(), alphas.end()); // in the lowering's topological order, which is not the spec's
    QCOMPARE(alphas, (std::vector<float>{-0.5f, 0.01f, 0.05f, 0.3f}));
    QCOMPARE(transposes, 2);
}

// ReLU layers: Relu (or LeakyRelu for a slope) and a Clip to max_value with its min omitted, after
// a Dense (NHWC), between a Conv2D and a pool (staying NCHW) and on rank 3.
void TestOnnxExport::reluLayersAreReluLeakyReluAndClip() {
    std::vector<Case> cases;
    cases.push_back(specCase("relu", R"({"format": "strata.model/1", "name": "relu", "inputs": ["x", "img", "seq"],
      "outputs": ["r_dense", "r_img", "r_seq"], "layers": [
      {"name": "x", "type": "Input", "config": {"shape": [6]}},
      {"name": "img", "type": "Input", "config": {"shape": [6, 6, 2]}},
      {"name": "seq", "type": "Input", "config": {"shape": [3, 4]}},
      {"name": "d", "type": "Dense", "config": {"units": 5}, "inbound": ["x"]},
      {"name": "r_dense", "type": "ReLU", "inbound": ["d"]},
      {"name": "c", "type": "Conv2D", "config": {"filters": 3, "kernel_size": [3, 3], "padding": "same"}, "inbound": ["img"]},
      {"name": "r_conv", "type": "ReLU", "config": {"max_value": 0.5}, "inbound": ["c"]},
      {"name": "r_img", "type": "MaxPooling2D", "inbound": ["r_conv"]},
      {"name": "r_seq", "type": "ReLU", "config": {"max_value": 1.25, "negative_slope": 0.2}, "inbound": ["seq"]}]})", 26));
    verify(cases); // the checker accepts it and onnxruntime computes what the engine does
    const OnnxModel m = readOnnxFile(cases[0].file);
    std::map<std::string, int> ops;
    for (const OnnxNode& n : m.graph.nodes) {
        ++ops[n.opType];
        if (n.opType == "Clip") QCOMPARE(n.inputs.size() > 1 ? n.inputs[1] : std::string("?"), std::string()); // no min
        if (n.opType == "LeakyRelu") QCOMPARE(n.floatAttr("alpha", 0.0f), 0.2f);
    }
    QCOMPARE(ops["Relu"], 2);
    QCOMPARE(ops["LeakyRelu"], 1);
    QCOMPARE(ops["Clip"], 2);
    QCOMPARE(ops["Transpose"], 2); // into NCHW for the Conv and back after the pool
}

void TestOnnxExport::convolutionsAndPools() {
    std::vector<Case> cases;
    cases.push_back(specCase("convs", R"({"format": "strata.model/1", "name": "convs", "outputs": ["probs", "gap_keep", "gap_flat"], "layers": [
      {"name": "img", "type": "Input", "config": {"shape": [11, 9, 3]}},
      {"name": "c1", "type": "Conv2D", "config": {"filters": 6, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same", "activation": "relu"}, "inbound": ["img"]},
      {"name": "bn", "type": "BatchNormalization", "inbound": ["c1"]},
      {"name": "mp", "type": "MaxPooling2D", "config": {"pool_size": [3, 3], "strides": [1, 1], "padding": "same"}, "inbound": ["bn"]},
      {"name": "c2", "type": "Conv2D", "config": {"filters": 5, "kernel_size": [2, 3], "dilation_rate": [2, 1], "use_bias": false, "activation": "elu"}, "inbound": ["mp"]},
      {"name": "ap", "type": "AveragePooling2D", "config": {"pool_size": [2, 2], "strides": [2, 1], "padding": "same"}, "inbound": ["c2"]},
      {"name": "gap_keep", "type": "GlobalAveragePooling2D", "config": {"keepdims": true}, "inbound": ["ap"]},
      {"name": "gap_flat", "type": "GlobalAveragePooling2D", "inbound": ["mp"]},
      {"name": "flat", "type": "Flatten", "inbound": ["ap"]},
      {"name": "probs", "type": "Dense", "config": {"units": 7, "activation": "softmax"}, "inbound": ["flat"]}]})", 40));
    cases.push_back(specCase("strided_valid", R"({"format": "strata.model/1", "name": "strided_valid", "layers": [
      {"name": "img", "type": "Input", "config": {"shape": [10, 7, 2]}},
      {"name": "c", "type": "Conv2D", "config": {"filters": 3, "kernel_size": [3, 2], "strides": [3, 2], "dilation_rate": [1, 1]}},
      {"name": "ap", "type": "AveragePooling2D", "config": {"pool_size": [2, 2], "strides": [1, 1]}},
      {"name": "same", "type": "Conv2D", "config": {"filters": 2, "kernel_size": [3, 3], "padding": "same", "dilation_rate": [2, 2], "activation": "tanh"}}]})", 41));
    // ZeroPadding2D as a Pad of zeros: on the NHWC input, and on NCHW between convolutions.
    cases.push_back(specCase("zero_padding", R"({"format": "strata.model/1", "name": "zero_padding", "layers": [
      {"name": "img", "type": "Input", "config": {"shape": [6, 5, 2]}},
      {"name": "pad_in", "type": "ZeroPadding2D", "config": {"padding": [[1, 2], [0, 3]]}},
      {"name": "c", "type": "Conv2D", "config": {"filters": 3, "kernel_size": [3, 3], "strides": [2, 2], "activation": "relu"}},
      {"name": "pad_mid", "type": "ZeroPadding2D", "config": {"padding": [1, 2]}},
      {"name": "mp", "type": "MaxPooling2D", "config": {"pool_size": [2, 2]}}]})", 42));
    // Explicit pool pads and ceil_mode (PyTorch's rule: "ceil" drops the window that would start in
    // the bottom pad), GlobalMaxPool, Resize (nearest, bilinear) and a Slice crop.
    cases.push_back(specCase("image_pools", R"({"format": "strata.model/1", "name": "image_pools", "inputs": ["img"],
      "outputs": ["gmp", "up", "crop", "avg_up"], "layers": [
      {"name": "img", "type": "Input", "config": {"shape": [9, 8, 3]}},
      {"name": "stem", "type": "MaxPooling2D", "config": {"pool_size": 3, "strides": 2, "padding": [[1, 1], [1, 1]]}, "inbound": ["img"]},
      {"name": "ceil", "type": "MaxPooling2D", "config": {"pool_size": 2, "strides": 2, "padding": [[1, 1], [0, 1]], "ceil_mode": true}, "inbound": ["stem"]},
      {"name": "gmp", "type": "GlobalMaxPooling2D", "inbound": ["ceil"]},
      {"name": "up", "type": "UpSampling2D", "config": {"size": [2, 3]}, "inbound": ["ceil"]},
      {"name": "crop", "type": "Cropping2D", "config": {"cropping": [[2, 1], [0, 3]]}, "inbound": ["img"]},
      {"name": "avg", "type": "AveragePooling2D", "config": {"pool_size": 3, "strides": 2, "padding": [[1, 0], [1, 2]], "ceil_mode": true}, "inbound": ["img"]},
      {"name": "avg_up", "type": "UpSampling2D", "config": {"size": 2, "interpolation": "bilinear"}, "inbound": ["avg"]}]})", 43));
    verify(cases);
}

// Conv2DTranspose as ConvTranspose in each geometry: "valid" with the kernel above the stride,
// "same" with an odd implicit padding (pads [0, 0, 1, 1]: the extra cell at the bottom/right, as
// TensorFlow), the kernel below the stride ("valid" and "same": output_padding), mixed per axis,
// dilated with stride 1, no bias; a chain Conv2DTranspose -> BatchNorm -> MaxPool -> Conv2D ->
// Conv2DTranspose that stays NCHW; and unknown spatial sizes, which need no auto_pad since the
// pads of a transposed convolution do not depend on the input size.
void TestOnnxExport::transposedConvolutions() {
    std::vector<Case> cases;
    cases.push_back(specCase("deconvs", R"({"format": "strata.model/1", "name": "deconvs", "inputs": ["img"],
      "outputs": ["up_valid", "up_same_odd", "up_small_kernel", "up_small_same", "up_mixed", "dilated_same", "dilated_valid", "chained"], "layers": [
      {"name": "img", "type": "Input", "config": {"shape": [5, 4, 3]}},
      {"name": "up_valid", "type": "Conv2DTranspose", "config": {"filters": 4, "kernel_size": [3, 3], "strides": [2, 2], "activation": "relu"}, "inbound": ["img"]},
      {"name": "up_same_odd", "type": "Conv2DTranspose", "config": {"filters": 3, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same", "activation": "softmax"}, "inbound": ["img"]},
      {"name": "up_small_kernel", "type": "Conv2DTranspose", "config": {"filters": 2, "kernel_size": [2, 2], "strides": [3, 3]}, "inbound": ["img"]},
      {"name": "up_small_same", "type": "Conv2DTranspose", "config": {"filters": 2, "kernel_size": [2, 1], "strides": [3, 2], "padding": "same"}, "inbound": ["img"]},
      {"name": "up_mixed", "type": "Conv2DTranspose", "config": {"filters": 3, "kernel_size": [3, 2], "strides": [2, 3], "padding": "same", "activation": "elu"}, "inbound": ["img"]},
      {"name": "dilated_same", "type": "Conv2DTranspose", "config": {"filters": 3, "kernel_size": [2, 3], "dilation_rate": [3, 1], "padding": "same", "use_bias": false}, "inbound": ["img"]},
      {"name": "dilated_valid", "type": "Conv2DTranspose", "config": {"filters": 2, "kernel_size": [3, 3], "dilation_rate": [2, 2], "use_bias": false}, "inbound": ["img"]},
      {"name": "bn", "type": "BatchNormalization", "inbound": ["up_valid"]},
      {"name": "mp", "type": "MaxPooling2D", "config": {"pool_size": [2, 2], "strides": [1, 1]}, "inbound": ["bn"]},
      {"name": "down", "type": "Conv2D", "config": {"filters": 4, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same"}, "inbound": ["mp"]},
      {"name": "chained", "type": "Conv2DTranspose", "config": {"filters": 2, "kernel_size": [4, 4], "strides": [2, 2], "padding": "same", "activation": "sigmoid"}, "inbound": ["down"]}]})", 45));
    cases.push_back(specCase("deconv_any_size", R"({"format": "strata.model/1", "name": "deconv_any_size", "outputs": ["up", "odd"], "layers": [
      {"name": "img", "type": "Input", "config": {"shape": [null, null, 2]}},
      {"name": "up", "type": "Conv2DTranspose", "config": {"filters": 3, "kernel_size": [3, 2], "strides": [2, 3], "padding": "same"}, "inbound": ["img"]},
      {"name": "odd", "type": "Conv2DTranspose", "config": {"filters": 2, "kernel_size": [3, 3], "strides": [2, 2]}, "inbound": ["img"]}]})", 46, 2, {6, 3}));
    verify(cases); // the checker accepts them and onnxruntime computes what the engine does

    const OnnxModel m = readOnnxFile(cases[0].file);
    std::map<std::string, const OnnxNode*> byKernel; // ConvTranspose nodes by their weight's name
    int transposes = 0;
    for (const OnnxNode& n : m.graph.nodes) {
        if (n.opType == "ConvTranspose" && n.inputs.size() > 1) byKernel[n.inputs[1]] = &n;
        transposes += n.opType == "Transpose";
    }
    QCOMPARE(byKernel.size(), std::size_t(8));
    auto node = [&](const std::string& layer) -> const OnnxNode& { return *byKernel.at("model/" + layer + "/kernel"); };
    QCOMPARE(node("up_valid").intsAttr("pads"), (std::vector<int64_t>{0, 0, 0, 0}));
    QVERIFY(!node("up_valid").attr("output_padding"));
    QCOMPARE(node("up_same_odd").intsAttr("pads"), (std::vector<int64_t>{0, 0, 1, 1}));
    QCOMPARE(node("up_small_kernel").intsAttr("output_padding"), (std::vector<int64_t>{1, 1}));
    QCOMPARE(node("up_small_same").intsAttr("output_padding"), (std::vector<int64_t>{1, 1}));
    QCOMPARE(node("up_small_same").intsAttr("pads"), (std::vector<int64_t>{0, 0, 0, 0}));
    QCOMPARE(node("up_mixed").intsAttr("pads"), (std::vector<int64_t>{0, 0, 1, 0}));
    QCOMPARE(node("up_mixed").intsAttr("output_padding"), (std::vector<int64_t>{0, 1}));
    QCOMPARE(node("dilated_same").intsAttr("pads"), (std::vector<int64_t>{1, 1, 2, 1})); // spans 4 and 3
    QCOMPARE(node("dilated_same").intsAttr("dilations"), (std::vector<int64_t>{3, 1}));
    QCOMPARE(node("dilated_same").inputs.size(), std::size_t(2)); // no bias
    QCOMPARE(node("chained").intsAttr("pads"), (std::vector<int64_t>{1, 1, 1, 1}));
    for (const OnnxTensor& t : m.graph.initializers)
        if (t.name == "model/up_small_kernel/kernel") QCOMPARE(t.dims, (std::vector<int64_t>{3, 2, 2, 2})); // (in, filters, kh, kw)
    QCOMPARE(transposes, 1 + 8); // into NCHW once, and each output back to NHWC: the chain stays NCHW
}

// Input (None, None, 3): "same" windows use auto_pad SAME_UPPER; the engine runs 7x10 images.
void TestOnnxExport::unknownSpatialSizes() {
    std::vector<Case> cases;
    cases.push_back(specCase("any_size", R"({"format": "strata.model/1", "name": "any_size", "layers": [
      {"name": "img", "type": "Input", "config": {"shape": [null, null, 3]}},
      {"name": "c", "type": "Conv2D", "config": {"filters": 4, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same", "activation": "relu"}},
      {"name": "mp", "type": "MaxPooling2D", "config": {"padding": "same"}},
      {"name": "ap", "type": "AveragePooling2D", "config": {"pool_size": [3, 3], "strides": [1, 1], "padding": "same"}},
      {"name": "gap", "type": "GlobalAveragePooling2D"},
      {"name": "out", "type": "Dense", "config": {"units": 3}}]})", 50, 2, {7, 10}));
    verify(cases);
}

void TestOnnxExport::mergesReshapesAndNormalizations() {
    std::vector<Case> cases;
    cases.push_back(specCase("merges", R"({"format": "strata.model/1", "name": "merges", "inputs": ["a", "b", "seq"],
      "outputs": ["drop", "seq_bn", "head", "sum"], "layers": [
      {"name": "a", "type": "Input", "config": {"shape": [4, 4, 2]}},
      {"name": "b", "type": "Input", "config": {"shape": [4, 4, 2]}},
      {"name": "seq", "type": "Input", "config": {"shape": [3, 5]}},
      {"name": "ca", "type": "Conv2D", "config": {"filters": 3, "kernel_size": [1, 1]}, "inbound": ["a"]},
      {"name": "cb", "type": "Conv2D", "config": {"filters": 3, "kernel_size": [3, 3], "padding": "same"}, "inbound": ["b"]},
      {"name": "sum", "type": "Add", "inbound": ["ca", "cb"]},
      {"name": "prod", "type": "Multiply", "inbound": ["ca", "cb", "sum"]},
      {"name": "cat", "type": "Concatenate", "inbound": ["sum", "prod"]},
      {"name": "cat_h", "type": "Concatenate", "config": {"axis": 1}, "inbound": ["sum", "ca"]},
      {"name": "cat_w", "type": "Concatenate", "config": {"axis": 2}, "inbound": ["a", "b"]},
      {"name": "mixed", "type": "Add", "inbound": ["cat_w", "cat_w"]},
      {"name": "ln", "type": "LayerNormalization", "inbound": ["cat_h"]},
      {"name": "r", "type": "Reshape", "config": {"target_shape": [-1, 6]}, "inbound": ["ln"]},
      {"name": "bn3", "type": "BatchNormalization", "config": {"epsilon": 0.01}, "inbound": ["r"]},
      {"name": "dn", "type": "Dense", "config": {"units": 4, "activation": "tanh"}, "inbound": ["bn3"]},
      {"name": "drop", "type": "Dropout", "config": {"rate": 0.3}, "inbound": ["dn"]},
      {"name": "seq_d", "type": "Dense", "config": {"units": 5, "use_bias": false}, "inbound": ["seq"]},
      {"name": "seq_ln", "type": "LayerNormalization", "config": {"center": false}, "inbound": ["seq_d"]},
      {"name": "seq_bn", "type": "BatchNormalization", "config": {"scale": false}, "inbound": ["seq_ln"]},
      {"name": "flat", "type": "Flatten", "inbound": ["cat"]},
      {"name": "flat_w", "type": "Flatten", "inbound": ["mixed"]},
      {"name": "both", "type": "Concatenate", "inbound": ["flat", "flat_w"]},
      {"name": "bn2", "type": "BatchNormalization", "config": {"center": false, "scale": false}, "inbound": ["both"]},
      {"name": "ln2", "type": "LayerNormalization", "config": {"scale": false, "epsilon": 0.1}, "inbound": ["bn2"]},
      {"name": "head", "type": "Dense", "config": {"units": 2}, "inbound": ["ln2"]}]})", 60));
    verify(cases);
}

// Blocks in blocks, with two inputs, inner names that repeat outer ones, and a block as an output.
void TestOnnxExport::nestedBlocks() {
    const std::string inner = R"({"name": "inner", "inputs": ["x"], "outputs": ["o"], "layers": [
        {"name": "x", "type": "Input", "config": {"shape": [6]}},
        {"name": "h", "type": "Dense", "config": {"units": 5, "activation": "gelu"}},
        {"name": "o", "type": "Dense", "config": {"units": 6, "activation": "swish"}}]})";
    std::vector<Case> cases;
    cases.push_back(specCase("blocks", R"({"format": "strata.model/1", "name": "blocks", "inputs": ["x", "y"], "outputs": ["after", "pair"], "layers": [
      {"name": "x", "type": "Input", "config": {"shape": [6]}},
      {"name": "y", "type": "Input", "config": {"shape": [6]}},
      {"name": "pair", "type": "Block", "inbound": ["x", "y"], "config": {"spec": {"name": "pair", "inputs": ["x", "y"], "outputs": ["o"], "layers": [
        {"name": "x", "type": "Input", "config": {"shape": [6]}},
        {"name": "y", "type": "Input", "config": {"shape": [6]}},
        {"name": "s", "type": "Add", "inbound": ["x", "y"]},
        {"name": "inner", "type": "Block", "inbound": ["s"], "config": {"spec": )" + inner + R"(}},
        {"name": "again", "type": "Block", "inbound": ["inner"], "config": {"spec": )" + inner + R"(}},
        {"name": "o", "type": "Multiply", "inbound": ["again", "x"]}]}}},
      {"name": "after", "type": "Dense", "config": {"units": 3}, "inbound": ["pair"]}]})", 70));
    verify(cases);
}

// Graph inputs and outputs named after the layers, batch dimension "batch" (one file runs any
// batch size), opset 13, weights as initializers named by variable path, the spec in metadata.
void TestOnnxExport::namesSymbolicBatchAndWeights() {
    auto model = builtModel(testutil::example("mnist_cnn.json"), 80);
    const fs::path file = path("named.onnx");
    writeOnnxModel(*model, file, {{"note", "a test"}});
    const auto info = checkFiles({file});
    QCOMPARE(info.size(), std::size_t(1));
    const json& j = info[0];
    QCOMPARE(j["opset"], json({kOnnxOpset}));
    QCOMPARE(j["inputs"], json::parse(R"([{"name": "image", "elem_type": 1, "dims": ["batch", 28, 28, 1]}])"));
    QCOMPARE(j["outputs"], json::parse(R"([{"name": "probs", "elem_type": 1, "dims": ["batch", 10]}])"));
    for (const char* w : {"model/conv2d/kernel", "model/conv2d/bias", "model/conv2d_1/kernel", "model/probs/kernel", "model/probs/bias"})
        QVERIFY2(std::find(j["initializers"].begin(), j["initializers"].end(), json(w)) != j["initializers"].end(), w);
    QCOMPARE(j["metadata"]["note"].get<std::string>(), std::string("a test"));
    QCOMPARE(json::parse(j["metadata"]["strata.model"].get<std::string>()), model->spec().toJson());
    QVERIFY(onnxModelBytes(*model, {{"note", "a test"}}) == testutil::readText(file)); // deterministic

    std::vector<std::pair<fs::path, std::vector<std::pair<std::string, Tensor>>>> runs;
    const std::vector<Tensor> one = randomInputs(*model, 1, 81), five = randomInputs(*model, 5, 82);
    runs.push_back({file, {{"image", one[0]}}});
    runs.push_back({file, {{"image", five[0]}}});
    const auto results = runOnnx(runs);
    QCOMPARE(results.size(), std::size_t(2));
    QVERIFY(sameAsEngine(*model, one, results[0], "batch 1"));
    QVERIFY(sameAsEngine(*model, five, results[1], "batch 5"));
}

void TestOnnxExport::cliExportsProjectsAndSavedModels() {
    auto model = builtModel(testutil::example("two_branch.json"), 90);
    const std::string project = path("p.strata").string(), saved = path("saved").string();
    {
        Project p = Project::open(project, OpenMode::Create);
        CheckpointWriter w(p, {p.saveVersion("two_branch", model->spec()).id, std::nullopt, 0, 0, 0});
        w.addModel(*model);
        w.commit();
    }
    writeSavedModel(*model, saved);
    Proc r = runStrataCli({"export", project, "--format", "onnx", "--out", path("from_project.onnx").string()});
    QVERIFY2(r.code == 0, r.err.c_str());
    QVERIFY2(r.out.find("from_project.onnx") != std::string::npos, r.out.c_str());
    r = runStrataCli({"export", saved, "--format", "onnx", "--out", path("from_saved.onnx").string()});
    QVERIFY2(r.code == 0, r.err.c_str());
    std::vector<Case> cases;
    for (const char* f : {"from_project.onnx", "from_saved.onnx"}) {
        Case c{f, builtModel(testutil::example("two_branch.json"), 90), {}, path(f)};
        c.inputs = randomInputs(*c.model, 4, 91);
        cases.push_back(std::move(c));
    }
    verify(cases);

    r = runStrataCli({"export", project, "--format", "tflite", "--out", path("x").string()});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.find("unknown --format 'tflite' (known: saved-model, onnx, pytorch)") != std::string::npos, r.err.c_str());
    r = runStrataCli({"export", saved, "--format", "onnx", "--model", "m", "--out", path("y.onnx").string()});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.find("saved-model folder") != std::string::npos, r.err.c_str());
    r = runStrataCli({"export", project, "--format", "onnx", "--out", path("no_such_folder/m.onnx").string()});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.find("no_such_folder") != std::string::npos, r.err.c_str());
    r = runStrataCli({"export", "--help"});
    QCOMPARE(r.code, 0);
    QVERIFY2((r.out + r.err).find("--format onnx --out FILE.onnx") != std::string::npos, (r.out + r.err).c_str());
}

QTEST_GUILESS_MAIN(TestOnnxExport)
#include "tst_onnx_export.moc"
