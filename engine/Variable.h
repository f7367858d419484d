// A variable: a named tensor owned by a module, at an object path from the root
// ("model/dense_1/kernel"), trainable or frozen, created from an initializer.
#pragma once

#include "engine/DType.h"
#include "engine/Shape.h"
#include "engine/Tensor.h"

#include <string>

namespace strata {

class Module;

class Variable {
public:
    Variable(Module* owner, std::string name, Shape shape, DType dtype, bool trainable, std::string initializer);

    const std::string& name() const { return name_; }
    // Object path from the root module: "model/encoder/dense_1/kernel".
    std::string path() const;
    // Checkpoint key as TensorFlow writes it: "<path>/.ATTRIBUTES/VARIABLE_VALUE".
    std::string checkpointKey() const;
    const Shape& shape() const { return value_.shape(); }
    DType dtype() const { return value_.dtype(); }
    const std::string& initializer() const { return initializer_; }
    Module* owner() const { return owner_; }

    // The variable's own flag. A variable is effectively trainable only when this flag is set and
    // no module above it is frozen (see Module::setTrainable and Module::trainableVariables).
    bool trainable() const { return trainable_; }
    void setTrainable(bool t) { trainable_ = t; }
    bool isEffectivelyTrainable() const;

    const Tensor& value() const { return value_; }
    Tensor& value() { return value_; }
    // Replaces the value; the shape and dtype must match (ShapeError names the variable otherwise).
    void assign(const Tensor& v);

private:
    Module* owner_;
    std::string name_;
    bool trainable_;
    std::string initializer_;
    Tensor value_;
};

} // namespace strata
