// Golden tests against PyTorch 1.13 (tests/reference/make_golden.py, data in tests/data/golden):
// forward outputs, loss, gradients, batch-norm moving averages and the weights after one or two
// steps of every optimizer, for Dense, Conv2D, pooling, normalization and merge models, traced
// from specs and run on the CPU backend. Tolerance: 1e-5 relative with 1e-6 absolute.
#include "engine/Model.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/ir/Autodiff.h"
#include "engine/ir/Optimizers.h"
#include "engine/train/Trainer.h"

#include <QDir>
#include <QtTest>

#include <cmath>
#include <fstream>

using namespace strata;
using nlohmann::json;

namespace {

constexpr double kRtol = 1e-5, kAtol = 1e-6;

json loadGolden(const QString& name) {
    std::ifstream f((QString(STRATA_TEST_DATA_DIR) + "/golden/" + name + ".json").toStdString());
    return json::parse(f);
}

Tensor tensorOf(const json& j, DType dtype = DType::F32) {
    Shape s = Shape::fromJson(j["shape"]);
    if (dtype == DType::I32) return Tensor::fromVector(s, j["data"].get<std::vector<int32_t>>());
    return Tensor::fromVector(s, j["data"].get<std::vector<float>>());
}

// Compares element-wise; on failure names the quantity and the worst element.
bool close(const Tensor& actual, const json& expected, const std::string& what, std::string& why) {
    Tensor e = tensorOf(expected);
    if (actual.shape() != e.shape()) {
        why = what + ": shape " + actual.shape().toString() + " != expected " + e.shape().toString();
        return false;
    }
    for (int64_t i = 0; i < e.size(); ++i) {
        const double a = actual.f32()[i], b = e.f32()[i];
        if (!(std::fabs(a - b) <= kAtol + kRtol * std::fabs(b))) {
            why = what + "[" + std::to_string(i) + "]: " + std::to_string(a) + " != expected " + std::to_string(b);
            return false;
        }
    }
    return true;
}

struct Fixture {
    json golden;
    std::unique_ptr<Model> model;
    std::string loss;
    bool fromLogits = false;
    Tensor x, y;
    std::string inputName;

    explicit Fixture(const QString& name) : golden(loadGolden(name)) {
        model = Model::fromSpec(ModelSpec::fromJson(golden["spec"]));
        model->build(0);
        loss = golden["loss"]["name"];
        fromLogits = golden["loss"].value("from_logits", false);
        inputName = model->spec().inputs[0];
        x = tensorOf(golden["inputs"][inputName]);
        const json& labels = golden["labels"].begin().value();
        y = tensorOf(labels, loss == "sparse_categorical_crossentropy" ? DType::I32 : DType::F32);
    }
    void loadWeights(ir::Backend& be) const {
        for (auto it = golden["weights"].begin(); it != golden["weights"].end(); ++it)
            be.setVariable(it.key(), tensorOf(it.value()));
    }
    // The traced graph (training or not) with the loss appended.
    train::TracedModel trace(bool training, ir::ValueId& lossValue) const {
        train::TracedModel t = train::traceModel(*model, {{x.shape()}, training}, 0);
        const bool sparse = loss == "sparse_categorical_crossentropy";
        lossValue = train::appendLoss(t.graph, t, loss, fromLogits, sparse ? DType::I32 : DType::F32, y.shape());
        return t;
    }
};

QStringList goldenNames() {
    QStringList names;
    for (const QString& f : QDir(QString(STRATA_TEST_DATA_DIR) + "/golden").entryList({"*.json"}, QDir::Files, QDir::Name))
        names << f.chopped(5);
    return names;
}

} // namespace

class TestGolden : public QObject {
    Q_OBJECT
private slots:
    void allModelsPresent() { QVERIFY(goldenNames().size() >= 10); }

