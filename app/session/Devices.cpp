#include "app/session/Devices.h"

#include "engine/cpu/CpuBackend.h"
#include "gpu/DeviceInfo.h"
#include "gpu/VulkanBackend.h"

namespace strata::session {

namespace {

std::unique_ptr<ir::Backend> cpuBackend(int threads) { return std::make_unique<cpu::CpuBackend>(threads); }

std::unique_ptr<ir::Backend> vulkanBackend(int index) {
    gpu::VulkanOptions o;
    o.device = index;
    return std::make_unique<gpu::VulkanBackend>(o);
}

BackendChoice failed(std::string why) { return {nullptr, {}, std::move(why)}; }

} // namespace

BackendChoice chooseBackend(const std::string& device, int threads) {
    if (device == "cpu") return {cpuBackend(threads), {}, {}};
    const bool automatic = device.empty() || device == "auto";
    const bool vulkan = device == "vulkan" || device.rfind("vulkan:", 0) == 0;
    if (!automatic && !vulkan)
        return failed("unknown device '" + device + "' (known: cpu, vulkan, vulkan:N; see 'strata-cli devices')");
    int index = -1;
    if (device.rfind("vulkan:", 0) == 0) {
        const std::string n = device.substr(7);
        if (n.empty() || n.size() > 4 || n.find_first_not_of("0123456789") != std::string::npos)
            return failed("device '" + device + "': N in vulkan:N must be a device number (see 'strata-cli devices')");
        index = std::stoi(n);
    }
    const gpu::DeviceList list = gpu::listVulkanDevices();
    if (automatic) { // a real GPU only: lavapipe is slower than the CPU backend on the same cores
        const int best = gpu::chooseDevice(list.devices, false);
        if (best < 0) return {cpuBackend(threads), {}, {}};
        index = list.devices[std::size_t(best)].index;
    }
    if (list.devices.empty())
        return {cpuBackend(threads), "Vulkan is not available: " + list.error + "; using the CPU backend", {}};
    if (index >= int(list.devices.size()))
        return failed("there is no Vulkan device " + std::to_string(index) + "; this machine has " +
                      std::to_string(list.devices.size()) + " (see 'strata-cli devices')");
    try {
        return {vulkanBackend(index), {}, {}};
    } catch (const std::exception& e) {
        return {cpuBackend(threads), std::string("cannot use Vulkan: ") + e.what() + "; using the CPU backend", {}};
    }
}

std::string deviceForLocalRank(const std::string& device, int localRank) {
    const bool automatic = device.empty() || device == "auto";
    if (!automatic && device != "vulkan") return device;
    const gpu::DeviceList list = gpu::listVulkanDevices();
    std::vector<int> usable;
    for (const gpu::DeviceInfo& d : list.devices)
        if (!automatic || !d.isCpu()) usable.push_back(d.index);
    if (usable.empty()) return automatic ? "cpu" : device; // "vulkan" then says why it cannot be used
    return "vulkan:" + std::to_string(usable[std::size_t(localRank) % usable.size()]);
}

std::unique_ptr<ir::Backend> makeBackend(const std::string& device, int threads, std::string* note) {
    BackendChoice c = chooseBackend(device, threads);
    if (!c.backend) throw DeviceError(c.error);
    if (note) *note = c.note;
    return std::move(c.backend);
}

} // namespace strata::session
