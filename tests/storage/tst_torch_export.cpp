// The PyTorch export: every example and small specs covering every layer type, every activation,
// strides and "same"/"valid" padding, dilation, nested blocks, several inputs and outputs, frozen
// layers and odd layer names are exported with random non-trivial weights (BatchNormalization
// moving statistics included), then run by Debian's PyTorch (/usr/bin/python3) on inputs written
// here, and compared with the engine's own inference; the parameter counts and requires_grad must
// match the engine's, and a few steps of training in PyTorch must lower the loss. The folder is
// written atomically; an existing or unwritable output folder and an inexpressible layer are errors
// naming what is wrong. strata-cli export --format pytorch does the same from a project.
#include "StorageTestUtil.h"

#include "app/cli/Cli.h"
#include "engine/Activations.h"
#include "engine/LayerRegistry.h"
#include "engine/train/Tracer.h"
#include "storage/CheckpointStore.h"
#include "storage/Restore.h"
#include "storage/StorageError.h"
#include "storage/TorchCode.h"
#include "storage/TorchExport.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <unistd.h>

#include <map>
#include <random>
#include <set>
#include <sstream>

using namespace strata;
using namespace strata::storage;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const QString kPython = "/usr/bin/python3";
const char* kInstallHint = "the PyTorch export tests run the exported code with Debian's PyTorch: install it with "
                           "`apt-get install python3-torch` (bash installer/setup.sh test does), so that "
                           "/usr/bin/python3 -c 'import torch' works";

fs::path checkScript() { return fs::path(STRATA_TEST_DATA_DIR) / ".." / "storage" / "torch_export_check.py"; }

// Random weights that make every variable matter: kernels keep their glorot values, biases and
// beta get +-0.5, gamma 0.5..1.5, moving means +-0.5 and moving variances 0.5..2.
void randomizeWeights(Model& m, uint64_t seed) {
    std::mt19937 rng{uint32_t(seed)};
    for (Variable* v : m.variables()) {
        const std::string& n = v->name();
        if (n == "kernel") continue;
        std::uniform_real_distribution<float> d(n == "gamma" ? 0.5f : n == "moving_variance" ? 0.5f : -0.5f,
                                                n == "gamma" ? 1.5f : n == "moving_variance" ? 2.0f : 0.5f);
        float* p = v->value().f32();
        for (int64_t i = 0; i < v->value().shape().numElements(); ++i) p[i] = d(rng);
    }
}

std::vector<Tensor> randomInputs(const Model& m, int64_t batch, uint64_t seed) {
    std::mt19937 rng{uint32_t(seed)};
    std::normal_distribution<float> d(0.0f, 1.0f);
    std::vector<Tensor> out;
    for (int i : m.inputIndices()) {
        Tensor t(m.outputShape(i).withoutFirst().prepended(batch));
        for (int64_t k = 0; k < t.shape().numElements(); ++k) t.f32()[k] = d(rng);
        out.push_back(std::move(t));
    }
    return out;
}

// The engine's inference on the CPU backend, as `strata-cli predict` runs it; with `training`, the
// forward pass of a training step (batch statistics), and `moving` receives every BatchNormalization
// moving statistic as that pass updated it.
std::vector<Tensor> engineOutputs(const Model& m, const std::vector<Tensor>& inputs, bool training = false,
                                  std::map<std::string, Tensor>* moving = nullptr) {
    cpu::CpuBackend backend(1);
    for (const Variable* v : m.variables()) backend.setVariable(v->path(), v->value());
    train::Signature sig;
    for (const Tensor& x : inputs) sig.inputs.push_back(x.shape());
    sig.training = training;
    train::TracedModel traced = train::traceModel(m, sig, 0);
    auto prepared = backend.prepare(traced.graph, traced.outputs);
    std::vector<ir::Feed> feeds;
    for (std::size_t i = 0; i < inputs.size(); ++i) feeds.push_back({traced.inputNames[i], ir::TensorView(inputs[i])});
    std::vector<Tensor> out = backend.run(*prepared, feeds);
    if (moving)
        for (const Variable* v : m.variables())
            if (v->name() == "moving_mean" || v->name() == "moving_variance") moving->emplace(v->path(), backend.getVariable(v->path()));
    return out;
}

