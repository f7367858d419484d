#include "app/cli/Devices.h"

#include "engine/cpu/CpuBackend.h"
#include "gpu/DeviceInfo.h"
#include "gpu/VulkanBackend.h"

#include <ostream>

namespace strata::cli {

namespace {

std::unique_ptr<ir::Backend> cpuBackend(int threads) { return std::make_unique<cpu::CpuBackend>(threads); }

std::unique_ptr<ir::Backend> vulkanBackend(int index) {
    gpu::VulkanOptions o;
    o.device = index;
    return std::make_unique<gpu::VulkanBackend>(o);
}

} // namespace

std::unique_ptr<ir::Backend> makeBackend(const std::string& device, int threads, std::ostream& err) {
    if (device == "cpu") return cpuBackend(threads);
    const bool automatic = device.empty() || device == "auto";
    const bool vulkan = device == "vulkan" || device.rfind("vulkan:", 0) == 0;
    if (!automatic && !vulkan) {
        err << "strata-cli: unknown device '" << device << "' (known: cpu, vulkan, vulkan:N; see 'strata-cli devices')\n";
        return nullptr;
    }
    int index = -1;
    if (device.rfind("vulkan:", 0) == 0) {
        const std::string n = device.substr(7);
        if (n.empty() || n.size() > 4 || n.find_first_not_of("0123456789") != std::string::npos) {
            err << "strata-cli: device '" << device << "': N in vulkan:N must be a device number (see 'strata-cli devices')\n";
            return nullptr;
        }
        index = std::stoi(n);
    }
    const gpu::DeviceList list = gpu::listVulkanDevices();
    if (automatic) { // a real GPU only: lavapipe is slower than the CPU backend on the same cores
        const int best = gpu::chooseDevice(list.devices, false);
        if (best < 0) return cpuBackend(threads);
        index = list.devices[std::size_t(best)].index;
    }
    if (list.devices.empty()) {
        err << "strata-cli: Vulkan is not available: " << list.error << "; using the CPU backend\n";
        return cpuBackend(threads);
    }
    if (index >= int(list.devices.size())) {
        err << "strata-cli: there is no Vulkan device " << index << "; this machine has " << list.devices.size()
            << " (see 'strata-cli devices')\n";
        return nullptr;
    }
    try {
        return vulkanBackend(index);
    } catch (const std::exception& e) {
        err << "strata-cli: cannot use Vulkan: " << e.what() << "; using the CPU backend\n";
        return cpuBackend(threads);
    }
}

} // namespace strata::cli
