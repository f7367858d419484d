#include "engine/Activations.h"

#include <algorithm>

namespace strata {

const std::vector<std::string>& activationNames() {
    static const std::vector<std::string> names = {"linear", "relu",     "sigmoid",  "tanh",  "softmax",
                                                   "elu",    "selu",     "softplus", "softsign", "swish",
                                                   "silu",   "gelu",     "leaky_relu", "log_softmax", "exponential",
                                                   "relu6",  "hard_sigmoid", "hard_silu", "hard_swish", "mish",
                                                   "gelu_tanh"};
    return names;
}

bool isActivation(const std::string& name) {
    const auto& n = activationNames();
    return std::find(n.begin(), n.end(), name) != n.end();
}

} // namespace strata
