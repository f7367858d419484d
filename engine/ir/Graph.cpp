// Graph core: sources, side effects, node creation, queries and dumps. Op builders are in
// GraphOps.cpp and GraphNnOps.cpp.
#include "engine/ir/Graph.h"

#include "engine/Error.h"

#include <nlohmann/json.hpp>

#include <sstream>

namespace strata::ir {

namespace {
std::string typeString(const Value& v) { return v.shape.toString() + " " + std::string(dtypeName(v.dtype)); }
} // namespace

void Graph::check(ValueId v, const char* what) const {
    if (v < 0 || v >= valueCount())
        throw StrataError(std::string(what) + ": value %" + std::to_string(v) + " does not belong to this graph");
}

const Value& Graph::value(ValueId v) const {
    check(v, "value");
    return values_[std::size_t(v)];
}

std::vector<ValueId> Graph::addNode(OpKind op, std::vector<ValueId> inputs, Attrs attrs,
                                    const std::vector<std::pair<Shape, DType>>& outputs) {
    for (ValueId v : inputs) check(v, std::string(opName(op)).c_str());
    const OpInfo& info = opInfo(op);
    if (info.inputs != kVariadic && std::size_t(info.inputs) != inputs.size())
        throw StrataError(std::string(info.name) + " takes " + std::to_string(info.inputs) + " inputs, got " +
                          std::to_string(inputs.size()));
    Node n;
    n.op = op;
    n.inputs = std::move(inputs);
    n.attrs = std::move(attrs);
    n.scope = scope_;
    const auto nodeId = int32_t(nodes_.size());
    for (std::size_t i = 0; i < outputs.size(); ++i) {
        if (!outputs[i].first.isFullyKnown())
            throw ShapeError(std::string(info.name) + ": output shape " + outputs[i].first.toString() +
                             " is not fully known");
        n.outputs.push_back(ValueId(values_.size()));
        values_.push_back(Value{outputs[i].first, outputs[i].second, nodeId, int32_t(i)});
    }
    nodes_.push_back(std::move(n));
    return nodes_.back().outputs;
}

ValueId Graph::placeholder(const std::string& name, Shape shape, DType dtype) {
    if (findPlaceholder(name) != kNoValue) throw StrataError("placeholder '" + name + "' is declared twice");
    if (!shape.isFullyKnown())
        throw ShapeError("placeholder '" + name + "' needs a fully known shape, got " + shape.toString());
    return addNode1(OpKind::Placeholder, {}, Attrs().set("name", name), std::move(shape), dtype);
}

ValueId Graph::variable(const std::string& path, Shape shape, DType dtype) {
    if (ValueId v = findVariable(path); v != kNoValue) {
        if (values_[v].shape != shape || values_[v].dtype != dtype)
            throw ShapeError("variable '" + path + "' is declared as " + typeString(values_[v]) + " and as " +
                             shape.toString() + " " + std::string(dtypeName(dtype)));
        return v;
    }
    if (!shape.isFullyKnown())
        throw ShapeError("variable '" + path + "' needs a fully known shape, got " + shape.toString());
    return addNode1(OpKind::Variable, {}, Attrs().set("path", path), std::move(shape), dtype);
}

ValueId Graph::constant(Tensor t) {
    const Shape shape = t.shape();
    const DType dtype = t.dtype();
    constants_.push_back(std::move(t));
    return addNode1(OpKind::Constant, {}, Attrs().set("index", int64_t(constants_.size() - 1)), shape, dtype);
}

void Graph::assign(const std::string& path, ValueId v) {
    check(v, "assign");
    const ValueId var = findVariable(path);
    if (var == kNoValue) throw StrataError("assign: the graph has no variable '" + path + "'");
    if (values_[var].shape != values_[v].shape || values_[var].dtype != values_[v].dtype)
        throw ShapeError("assign to '" + path + "': variable is " + typeString(values_[var]) + ", value is " +
                         typeString(values_[v]));
    assigns_.push_back({path, v});
}

const Tensor& Graph::constantOf(const Node& n) const {
    return constants_.at(std::size_t(n.attrs.integer("index")));
}

ValueId Graph::findVariable(const std::string& path) const {
    for (const Node& n : nodes_)
        if (n.op == OpKind::Variable && n.attrs.string("path") == path) return n.outputs[0];
    return kNoValue;
}

ValueId Graph::findPlaceholder(const std::string& name) const {
    for (const Node& n : nodes_)
        if (n.op == OpKind::Placeholder && n.attrs.string("name") == name) return n.outputs[0];
    return kNoValue;
}

std::vector<ValueId> Graph::variables() const {
    std::vector<ValueId> r;
    for (const Node& n : nodes_)
        if (n.op == OpKind::Variable) r.push_back(n.outputs[0]);
    return r;
}

std::vector<ValueId> Graph::placeholders() const {
    std::vector<ValueId> r;
    for (const Node& n : nodes_)
        if (n.op == OpKind::Placeholder) r.push_back(n.outputs[0]);
    return r;
}

std::string Graph::variablePath(ValueId v) const {
    const Node& n = producer(v);
    return n.op == OpKind::Variable ? n.attrs.string("path") : std::string();
}

std::vector<int64_t> Graph::allAxes(ValueId x) const {
    std::vector<int64_t> axes(shape(x).rank());
    for (std::size_t i = 0; i < axes.size(); ++i) axes[i] = int64_t(i);
    return axes;
}

std::string Graph::toText() const {
    std::ostringstream s;
    for (const Node& n : nodes_) {
        for (std::size_t i = 0; i < n.outputs.size(); ++i) s << (i ? ", %" : "%") << n.outputs[i];
        s << " = " << opName(n.op);
        if (!n.inputs.empty()) {
            s << "(";
            for (std::size_t i = 0; i < n.inputs.size(); ++i) s << (i ? ", %" : "%") << n.inputs[i];
            s << ")";
        }
        if (const std::string a = n.attrs.toString(); !a.empty()) s << " " << a;
        s << " :";
        for (std::size_t i = 0; i < n.outputs.size(); ++i) s << (i ? ", " : " ") << typeString(values_[n.outputs[i]]);
        if (!n.scope.empty()) s << "  # " << n.scope;
        s << "\n";
    }
    for (const Assignment& a : assigns_) s << "assign \"" << a.path << "\" <- %" << a.value << "\n";
    return s.str();
}

nlohmann::json Graph::toJson() const {
    nlohmann::json values = nlohmann::json::array();
    for (const Value& v : values_)
        values.push_back({{"shape", v.shape.toJson()}, {"dtype", dtypeName(v.dtype)}, {"node", v.node}, {"output", v.output}});
    nlohmann::json nodes = nlohmann::json::array();
    for (const Node& n : nodes_) {
        nlohmann::json j = {{"op", opName(n.op)}, {"inputs", n.inputs}, {"outputs", n.outputs}, {"attrs", n.attrs.toJson()},
                            {"scope", n.scope}};
        if (n.op == OpKind::Constant) {
            const Tensor& t = constantOf(n);
            if (t.size() <= 16 && t.dtype() == DType::F32)
                j["value"] = std::vector<float>(t.f32(), t.f32() + t.size());
        }
        nodes.push_back(std::move(j));
    }
    nlohmann::json assigns = nlohmann::json::array();
    for (const Assignment& a : assigns_) assigns.push_back({{"path", a.path}, {"value", a.value}});
    return {{"format", "strata.graph/1"}, {"values", values}, {"nodes", nodes}, {"assigns", assigns}};
}

} // namespace strata::ir
