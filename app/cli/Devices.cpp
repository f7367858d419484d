#include "app/cli/Devices.h"

#include "engine/cpu/CpuBackend.h"

#include <ostream>

namespace strata::cli {

std::unique_ptr<ir::Backend> makeBackend(const std::string& device, int threads, std::ostream& err) {
    if (device.empty() || device == "cpu") return std::make_unique<cpu::CpuBackend>(threads);
    err << "strata-cli: device '" << device << "' is not available in this build (known: cpu)\n";
    return nullptr;
}

} // namespace strata::cli
