#include "engine/Layer.h"

#include "engine/Activations.h"
#include "engine/Error.h"
#include "engine/Initializers.h"
#include "engine/LayerRegistry.h"

namespace strata {

Layer::Layer(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Module(std::move(name)), info_(&info), given_(std::move(config)) {
    if (!given_.is_object()) given_ = nlohmann::json::object();
    if (auto t = given_.find(kTrainableKey); t != given_.end() && t->is_boolean()) setTrainable(t->get<bool>());
}

const std::string& Layer::type() const { return info_->type; }

const nlohmann::json& Layer::config() const {
    if (full_.is_null()) {
        full_ = info_->defaults;
        for (auto it = given_.begin(); it != given_.end(); ++it) full_[it.key()] = it.value();
    }
    return full_;
}

const nlohmann::json& Layer::cfg(const std::string& key) const {
    if (auto it = given_.find(key); it != given_.end()) return *it;
    return info_->defaults.at(key);
}

nlohmann::json Layer::toJson() const { return {{"name", name()}, {"type", type()}, {"config", config()}}; }

std::vector<Shape> Layer::extraOutputShapes(const std::vector<Shape>&) const { return {}; }

std::vector<VariableSpec> Layer::variableSpecs(const std::vector<Shape>&) const { return {}; }

ir::ValueId Layer::computeMask(CallContext&, const std::vector<ir::ValueId>&, const std::vector<ir::ValueId>& masks) const {
    return masks.empty() ? ir::kNoValue : masks[0];
}

bool Layer::outputMasked(const std::vector<bool>& masked) const { return supportsMasking() && !masked.empty() && masked[0]; }

std::string Layer::maskEffect(const std::vector<bool>&) const { return {}; }

ParamCounts& ParamCounts::operator+=(const ParamCounts& o) {
    if (__builtin_add_overflow(trainable, o.trainable, &trainable) ||
        __builtin_add_overflow(nonTrainable, o.nonTrainable, &nonTrainable) || trainable > (int64_t(1) << 61) ||
        nonTrainable > (int64_t(1) << 61))
        throw ShapeError("the parameter count overflows (more than 2^61 parameters)");
    return *this;
}

ParamCounts Layer::countParams(const std::vector<Shape>& inputs) const {
    ParamCounts c;
    for (const auto& v : variableSpecs(inputs)) {
        int64_t n = v.shape.numElements();
        if (n < 0) continue;
        c += v.trainable && trainable() ? ParamCounts{n, 0} : ParamCounts{0, n}; // a frozen layer's are not trained
    }
    return c;
}

void Layer::build(const std::vector<Shape>& inputs, uint64_t seed) {
    if (built_) {
        bool ok = inputs.size() == buildShapes_.size();
        for (std::size_t i = 0; ok && i < inputs.size(); ++i) ok = inputs[i].isCompatibleWith(buildShapes_[i]);
        if (!ok)
            throw ShapeError("layer '" + name() + "' (" + type() + ") was built for input shape " +
                             shapesText(buildShapes_) + " and cannot be called on " + shapesText(inputs));
        return;
    }
    outputShape(inputs); // throws when the shapes are wrong for this layer
    buildVariables(inputs, seed);
    buildShapes_ = inputs;
    built_ = true;
}

void Layer::buildVariables(const std::vector<Shape>& inputs, uint64_t seed) {
    for (const auto& spec : variableSpecs(inputs)) {
        if (!spec.shape.isFullyKnown())
            throw ShapeError("layer '" + name() + "' cannot create variable '" + spec.name + "' of shape " +
                             spec.shape.toString() + " from input " + shapesText(inputs) +
                             ": a dimension it depends on is unknown");
        Variable& v = addVariable(spec.name, spec.shape, DType::F32, spec.trainable, spec.initializer);
        initializeTensor(v.value(), spec.initializer, spec.fanIn, spec.fanOut, seed, v.path());
    }
}

void Layer::configError(const std::string& key, const std::string& message) const {
    throw ConfigError(key + ": " + message);
}

int64_t Layer::intConfig(const std::string& key, int64_t min) const {
    const auto& v = cfg(key);
    if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > kMaxDim)
        configError(key, "must be an integer from " + std::to_string(min) + " to " + std::to_string(kMaxDim) +
                             ", got " + v.dump());
    return v.get<int64_t>();
}

std::vector<int64_t> Layer::pairConfig(const std::string& key, int64_t min) const {
    const auto& v = cfg(key);
    std::vector<int64_t> out;
    if (v.is_number_integer()) out = {v.get<int64_t>(), v.get<int64_t>()};
    else if (v.is_array() && v.size() == 2 && v[0].is_number_integer() && v[1].is_number_integer())
        out = {v[0].get<int64_t>(), v[1].get<int64_t>()};
    else configError(key, "must be an integer or a pair of integers, got " + v.dump());
    if (out[0] < min || out[1] < min || out[0] > kMaxDim || out[1] > kMaxDim)
        configError(key, "values must be from " + std::to_string(min) + " to " + std::to_string(kMaxDim) + ", got " +
                             v.dump());
    return out;
}

std::string Layer::choiceConfig(const std::string& key, const std::vector<std::string>& choices) const {
    const auto& v = cfg(key);
    if (v.is_string())
        for (const auto& c : choices)
            if (c == v.get<std::string>()) return c;
    std::string list;
    for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
    configError(key, "must be one of " + list + ", got " + v.dump());
}

std::string Layer::activationConfig(const std::string& key) const {
    const auto& v = cfg(key);
    if (v.is_null()) return "linear";
    if (!v.is_string() || !isActivation(v.get<std::string>())) {
        std::string list;
        for (const auto& a : activationNames()) list += (list.empty() ? "" : ", ") + a;
        configError(key, "unknown activation " + v.dump() + " (known: " + list + ")");
    }
    return v.get<std::string>();
}

std::string Layer::initializerConfig(const std::string& key) const {
    const auto& v = cfg(key);
    if (!v.is_string() || !isInitializer(v.get<std::string>())) {
        std::string list;
        for (const auto& a : initializerNames()) list += (list.empty() ? "" : ", ") + a;
        configError(key, "unknown initializer " + v.dump() + " (known: " + list + ")");
    }
    return v.get<std::string>();
}

void requireRank(const Shape& s, std::size_t rank, const char* what) {
    if (s.rank() != rank)
        throw ShapeError("expects a " + std::to_string(rank) + "D input " + what + ", got " + s.toString());
}

std::string shapesText(const std::vector<Shape>& shapes) {
    if (shapes.size() == 1) return shapes[0].toString();
    std::string s = "[";
    for (std::size_t i = 0; i < shapes.size(); ++i) s += (i ? ", " : "") + shapes[i].toString();
    return s + "]";
}

} // namespace strata