void writeTensor(const fs::path& file, const Tensor& t) {
    std::ofstream f(file, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(t.bytes()), std::streamsize(t.byteSize()));
}

struct PythonRun {
    int code = -1;
    QString output;
};

PythonRun python(const QStringList& args, int timeoutMs = 300000) {
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("OMP_NUM_THREADS", "1");
    p.setProcessEnvironment(env);
    p.start(kPython, args);
    if (!p.waitForStarted(30000)) return {-1, kPython + " cannot be started: " + p.errorString()};
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        return {-1, "timed out: " + QString::fromUtf8(p.readAll())};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAll())};
}

// A spec with Dense layers of every activation and an Activation layer of every activation,
// side by side on one input, concatenated.
ModelSpec everyActivationSpec() {
    json layers = json::array({{{"name", "x"}, {"type", "Input"}, {"config", {{"shape", {7}}}}}});
    json merged = json::array();
    for (const std::string& a : activationNames()) {
        layers.push_back({{"name", "dense_" + a}, {"type", "Dense"}, {"config", {{"units", 3}, {"activation", a}}}, {"inbound", {"x"}}});
        layers.push_back({{"name", "act_" + a}, {"type", "Activation"}, {"config", {{"activation", a}}}, {"inbound", {"x"}}});
        merged.push_back("dense_" + a);
        merged.push_back("act_" + a);
    }
    layers.push_back({{"name", "all"}, {"type", "Concatenate"}, {"inbound", merged}});
    return ModelSpec::fromJson({{"format", kModelFormat}, {"name", "every_activation"}, {"outputs", {"all"}}, {"layers", layers}});
}

const char* kConvSameStrides = R"({"format": "strata.model/1", "name": "conv_same_strides", "layers": [
  {"name": "image", "type": "Input", "config": {"shape": [9, 8, 3]}},
  {"name": "conv_a", "type": "Conv2D", "config": {"filters": 4, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same", "activation": "relu"}},
  {"name": "conv_b", "type": "Conv2D", "config": {"filters": 5, "kernel_size": [2, 3], "strides": [1, 2], "padding": "same", "activation": "tanh"}},
  {"name": "avg_same", "type": "AveragePooling2D", "config": {"pool_size": [3, 3], "strides": [2, 2], "padding": "same"}},
  {"name": "max_same", "type": "MaxPooling2D", "config": {"pool_size": [2, 2], "strides": [1, 1], "padding": "same"}},
  {"name": "flatten", "type": "Flatten"},
  {"name": "out", "type": "Dense", "config": {"units": 3}}]})";

const char* kConvValidDilated = R"({"format": "strata.model/1", "name": "conv_valid_dilated", "layers": [
  {"name": "image", "type": "Input", "config": {"shape": [11, 10, 2]}},
  {"name": "dilated", "type": "Conv2D", "config": {"filters": 3, "kernel_size": [3, 3], "dilation_rate": [2, 2], "use_bias": false, "activation": "selu"}},
  {"name": "bn", "type": "BatchNormalization", "config": {"momentum": 0.9, "epsilon": 0.01}},
  {"name": "dilated_same", "type": "Conv2D", "config": {"filters": 4, "kernel_size": [3, 2], "dilation_rate": [1, 2], "padding": "same", "activation": "elu"}},
  {"name": "avg", "type": "AveragePooling2D", "config": {"pool_size": [2, 2]}},
  {"name": "max", "type": "MaxPooling2D", "config": {"pool_size": [2, 1], "strides": [1, 1]}},
  {"name": "pixelwise", "type": "Dense", "config": {"units": 3, "activation": "softplus"}},
  {"name": "gap", "type": "GlobalAveragePooling2D", "config": {"keepdims": true}},
  {"name": "reshape", "type": "Reshape", "config": {"target_shape": [-1]}},
  {"name": "probs", "type": "Dense", "config": {"units": 2, "activation": "softmax"}}]})";

