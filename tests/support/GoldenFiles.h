// Golden files from PyTorch (tests/data/golden/*.json, written by tests/reference/make_golden.py,
// format in tests/reference/README.md) and the checks every backend must pass on them: forward
// outputs, loss, gradients and batch-norm moving averages; inference outputs; the weights after
// each optimizer entry's steps. tst_golden runs them on the CPU backend, tst_vulkan_golden on the
// Vulkan backend: the same files and the same code, each with its own tolerance.
//
//   golden::Checker check({1e-5, 1e-6});
//   cpu::CpuBackend be;
//   std::string why = golden::checkForwardAndGradients(be, "conv_valid", check);   // "" when it agrees
//
// A check loads every variable of the file into the backend and zeroes the optimizer state the
// graph reads (slots and optimizer/iter), so one backend may run many checks in a row.
#pragma once

#include "engine/Model.h"
#include "engine/ir/Autodiff.h"
#include "engine/ir/Backend.h"
#include "engine/ir/Optimizers.h"
#include "engine/layers/CoreLayers.h"
#include "engine/train/Trainer.h"

#include <QDir>
#include <QString>
#include <QStringList>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace golden {

using nlohmann::json;

inline QString directory() { return QString(STRATA_TEST_DATA_DIR) + "/golden"; }

inline json load(const QString& name) {
    const std::string path = (directory() + "/" + name + ".json").toStdString();
    std::ifstream f(path);
    if (!f) throw std::runtime_error("cannot read golden file " + path);
    return json::parse(f);
}

// Every golden file's name without ".json", sorted.
inline QStringList names() {
    QStringList out;
    for (const QString& f : QDir(directory()).entryList({"*.json"}, QDir::Files, QDir::Name)) out << f.chopped(5);
    return out;
}

inline strata::Tensor tensorOf(const json& j, strata::DType dtype = strata::DType::F32) {
    strata::Shape s = strata::Shape::fromJson(j["shape"]);
    if (dtype == strata::DType::I32) return strata::Tensor::fromVector(s, j["data"].get<std::vector<int32_t>>());
    return strata::Tensor::fromVector(s, j["data"].get<std::vector<float>>());
}

inline json scalarJson(const json& v) { return json{{"shape", json::array()}, {"data", {v}}}; }

struct Tolerance {
    double rtol, atol; // |got - want| <= atol + rtol * |want|
};

// Element-wise comparison; remembers the first failure (naming the quantity and the element) and
// the largest |got - want| / (atol + rtol |want|) seen, so a passing suite can say how close it was.
class Checker {
public:
    explicit Checker(Tolerance t) : tol_(t) {}
    Tolerance tolerance() const { return tol_; }
    double worstRatio() const { return worst_; }
    const std::string& worstWhat() const { return worstWhat_; }

    // `atolFloor`: a larger absolute tolerance for a quantity that float32 arithmetic itself moves
    // further (the file's meta.float32_drift for it).
    bool close(const strata::Tensor& actual, const json& expected, const std::string& what, std::string& why, double atolFloor = 0.0) {
        const double atol = std::max(tol_.atol, atolFloor);
        const strata::Tensor e = tensorOf(expected);
        if (actual.shape() != e.shape()) {
            why = what + ": shape " + actual.shape().toString() + " != expected " + e.shape().toString();
            return false;
        }
        for (int64_t i = 0; i < e.size(); ++i) {
            const double a = actual.f32()[i], b = e.f32()[i];
            const double ratio = std::fabs(a - b) / (atol + tol_.rtol * std::fabs(b));
            if (ratio > worst_ || std::isnan(ratio)) worst_ = ratio, worstWhat_ = what + "[" + std::to_string(i) + "]";
            if (!(ratio <= 1.0)) {
                why = what + "[" + std::to_string(i) + "]: " + std::to_string(a) + " != expected " + std::to_string(b) +
                      " (|diff| " + std::to_string(std::fabs(a - b)) + ")";
                return false;
            }
        }
        return true;
    }

private:
    Tolerance tol_;
    double worst_ = 0.0;
    std::string worstWhat_;
};

// A golden file's model, built from its spec, with its data and loss. A model with several
// outputs trains the weighted sum of their losses (the file's loss["outputs"]: name and weight
// per output), as train::appendLosses builds it.
struct Fixture {
    json golden;
    std::unique_ptr<strata::Model> model;
    strata::train::TrainOptions options; // loss, fromLogits, outputLosses
    std::vector<strata::Tensor> inputs, labels; // in the spec's input and output order

