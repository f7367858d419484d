// Fine-tuning end to end (issue 15): a small PyTorch CNN, trained briefly on Fashion-MNIST and
// exported to ONNX, is imported into a project that does not exist yet and trains on from its
// imported weights (the first step's loss is the imported weights' loss); a spec with a new head
// keeps every other weight bit for bit and names the new variables; a frozen layer's values do
// not change while the rest trains; the loss/output warning; inputs laid out as PyTorch's.
#include "OnnxTestSupport.h"

#include "app/session/ModelLoading.h"
#include "app/session/TrainingSession.h"
#include "engine/LayerRegistry.h"
#include "engine/train/FineTuning.h"
#include "storage/CheckpointStore.h"
#include "storage/Project.h"
#include "tests/support/RequiredTools.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cstring>
#include <fstream>

using namespace strata;
using onnxtest::runProcess;
using onnxtest::runStrataCli;

namespace {

double lossOf(const std::string& jsonLine) { return nlohmann::json::parse(jsonLine).at("loss").get<double>(); }

bool sameBits(const Tensor& a, const Tensor& b) {
    return a.shape() == b.shape() && a.byteSize() == b.byteSize() && std::memcmp(a.bytes(), b.bytes(), a.byteSize()) == 0;
}

std::vector<std::vector<double>> readRows(const std::string& csv) {
    std::vector<std::vector<double>> rows;
    std::istringstream in(csv);
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) continue;
        rows.emplace_back();
        std::istringstream cells(line);
        for (std::string cell; std::getline(cells, cell, ',');) rows.back().push_back(std::stod(cell));
    }
    return rows;
}

std::string fileText(const std::string& path) {
    std::ifstream f(path);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

} // namespace

