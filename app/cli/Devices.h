// Backend choice for the commands that run a model (--device, --threads).
#pragma once

#include "engine/ir/Backend.h"

#include <iosfwd>
#include <memory>
#include <string>

namespace strata::cli {

// "cpu" (the default). Returns null after printing why to `err` when the device is unknown or
// cannot be used.
std::unique_ptr<ir::Backend> makeBackend(const std::string& device, int threads, std::ostream& err);

} // namespace strata::cli