    explicit Fixture(const QString& name) : golden(load(name)) {
        model = strata::Model::fromSpec(strata::ModelSpec::fromJson(golden["spec"]));
        model->build(0);
        options.loss = golden["loss"]["name"];
        options.fromLogits = golden["loss"].value("from_logits", false);
        for (const std::string& in : model->spec().inputs) { // int32 inputs: token ids (an Embedding's)
            const auto* layer = dynamic_cast<const strata::layers::InputLayer*>(model->layer(in));
            inputs.push_back(tensorOf(golden["inputs"][in], layer ? layer->dtype() : strata::DType::F32));
        }
        for (const std::string& out : model->spec().outputs) {
            std::string loss = options.loss;
            if (golden["loss"].contains("outputs")) {
                const json& o = golden["loss"]["outputs"][out];
                loss = o["name"];
                options.outputLosses.push_back({out, loss, o.value("weight", 1.0)});
            }
            labels.push_back(tensorOf(golden["labels"][out],
                                      loss == "sparse_categorical_crossentropy" ? strata::DType::I32 : strata::DType::F32));
        }
    }
    std::string outputName(std::size_t k = 0) const { return model->spec().outputs[k]; }
    std::size_t outputCount() const { return model->spec().outputs.size(); }

    // Every variable of the file, then zeros for the optimizer state `g` reads: slots, and
    // optimizer/iter, the step that selects dropout masks (0 for the forward pass, as in the file).
    void loadState(strata::ir::Backend& be, const strata::ir::Graph& g) const {
        for (auto it = golden["weights"].begin(); it != golden["weights"].end(); ++it)
            be.setVariable(it.key(), tensorOf(it.value()));
        for (strata::ir::ValueId v : g.variables()) {
            const std::string path = g.variablePath(v);
            if (path == strata::ir::kIterationsPath || path.find("/.OPTIMIZER_SLOT/") != std::string::npos)
                be.setVariable(path, strata::Tensor(g.shape(v), g.dtype(v)));
        }
    }
    // The traced graph (training or not) with the loss appended; perOutput: each output's loss.
    strata::train::TracedModel trace(bool training, strata::ir::ValueId& lossValue,
                                     std::vector<strata::ir::ValueId>* perOutput = nullptr) const {
        std::vector<strata::Shape> shapes;
        for (const strata::Tensor& x : inputs) shapes.push_back(x.shape());
        strata::train::TracedModel t = strata::train::traceModel(*model, {shapes, training}, 0);
        const strata::train::LossValues lv = strata::train::appendLosses(t.graph, t, options);
        lossValue = lv.total;
        if (perOutput) *perOutput = lv.perOutput;
        return t;
    }
    std::vector<strata::ir::Feed> feeds(bool withLabels = true) const {
        std::vector<strata::ir::Feed> f;
        for (std::size_t i = 0; i < inputs.size(); ++i) f.push_back({model->spec().inputs[i], strata::ir::TensorView(inputs[i])});
        if (withLabels)
            for (std::size_t k = 0; k < labels.size(); ++k) f.push_back({strata::train::labelsName(k), strata::ir::TensorView(labels[k])});
        return f;
    }
};

// Training-mode forward pass: loss, output, the gradient of every trainable variable, and the
// moving averages batch normalization assigned. "" when all agree.
inline std::string checkForwardAndGradients(strata::ir::Backend& be, const QString& name, Checker& check) {
    Fixture f(name);
    strata::ir::ValueId loss;
    std::vector<strata::ir::ValueId> perOutput;
    strata::train::TracedModel t = f.trace(true, loss, &perOutput);
    f.loadState(be, t.graph);
    std::vector<std::string> paths;
    std::vector<strata::ir::ValueId> wrt;
    for (auto it = f.golden["gradients"].begin(); it != f.golden["gradients"].end(); ++it) {
        paths.push_back(it.key());
        wrt.push_back(t.graph.findVariable(it.key()));
        if (wrt.back() == strata::ir::kNoValue) return "the traced graph has no variable " + it.key();
    }
    const std::size_t n = f.outputCount();
    std::vector<strata::ir::ValueId> outputs{loss};
    outputs.insert(outputs.end(), t.outputs.begin(), t.outputs.end());
    outputs.insert(outputs.end(), perOutput.begin(), perOutput.end());
    for (strata::ir::ValueId g : strata::ir::gradients(t.graph, loss, wrt)) outputs.push_back(g);
    auto plan = be.prepare(t.graph, outputs);
    std::vector<strata::Tensor> r;
    be.run(*plan, f.feeds(), {}, r);
    std::string why;
    if (!check.close(r[0], scalarJson(f.golden["loss_value"]), "loss", why)) return why;
    for (std::size_t k = 0; k < n; ++k) {
        if (!check.close(r[1 + k], f.golden["outputs"][f.outputName(k)], "output " + f.outputName(k), why)) return why;
        if (n > 1 && !check.close(r[1 + n + k], scalarJson(f.golden["output_losses"][f.outputName(k)]),
                                  "loss of output " + f.outputName(k), why))
            return why;
    }
    for (std::size_t i = 0; i < paths.size(); ++i)
        if (!check.close(r[1 + 2 * n + i], f.golden["gradients"][paths[i]], "gradient of " + paths[i], why)) return why;
    if (f.golden.contains("moving_after_forward"))
        for (auto it = f.golden["moving_after_forward"].begin(); it != f.golden["moving_after_forward"].end(); ++it)
            if (!check.close(be.getVariable(it.key()), it.value(), it.key(), why)) return why;
    return {};
}

