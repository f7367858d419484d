#include "app/session/DeviceMemory.h"

#include "engine/MemoryBudget.h"
#include "gpu/DeviceInfo.h"

namespace strata::session {

DeviceMemory deviceMemory(const std::string& device) {
    DeviceMemory m;
    m.device = device.empty() || device == "auto" ? "cpu" : device;
    if (m.device == "cpu") {
        const MemoryBudget b = memoryBudget();
        m.name = "this machine (" + b.source + ")";
        m.bytes = b.bytes;
        return m;
    }
    const bool numbered = device.rfind("vulkan:", 0) == 0;
    if (device != "vulkan" && !numbered) {
        m.error = "unknown device '" + device + "' (known: cpu, vulkan, vulkan:N; see 'strata-cli devices')";
        return m;
    }
    int index = -1;
    if (numbered) {
        const std::string n = device.substr(7);
        if (n.empty() || n.size() > 4 || n.find_first_not_of("0123456789") != std::string::npos) {
            m.error = "device '" + device + "': N in vulkan:N must be a device number (see 'strata-cli devices')";
            return m;
        }
        index = std::stoi(n);
    }
    const gpu::DeviceList list = gpu::listVulkanDevices();
    if (index < 0) {
        const int best = gpu::chooseDevice(list.devices, true);
        if (best >= 0) index = list.devices[std::size_t(best)].index;
    }
    if (list.devices.empty() || index < 0) {
        m.error = "no Vulkan device" + (list.error.empty() ? std::string() : ": " + list.error);
        return m;
    }
    if (index >= int(list.devices.size())) {
        m.error = "there is no Vulkan device " + std::to_string(index) + "; this machine has " + std::to_string(list.devices.size());
        return m;
    }
    const gpu::DeviceInfo& d = list.devices[std::size_t(index)];
    m.device = "vulkan:" + std::to_string(index);
    m.name = d.name + " (" + gpu::deviceKindName(d.kind) + ")";
    m.bytes = int64_t(d.deviceLocalBytes);
    return m;
}

} // namespace strata::session
