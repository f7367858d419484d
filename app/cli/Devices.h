// --device and --threads of the commands that run a model: the choice is session::chooseBackend
// (app/session/Devices.h); this prints its error or note on `err` as "strata-cli: ...".
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