const char* kNormsReshape = R"({"format": "strata.model/1", "name": "norms_reshape", "layers": [
  {"name": "x", "type": "Input", "config": {"shape": [12]}},
  {"name": "dense", "type": "Dense", "config": {"units": 8, "use_bias": false}},
  {"name": "bn", "type": "BatchNormalization", "config": {"momentum": 0.9, "epsilon": 0.01}},
  {"name": "act", "type": "Activation", "config": {"activation": "gelu"}},
  {"name": "reshape", "type": "Reshape", "config": {"target_shape": [2, 4]}},
  {"name": "ln", "type": "LayerNormalization", "config": {"center": false}},
  {"name": "seq_dense", "type": "Dense", "config": {"units": 6, "activation": "swish"}},
  {"name": "ln2", "type": "LayerNormalization", "config": {"scale": false, "epsilon": 1e-5}},
  {"name": "flat", "type": "Flatten"},
  {"name": "drop", "type": "Dropout", "config": {"rate": 0.3}},
  {"name": "bn_plain", "type": "BatchNormalization", "config": {"center": false, "scale": false}},
  {"name": "out", "type": "Dense", "config": {"units": 4, "activation": "log_softmax"}}]})";

const char* kMerges = R"({"format": "strata.model/1", "name": "merges", "inputs": ["a", "b"], "outputs": ["sum_out", "cat_out"], "layers": [
  {"name": "a", "type": "Input", "config": {"shape": [6]}},
  {"name": "b", "type": "Input", "config": {"shape": [6]}},
  {"name": "da", "type": "Dense", "config": {"units": 5, "activation": "tanh"}, "inbound": ["a"]},
  {"name": "db", "type": "Dense", "config": {"units": 5, "activation": "sigmoid"}, "inbound": ["b"]},
  {"name": "dc", "type": "Dense", "config": {"units": 5}, "inbound": ["a"]},
  {"name": "sum3", "type": "Add", "inbound": ["da", "db", "dc"]},
  {"name": "prod3", "type": "Multiply", "inbound": ["da", "db", "sum3"]},
  {"name": "ra", "type": "Reshape", "config": {"target_shape": [5, 1]}, "inbound": ["prod3"]},
  {"name": "rb", "type": "Reshape", "config": {"target_shape": [5, 1]}, "inbound": ["sum3"]},
  {"name": "cat_seq", "type": "Concatenate", "config": {"axis": 1}, "inbound": ["ra", "rb"]},
  {"name": "cat_out", "type": "Flatten", "inbound": ["cat_seq"]},
  {"name": "cat_last", "type": "Concatenate", "inbound": ["prod3", "b"]},
  {"name": "sum_out", "type": "Dense", "config": {"units": 3, "activation": "leaky_relu"}, "inbound": ["cat_last"]}]})";

const char* kNestedBlocks = R"({"format": "strata.model/1", "name": "nested_blocks", "inputs": ["img"], "outputs": ["head"], "layers": [
  {"name": "img", "type": "Input", "config": {"shape": [6, 6, 2]}},
  {"name": "stem", "type": "Conv2D", "config": {"filters": 3, "kernel_size": [3, 3], "padding": "same", "activation": "relu"}, "inbound": ["img"]},
  {"name": "res block", "type": "Block", "inbound": ["stem", "img"], "config": {"spec": {
    "name": "residual", "inputs": ["x", "skip"], "outputs": ["merged"], "layers": [
      {"name": "x", "type": "Input", "config": {"shape": [6, 6, 3]}},
      {"name": "skip", "type": "Input", "config": {"shape": [6, 6, 2]}},
      {"name": "inner", "type": "Block", "inbound": ["x"], "config": {"spec": {
        "name": "inner", "layers": [
          {"name": "x", "type": "Input", "config": {"shape": [6, 6, 3]}},
          {"name": "conv", "type": "Conv2D", "config": {"filters": 3, "kernel_size": [3, 3], "padding": "same"}},
          {"name": "bn", "type": "BatchNormalization"},
          {"name": "act", "type": "Activation", "config": {"activation": "softsign"}}]}}},
      {"name": "add", "type": "Add", "inbound": ["inner", "x"]},
      {"name": "merged", "type": "Concatenate", "config": {"axis": -1}, "inbound": ["add", "skip"]}]}}},
  {"name": "side", "type": "Conv2D", "config": {"filters": 5, "kernel_size": [1, 1]}, "inbound": ["img"]},
  {"name": "cat_h", "type": "Concatenate", "config": {"axis": -3}, "inbound": ["res block", "side"]},
  {"name": "gap", "type": "GlobalAveragePooling2D", "inbound": ["cat_h"]},
  {"name": "head", "type": "Dense", "config": {"units": 2, "activation": "exponential"}, "inbound": ["gap"]}]})";

