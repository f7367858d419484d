// Activation names a layer config may use (Keras' names).
#pragma once

#include <string>
#include <vector>

namespace strata {

const std::vector<std::string>& activationNames();
bool isActivation(const std::string& name);

} // namespace strata
