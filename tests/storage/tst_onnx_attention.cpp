// ONNX export of the attention layers (storage/onnx/OnnxAttentionLayers.cpp) checked by
// independent tools, as tst_onnx_export checks the others: each spec (random non-trivial weights)
// is exported, passed through onnx.checker (libonnx, then Debian's python3-onnx with full_check)
// and run by onnxruntime (npm onnxruntime-node, tests/onnx) on the inputs the engine runs; outputs
// must agree to 1e-4 relative / 1e-5 absolute. MultiHeadAttention self-attention, causal, with a
// key of its own width and without biases; Dot on rank 2 and 3, normalized; RepeatVector;
// PositionEmbedding added to its input. Missing tools fail the suite, saying how to install them.
#include "OnnxTestSupport.h"

#include "storage/onnx/OnnxExport.h"

#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <sstream>

using namespace strata;
using namespace strata::storage;
using namespace strata::onnxtest;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A model spec of Input layers named by `inputs` (name -> sample shape) and `layers` (each with its
// name, type, config and inbound); the last layer is the output.
std::string spec(const std::vector<std::pair<std::string, json>>& inputs, const std::vector<json>& layers) {
    json all = json::array(), names = json::array();
    for (const auto& [name, shape] : inputs) {
        all.push_back({{"name", name}, {"type", "Input"}, {"config", {{"shape", shape}}}});
        names.push_back(name);
    }
    for (const auto& l : layers) all.push_back(l);
    return json{{"format", "strata.model/1"}, {"name", "attention"}, {"inputs", names}, {"outputs", {layers.back().at("name")}}, {"layers", all}}
        .dump();
}

json layer(const std::string& name, const std::string& type, const json& config, const std::vector<std::string>& inbound) {
    return {{"name", name}, {"type", type}, {"config", config}, {"inbound", inbound}};
}

} // namespace

class TestOnnxAttention : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    QString node_;

    fs::path path(const std::string& name) const { return fs::path(dir_.path().toStdString()) / name; }

    Case specCase(const std::string& name, const std::string& text, uint32_t seed) {
        Case c{name, builtModel(ModelSpec::parse(text, name), seed), {}, {}};
        c.inputs = randomInputs(*c.model, 3, seed + 7);
        return c;
    }

    // Exports every case, checks the files, runs them in onnxruntime, compares with the engine.
    void verify(std::vector<Case>& cases) {
        QStringList check = {QString::fromStdString(onnxToolsDir() + "/check_onnx.py")};
        QStringList run = {QString::fromStdString(onnxToolsDir() + "/run_onnx.js")};
        for (std::size_t i = 0; i < cases.size(); ++i) {
            Case& c = cases[i];
            c.file = path(c.name + ".onnx");
            writeOnnxModel(*c.model, c.file);
            const std::string problem = onnxCheckerProblem(c.file);
            QVERIFY2(problem.empty(), (c.name + ": " + problem).c_str());
            check << QString::fromStdString(c.file.string());
            json feeds = json::object();
            const auto idx = c.model->inputIndices();
            for (std::size_t k = 0; k < idx.size(); ++k) feeds[c.model->layers()[idx[k]]->name()] = tensorJson(c.inputs[k]);
            const fs::path in = path("in" + std::to_string(i) + ".json"), out = path("out" + std::to_string(i) + ".json");
            testutil::writeText(in, feeds.dump());
            run << QString::fromStdString(c.file.string()) << QString::fromStdString(in.string()) << QString::fromStdString(out.string());
        }
        const Proc checked = runProcess(kPython, check);
        QVERIFY2(checked.code == 0, ("onnx.checker rejects an exported file:\n" + checked.err).c_str());
        const Proc ran = runProcess(node_, run);
        QVERIFY2(ran.code == 0, ("onnxruntime cannot run an exported file:\n" + ran.err).c_str());
        for (std::size_t i = 0; i < cases.size(); ++i) {
            const Case& c = cases[i];
            const json ort = json::parse(testutil::readText(path("out" + std::to_string(i) + ".json")));
            const Tensor want = engineOutputs(*c.model, c.inputs).at(0);
            const std::string name = c.model->layers()[c.model->outputIndices().at(0)]->name();
            QVERIFY2(ort["outputs"].contains(name), (c.name + ": no output " + name).c_str());
            const json& got = ort["outputs"][name];
            QVERIFY2(got["dims"].get<std::vector<int64_t>>() == want.shape().dims(),
                     (c.name + ": shape " + got["dims"].dump() + ", the engine's " + want.shape().toString()).c_str());
            const auto values = got["data"].get<std::vector<double>>();
            QCOMPARE(int64_t(values.size()), want.size());
            for (std::size_t k = 0; k < values.size(); ++k)
                QVERIFY2(std::abs(values[k] - want.f32()[k]) <= 1e-5 + 1e-4 * std::abs(want.f32()[k]),
                         (c.name + ": element " + std::to_string(k) + " is " + std::to_string(values[k]) + ", the engine computes " +
                          std::to_string(want.f32()[k])).c_str());
        }
    }

private slots:
    void initTestCase() {
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

    void attentionLayersRunAsInTheEngine() {
        const std::vector<std::pair<std::string, json>> seq = {{"x", {5, 6}}}, qkv = {{"q", {4, 6}}, {"v", {5, 3}}, {"k", {5, 7}}};
        std::vector<Case> cases;
        cases.push_back(specCase("mha_self", spec(seq, {layer("a", "MultiHeadAttention", {{"num_heads", 2}, {"key_dim", 4}}, {"x", "x"})}), 60));
        cases.push_back(specCase("mha_causal", spec(seq, {layer("a", "MultiHeadAttention", {{"num_heads", 3}, {"key_dim", 2}, {"value_dim", 5}, {"use_causal_mask", true}}, {"x", "x"})}), 61));
        cases.push_back(specCase("mha_key_no_bias", spec(qkv, {layer("a", "MultiHeadAttention", {{"num_heads", 2}, {"key_dim", 3}, {"use_bias", false}, {"use_causal_mask", true}}, {"q", "v", "k"})}), 62));
        cases.push_back(specCase("dot_rank3", spec({{"a", {4, 3}}, {"b", {5, 3}}}, {layer("d", "Dot", {{"axes", {2, 2}}}, {"a", "b"})}), 63));
        cases.push_back(specCase("dot_rank3_axes_1", spec({{"a", {3, 4}}, {"b", {3, 5}}}, {layer("d", "Dot", {{"axes", 1}, {"normalize", true}}, {"a", "b"})}), 64));
        cases.push_back(specCase("dot_rank2", spec({{"a", {4}}, {"b", {4}}}, {layer("d", "Dot", {{"axes", -1}, {"normalize", true}}, {"a", "b"})}), 65));
        cases.push_back(specCase("dot_mixed", spec({{"a", {4}}, {"b", {3, 4}}}, {layer("d", "Dot", {{"axes", {1, 2}}}, {"a", "b"})}), 66));
        cases.push_back(specCase("repeat_vector", spec({{"a", {4}}}, {layer("r", "RepeatVector", {{"n", 3}}, {"a"})}), 67));
        cases.push_back(specCase("position_embedding", spec(seq, {layer("p", "PositionEmbedding", {{"sequence_length", 8}}, {"x"}),
                                                                 layer("s", "Add", json::object(), {"x", "p"})}), 68));
        verify(cases);
    }
};

QTEST_GUILESS_MAIN(TestOnnxAttention)
#include "tst_onnx_attention.moc"
