// Module: the guide's tf.Module. A named object that owns variables and submodules; collections
// are recursive and deterministic (own variables in creation order, then each submodule in order).
#pragma once

#include "engine/Variable.h"

#include <memory>
#include <string>
#include <vector>

namespace strata {

class Module {
public:
    explicit Module(std::string name);
    virtual ~Module();
    Module(const Module&) = delete;
    Module& operator=(const Module&) = delete;

    const std::string& name() const { return name_; }
    void setName(std::string name) { name_ = std::move(name); }
    Module* parent() const { return parent_; }
    // Segment of this module in object paths; the root of a model is "model" (see DESIGN.md).
    virtual std::string pathSegment() const { return name_; }
    std::string path() const;

    // Freezing: a module that is not trainable makes every variable below it non-trainable.
    bool trainable() const { return trainable_; }
    void setTrainable(bool t) { trainable_ = t; }
    // This module and every module above it are trainable.
    bool effectivelyTrainable() const;

    std::vector<Variable*> ownVariables() const;
    std::vector<Variable*> variables() const;
    std::vector<Variable*> trainableVariables() const;
    std::vector<Variable*> nonTrainableVariables() const;
    // Direct children in order.
    std::vector<Module*> children() const;
    // Every module below this one, depth first, in order.
    std::vector<Module*> submodules() const;
    // The variable at a path relative to this module ("dense_1/kernel"), or nullptr.
    Variable* findVariable(const std::string& relativePath) const;

    // Takes ownership of `m` and makes this module its parent.
    Module& addSubmodule(std::unique_ptr<Module> m);

protected:
    Variable& addVariable(std::string name, Shape shape, DType dtype, bool trainable, std::string initializer);
    void clearVariables() { variables_.clear(); }

private:
    void collect(std::vector<Variable*>& out, int which) const;

    std::string name_;
    Module* parent_ = nullptr;
    bool trainable_ = true;
    std::vector<std::unique_ptr<Variable>> variables_;
    std::vector<std::unique_ptr<Module>> children_;
};

} // namespace strata