    void forwardLossAndGradients_data() {
        QTest::addColumn<QString>("name");
        for (const QString& n : goldenNames()) QTest::newRow(n.toUtf8().constData()) << n;
    }
    void forwardLossAndGradients() {
        QFETCH(QString, name);
        Fixture f(name);
        cpu::CpuBackend be;
        f.loadWeights(be);
        ir::ValueId loss;
        train::TracedModel t = f.trace(true, loss);
        std::vector<std::string> paths;
        std::vector<ir::ValueId> wrt;
        for (auto it = f.golden["gradients"].begin(); it != f.golden["gradients"].end(); ++it) {
            paths.push_back(it.key());
            wrt.push_back(t.graph.findVariable(it.key()));
            QVERIFY2(wrt.back() != ir::kNoValue, it.key().c_str());
        }
        std::vector<ir::ValueId> grads = ir::gradients(t.graph, loss, wrt);
        std::vector<ir::ValueId> outputs{loss, t.outputs[0]};
        outputs.insert(outputs.end(), grads.begin(), grads.end());
        auto plan = be.prepare(t.graph, outputs);
        auto results = be.run(*plan, {{f.inputName, f.x}, {"labels", f.y}});
        std::string why;
        QVERIFY2(close(results[0], json{{"shape", json::array()}, {"data", {f.golden["loss_value"]}}}, "loss", why), why.c_str());
        const std::string outName = f.model->spec().outputs[0];
        QVERIFY2(close(results[1], f.golden["outputs"][outName], "output", why), why.c_str());
        for (std::size_t i = 0; i < paths.size(); ++i)
            QVERIFY2(close(results[2 + i], f.golden["gradients"][paths[i]], "gradient of " + paths[i], why), why.c_str());
        // Batch normalization: the training run assigned the moving averages.
        if (f.golden.contains("moving_after_forward"))
            for (auto it = f.golden["moving_after_forward"].begin(); it != f.golden["moving_after_forward"].end(); ++it)
                QVERIFY2(close(be.getVariable(it.key()), it.value(), it.key(), why), why.c_str());
    }

    void inferenceOutputs_data() {
        QTest::addColumn<QString>("name");
        for (const QString& n : goldenNames())
            if (loadGolden(n).contains("outputs_inference")) QTest::newRow(n.toUtf8().constData()) << n;
    }
    void inferenceOutputs() {
        QFETCH(QString, name);
        Fixture f(name);
        cpu::CpuBackend be;
        f.loadWeights(be);
        ir::ValueId loss;
        train::TracedModel t = f.trace(false, loss);
        auto plan = be.prepare(t.graph, {t.outputs[0]});
        auto results = be.run(*plan, {{f.inputName, f.x}});
        std::string why;
        QVERIFY2(close(results[0], f.golden["outputs_inference"][f.model->spec().outputs[0]], "inference output", why), why.c_str());
    }

    void optimizerSteps_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("optimizer");
        for (const QString& n : goldenNames()) {
            json g = loadGolden(n);
            for (const char* group : {"after_one_step", "after_two_steps"})
                for (auto it = g[group].begin(); it != g[group].end(); ++it) {
                    if (it.key() == "rmsprop") continue; // PyTorch's eps placement; Keras' is rmsprop_eps_inside_sqrt
                    QTest::newRow((n + "/" + QString::fromStdString(it.key())).toUtf8().constData())
                        << n << QString::fromStdString(std::string(group) + "/" + it.key());
                }
        }
    }
    void optimizerSteps() {
        QFETCH(QString, name);
        QFETCH(QString, optimizer);
        Fixture f(name);
        const QStringList parts = optimizer.split('/');
        const json& entry = f.golden[parts[0].toStdString()][parts[1].toStdString()];
        json config = entry["config"];
        config.erase("formula");
        ir::OptimizerConfig opt = ir::OptimizerConfig::fromJson(config);
        cpu::CpuBackend be;
        f.loadWeights(be);
        ir::ValueId loss;
        train::TracedModel t = f.trace(true, loss);
        std::vector<std::string> trainable;
        for (Variable* v : f.model->trainableVariables()) trainable.push_back(v->path());
        ir::TrainingGraphs tg = ir::buildTrainingGraphs(t.graph, loss, trainable, opt);
        ir::initializeOptimizerState(be, tg.update);
        auto plan = be.prepare(tg.update, {tg.loss});
        const int steps = entry["steps"];
        for (int s = 0; s < steps; ++s) {
            auto r = be.run(*plan, {{f.inputName, f.x}, {"labels", f.y}});
            std::string why;
            QVERIFY2(close(r[0], json{{"shape", json::array()}, {"data", {entry["losses"][s]}}}, "loss of step " + std::to_string(s + 1), why),
                     why.c_str());
        }
        std::string why;
        for (auto it = entry["weights"].begin(); it != entry["weights"].end(); ++it)
            QVERIFY2(close(be.getVariable(it.key()), it.value(), it.key(), why), why.c_str());
    }
};

QTEST_APPLESS_MAIN(TestGolden)
#include "tst_golden.moc"
