#include "engine/Module.h"

namespace strata {

Module::Module(std::string name) : name_(std::move(name)) {}
Module::~Module() = default;

std::string Module::path() const { return parent_ ? parent_->path() + "/" + pathSegment() : pathSegment(); }

Variable& Module::addVariable(std::string name, Shape shape, DType dtype, bool trainable, std::string initializer) {
    variables_.push_back(
        std::make_unique<Variable>(this, std::move(name), std::move(shape), dtype, trainable, std::move(initializer)));
    return *variables_.back();
}

Module& Module::addSubmodule(std::unique_ptr<Module> m) {
    m->parent_ = this;
    children_.push_back(std::move(m));
    return *children_.back();
}

std::vector<Variable*> Module::ownVariables() const {
    std::vector<Variable*> out;
    for (const auto& v : variables_) out.push_back(v.get());
    return out;
}

void Module::collect(std::vector<Variable*>& out, int which) const {
    for (const auto& v : variables_) {
        if (which == 0 || (which == 1) == v->isEffectivelyTrainable()) out.push_back(v.get());
    }
    for (const auto& c : children_) c->collect(out, which);
}

std::vector<Variable*> Module::variables() const {
    std::vector<Variable*> out;
    collect(out, 0);
    return out;
}

bool Module::effectivelyTrainable() const {
    for (const Module* m = this; m; m = m->parent())
        if (!m->trainable()) return false;
    return true;
}

std::vector<Variable*> Module::trainableVariables() const {
    std::vector<Variable*> out;
    collect(out, 1);
    return out;
}

std::vector<Variable*> Module::nonTrainableVariables() const {
    std::vector<Variable*> out;
    collect(out, 2);
    return out;
}

std::vector<Module*> Module::children() const {
    std::vector<Module*> out;
    for (const auto& c : children_) out.push_back(c.get());
    return out;
}

std::vector<Module*> Module::submodules() const {
    std::vector<Module*> out;
    for (const auto& c : children_) {
        out.push_back(c.get());
        auto below = c->submodules();
        out.insert(out.end(), below.begin(), below.end());
    }
    return out;
}

Variable* Module::findVariable(const std::string& relativePath) const {
    auto slash = relativePath.find('/');
    if (slash == std::string::npos) {
        for (const auto& v : variables_)
            if (v->name() == relativePath) return v.get();
        return nullptr;
    }
    std::string head = relativePath.substr(0, slash);
    for (const auto& c : children_)
        if (c->pathSegment() == head) return c->findVariable(relativePath.substr(slash + 1));
    return nullptr;
}

} // namespace strata
