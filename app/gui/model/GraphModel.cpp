#include "app/gui/model/GraphModel.h"

#include "engine/Error.h"
#include "engine/LayerRegistry.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace strata::gui {

GraphModel::GraphModel(QObject* parent) : QObject(parent) { recompute(); }

void GraphModel::reset(GraphState state) {
    state_ = std::move(state);
    path_.clear();
    recompute();
    emit levelChanged();
    emit changed();
}

void GraphModel::applyDelta(const GraphDelta& delta, bool forward) {
    delta.apply(state_, forward);
    LevelPath kept = existingPrefix(state_.spec, path_);
    bool levelGone = kept != path_;
    path_ = kept;
    recompute();
    if (levelGone) emit levelChanged();
    emit changed();
}

bool GraphModel::openBlock(const std::string& blockName) {
    LevelPath p = path_;
    p.push_back(blockName);
    if (existingPrefix(state_.spec, p) != p) return false;
    openPath(p);
    return true;
}

void GraphModel::openPath(const LevelPath& path) {
    path_ = existingPrefix(state_.spec, path);
    recompute();
    emit levelChanged();
    emit changed();
}

int GraphModel::indexOf(const std::string& layer) const {
    auto it = index_.find(layer);
    return it == index_.end() ? -1 : it->second;
}

const InferenceResult& GraphModel::rootInference() const {
    if (rootStale_) {
        rootInf_ = ShapeInference::run(state_.spec);
        rootStale_ = false;
    }
    return rootInf_;
}

void GraphModel::recompute() {
    rootStale_ = true;
    if (path_.empty()) {
        level_ = ModelSpec{};
        levelInf_ = InferenceResult{};
        index_.clear();
        for (std::size_t i = 0; i < state_.spec.layers.size(); ++i) index_.emplace(state_.spec.layers[i].name, int(i));
        return;
    }
    // Walk down the levels, running each block's inner spec on the shapes it is called with.
    ModelSpec spec = state_.spec;
    InferenceResult inf = ShapeInference::run(spec);
    rootInf_ = ShapeInference::run(spec);
    rootStale_ = false;
    for (const auto& name : path_) {
        int i = spec.indexOf(name);
        std::vector<Shape> shapes = inf.layers[std::size_t(i)].inputShapes;
        ModelSpec inner = blockInnerSpec(spec.layers[std::size_t(i)]);
        inf = shapes.size() == inner.inputs.size() ? ShapeInference::run(inner, &shapes) : ShapeInference::run(inner);
        spec = std::move(inner);
    }
    level_ = std::move(spec);
    levelInf_ = std::move(inf);
    index_.clear();
    for (std::size_t i = 0; i < level_.layers.size(); ++i) index_.emplace(level_.layers[i].name, int(i));
}

OutputRef GraphModel::resolve(const std::string& ref) const {
    return resolveOutputRef(ref, [this](const std::string& n) { return indexOf(n); });
}

std::string GraphModel::layerOf(const std::string& ref) const {
    const OutputRef r = resolve(ref);
    return r.layer < 0 ? std::string() : spec().layers[std::size_t(r.layer)].name;
}

const LayerSpec* GraphModel::layer(const std::string& name) const {
    int i = indexOf(name);
    return i < 0 ? nullptr : &spec().layers[std::size_t(i)];
}

const LayerInference* GraphModel::inferenceOf(const std::string& name) const {
    int i = indexOf(name);
    if (i < 0 || std::size_t(i) >= inference().layers.size()) return nullptr;
    return &inference().layers[std::size_t(i)];
}

QPointF GraphModel::position(const std::string& layer) const {
    auto it = state_.positions.find(key(layer));
    if (it != state_.positions.end()) return it->second;
    // Not laid out yet: a column in spec order keeps a fresh import readable until auto-layout.
    int i = std::max(0, indexOf(layer));
    if (flow() == Flow::LeftToRight) return {i * (NodeGeometry::width + 48), 0.0};
    return {0.0, i * (NodeGeometry::height + 48)};
}

int GraphModel::inputPortCount(const std::string& name) const {
    const LayerSpec* l = layer(name);
    if (!l) return 0;
    const LayerTypeInfo* info = LayerRegistry::instance().find(l->type);
    int given = int(l->inbound.size());
    if (!info) return std::max(1, given);
    if (l->type == "Block") {
        // A block takes one input per Input layer of its inner spec.
        try {
            return std::max(given, int(blockInnerSpec(*l).inputs.size()));
        } catch (const StrataError&) {
            return std::max(1, given);
        }
    }
    if (info->maxInputs < 0) return std::max(info->minInputs, given + 1);
    // Keras' initial_state: optional inputs after the sequence, shown once it is wired.
    if (info->defaults.contains("return_state")) return std::clamp(given + 1, info->minInputs, info->maxInputs);
    return std::max(info->maxInputs, given);
}

