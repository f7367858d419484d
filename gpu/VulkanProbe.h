// A Vulkan instance (optionally with the Khronos validation layer and a debug-utils messenger
// that records every warning and error), and the description of a physical device.
// Internal to gpu/.
#pragma once

#include "gpu/DeviceInfo.h"
#include "gpu/VulkanApi.h"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace strata::gpu {

// Validation messages of severity warning or error, collected by the messenger.
class ValidationLog {
public:
    void add(std::string message);
    std::vector<std::string> messages() const;
    std::vector<std::string> take(); // the messages so far, forgetting them
    std::size_t count() const;

private:
    mutable std::mutex mutex_;
    std::vector<std::string> messages_;
};

class VulkanInstance {
public:
    // Throws StrataError naming what is missing (loader, Vulkan 1.2, the validation layer).
    explicit VulkanInstance(bool validation);
    ~VulkanInstance();
    VulkanInstance(const VulkanInstance&) = delete;
    VulkanInstance& operator=(const VulkanInstance&) = delete;

    VkInstance handle() const { return instance_; }
    std::vector<VkPhysicalDevice> physicalDevices() const;
    std::string apiVersionText() const;
    bool validation() const { return messenger_ != VK_NULL_HANDLE; }
    const std::shared_ptr<ValidationLog>& log() const { return log_; }

private:
    VkInstance instance_ = VK_NULL_HANDLE;
    VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
    uint32_t apiVersion_ = 0;
    std::shared_ptr<ValidationLog> log_ = std::make_shared<ValidationLog>();
};

DeviceInfo describeDevice(VkPhysicalDevice pd, int index);
std::string versionText(uint32_t v);

} // namespace strata::gpu
