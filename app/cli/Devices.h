// Backend choice for the commands that run a model (--device, --threads).
//   ""/"auto"   a real GPU through Vulkan when there is one, else the CPU backend
//   "cpu"       the CPU backend
//   "vulkan"    the best Vulkan device, CPU drivers (lavapipe) included
//   "vulkan:N"  Vulkan device N of `strata-cli devices`
// When Vulkan is asked for but this machine has no loader or device, a message says why on
// `err` and the CPU backend is used.
#pragma once

#include "engine/ir/Backend.h"

#include <iosfwd>
#include <memory>
#include <string>

namespace strata::cli {

// Returns null after printing why to `err` when the device name is unknown or names a Vulkan
// device that does not exist.
std::unique_ptr<ir::Backend> makeBackend(const std::string& device, int threads, std::ostream& err);

// The help line for --device, shared by every command that takes it.
inline constexpr const char* kDeviceHelp =
    "  --device NAME       cpu, vulkan, vulkan:N (see 'strata-cli devices'); default: a GPU if present, else cpu\n";

} // namespace strata::cli
