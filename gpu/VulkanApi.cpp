#include "gpu/VulkanApi.h"

#include "engine/Error.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>

namespace strata::gpu {

#define STRATA_VK_DEFINE(name) PFN_##name name = nullptr;
STRATA_VK_GLOBAL_FUNCTIONS(STRATA_VK_DEFINE)
STRATA_VK_INSTANCE_FUNCTIONS(STRATA_VK_DEFINE)
STRATA_VK_DEVICE_FUNCTIONS(STRATA_VK_DEFINE)
#undef STRATA_VK_DEFINE
PFN_vkGetInstanceProcAddr vkGetInstanceProcAddr = nullptr;
PFN_vkCreateDebugUtilsMessengerEXT vkCreateDebugUtilsMessengerEXT = nullptr;
PFN_vkDestroyDebugUtilsMessengerEXT vkDestroyDebugUtilsMessengerEXT = nullptr;

const std::string& loadVulkanLoader() {
    static std::string error;
    static std::once_flag once;
    std::call_once(once, [] {
        void* lib = nullptr;
        const char* custom = std::getenv("VULKAN_LOADER");
        for (const char* name : {custom, "libvulkan.so.1", "libvulkan.so"})
            if (name && *name && (lib = dlopen(name, RTLD_NOW | RTLD_LOCAL))) break;
        if (!lib) {
            error = "no Vulkan loader found (libvulkan.so.1); install libvulkan1 and a Vulkan driver "
                    "(mesa-vulkan-drivers gives the CPU driver lavapipe)";
            return;
        }
        vkGetInstanceProcAddr = reinterpret_cast<PFN_vkGetInstanceProcAddr>(dlsym(lib, "vkGetInstanceProcAddr"));
        if (!vkGetInstanceProcAddr) {
            error = "the Vulkan loader has no vkGetInstanceProcAddr";
            return;
        }
#define STRATA_VK_LOAD(name) name = reinterpret_cast<PFN_##name>(vkGetInstanceProcAddr(nullptr, #name));
        STRATA_VK_GLOBAL_FUNCTIONS(STRATA_VK_LOAD)
#undef STRATA_VK_LOAD
        if (!vkCreateInstance) error = "the Vulkan loader does not provide vkCreateInstance";
    });
    return error;
}

void loadInstanceFunctions(VkInstance instance) {
#define STRATA_VK_LOAD(name) name = reinterpret_cast<PFN_##name>(vkGetInstanceProcAddr(instance, #name));
    STRATA_VK_INSTANCE_FUNCTIONS(STRATA_VK_LOAD)
    STRATA_VK_LOAD(vkCreateDebugUtilsMessengerEXT)
    STRATA_VK_LOAD(vkDestroyDebugUtilsMessengerEXT)
#undef STRATA_VK_LOAD
}

void loadDeviceFunctions(VkDevice device) {
#define STRATA_VK_LOAD(name) name = reinterpret_cast<PFN_##name>(vkGetDeviceProcAddr(device, #name));
    STRATA_VK_DEVICE_FUNCTIONS(STRATA_VK_LOAD)
#undef STRATA_VK_LOAD
}

const char* resultName(VkResult r) {
    switch (r) {
    case VK_SUCCESS: return "VK_SUCCESS";
    case VK_NOT_READY: return "VK_NOT_READY";
    case VK_TIMEOUT: return "VK_TIMEOUT";
    case VK_INCOMPLETE: return "VK_INCOMPLETE";
    case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
    case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
    case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
    case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST";
    case VK_ERROR_MEMORY_MAP_FAILED: return "VK_ERROR_MEMORY_MAP_FAILED";
    case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT";
    case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT";
    case VK_ERROR_FEATURE_NOT_PRESENT: return "VK_ERROR_FEATURE_NOT_PRESENT";
    case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER";
    case VK_ERROR_TOO_MANY_OBJECTS: return "VK_ERROR_TOO_MANY_OBJECTS";
    case VK_ERROR_FRAGMENTED_POOL: return "VK_ERROR_FRAGMENTED_POOL";
    case VK_ERROR_OUT_OF_POOL_MEMORY: return "VK_ERROR_OUT_OF_POOL_MEMORY";
    default: return "VkResult error";
    }
}

void check(VkResult r, const char* what) {
    if (r != VK_SUCCESS) throw StrataError(std::string("Vulkan: ") + what + " failed: " + resultName(r) + " (" + std::to_string(int(r)) + ")");
}

} // namespace strata::gpu
