// The PyTorch export: every example and small specs covering every layer type, every activation,
// strides and "same"/"valid" padding, dilation, nested blocks, several inputs and outputs, frozen
// layers and odd layer names are exported with random non-trivial weights (BatchNormalization
// moving statistics included), then run by Debian's PyTorch (/usr/bin/python3) on inputs written
// here, and compared with the engine's own inference; the parameter counts and requires_grad must
// match the engine's, and a few steps of training in PyTorch must lower the loss. The folder is
// written atomically; an existing or unwritable output folder and an inexpressible layer are errors
// naming what is wrong. strata-cli export --format pytorch does the same from a project.
#include "StorageTestUtil.h"
#include "TorchExportTestSupport.h"

#include "app/cli/Cli.h"
#include "engine/LayerRegistry.h"
#include "storage/CheckpointStore.h"
#include "storage/Restore.h"
#include "storage/StorageError.h"
#include "storage/torch/TorchCode.h"
#include "storage/torch/TorchExport.h"

#include <QTemporaryDir>
#include <QtTest>

#include <unistd.h>

#include <set>
#include <sstream>

using namespace strata;
using namespace strata::storage;
namespace fs = std::filesystem;
using namespace strata::torchtest;
using nlohmann::json;

class TestTorchExport : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    int cases_ = 0;

    fs::path path(const std::string& name) const { return fs::path(dir_.path().toStdString()) / name; }

    // Exports `m`, runs it in PyTorch on random inputs and compares with the engine. Returns "" when
    // everything matches, else what the check printed.
    // With `trainingForward`, also one forward pass in training mode (the model must have no
    // Dropout): outputs and updated BatchNormalization running statistics as the engine's.
    // `rtol` (absolute tolerance 1e-5): how closely PyTorch must match the engine.
    QString exportAndCheck(const Model& m, int trainSteps = 0, int64_t batch = 5, bool trainingForward = false, double rtol = 1e-4) {
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
        json c = {{"export_dir", out.string()}, {"rtol", rtol}, {"atol", 1e-5}, {"train_steps", trainSteps}};
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            const std::string f = "input" + std::to_string(i) + ".bin";
            writeTensor(caseDir / f, inputs[i]);
            c["inputs"].push_back({{"file", f}, {"shape", inputs[i].shape().dims()}, {"dtype", std::string(dtypeName(inputs[i].dtype()))}});
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

    void layerNamesBecomeAttributesAndClassesInModelPy() {
        auto m = built(testutil::specFromJson(kOddNames), 2);
        const fs::path out = path("odd_names");
        writeTorchExport(*m, out);
        const std::string py = testutil::readText(out / "model.py");
        for (const char* line : {"class MyModel2(nn.Module):", "        self.dense_1 = Dense(3, 3)  # Dense -> (None, 3)\n",
                                 "        self.dense_1_2 = Dense(3, 3)  # \"dense-1\": Dense -> (None, 3)\n",
                                 "        self.layer_1st_layer = Dense(4, 3, activation=\"relu\")  # \"1st layer\": Dense",
                                 "        self.class_ = Add()  # \"class\": Add", "    def forward(self, input):\n",
                                 "        class_ = self.class_(dense_1_2, dense_1)\n", "        return forward_\n"})
            QVERIFY2(py.find(line) != std::string::npos, (std::string(line) + " is not in\n" + py).c_str());
    }

    // LeakyReLU is torch.nn's own class with the layer's slope (element-wise, so on NHWC as it is);
    // everyLayerTypeMatchesTheEngine runs it (slopes 0.05 and -0.3) against the engine.
    void leakyReluIsNnLeakyReLU() {
        auto m = built(testutil::specFromJson(kNormsReshape), 2);
        const fs::path out = path("leaky_code");
        writeTorchExport(*m, out);
        const std::string py = testutil::readText(out / "model.py");
        const std::string line = "        self.leaky = nn.LeakyReLU(negative_slope=0.05)  # LeakyReLU -> (None, 2, 6)\n";
        QVERIFY2(py.find(line) != std::string::npos, (line + " is not in\n" + py).c_str());
        QVERIFY2(py.find("        leaky = self.leaky(seq_dense)\n") != std::string::npos, py.c_str());
    }

    // Conv2DTranspose is nn.ConvTranspose2d (weight (in_channels, filters, kh, kw): the kernel
    // permuted (3, 2, 0, 1)) with output_padding where the kernel is below the stride; its output
    // is cropped to TensorFlow's. everyLayerTypeMatchesTheEngine runs every geometry of kConvTranspose.
    void conv2dTransposeIsConvTranspose2d() {
        auto m = built(testutil::specFromJson(kConvTranspose), 2);
        const fs::path out = path("conv_transpose_code");
        writeTorchExport(*m, out);
        const std::string py = testutil::readText(out / "model.py");
        for (const char* line : {"class Conv2DTranspose(nn.ConvTranspose2d):",
                                 "        self.up_same_odd = Conv2DTranspose(3, 3, kernel_size=(3, 3), strides=(2, 2), padding=\"same\", "
                                 "activation=\"tanh\")  # Conv2DTranspose -> (None, 10, 8, 3)\n",
                                 "        self.dilated_same = Conv2DTranspose(3, 3, kernel_size=(2, 3), strides=(1, 1), padding=\"same\", "
                                 "dilation_rate=(3, 1), bias=False)  # Conv2DTranspose -> (None, 5, 4, 3)\n",
                                 "        chained = self.chained(down)\n"})
            QVERIFY2(py.find(line) != std::string::npos, (std::string(line) + " is not in\n" + py).c_str());
        const json index = json::parse(testutil::readText(out / "weights.json"));
        bool found = false;
        for (const json& v : index["variables"])
            if (v["strata_path"] == "model/up_small_kernel/kernel") {
                found = true;
                QCOMPARE(v["strata_shape"], json({2, 2, 2, 3}));
                QCOMPARE(v["torch_shape"], json({3, 2, 2, 2}));
                QCOMPARE(v["permute"], json({3, 2, 0, 1}));
            }
        QVERIFY2(found, index.dump(1).c_str());
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
        // The input standardization Strata applied to CSV features is not in the model: said.
        QVERIFY(testutil::readText(out / "README.txt").find("(x - mean) / std, with the mean and standard") != std::string::npos);
    }

    void examplesMatchTheEngine_data() {
        QTest::addColumn<QString>("file");
        for (const char* f : {"digits_mlp.json", "fashion_mlp.json", "mnist_cnn.json", "two_branch.json", "autoencoder.json",
                              "conv1d_sequence.json"})
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
        QTest::newRow("conv_transpose") << QString(kConvTranspose);
        QTest::newRow("relus") << QString(kRelu);
        QTest::newRow("permutes_slices") << QString(kPermute);
        QTest::newRow("depthwise") << QString(kDepthwise);
        QTest::newRow("image_pools") << QString(kImagePools);
        QTest::newRow("activation_layers") << QString(kActivationLayers);
        QTest::newRow("preprocessing") << QString(kPreprocessing);
        QTest::newRow("sequences") << QString(kSequences);
        QTest::newRow("attention") << QString(kAttention);
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
        for (const char* s : {kConvSameStrides, kConvValidDilated, kNormsReshape, kMerges, kNestedBlocks, kConvTranspose, kRelu, kPermute,
                              kDepthwise, kImagePools, kActivationLayers, kPreprocessing, kSequences, kRecurrent, kBidirectional,
                              kEmbeddingRecurrent, kAttention}) {
            auto m = Model::fromSpec(testutil::specFromJson(s));
            m->build(0);
            for (Module* sub : m->submodules())
                if (auto* l = dynamic_cast<Layer*>(sub)) seen.insert(l->type());
        }
        for (const auto& type : LayerRegistry::instance().typeNames()) QVERIFY2(seen.count(type), type.c_str());
    }

    // Embedding, SimpleRNN, LSTM, GRU (reset_after both ways) and Bidirectional (every merge mode),
    // with return_sequences, go_backwards and int32 token ids: PyTorch within 1e-5 of the engine.
    void recurrentLayersMatchTheEngine_data() {
        QTest::addColumn<QString>("spec");
        QTest::newRow("recurrent") << QString(kRecurrent);
        QTest::newRow("bidirectional") << QString(kBidirectional);
        QTest::newRow("embedding_recurrent") << QString(kEmbeddingRecurrent);
        QTest::newRow("recurrent_states") << QString(kRecurrentStates);
    }
    void recurrentLayersMatchTheEngine() {
        QFETCH(QString, spec);
        auto m = built(testutil::specFromJson(spec.toStdString().c_str()), 19);
        const QString problem = exportAndCheck(*m, 40, 6, false, 1e-5);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QVERIFY2(lastOutput_.contains("\"losses\": [") && !lastOutput_.contains("\"losses\": []"), qPrintable(lastOutput_));
    }

    // Where torch's modules compute the layer, model.py uses them (nn.LSTM, nn.GRU, nn.RNN, with a
    // GRU's gate blocks reordered by the loader and its two bias rows split); RecurrentLoop only
    // for the rest.
    void recurrentLayersAreTorchModules() {
        auto m = built(testutil::specFromJson(kRecurrent), 21);
        const fs::path out = path("recurrent_code");
        writeTorchExport(*m, out);
        const std::string py = testutil::readText(out / "model.py");
        for (const char* line : {"class LSTM(KerasRecurrent, nn.LSTM):", "class GRU(KerasRecurrent, nn.GRU):",
                                 "class SimpleRNN(KerasRecurrent, nn.RNN):",
                                 "        self.lstm_seq = LSTM(3, 4, return_sequences=True)  # LSTM -> (None, 6, 4)\n",
                                 "        self.gru_after = GRU(3, 4, return_sequences=True, go_backwards=True)  # GRU -> (None, 6, 4)\n",
                                 "        self.gru_before = RecurrentLoop(\"GRU\", 4, 3, activation=\"tanh\", recurrent_activation=\"sigmoid\", "
                                 "reset_after=False)  # GRU -> (None, 3)\n",
                                 "        self.rnn_relu = SimpleRNN(3, 3, activation=\"relu\", return_sequences=True, go_backwards=True)"})
            QVERIFY2(py.find(line) != std::string::npos, (std::string(line) + " is not in\n" + py).c_str());
        const json index = json::parse(testutil::readText(out / "weights.json"));
        int biasRows = 0;
        for (const json& v : index["variables"]) {
            if (v["strata_path"] == "model/gru_after/kernel") {
                QCOMPARE(v["torch_shape"], json({12, 3}));
                QCOMPARE(v["gate_order"], json({1, 0, 2}));
            }
            if (v["strata_path"] == "model/gru_after/bias") {
                QCOMPARE(v["strata_shape"], json({2, 12}));
                QCOMPARE(v["torch_shape"], json({12}));
                QCOMPARE(v["torch_name"], json(v["row"] == 0 ? "gru_after.bias_ih_l0" : "gru_after.bias_hh_l0"));
                ++biasRows;
            }
            if (v["strata_path"] == "model/lstm_seq/kernel") QVERIFY2(!v.contains("gate_order"), v.dump().c_str());
        }
        QCOMPARE(biasRows, 2);
        const PythonRun r = python({"-I", "-c", QString("import sys; sys.path.insert(0, %1); import model; net = model.load(); "
                                                         "import torch.nn as nn; print(isinstance(net.lstm_seq, nn.LSTM), "
                                                         "isinstance(net.gru_after, nn.GRU), isinstance(net.rnn_tanh, nn.RNN), "
                                                         "sorted(net.lstm_seq.state_dict()))")
                                                     .arg(QString::fromStdString(json(out.string()).dump()))});
        QVERIFY2(r.code == 0 && r.output.contains("True True True ['bias_ih_l0', 'weight_hh_l0', 'weight_ih_l0']"),
                 qPrintable(r.output));
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
        QTest::newRow("conv_transpose") << QString(kConvTranspose);
        QTest::newRow("depthwise") << QString(kDepthwise);
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