class TestFineTune : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    std::string out_, project_, data_;

    std::string path(const char* name) const { return out_ + "/" + name; }
    int64_t newestCheckpoint() const {
        const storage::Project p = storage::Project::open(project_, storage::OpenMode::ReadOnly);
        return storage::CheckpointStore(p).latest({p.model("cnn").id, std::nullopt, std::nullopt})->id;
    }
    std::map<std::string, Tensor> valuesOf(int64_t checkpoint) const {
        const storage::Project p = storage::Project::open(project_, storage::OpenMode::ReadOnly);
        return session::checkpointModelValues(p, checkpoint);
    }

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        out_ = dir_.path().toStdString();
        project_ = path("work.strata");
        data_ = path("fashion.csv");
        const auto r = runProcess(onnxtest::kPython, {QString(STRATA_TEST_DATA_DIR) + "/../storage/finetune_torch_models.py",
                                                      QString::fromStdString(out_)});
        if (r.code == 3) STRATA_SKIP_UNLESS_REQUIRED("PyTorch is missing for /usr/bin/python3 (apt-get install python3-torch)");
        if (r.code != 0 && !QFile::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"))
            STRATA_SKIP_UNLESS_REQUIRED("Fashion-MNIST is missing (apt-get install dataset-fashion-mnist)");
        QVERIFY2(r.code == 0, (r.out + r.err).c_str());
    }

    // import --project creates the project; training it starts from the imported weights.
    void trainsFromImportedWeights() {
        QVERIFY(!QFile::exists(QString::fromStdString(project_)));
        const auto imported = runStrataCli({"import", path("cnn.onnx"), "--project", project_, "--name", "cnn"});
        QVERIFY2(imported.code == 0, imported.err.c_str());
        const auto eval = runStrataCli({"evaluate", project_, "--model", "cnn", "--data", data_, "--split", "train", "--from-logits"});
        QVERIFY2(eval.code == 0, eval.err.c_str());
        const double importedLoss = lossOf(eval.out);

        // One batch holds the whole training split, so step 1's loss is the loss of the imported weights.
        const auto trained = runStrataCli({"train", "--project", project_, "--model", "cnn", "--data", data_, "--from-logits",
                                           "--batch", "100000", "--steps", "1", "--optimizer", "sgd", "--lr", "0.001"});
        QVERIFY2(trained.code == 0, trained.err.c_str());
        QVERIFY2(trained.err.find("initial weights: checkpoint 1") != std::string::npos, trained.err.c_str());
        QVERIFY2(trained.err.find("warning") == std::string::npos, trained.err.c_str());
        const storage::Project p = storage::Project::open(project_, storage::OpenMode::ReadOnly);
        const auto steps = p.metrics(p.latestRun(p.model("cnn").id)->id, "step");
        QCOMPARE(steps.size(), std::size_t(1));
        QVERIFY2(std::abs(steps[0].value - importedLoss) <= 1e-5 * std::max(1.0, importedLoss),
                 (std::to_string(steps[0].value) + " vs " + std::to_string(importedLoss)).c_str());
        // The step moved the weights downhill: the newest checkpoint's loss is lower.
        const auto fresh = runStrataCli({"evaluate", project_, "--model", "cnn", "--data", data_, "--split", "train", "--from-logits"});
        QVERIFY(lossOf(fresh.out) < importedLoss);
    }

    // A new head in the spec: every other variable keeps its value bit for bit, the head's are
    // named new, the old head's left out; a frozen layer is unchanged after training.
    void newHeadKeepsOtherWeightsAndFreezes() {
        const int64_t before = newestCheckpoint();
        const std::map<std::string, Tensor> old = valuesOf(before);
        ModelSpec spec;
        {
            const storage::Project p = storage::Project::open(project_, storage::OpenMode::ReadOnly);
            spec = p.version(p.model("cnn").latestVersionId).spec;
        }
        LayerSpec& last = spec.layers.back();
        QCOMPARE(last.type, std::string("Dense"));
        const std::string oldHead = last.name;
        last.name = "head";
        last.config = {{"units", 10}};
        spec.outputs = {"head"};

        session::TrainingRequest request;
        request.spec = spec;
        request.data = {"csv:" + data_, "", false, false};
        request.options.fromLogits = true;
        request.options.maxSteps = 3;
        request.options.batchSize = 64;
        request.freeze = {"conv1"};
        session::ProjectTrainingOptions po;
        po.project = project_;
        po.model = "cnn";
        request.project = po;
        session::TrainingSession s(std::move(request));
        s.makeModel();
        QCOMPARE(s.frozenLayers(), std::vector<std::string>{"conv1"});
        QVERIFY(s.lossWarning().empty());
        std::string recording;
        int kept = 0;
        session::TrainingEvents events;
        events.started = [&](const std::string& line) {
            recording = line;
            for (Variable* v : s.model()->variables()) {
                if (v->path().rfind("model/head/", 0) == 0) continue;
                const auto it = old.find(v->path());
                QVERIFY2(it != old.end(), v->path().c_str());
                QVERIFY2(sameBits(v->value(), it->second), ("changed at start: " + v->path()).c_str());
                ++kept;
            }
        };
        const session::TrainingResult r = s.run(events);
        QVERIFY2(!r.fit.diverged, r.fit.message.c_str());
        QCOMPARE(kept, 6); // conv1, conv2, fc1: kernels and biases
        QVERIFY2(recording.find("new: model/head/bias, model/head/kernel") != std::string::npos, recording.c_str());
        QVERIFY2(recording.find("not in this version: model/" + oldHead + "/bias, model/" + oldHead + "/kernel") != std::string::npos,
                 recording.c_str());
        {
            const storage::Project p = storage::Project::open(project_, storage::OpenMode::ReadOnly);
            const nlohmann::json initial = p.run(s.runId()).hyperparameters.at("initial_weights");
            QCOMPARE(initial.at("checkpoint").get<int64_t>(), before);
            QCOMPARE(initial.at("restored").get<int>(), 6);
            QCOMPARE(initial.at("new"), (nlohmann::json{"model/head/bias", "model/head/kernel"}));
            // The version records the frozen layer.
            const ModelSpec trainedSpec = p.version(p.run(s.runId()).modelVersionId).spec;
            QCOMPARE(trainedSpec.layers[std::size_t(trainedSpec.indexOf("conv1"))].config.value(kTrainableKey, true), false);
        }
        const std::map<std::string, Tensor> after = valuesOf(newestCheckpoint());
        QVERIFY(newestCheckpoint() != before);
        QVERIFY(sameBits(after.at("model/conv1/kernel"), old.at("model/conv1/kernel")));
        QVERIFY(sameBits(after.at("model/conv1/bias"), old.at("model/conv1/bias")));
        QVERIFY(!sameBits(after.at("model/conv2/kernel"), old.at("model/conv2/kernel"))); // trained
        QVERIFY(after.count("model/head/kernel") == 1 && after.count("model/" + oldHead + "/kernel") == 0);
    }

    void fromScratchAndBadFreeze() {
        const auto scratch = runStrataCli({"train", "--project", project_, "--model", "cnn", "--data", data_, "--from-logits",
                                           "--steps", "1", "--from-scratch"});
        QVERIFY2(scratch.code == 0, scratch.err.c_str());
        QVERIFY2(scratch.err.find("initial weights: fresh (--from-scratch)") != std::string::npos, scratch.err.c_str());
        const auto bad = runStrataCli({"train", "--project", project_, "--model", "cnn", "--data", data_, "--freeze", "conv1,nosuch"});
        QCOMPARE(bad.code, 2);
        QVERIFY2(bad.err.find("--freeze 'nosuch' matches no layer of model 'cnn'") != std::string::npos, bad.err.c_str());
        const auto resume = runStrataCli({"train", "--project", project_, "--resume", "--from-scratch"});
        QCOMPARE(resume.code, 2);
        const auto noProject = runStrataCli({"train", path("none.json"), "--data", "iris", "--from-scratch"});
        QCOMPARE(noProject.code, 2);
        QVERIFY2(noProject.err.find("--from-scratch needs --project") != std::string::npos, noProject.err.c_str());
    }

    // A cross-entropy loss on logits without --from-logits is trained as asked, with a warning.
    void warnsWhenTheOutputIsLogits() {
        const auto r = runStrataCli({"train", "--project", project_, "--model", "cnn", "--data", data_, "--steps", "1"});
        QVERIFY2(r.code == 0, r.err.c_str());
        QVERIFY2(r.err.find("warning: the loss 'sparse_categorical_crossentropy' expects probabilities, and the output layer "
                            "'head' has activation 'linear'") != std::string::npos,
                 r.err.c_str());
        ModelSpec spec = ModelSpec::parse(R"({"format": "strata.model/1", "name": "m", "layers": [
            {"name": "in", "type": "Input", "config": {"shape": [4]}},
            {"name": "d", "type": "Dense", "config": {"units": 3, "activation": "softmax"}},
            {"name": "f", "type": "Flatten"}]})");
        QVERIFY(train::lossOutputWarning(spec, "sparse_categorical_crossentropy", false).empty());
        QVERIFY(train::lossOutputWarning(spec, "mean_squared_error", true).empty());
        QVERIFY(train::lossOutputWarning(spec, "categorical_crossentropy", true).find("already applies softmax") != std::string::npos);
    }

    // Keras counts a frozen layer's weights as non-trainable.
    void frozenParametersAreNonTrainable() {
        ModelSpec spec = ModelSpec::parse(R"({"format": "strata.model/1", "name": "m", "layers": [
            {"name": "in", "type": "Input", "config": {"shape": [4]}},
            {"name": "d1", "type": "Dense", "config": {"units": 3}},
            {"name": "d2", "type": "Dense", "config": {"units": 2}}]})");
        QCOMPARE(train::freezeLayers(spec, {"d?"}), (std::vector<std::string>{"d1", "d2"}));
        spec.layers[2].config.erase(kTrainableKey);
        const auto m = Model::fromSpec(spec);
        QCOMPARE(m->paramCounts().trainable, int64_t(8));
        QCOMPARE(m->paramCounts().nonTrainable, int64_t(15));
        spec.layers[1].config[kTrainableKey] = "no";
        QVERIFY_THROWS_EXCEPTION(StrataError, Model::fromSpec(spec));
    }

    // predict --input-layout nchw reads rows laid out as PyTorch's and gives torch's outputs.
    void predictsNchwInputs() {
        const std::string saved = path("rgb_saved");
        const auto imported = runStrataCli({"import", path("rgb.onnx"), "--out", saved});
        QVERIFY2(imported.code == 0, imported.err.c_str());
        const auto nchw = runStrataCli({"predict", saved, "--input", path("rgb_nchw.csv"), "--input-layout", "nchw"});
        QVERIFY2(nchw.code == 0, nchw.err.c_str());
        const auto got = readRows(nchw.out), want = readRows(fileText(path("rgb_out.csv")));
        QCOMPARE(got.size(), want.size());
        double worst = 0, scale = 0;
        for (std::size_t i = 0; i < got.size(); ++i)
            for (std::size_t j = 0; j < want[i].size(); ++j) {
                worst = std::max(worst, std::abs(got[i][j] - want[i][j]));
                scale = std::max(scale, std::abs(want[i][j]));
            }
        QVERIFY2(worst <= 1e-4 * scale, std::to_string(worst).c_str());
        const auto nhwc = runStrataCli({"predict", saved, "--input", path("rgb_nchw.csv")});
        QVERIFY(nhwc.code == 0 && readRows(nhwc.out) != got); // the same numbers read as NHWC are other images
        const auto bad = runStrataCli({"predict", saved, "--input", path("rgb_nchw.csv"), "--input-layout", "chw"});
        QCOMPARE(bad.code, 2);
        QVERIFY(bad.err.find("--input-layout takes nhwc or nchw, got 'chw'") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestFineTune)
#include "tst_finetune.moc"
