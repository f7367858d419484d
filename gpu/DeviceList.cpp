// Device enumeration through a short-lived Vulkan instance.
#include "gpu/DeviceInfo.h"

#include "gpu/VulkanProbe.h"

namespace strata::gpu {

DeviceList listVulkanDevices() {
    DeviceList list;
    try {
        VulkanInstance instance(false);
        list.loaderVersion = instance.apiVersionText();
        for (VkPhysicalDevice pd : instance.physicalDevices())
            list.devices.push_back(describeDevice(pd, int(list.devices.size())));
        if (list.devices.empty()) list.error = "the Vulkan loader found no device (is a driver such as mesa-vulkan-drivers installed?)";
    } catch (const std::exception& e) {
        list.error = e.what();
    }
    return list;
}

} // namespace strata::gpu
