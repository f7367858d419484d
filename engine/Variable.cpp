#include "engine/Variable.h"

#include "engine/Error.h"
#include "engine/Module.h"

namespace strata {

Variable::Variable(Module* owner, std::string name, Shape shape, DType dtype, bool trainable,
                   std::string initializer)
    : owner_(owner), name_(std::move(name)), trainable_(trainable), initializer_(std::move(initializer)),
      value_(std::move(shape), dtype) {}

std::string Variable::path() const { return owner_ ? owner_->path() + "/" + name_ : name_; }

std::string Variable::checkpointKey() const { return path() + "/.ATTRIBUTES/VARIABLE_VALUE"; }

bool Variable::isEffectivelyTrainable() const {
    if (!trainable_) return false;
    for (const Module* m = owner_; m; m = m->parent())
        if (!m->trainable()) return false;
    return true;
}

void Variable::assign(const Tensor& v) {
    if (v.shape() != value_.shape() || v.dtype() != value_.dtype())
        throw ShapeError("cannot assign a " + std::string(dtypeName(v.dtype())) + " tensor of shape " +
                         v.shape().toString() + " to variable '" + path() + "' of shape " +
                         value_.shape().toString());
    value_ = v;
}

} // namespace strata