// Layer and model names that are not Python identifiers, or clash with Python or nn.Module.
const char* kOddNames = R"({"format": "strata.model/1", "name": "my model! 2", "inputs": ["input"], "outputs": ["forward"], "layers": [
  {"name": "input", "type": "Input", "config": {"shape": [4]}},
  {"name": "1st layer", "type": "Dense", "config": {"units": 3, "activation": "relu"}, "inbound": ["input"]},
  {"name": "dense-1", "type": "Dense", "config": {"units": 3}, "inbound": ["1st layer"]},
  {"name": "dense_1", "type": "Dense", "config": {"units": 3}, "inbound": ["1st layer"]},
  {"name": "class", "type": "Add", "inbound": ["dense-1", "dense_1"]},
  {"name": "self", "type": "Activation", "config": {"activation": "tanh"}, "inbound": ["class"]},
  {"name": "_private", "type": "Dense", "config": {"units": 2}, "inbound": ["self"]},
  {"name": "forward", "type": "Dense", "config": {"units": 2}, "inbound": ["_private"]}]})";

} // namespace

class TestTorchExport : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    int cases_ = 0;

    fs::path path(const std::string& name) const { return fs::path(dir_.path().toStdString()) / name; }

    // Exports `m`, runs it in PyTorch on random inputs and compares with the engine. Returns "" when
    // everything matches, else what the check printed.
    // With `trainingForward`, also one forward pass in training mode (the model must have no
    // Dropout): outputs and updated BatchNormalization running statistics as the engine's.
    QString exportAndCheck(const Model& m, int trainSteps = 0, int64_t batch = 5, bool trainingForward = false) {
        const fs::path caseDir = path("case" + std::to_string(cases_++));
        fs::create_directories(caseDir);
        const fs::path out = caseDir / "export";
        try {
            writeTorchExport(m, out, {{"source", {{"test", "tst_torch_export"}}}});
        } catch (const std::exception& e) {
            return QString("export failed: ") + e.what();
        }
        const std::vector<Tensor> inputs = randomInputs(m, batch, 100 + uint64_t(cases_));
        const std::vector<Tensor> outputs = engineOutputs(m, inputs);
        json c = {{"export_dir", out.string()}, {"rtol", 1e-4}, {"atol", 1e-5}, {"train_steps", trainSteps}};
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            const std::string f = "input" + std::to_string(i) + ".bin";
            writeTensor(caseDir / f, inputs[i]);
            c["inputs"].push_back({{"file", f}, {"shape", inputs[i].shape().dims()}});
        }
        for (std::size_t i = 0; i < outputs.size(); ++i) {
            const std::string f = "output" + std::to_string(i) + ".bin";
            writeTensor(caseDir / f, outputs[i]);
            c["outputs"].push_back({{"file", f}, {"shape", outputs[i].shape().dims()}});
        }
        if (trainingForward) {
            std::map<std::string, Tensor> moving;
            const std::vector<Tensor> trained = engineOutputs(m, inputs, true, &moving);
            json& t = c["train_forward"];
            for (std::size_t i = 0; i < trained.size(); ++i) {
                const std::string f = "train_output" + std::to_string(i) + ".bin";
                writeTensor(caseDir / f, trained[i]);
                t["outputs"].push_back({{"file", f}, {"shape", trained[i].shape().dims()}});
            }
            int k = 0;
            for (const auto& [pathName, value] : moving) {
                const std::string f = "moving" + std::to_string(k++) + ".bin";
                writeTensor(caseDir / f, value);
                t["moving"].push_back({{"strata_path", pathName}, {"file", f}, {"shape", value.shape().dims()}});
            }
        }
        int64_t total = 0, trainable = 0;
        c["trainable"] = json::object();
        for (const Variable* v : m.variables()) {
            const int64_t n = v->shape().numElements();
            total += n;
            if (v->isEffectivelyTrainable()) trainable += n;
            c["trainable"][v->path()] = v->isEffectivelyTrainable();
        }
        if (total != m.paramCounts().total()) return "the engine's variables do not add up to its parameter count";
        c["params_total"] = total;
        c["params_trainable"] = trainable;
        testutil::writeText(caseDir / "case.json", c.dump(1));
        const PythonRun r = python({"-I", QString::fromStdString(checkScript().string()), QString::fromStdString((caseDir / "case.json").string())});
        if (r.code != 0) return QString("model '%1' in PyTorch (exit %2):\n%3").arg(QString::fromStdString(m.spec().name)).arg(r.code).arg(r.output);
        lastOutput_ = r.output;
        return {};
    }

    static std::unique_ptr<Model> built(const ModelSpec& spec, uint64_t seed) {
        auto m = Model::fromSpec(spec);
        m->build(seed);
        randomizeWeights(*m, seed + 1);
        return m;
    }

    static QString exportError(const Model& m, const fs::path& out) {
        try {
            writeTorchExport(m, out);
        } catch (const StorageError& e) {
            return QString::fromUtf8(e.what());
        } catch (const std::exception& e) {
            return QString("wrong exception: ") + e.what();
        }
        return "no error";
    }

    QString lastOutput_;

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        if (qEnvironmentVariableIsSet("STRATA_KEEP_TEST_FILES")) { // to read the exported code afterwards
            dir_.setAutoRemove(false);
            qInfo("exports kept in %s", qPrintable(dir_.path()));
        }
        QVERIFY2(QFileInfo::exists(kPython), (kPython.toStdString() + " is missing; " + kInstallHint).c_str());
        const PythonRun r = python({"-I", "-c", "import torch; print(torch.__version__)"}, 120000);
        QVERIFY2(r.code == 0, (std::string("PyTorch is not importable (") + r.output.trimmed().toStdString() + "); " + kInstallHint).c_str());
        QVERIFY2(fs::is_regular_file(checkScript()), checkScript().c_str());
    }

    void identifiersAreValidPython() {
        std::set<std::string> taken;
        QCOMPARE(pythonIdentifier("dense_1", taken), std::string("dense_1"));
        QCOMPARE(pythonIdentifier("dense-1", taken), std::string("dense_1_2"));
        QCOMPARE(pythonIdentifier("1st layer", taken), std::string("layer_1st_layer"));
        QCOMPARE(pythonIdentifier("class", taken), std::string("class_"));
        QCOMPARE(pythonIdentifier("forward", taken), std::string("forward_"));
        QCOMPARE(pythonIdentifier("_parameters", taken), std::string("layer__parameters"));
        QCOMPARE(pythonIdentifier("größe", taken), std::string("gr____e"));
        std::set<std::string> classes = {"Dense"};
        QCOMPARE(pythonClassName("digits_mlp", classes), std::string("DigitsMlp"));
        QCOMPARE(pythonClassName("dense", classes), std::string("DenseModel"));
        QCOMPARE(pythonClassName("3d net", classes), std::string("Model3dNet"));
        QCOMPARE(pythonClassName("", classes), std::string("Model"));
        QCOMPARE(pythonClassName("digits-mlp", classes), std::string("DigitsMlpModel"));
        QCOMPARE(pythonClassName("Digits mlp", classes), std::string("DigitsMlpModel2"));
        QCOMPARE(pythonString("a \"b\"\n"), std::string("\"a \\\"b\\\"\\n\""));
    }

    void writesTheFolderAtomically() {
        auto m = testutil::builtModel("digits_mlp.json", 3);
        const fs::path out = path("digits_torch");
        writeTorchExport(*m, out, {{"source", {{"project", "p.strata"}, {"checkpoint", 7}}}});
        for (const char* f : {"model.py", "weights.json", "weights.bin", "README.txt"}) QVERIFY2(fs::is_regular_file(out / f), f);
        for (const auto& e : fs::directory_iterator(out.parent_path()))
            QVERIFY2(e.path().filename().string().find(".partial-") == std::string::npos, e.path().c_str());
        const std::string py = testutil::readText(out / "model.py");
        QVERIFY(py.find("class DigitsMlp(nn.Module):") != std::string::npos);
        QVERIFY2(py.find("self.dense_1 = Dense(64, 32, activation=\"relu\")") != std::string::npos, py.c_str());
        QVERIFY(py.find("probs = self.probs(dense_1)") != std::string::npos);
        QVERIFY(py.find("def load(path=None):") != std::string::npos && py.find("def build():") != std::string::npos);
        QVERIFY(py.find("checkpoint: 7") != std::string::npos);
        QVERIFY(py.find("class Conv2D") == std::string::npos); // only the classes the model uses
        const json index = json::parse(testutil::readText(out / "weights.json"));
        QCOMPARE(index["format"].get<std::string>(), std::string(kTorchWeightsFormat));
        QCOMPARE(index["class"].get<std::string>(), std::string("DigitsMlp"));
        const json& k = index["variables"][0];
        QCOMPARE(k["strata_path"].get<std::string>(), std::string("model/dense_1/kernel"));
        QCOMPARE(k["torch_name"].get<std::string>(), std::string("dense_1.weight"));
        QCOMPARE(k["torch_shape"], json({32, 64}));
        QCOMPARE(k["permute"], json({1, 0}));
        QCOMPARE(int64_t(fs::file_size(out / "weights.bin")), index["data_bytes"].get<int64_t>());
        QVERIFY(testutil::readText(out / "README.txt").find("model.load()") != std::string::npos);
    }

    void examplesMatchTheEngine_data() {
        QTest::addColumn<QString>("file");
        for (const char* f : {"digits_mlp.json", "fashion_mlp.json", "mnist_cnn.json", "two_branch.json", "autoencoder.json"})
            QTest::newRow(f) << QString(f);
    }
    void examplesMatchTheEngine() {
        QFETCH(QString, file);
        auto m = built(testutil::example(file.toStdString().c_str()), 5);
        const QString problem = exportAndCheck(*m);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }

    void everyLayerTypeMatchesTheEngine_data() {
        QTest::addColumn<QString>("spec");
        QTest::newRow("conv_same_strides") << QString(kConvSameStrides);
        QTest::newRow("conv_valid_dilated") << QString(kConvValidDilated);
        QTest::newRow("norms_reshape") << QString(kNormsReshape);
        QTest::newRow("merges") << QString(kMerges);
        QTest::newRow("nested_blocks") << QString(kNestedBlocks);
        QTest::newRow("odd_names") << QString(kOddNames);
    }
    void everyLayerTypeMatchesTheEngine() {
        QFETCH(QString, spec);
        auto m = built(testutil::specFromJson(spec.toStdString().c_str()), 7);
        const QString problem = exportAndCheck(*m);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }

    void everyLayerTypeIsCovered() {
        // The specs above, blocks included, use every type the registry knows.
        std::set<std::string> seen;
        for (const char* s : {kConvSameStrides, kConvValidDilated, kNormsReshape, kMerges, kNestedBlocks}) {
            auto m = Model::fromSpec(testutil::specFromJson(s));
            m->build(0);
            for (Module* sub : m->submodules())
                if (auto* l = dynamic_cast<Layer*>(sub)) seen.insert(l->type());
        }
        for (const auto& type : LayerRegistry::instance().typeNames()) QVERIFY2(seen.count(type), type.c_str());
    }

    void everyActivationMatchesTheEngine() {
        auto m = built(everyActivationSpec(), 9);
        const QString problem = exportAndCheck(*m);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }

    void frozenLayersHaveNoGradient() {
        auto m = built(testutil::example("two_branch.json"), 11);
        m->layer("wide")->setTrainable(false);                     // a whole layer
        m->layer("batch_normalization")->setTrainable(false);      // gamma and beta; moving stats are buffers anyway
        m->layer("project")->findVariable("bias")->setTrainable(false); // one variable
        const QString problem = exportAndCheck(*m, 30, 8);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        const std::string py = testutil::readText(path("case" + std::to_string(cases_ - 1)) / "export" / "model.py");
        QVERIFY2(py.find("        for name in [\n            \"wide.weight\",\n            \"wide.bias\",\n            \"project.bias\",\n"
                         "            \"batch_normalization.weight\",\n            \"batch_normalization.bias\",\n        ]:\n"
                         "            self.get_parameter(name).requires_grad_(False)\n") != std::string::npos, py.c_str());

        auto ae = built(testutil::example("autoencoder.json"), 12);
        ae->layer("encoder")->setTrainable(false); // a whole block
        const QString aeProblem = exportAndCheck(*ae, 30, 8);
        QVERIFY2(aeProblem.isEmpty(), qPrintable(aeProblem));
    }

    void trainsInPyTorch_data() {
        QTest::addColumn<QString>("spec");
        QTest::newRow("nested_blocks") << QString(kNestedBlocks);
        QTest::newRow("conv_valid_dilated") << QString(kConvValidDilated);
        QTest::newRow("norms_reshape") << QString(kNormsReshape);
    }
    void trainsInPyTorch() {
        QFETCH(QString, spec);
        auto m = built(testutil::specFromJson(spec.toStdString().c_str()), 13);
        const QString problem = exportAndCheck(*m, 40, 8);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QVERIFY2(lastOutput_.contains("\"losses\": [") && !lastOutput_.contains("\"losses\": []"), qPrintable(lastOutput_));
    }

    // Training mode: batch statistics, and running statistics updated with Keras' momentum and the
    // biased variance, exactly as the engine's training step does.
    void batchNormTrainingModeMatchesTheEngine_data() {
        QTest::addColumn<QString>("spec");
        QTest::newRow("conv_valid_dilated") << QString(kConvValidDilated);
        QTest::newRow("nested_blocks") << QString(kNestedBlocks);
    }
    void batchNormTrainingModeMatchesTheEngine() {
        QFETCH(QString, spec);
        auto m = built(testutil::specFromJson(spec.toStdString().c_str()), 17);
        const QString problem = exportAndCheck(*m, 0, 6, true);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QVERIFY2(lastOutput_.contains("\"train_forward_checked\": 2") || lastOutput_.contains("\"train_forward_checked\": 3"),
                 qPrintable(lastOutput_));
    }

    void existingFolderIsRefused() {
        auto m = testutil::builtModel("digits_mlp.json", 1);
        const fs::path out = path("exists");
        fs::create_directories(out);
        testutil::writeText(out / "keep.txt", "mine");
        const QString e = exportError(*m, out);
        QVERIFY2(e.contains("already exists") && e.contains(QString::fromStdString(out.string())), qPrintable(e));
        QCOMPARE(testutil::readText(out / "keep.txt"), std::string("mine")); // untouched
        QVERIFY(!fs::exists(out / "model.py"));
    }

    void unwritableLocationIsRefused() {
        auto m = testutil::builtModel("digits_mlp.json", 1);
        const QString missing = exportError(*m, path("no/such/folder/out"));
        QVERIFY2(missing.contains("does not exist"), qPrintable(missing));
        // /proc takes no new folders, even for root.
        const QString proc = exportError(*m, "/proc/strata_torch_export_test");
        QVERIFY2(proc.contains("/proc/") && proc.contains("cannot be created"), qPrintable(proc));
        QVERIFY(!fs::exists("/proc/strata_torch_export_test"));
        if (::geteuid() != 0) { // permissions bind everyone but root
            const fs::path ro = path("readonly");
            fs::create_directories(ro);
            fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
            const QString e = exportError(*m, ro / "out");
            fs::permissions(ro, fs::perms::owner_all);
            QVERIFY2(e.contains("cannot be created"), qPrintable(e));
        }
    }

    void inexpressibleLayerNamesTheLayerAndType() {
        // The engine cannot trace normalization over another axis than the last; neither does the export.
        auto m = Model::fromSpec(testutil::specFromJson(R"({"format": "strata.model/1", "name": "bn_axis", "layers": [
            {"name": "x", "type": "Input", "config": {"shape": [3, 4]}},
            {"name": "bn_axis_1", "type": "BatchNormalization", "config": {"axis": 1}}]})"));
        m->build(0);
        const fs::path out = path("bn_axis");
        const QString e = exportError(*m, out);
        QVERIFY2(e.contains("bn_axis_1") && e.contains("BatchNormalization") && e.contains("axis 1"), qPrintable(e));
        QVERIFY(!fs::exists(out));

        auto unbuilt = Model::fromSpec(testutil::example("digits_mlp.json"));
        const QString u = exportError(*unbuilt, path("unbuilt"));
        QVERIFY2(u.contains("must be built") && u.contains("digits_mlp"), qPrintable(u));
    }

    void cliExportsPyTorchFromAProject() {
        const std::string project = path("cli.strata").string();
        std::ostringstream out, err;
        int code = cli::runCli({"train", "--device", "cpu", testutil::examplePath("two_branch.json"), "--data", "digits", "--epochs", "1",
                                "--project", project, "--seed", "2", "--quiet"}, out, err);
        QVERIFY2(code == 0, err.str().c_str());

        const std::string dir = path("cli_torch").string();
        std::ostringstream o2, e2;
        code = cli::runCli({"export", project, "--format", "pytorch", "--out", dir}, o2, e2);
        QVERIFY2(code == 0, e2.str().c_str());
        QVERIFY2(o2.str().find("as PyTorch code") != std::string::npos, o2.str().c_str());
        const json index = json::parse(testutil::readText(fs::path(dir) / "weights.json"));
        QCOMPARE(index["metadata"]["source"]["model"].get<std::string>(), std::string("two_branch"));

        // The trained checkpoint, as the engine runs it, against the exported code.
        Project p = Project::open(project, OpenMode::ReadOnly);
        const auto c = CheckpointStore(p).latest();
        QVERIFY(c.has_value());
        CheckpointReader reader(p, c->id);
        auto m = Model::fromSpec(p.version(c->modelVersionId).spec);
        restoreModel(reader, *m);
        const QString problem = exportAndCheck(*m);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        // Same weights bytes as the CLI's export.
        const fs::path mine = path("case" + std::to_string(cases_ - 1)) / "export" / "weights.bin";
        QVERIFY(testutil::readText(mine) == testutil::readText(fs::path(dir) / "weights.bin"));

        std::ostringstream o3, e3;
        QCOMPARE(cli::runCli({"export", project, "--format", "pytorch", "--out", dir}, o3, e3), 2);
        QVERIFY2(e3.str().find("already exists") != std::string::npos, e3.str().c_str());
        std::ostringstream o4, e4;
        QCOMPARE(cli::runCli({"export", project, "--format", "keras", "--out", path("k").string()}, o4, e4), 2);
        QVERIFY2(e4.str().find("unknown --format 'keras'") != std::string::npos && e4.str().find("pytorch") != std::string::npos,
                 e4.str().c_str());
        std::ostringstream o5, e5;
        QCOMPARE(cli::runCli({"export", "--help"}, o5, e5), 0);
        QVERIFY2(o5.str().find("pytorch") != std::string::npos, o5.str().c_str());
    }
};

QTEST_GUILESS_MAIN(TestTorchExport)
#include "tst_torch_export.moc"
