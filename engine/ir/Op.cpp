#include "engine/ir/Op.h"

#include "engine/Error.h"

#include <array>
#include <string>

namespace strata::ir {

namespace {
constexpr std::array<OpInfo, std::size_t(OpKind::Count)> kOps = {{
    {"placeholder", 0, 1, false},
    {"variable", 0, 1, false},
    {"constant", 0, 1, false},
    {"add", 2, 1, false},
    {"sub", 2, 1, false},
    {"mul", 2, 1, false},
    {"div", 2, 1, false},
    {"neg", 1, 1, true},
    {"exp", 1, 1, true},
    {"log", 1, 1, true},
    {"sqrt", 1, 1, true},
    {"square", 1, 1, true},
    {"pow", 1, 1, true},
    {"abs", 1, 1, true},
    {"relu", 1, 1, true},
    {"sigmoid", 1, 1, true},
    {"tanh", 1, 1, true},
    {"elu", 1, 1, true},
    {"selu", 1, 1, true},
    {"softplus", 1, 1, true},
    {"softsign", 1, 1, true},
    {"swish", 1, 1, true},
    {"gelu", 1, 1, true},
    {"leaky_relu", 1, 1, true},
    {"clip", 1, 1, true},
    {"unary_grad", 2, 1, true},
    {"cast", 1, 1, true},
    {"softmax", 1, 1, false},
    {"log_softmax", 1, 1, false},
    {"reduce_sum", 1, 1, false},
    {"reduce_mean", 1, 1, false},
    {"broadcast_to", 1, 1, false},
    {"reshape", 1, 1, false},
    {"transpose", 1, 1, false},
    {"concat", kVariadic, 1, false},
    {"slice", 1, 1, false},
    {"matmul", 2, 1, false},
    {"conv2d", 2, 1, false},
    {"conv2d_backprop_input", 2, 1, false},
    {"conv2d_backprop_filter", 2, 1, false},
    {"max_pool2d", 1, 1, false},
    {"max_pool2d_grad", 2, 1, false},
    {"avg_pool2d", 1, 1, false},
    {"avg_pool2d_grad", 1, 1, false},
    {"dropout", 2, 1, false},
    {"one_hot", 1, 1, false},
    {"sparse_softmax_cross_entropy", 2, 1, false},
    {"sparse_softmax_cross_entropy_grad", 3, 1, false},
    {"learning_rate", 1, 1, false},
    {"adam_update", 6, 3, false},
    {"hard_sigmoid", 1, 1, true},
    {"hard_silu", 1, 1, true},
    {"mish", 1, 1, true},
    {"gelu_tanh", 1, 1, true},
    {"thresholded_relu", 1, 1, true},
    {"sin", 1, 1, true},
    {"cos", 1, 1, true},
    {"floor", 1, 1, true},
    {"random_uniform", 1, 1, false},
    {"image_transform", 2, 1, false},
    {"image_transform_grad", 2, 1, false},
    {"batch_matmul", 2, 1, false},
}};
} // namespace

const OpInfo& opInfo(OpKind op) { return kOps[std::size_t(op)]; }

OpKind parseOpKind(std::string_view name) {
    for (std::size_t i = 0; i < kOps.size(); ++i)
        if (kOps[i].name == name) return OpKind(i);
    throw StrataError("unknown op '" + std::string(name) + "'");
}

bool isUnaryActivation(OpKind op) {
    return (op >= OpKind::Neg && op <= OpKind::Clip) || (op >= OpKind::HardSigmoid && op <= OpKind::Floor);
}

uint32_t unaryActivationCode(OpKind op) {
    if (op >= OpKind::Neg && op <= OpKind::Clip) return uint32_t(int(op) - int(OpKind::Neg));
    if (op >= OpKind::HardSigmoid && op <= OpKind::Floor)
        return uint32_t(int(OpKind::Clip) - int(OpKind::Neg) + 1 + int(op) - int(OpKind::HardSigmoid));
    throw StrataError(std::string(opName(op)) + " is not a unary activation");
}

} // namespace strata::ir