// The files with inference outputs (batch normalization's moving statistics, dropout off).
inline QStringList namesWithInference() {
    QStringList out;
    for (const QString& n : names())
        if (load(n).contains("outputs_inference")) out << n;
    return out;
}

inline std::string checkInference(strata::ir::Backend& be, const QString& name, Checker& check) {
    Fixture f(name);
    strata::ir::ValueId loss;
    strata::train::TracedModel t = f.trace(false, loss);
    f.loadState(be, t.graph);
    auto plan = be.prepare(t.graph, t.outputs);
    std::vector<strata::Tensor> r;
    be.run(*plan, f.feeds(false), {}, r);
    std::string why;
    for (std::size_t k = 0; k < f.outputCount(); ++k)
        if (!check.close(r[k], f.golden["outputs_inference"][f.outputName(k)], "inference output " + f.outputName(k), why)) break;
    return why;
}

// Every optimizer entry as {file, "group/key"}. "rmsprop" is torch.optim.RMSprop (eps outside the
// root); the engine implements Keras' form, which the file holds as rmsprop_eps_inside_sqrt.
inline std::vector<std::pair<QString, QString>> optimizerEntries() {
    std::vector<std::pair<QString, QString>> out;
    for (const QString& n : names()) {
        const json g = load(n);
        for (const char* group : {"after_one_step", "after_two_steps", "schedules"}) {
            if (!g.contains(group)) continue;
            for (auto it = g[group].begin(); it != g[group].end(); ++it)
                if (it.key() != "rmsprop") out.emplace_back(n, QString::fromStdString(std::string(group) + "/" + it.key()));
        }
    }
    return out;
}

// `entry` "group/key": runs its steps from the initial weights (checking the loss before each)
// and compares every variable afterwards, moving statistics included.
inline std::string checkOptimizerSteps(strata::ir::Backend& be, const QString& name, const QString& entryName, Checker& check) {
    Fixture f(name);
    const QStringList parts = entryName.split('/');
    const json& entry = f.golden[parts[0].toStdString()][parts[1].toStdString()];
    const strata::ir::OptimizerConfig opt = strata::ir::OptimizerConfig::fromJson(entry["config"]);
    strata::ir::ValueId loss;
    strata::train::TracedModel t = f.trace(true, loss);
    std::vector<std::string> trainable;
    for (strata::Variable* v : f.model->trainableVariables()) trainable.push_back(v->path());
    strata::ir::TrainingGraphs tg = strata::ir::buildTrainingGraphs(t.graph, loss, trainable, opt);
    f.loadState(be, tg.update);
    auto plan = be.prepare(tg.update, {tg.loss});
    const int steps = entry["steps"];
    std::string why;
    std::vector<strata::Tensor> r;
    for (int s = 0; s < steps; ++s) {
        be.run(*plan, f.feeds(), {}, r);
        if (!check.close(r[0], scalarJson(entry["losses"][s]), "loss before step " + std::to_string(s + 1), why)) return why;
    }
    // A schedule's steps can amplify rounding (torch's own float32 run of sgd_step_decay on
    // upsample_crop lands 1.1e-5 from the float64 answer): the tolerance is never below that drift.
    const json& drifts = f.golden["meta"]["float32_drift"];
    const std::string driftKey = "weights_after_" + parts[1].toStdString();
    const double drift = drifts.contains(driftKey) ? drifts[driftKey].get<double>() : 0.0;
    for (auto it = entry["weights"].begin(); it != entry["weights"].end(); ++it)
        if (!check.close(be.getVariable(it.key()), it.value(), it.key() + " after " + std::to_string(steps) + " steps", why, drift))
            return why;
    return {};
}

} // namespace golden
