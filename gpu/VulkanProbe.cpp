#include "gpu/VulkanProbe.h"

#include "engine/Error.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace strata::gpu {

void ValidationLog::add(std::string message) {
    std::lock_guard lock(mutex_);
    messages_.push_back(std::move(message));
}
std::vector<std::string> ValidationLog::messages() const {
    std::lock_guard lock(mutex_);
    return messages_;
}
std::vector<std::string> ValidationLog::take() {
    std::lock_guard lock(mutex_);
    return std::exchange(messages_, {});
}
std::size_t ValidationLog::count() const {
    std::lock_guard lock(mutex_);
    return messages_.size();
}

std::string versionText(uint32_t v) {
    return std::to_string(VK_API_VERSION_MAJOR(v)) + "." + std::to_string(VK_API_VERSION_MINOR(v)) + "." +
           std::to_string(VK_API_VERSION_PATCH(v));
}

namespace {
constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

VKAPI_ATTR VkBool32 VKAPI_CALL onMessage(VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT,
                                         const VkDebugUtilsMessengerCallbackDataEXT* data, void* user) {
    if (severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT)
        static_cast<ValidationLog*>(user)->add(data && data->pMessage ? data->pMessage : "(no message)");
    return VK_FALSE;
}

bool hasLayer(const char* name) {
    uint32_t n = 0;
    vkEnumerateInstanceLayerProperties(&n, nullptr);
    std::vector<VkLayerProperties> layers(n);
    vkEnumerateInstanceLayerProperties(&n, layers.data());
    return std::any_of(layers.begin(), layers.end(), [&](const VkLayerProperties& l) { return std::strcmp(l.layerName, name) == 0; });
}
} // namespace

