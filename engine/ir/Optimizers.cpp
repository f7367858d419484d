#include "engine/ir/Optimizers.h"

#include "engine/Error.h"
#include "engine/ir/Autodiff.h"
#include "engine/ir/Backend.h"
#include "engine/ir/ScopeGuard.h"

#include <nlohmann/json.hpp>

#include <set>

namespace strata::ir {

std::string optimizerScope(const std::string& variablePath) {
    const auto slash = variablePath.rfind('/');
    return slash == std::string::npos ? kOptimizerScope : kOptimizerScope + "/" + variablePath.substr(0, slash);
}

std::string slotPath(const std::string& variablePath, const std::string& slot) {
    return variablePath + "/.OPTIMIZER_SLOT/optimizer/" + slot;
}

OptimizerConfig OptimizerConfig::defaults(const std::string& name) {
    OptimizerConfig c;
    c.name = name;
    if (name == "sgd") c.learningRate = LearningRateSchedule::constant(0.01);
    else if (name == "adamw") c.weightDecay = 0.004;
    else if (name != "adam" && name != "rmsprop")
        throw ConfigError("unknown optimizer '" + name + "' (expected sgd, adam, adamw or rmsprop)");
    return c;
}

namespace {
double number(const std::string& opt, const std::string& key, const nlohmann::json& v) {
    if (!v.is_number()) throw ConfigError("optimizer " + opt + ": '" + key + "' must be a number");
    return v.get<double>();
}
bool boolean(const std::string& opt, const std::string& key, const nlohmann::json& v) {
    if (!v.is_boolean()) throw ConfigError("optimizer " + opt + ": '" + key + "' must be true or false");
    return v.get<bool>();
}
void range(const std::string& opt, const char* key, double v, double lo, double hi) {
    if (!(v >= lo && v <= hi))
        throw ConfigError("optimizer " + opt + ": " + key + " must be in [" + std::to_string(lo) + ", " +
                          std::to_string(hi) + "], got " + std::to_string(v));
}
} // namespace

OptimizerConfig OptimizerConfig::fromJson(const nlohmann::json& j) {
    if (!j.is_object() || !j.contains("name") || !j["name"].is_string())
        throw ConfigError("optimizer config needs a \"name\" (sgd, adam, adamw or rmsprop)");
    const std::string n = j["name"].get<std::string>();
    OptimizerConfig c = defaults(n);
    const bool adam = n == "adam" || n == "adamw";
    for (const auto& [key, v] : j.items()) {
        if (key == "name") continue;
        if (key == "learning_rate") c.learningRate = LearningRateSchedule::fromJson(v);
        else if (key == "weight_decay") c.weightDecay = v.is_null() ? 0.0 : number(n, key, v);
        else if (key == "momentum" && (n == "sgd" || n == "rmsprop")) c.momentum = number(n, key, v);
        else if (key == "nesterov" && n == "sgd") c.nesterov = boolean(n, key, v);
        else if (key == "beta_1" && adam) c.beta1 = number(n, key, v);
        else if (key == "beta_2" && adam) c.beta2 = number(n, key, v);
        else if (key == "epsilon" && n != "sgd") c.epsilon = number(n, key, v);
        else if (key == "rho" && n == "rmsprop") c.rho = number(n, key, v);
        else if (key == "centered" && n == "rmsprop") c.centered = boolean(n, key, v);
        else throw ConfigError("optimizer " + n + ": unknown option '" + key + "'");
    }
    range(n, "momentum", c.momentum, 0, 1);
    range(n, "beta_1", c.beta1, 0, 1);
    range(n, "beta_2", c.beta2, 0, 1);
    range(n, "rho", c.rho, 0, 1);
    range(n, "weight_decay", c.weightDecay, 0, 1e9);
    if (c.epsilon < 0) throw ConfigError("optimizer " + n + ": epsilon must not be negative");
    return c;
}

nlohmann::json OptimizerConfig::toJson() const {
    nlohmann::json j = {{"name", name}, {"learning_rate", learningRate.toJson()}, {"weight_decay", weightDecay}};
    if (name == "sgd") j.update({{"momentum", momentum}, {"nesterov", nesterov}});
    if (name == "adam" || name == "adamw") j.update({{"beta_1", beta1}, {"beta_2", beta2}, {"epsilon", epsilon}});
    if (name == "rmsprop")
        j.update({{"rho", rho}, {"momentum", momentum}, {"epsilon", epsilon}, {"centered", centered}});
    return j;
}

namespace {
ValueId slot(Graph& g, ValueId var, const std::string& name) {
    return g.variable(slotPath(g.variablePath(var), name), g.shape(var));
}

void sgd(Graph& g, const OptimizerConfig& c, ValueId var, ValueId w, ValueId grad, ValueId lr) {
    const std::string path = g.variablePath(var);
    ValueId step = g.mul(grad, lr);
    if (c.momentum == 0.0) {
        g.assign(path, g.sub(w, step));
        return;
    }
    ValueId m = slot(g, var, "momentum");
    ValueId m2 = g.sub(g.mul(m, g.scalar(float(c.momentum))), step);
    g.assign(slotPath(path, "momentum"), m2);
    g.assign(path, c.nesterov ? g.sub(g.add(w, g.mul(m2, g.scalar(float(c.momentum)))), step) : g.add(w, m2));
}

void rmsprop(Graph& g, const OptimizerConfig& c, ValueId var, ValueId w, ValueId grad, ValueId lr) {
    const std::string path = g.variablePath(var);
    const ValueId rho = g.scalar(float(c.rho)), oneMinusRho = g.scalar(float(1 - c.rho));
    ValueId rms = g.add(g.mul(slot(g, var, "rms"), rho), g.mul(g.square(grad), oneMinusRho));
    g.assign(slotPath(path, "rms"), rms);
    ValueId denom = rms;
    if (c.centered) {
        ValueId mg = g.add(g.mul(slot(g, var, "average_gradient"), rho), g.mul(grad, oneMinusRho));
        g.assign(slotPath(path, "average_gradient"), mg);
        denom = g.sub(rms, g.square(mg));
    }
    ValueId inc = g.div(g.mul(grad, lr), g.sqrt(g.add(denom, g.scalar(float(c.epsilon)))));
    if (c.momentum > 0.0) {
        ValueId mom = g.add(g.mul(slot(g, var, "momentum"), g.scalar(float(c.momentum))), inc);
        g.assign(slotPath(path, "momentum"), mom);
        inc = mom;
    }
    g.assign(path, g.sub(w, inc));
}

void adam(Graph& g, const OptimizerConfig& c, ValueId var, ValueId grad, ValueId lr, ValueId iter) {
    const std::string path = g.variablePath(var);
    ValueId m = slot(g, var, "m"), v = slot(g, var, "v");
    Attrs a;
    a.set("beta_1", c.beta1).set("beta_2", c.beta2).set("epsilon", c.epsilon).set("weight_decay", c.weightDecay);
    const Shape s = g.shape(var);
    auto out = g.addNode(OpKind::AdamUpdate, {var, grad, m, v, lr, iter}, std::move(a),
                         {{s, DType::F32}, {s, DType::F32}, {s, DType::F32}});
    g.assign(slotPath(path, "m"), out[1]);
    g.assign(slotPath(path, "v"), out[2]);
    g.assign(path, out[0]);
}
} // namespace

void appendOptimizer(Graph& g, const OptimizerConfig& c, const std::vector<ValueId>& variables,
                     const std::vector<ValueId>& grads) {
    if (variables.size() != grads.size())
        throw StrataError("appendOptimizer: " + std::to_string(variables.size()) + " variables but " +
                          std::to_string(grads.size()) + " gradients");
    (void)OptimizerConfig::defaults(c.name); // validates the name
    ScopeGuard scope(g, kOptimizerScope);
    ValueId iter = g.variable(kIterationsPath, Shape{}, DType::I32);
    Attrs la;
    c.learningRate.writeAttrs(la);
    ValueId lr = g.addNode1(OpKind::LearningRate, {iter}, std::move(la), Shape{});
    for (std::size_t i = 0; i < variables.size(); ++i) {
        const ValueId var = variables[i], grad = grads[i];
        if (grad == kNoValue) continue;
        const std::string path = g.variablePath(var);
        if (path.empty()) throw StrataError("appendOptimizer: value %" + std::to_string(var) + " is not a variable");
        if (g.shape(grad) != g.shape(var))
            throw ShapeError("appendOptimizer: gradient " + g.shape(grad).toString() + " for variable '" + path +
                             "' of shape " + g.shape(var).toString());
        g.setScope(optimizerScope(path));
        if (c.name == "adam" || c.name == "adamw") {
            adam(g, c, var, grad, lr, iter);
            continue;
        }
        ValueId w = c.weightDecay > 0 ? g.sub(var, g.mul(var, g.mul(lr, g.scalar(float(c.weightDecay))))) : var;
        if (c.name == "sgd") sgd(g, c, var, w, grad, lr);
        else rmsprop(g, c, var, w, grad, lr);
    }
    g.setScope(kOptimizerScope);
    g.assign(kIterationsPath, g.add(iter, g.constant(Tensor::fromVector(Shape{}, std::vector<int32_t>{1}))));
}

TrainingGraphs buildTrainingGraphs(const Graph& traced, ValueId loss, const std::vector<std::string>& trainablePaths,
                                   const OptimizerConfig& config) {
    TrainingGraphs t;
    t.loss = loss;
    t.update = traced;
    t.forward = traced;
    t.forward.clearAssignments();
    std::vector<ValueId> vars;
    std::set<std::string> seen;
    for (const std::string& p : trainablePaths) {
        if (!seen.insert(p).second) throw StrataError("buildTrainingGraphs: variable '" + p + "' is listed twice");
        const ValueId v = traced.findVariable(p);
        if (v == kNoValue) throw StrataError("buildTrainingGraphs: the traced graph has no variable '" + p + "'");
        vars.push_back(v);
        t.trainable.push_back(p);
    }
    t.gradients = gradients(t.update, loss, vars);
    t.backward = t.update;
    t.backward.clearAssignments();
    appendOptimizer(t.update, config, vars, t.gradients);
    return t;
}

void initializeOptimizerState(Backend& backend, const Graph& g) {
    for (ValueId v : g.variables()) {
        const std::string path = g.variablePath(v);
        const bool optimizerState = path == kIterationsPath || path.find("/.OPTIMIZER_SLOT/") != std::string::npos;
        if (optimizerState && !backend.hasVariable(path)) backend.setVariable(path, Tensor(g.shape(v), g.dtype(v)));
    }
}

} // namespace strata::ir
