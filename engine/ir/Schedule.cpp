#include "engine/ir/Schedule.h"

#include "engine/Error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace strata::ir {

namespace {
const char* kindName(LearningRateSchedule::Kind k) {
    switch (k) {
    case LearningRateSchedule::Kind::Constant: return "constant";
    case LearningRateSchedule::Kind::StepDecay: return "step_decay";
    case LearningRateSchedule::Kind::CosineDecay: return "cosine_decay";
    }
    return "constant";
}

LearningRateSchedule::Kind parseKind(const std::string& s) {
    if (s == "constant") return LearningRateSchedule::Kind::Constant;
    if (s == "step_decay") return LearningRateSchedule::Kind::StepDecay;
    if (s == "cosine_decay") return LearningRateSchedule::Kind::CosineDecay;
    throw ConfigError("unknown learning-rate schedule '" + s + "' (expected constant, step_decay or cosine_decay)");
}

double number(const nlohmann::json& v, const std::string& key) {
    if (!v.is_number()) throw ConfigError("learning-rate schedule: '" + key + "' must be a number");
    return v.get<double>();
}
} // namespace

LearningRateSchedule LearningRateSchedule::fromJson(const nlohmann::json& j) {
    if (j.is_number()) return constant(j.get<double>());
    if (!j.is_object()) throw ConfigError("learning_rate must be a number or a schedule object");
    LearningRateSchedule s;
    if (!j.contains("name") || !j["name"].is_string()) throw ConfigError("learning-rate schedule needs a \"name\"");
    s.kind = parseKind(j["name"].get<std::string>());
    for (const auto& [key, v] : j.items()) {
        if (key == "name") continue;
        if (key == "initial_learning_rate") s.learningRate = number(v, key);
        else if (key == "decay_steps" && s.kind != Kind::Constant) s.decaySteps = int64_t(number(v, key));
        else if (key == "decay_rate" && s.kind == Kind::StepDecay) s.decayRate = number(v, key);
        else if (key == "alpha" && s.kind == Kind::CosineDecay) s.alpha = number(v, key);
        else throw ConfigError("learning-rate schedule " + std::string(kindName(s.kind)) + ": unknown option '" + key + "'");
    }
    if (s.decaySteps < 1) throw ConfigError("learning-rate schedule: decay_steps must be at least 1");
    return s;
}

nlohmann::json LearningRateSchedule::toJson() const {
    if (kind == Kind::Constant) return learningRate;
    nlohmann::json j = {{"name", kindName(kind)}, {"initial_learning_rate", learningRate}, {"decay_steps", decaySteps}};
    if (kind == Kind::StepDecay) j["decay_rate"] = decayRate;
    if (kind == Kind::CosineDecay) j["alpha"] = alpha;
    return j;
}

double LearningRateSchedule::at(int64_t step) const {
    switch (kind) {
    case Kind::Constant: return learningRate;
    case Kind::StepDecay: return learningRate * std::pow(decayRate, double(step / decaySteps));
    case Kind::CosineDecay: {
        const double p = double(std::min(step, decaySteps)) / double(decaySteps);
        return learningRate * ((1 - alpha) * 0.5 * (1 + std::cos(std::numbers::pi * p)) + alpha);
    }
    }
    return learningRate;
}

void LearningRateSchedule::writeAttrs(Attrs& a) const {
    a.set("schedule", kindName(kind));
    a.set("learning_rate", learningRate);
    a.set("decay_steps", decaySteps);
    a.set("decay_rate", decayRate);
    a.set("alpha", alpha);
}

LearningRateSchedule LearningRateSchedule::fromAttrs(const Attrs& a) {
    LearningRateSchedule s;
    s.kind = parseKind(a.string("schedule"));
    s.learningRate = a.real("learning_rate");
    s.decaySteps = a.integer("decay_steps");
    s.decayRate = a.real("decay_rate");
    s.alpha = a.real("alpha");
    return s;
}

} // namespace strata::ir