VulkanInstance::VulkanInstance(bool validation) {
    if (const std::string& err = loadVulkanLoader(); !err.empty()) throw StrataError(err);
    apiVersion_ = VK_API_VERSION_1_0;
    if (vkEnumerateInstanceVersion) vkEnumerateInstanceVersion(&apiVersion_);
    if (apiVersion_ < VK_API_VERSION_1_2)
        throw StrataError("the Vulkan loader supports only Vulkan " + versionText(apiVersion_) + "; Strata needs 1.2");
    VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
    app.pApplicationName = "Strata";
    app.pEngineName = "Strata";
    app.apiVersion = VK_API_VERSION_1_2;
    std::vector<const char*> layers, extensions;
    if (validation) {
        if (!hasLayer(kValidationLayer))
            throw StrataError("the Vulkan validation layer VK_LAYER_KHRONOS_validation is not installed "
                              "(apt-get install vulkan-validationlayers)");
        layers.push_back(kValidationLayer);
        extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    }
    VkDebugUtilsMessengerCreateInfoEXT mi{VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
    mi.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
    mi.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                     VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
    mi.pfnUserCallback = onMessage;
    mi.pUserData = log_.get();
    VkInstanceCreateInfo ci{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    ci.pApplicationInfo = &app;
    ci.enabledLayerCount = uint32_t(layers.size());
    ci.ppEnabledLayerNames = layers.data();
    ci.enabledExtensionCount = uint32_t(extensions.size());
    ci.ppEnabledExtensionNames = extensions.data();
    if (validation) ci.pNext = &mi; // also reports problems inside vkCreateInstance itself
    check(vkCreateInstance(&ci, nullptr, &instance_), "vkCreateInstance");
    loadInstanceFunctions(instance_);
    if (validation) {
        if (!vkCreateDebugUtilsMessengerEXT) throw StrataError("VK_EXT_debug_utils is not available");
        check(vkCreateDebugUtilsMessengerEXT(instance_, &mi, nullptr, &messenger_), "vkCreateDebugUtilsMessengerEXT");
    }
}

VulkanInstance::~VulkanInstance() {
    if (messenger_) vkDestroyDebugUtilsMessengerEXT(instance_, messenger_, nullptr);
    if (instance_) vkDestroyInstance(instance_, nullptr);
}

std::vector<VkPhysicalDevice> VulkanInstance::physicalDevices() const {
    uint32_t n = 0;
    check(vkEnumeratePhysicalDevices(instance_, &n, nullptr), "vkEnumeratePhysicalDevices");
    std::vector<VkPhysicalDevice> r(n);
    check(vkEnumeratePhysicalDevices(instance_, &n, r.data()), "vkEnumeratePhysicalDevices");
    r.resize(n);
    return r;
}

std::string VulkanInstance::apiVersionText() const { return versionText(apiVersion_); }

DeviceInfo describeDevice(VkPhysicalDevice pd, int index) {
    VkPhysicalDeviceSubgroupProperties sub{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
    VkPhysicalDeviceDriverProperties drv{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
    VkPhysicalDeviceMaintenance3Properties m3{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES};
    VkPhysicalDeviceProperties2 p2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
    p2.pNext = &sub;
    sub.pNext = &drv;
    drv.pNext = &m3;
    vkGetPhysicalDeviceProperties2(pd, &p2);
    const VkPhysicalDeviceProperties& p = p2.properties;
    VkPhysicalDeviceFeatures2 f2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
    vkGetPhysicalDeviceFeatures2(pd, &f2);

    DeviceInfo d;
    d.index = index;
    d.name = p.deviceName;
    switch (p.deviceType) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: d.kind = DeviceKind::Discrete; break;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: d.kind = DeviceKind::Integrated; break;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: d.kind = DeviceKind::Virtual; break;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: d.kind = DeviceKind::Cpu; break;
    default: d.kind = DeviceKind::Other;
    }
    d.apiVersion = versionText(p.apiVersion);
    d.vulkan12 = p.apiVersion >= VK_API_VERSION_1_2;
    d.driverName = drv.driverName;
    d.driverInfo = drv.driverInfo;
    d.vendorId = p.vendorID;
    d.deviceId = p.deviceID;
    VkPhysicalDeviceMemoryProperties mem;
    vkGetPhysicalDeviceMemoryProperties(pd, &mem);
    for (uint32_t i = 0; i < mem.memoryTypeCount; ++i) {
        const auto flags = mem.memoryTypes[i].propertyFlags;
        const uint64_t heap = mem.memoryHeaps[mem.memoryTypes[i].heapIndex].size;
        if (flags & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) d.deviceLocalBytes = std::max(d.deviceLocalBytes, heap);
        if (flags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) d.hostVisibleBytes = std::max(d.hostVisibleBytes, heap);
        if ((flags & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) && (flags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT))
            d.unifiedMemory = d.unifiedMemory || heap >= d.deviceLocalBytes;
    }
    d.subgroupSize = sub.subgroupSize;
    const bool compute = sub.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT;
    d.subgroupShuffle = compute && (sub.supportedOperations & VK_SUBGROUP_FEATURE_SHUFFLE_BIT);
    d.subgroupArithmetic = compute && (sub.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT);
    d.shaderFloat64 = f2.features.shaderFloat64;
    d.maxWorkgroupInvocations = p.limits.maxComputeWorkGroupInvocations;
    for (int i = 0; i < 3; ++i) {
        d.maxWorkgroupSize[i] = p.limits.maxComputeWorkGroupSize[i];
        d.maxWorkgroupCount[i] = p.limits.maxComputeWorkGroupCount[i];
    }
    d.maxSharedMemoryBytes = p.limits.maxComputeSharedMemorySize;
    d.maxPushConstantsBytes = p.limits.maxPushConstantsSize;
    d.maxStorageBufferRange = p.limits.maxStorageBufferRange;
    d.minStorageBufferOffsetAlignment = p.limits.minStorageBufferOffsetAlignment;
    d.minTexelBufferOffsetAlignment = p.limits.minTexelBufferOffsetAlignment;
    d.maxTexelBufferElements = p.limits.maxTexelBufferElements;
    d.maxMemoryAllocationBytes = m3.maxMemoryAllocationSize;
    return d;
}

} // namespace strata::gpu
