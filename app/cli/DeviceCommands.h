// strata-cli devices: the Vulkan devices of this machine and the device --device picks.
#pragma once

#include "app/cli/Cli.h"

#include <vector>

namespace strata::cli {

void addDeviceCommands(std::vector<Command>& out);

} // namespace strata::cli
