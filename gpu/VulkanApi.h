// The Vulkan entry points Strata uses, loaded at run time from the system loader (libvulkan.so.1)
// so that every binary starts on machines without Vulkan and falls back to the CPU backend.
// Internal to gpu/: include this instead of <vulkan/vulkan.h>; the functions are plain
// pointers in namespace strata::gpu with their Vulkan names.
#pragma once

#ifndef VK_NO_PROTOTYPES
#define VK_NO_PROTOTYPES
#endif
#include <vulkan/vulkan.h>

#include <string>

namespace strata::gpu {

#define STRATA_VK_GLOBAL_FUNCTIONS(X) \
    X(vkCreateInstance)               \
    X(vkEnumerateInstanceVersion)     \
    X(vkEnumerateInstanceLayerProperties) \
    X(vkEnumerateInstanceExtensionProperties)

#define STRATA_VK_INSTANCE_FUNCTIONS(X)      \
    X(vkDestroyInstance)                     \
    X(vkEnumeratePhysicalDevices)            \
    X(vkGetPhysicalDeviceProperties)         \
    X(vkGetPhysicalDeviceProperties2)        \
    X(vkGetPhysicalDeviceFeatures2)          \
    X(vkGetPhysicalDeviceMemoryProperties)   \
    X(vkGetPhysicalDeviceQueueFamilyProperties) \
    X(vkEnumerateDeviceExtensionProperties)  \
    X(vkCreateDevice)                        \
    X(vkGetDeviceProcAddr)

#define STRATA_VK_DEVICE_FUNCTIONS(X)                                                                  \
    X(vkDestroyDevice) X(vkGetDeviceQueue) X(vkDeviceWaitIdle) X(vkQueueSubmit) X(vkQueueWaitIdle)      \
    X(vkCreateBuffer) X(vkDestroyBuffer) X(vkCreateBufferView) X(vkDestroyBufferView)                   \
    X(vkGetBufferMemoryRequirements) X(vkAllocateMemory)                                                \
    X(vkFreeMemory) X(vkBindBufferMemory) X(vkMapMemory) X(vkUnmapMemory)                               \
    X(vkCreateShaderModule) X(vkDestroyShaderModule) X(vkCreateDescriptorSetLayout)                     \
    X(vkDestroyDescriptorSetLayout) X(vkCreatePipelineLayout) X(vkDestroyPipelineLayout)                \
    X(vkCreateComputePipelines) X(vkDestroyPipeline) X(vkCreatePipelineCache) X(vkDestroyPipelineCache) \
    X(vkGetPipelineCacheData) X(vkCreateDescriptorPool) X(vkDestroyDescriptorPool)                      \
    X(vkAllocateDescriptorSets) X(vkUpdateDescriptorSets) X(vkCreateCommandPool) X(vkDestroyCommandPool) \
    X(vkAllocateCommandBuffers) X(vkFreeCommandBuffers) X(vkBeginCommandBuffer) X(vkEndCommandBuffer)   \
    X(vkCmdBindPipeline) X(vkCmdBindDescriptorSets) X(vkCmdPushConstants) X(vkCmdDispatch)              \
    X(vkCmdPipelineBarrier) X(vkCmdCopyBuffer) X(vkCmdFillBuffer) X(vkCreateFence) X(vkDestroyFence)    \
    X(vkResetFences) X(vkWaitForFences) X(vkCreateQueryPool) X(vkDestroyQueryPool) X(vkCmdResetQueryPool)   \
    X(vkCmdWriteTimestamp) X(vkGetQueryPoolResults)

#define STRATA_VK_DECLARE(name) extern PFN_##name name;
STRATA_VK_GLOBAL_FUNCTIONS(STRATA_VK_DECLARE)
STRATA_VK_INSTANCE_FUNCTIONS(STRATA_VK_DECLARE)
STRATA_VK_DEVICE_FUNCTIONS(STRATA_VK_DECLARE)
extern PFN_vkGetInstanceProcAddr vkGetInstanceProcAddr;
extern PFN_vkCreateDebugUtilsMessengerEXT vkCreateDebugUtilsMessengerEXT;
extern PFN_vkDestroyDebugUtilsMessengerEXT vkDestroyDebugUtilsMessengerEXT;
#undef STRATA_VK_DECLARE

// Opens the loader once. Returns "" on success, else a sentence saying what is missing.
// VULKAN_LOADER in the environment names another library file to open.
const std::string& loadVulkanLoader();
void loadInstanceFunctions(VkInstance instance);
void loadDeviceFunctions(VkDevice device);

// "VK_ERROR_OUT_OF_DEVICE_MEMORY" etc.
const char* resultName(VkResult r);
// Throws StrataError "<what>: <result name>" when r is not VK_SUCCESS.
void check(VkResult r, const char* what);

} // namespace strata::gpu