int GraphModel::outputPortCount(const std::string& name) const {
    const LayerSpec* l = layer(name);
    if (!l || l->type == "Input") return l ? 1 : 0;
    return 1 + int(extraOutputNames(name).size());
}

QStringList GraphModel::extraOutputNames(const std::string& name) const {
    QStringList out;
    if (const LayerInference* inf = inferenceOf(name); inf && inf->layer)
        for (const auto& n : inf->layer->extraOutputNames()) out << QString::fromStdString(n);
    return out;
}

std::vector<Connection> GraphModel::connections() const {
    std::vector<Connection> out;
    for (const auto& l : spec().layers)
        for (std::size_t p = 0; p < l.inbound.size(); ++p)
            if (const OutputRef r = resolve(l.inbound[p]); r.layer >= 0)
                out.push_back({spec().layers[std::size_t(r.layer)].name, l.name, int(p), r.output});
    return out;
}

std::vector<std::string> GraphModel::consumersOf(const std::string& name) const {
    std::vector<std::string> out;
    const int i = indexOf(name);
    for (const auto& l : spec().layers)
        for (const auto& in : l.inbound)
            if (i >= 0 && resolve(in).layer == i) {
                out.push_back(l.name);
                break;
            }
    return out;
}

QString GraphModel::connectionRefusal(const std::string& fromRef, const std::string& to, int port) const {
    // `fromRef` may name one of a layer's extra outputs ("lstm:1").
    const OutputRef ref = resolve(fromRef);
    const std::string from = ref.layer < 0 ? fromRef : spec().layers[std::size_t(ref.layer)].name;
    const LayerSpec* src = layer(from);
    const LayerSpec* dst = layer(to);
    if (!src || !dst) return tr("no such layer");
    auto q = [](const std::string& s) { return QString::fromStdString(s); };
    if (ref.output >= outputPortCount(from))
        return tr("'%1' has no output %2").arg(q(from)).arg(ref.output);
    if (from == to) return tr("'%1' cannot feed itself").arg(q(to));
    const LayerTypeInfo* info = LayerRegistry::instance().find(dst->type);
    if (info && info->maxInputs == 0) return tr("'%1' is an %2 layer and takes no inputs").arg(q(to), q(dst->type));
    if (info && info->maxInputs > 0 && port >= info->maxInputs)
        return tr("%1 takes %n input(s)", nullptr, info->maxInputs).arg(q(dst->type));
    if (port < int(dst->inbound.size()))
        return tr("input %1 of '%2' is already connected to '%3'; disconnect it first")
            .arg(port + 1)
            .arg(q(to), q(dst->inbound[std::size_t(port)]));
    // A cycle: `to` already feeds `from`, directly or through other layers.
    std::unordered_map<std::string, const LayerSpec*> byName;
    for (const auto& l : spec().layers) byName[l.name] = &l;
    std::vector<std::string> stack{from};
    std::unordered_set<std::string> seen;
    while (!stack.empty()) {
        std::string n = stack.back();
        stack.pop_back();
        if (n == to) return tr("connecting '%1' to '%2' would make a cycle: '%2' already feeds '%1'").arg(q(from), q(to));
        if (!seen.insert(n).second) continue;
        auto it = byName.find(n);
        if (it != byName.end())
            for (const auto& in : it->second->inbound) stack.push_back(layerOf(in));
    }
    return {};
}

QString GraphModel::keyConfigText(const std::string& name) const {
    const LayerInference* inf = inferenceOf(name);
    if (inf && inf->layer) return QString::fromStdString(inf->layer->keyConfigText());
    return {};
}

QString GraphModel::outputShapeText(const std::string& name, int output) const {
    const LayerInference* inf = inferenceOf(name);
    if (!inf || !inf->outputShape) return {};
    if (output == 0) return QString::fromStdString(inf->outputShape->toString());
    if (std::size_t(output) <= inf->extraOutputShapes.size())
        return QString::fromStdString(inf->extraOutputShapes[std::size_t(output - 1)].toString());
    return {};
}

std::optional<Shape> GraphModel::refShape(const std::string& ref) const {
    const OutputRef r = resolve(ref);
    if (r.layer < 0 || std::size_t(r.layer) >= inference().layers.size()) return std::nullopt;
    const LayerInference& inf = inference().layers[std::size_t(r.layer)];
    if (!inf.outputShape) return std::nullopt;
    if (r.output == 0) return inf.outputShape;
    if (std::size_t(r.output) <= inf.extraOutputShapes.size()) return inf.extraOutputShapes[std::size_t(r.output - 1)];
    return std::nullopt;
}

QStringList GraphModel::errorsOf(const std::string& name) const {
    QStringList out;
    if (const LayerInference* inf = inferenceOf(name))
        for (const auto& e : inf->errors) out << QString::fromStdString(e);
    return out;
}

} // namespace strata::gui
