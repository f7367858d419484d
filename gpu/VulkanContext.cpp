#include "gpu/VulkanContext.h"

#include "engine/Error.h"

#include <algorithm>
#include <cstring>

namespace strata::gpu {

Buffer& Buffer::operator=(Buffer&& o) noexcept {
    if (this != &o) {
        reset();
        std::swap(device_, o.device_);
        std::swap(buffer_, o.buffer_);
        std::swap(memory_, o.memory_);
        std::swap(size_, o.size_);
        std::swap(mapped_, o.mapped_);
    }
    return *this;
}

void Buffer::reset() {
    if (!device_) return;
    if (mapped_) vkUnmapMemory(device_, memory_);
    if (buffer_) vkDestroyBuffer(device_, buffer_, nullptr);
    if (memory_) vkFreeMemory(device_, memory_, nullptr);
    device_ = VK_NULL_HANDLE, buffer_ = VK_NULL_HANDLE, memory_ = VK_NULL_HANDLE, size_ = 0, mapped_ = nullptr;
}

VulkanContext::VulkanContext(int deviceIndex, bool validation) {
    instance_ = std::make_unique<VulkanInstance>(validation);
    const auto devices = instance_->physicalDevices();
    if (devices.empty()) throw StrataError("no Vulkan device found (is a driver such as mesa-vulkan-drivers installed?)");
    std::vector<DeviceInfo> infos;
    for (std::size_t i = 0; i < devices.size(); ++i) infos.push_back(describeDevice(devices[i], int(i)));
    if (deviceIndex < 0) deviceIndex = chooseDevice(infos, true);
    if (deviceIndex < 0 || deviceIndex >= int(devices.size()))
        throw StrataError("no Vulkan device " + std::to_string(deviceIndex) + " with Vulkan 1.2 (" +
                          std::to_string(devices.size()) + " found; see strata-cli devices)");
    physical_ = devices[std::size_t(deviceIndex)];
    info_ = infos[std::size_t(deviceIndex)];
    if (!info_.vulkan12) throw StrataError("Vulkan device '" + info_.name + "' supports only Vulkan " + info_.apiVersion + "; Strata needs 1.2");
    vkGetPhysicalDeviceMemoryProperties(physical_, &memory_);
    alignment_ = std::max<VkDeviceSize>({256, info_.minStorageBufferOffsetAlignment, info_.minTexelBufferOffsetAlignment});

    uint32_t nq = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(physical_, &nq, nullptr);
    std::vector<VkQueueFamilyProperties> families(nq);
    vkGetPhysicalDeviceQueueFamilyProperties(physical_, &nq, families.data());
    uint32_t family = UINT32_MAX;
    for (uint32_t i = 0; i < nq && family == UINT32_MAX; ++i)
        if (families[i].queueFlags & VK_QUEUE_COMPUTE_BIT) family = i;
    if (family == UINT32_MAX) throw StrataError("Vulkan device '" + info_.name + "' has no compute queue");
    timestampBits_ = families[family].timestampValidBits;
    VkPhysicalDeviceProperties props{};
    vkGetPhysicalDeviceProperties(physical_, &props);
    timestampPeriodNs_ = props.limits.timestampPeriod > 0 ? double(props.limits.timestampPeriod) : 1.0;
    const float priority = 1.0f;
    VkDeviceQueueCreateInfo qi{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    qi.queueFamilyIndex = family;
    qi.queueCount = 1;
    qi.pQueuePriorities = &priority;
    VkDeviceCreateInfo di{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    di.queueCreateInfoCount = 1;
    di.pQueueCreateInfos = &qi;
    check(vkCreateDevice(physical_, &di, nullptr, &device_), "vkCreateDevice");
    loadDeviceFunctions(device_);
    vkGetDeviceQueue(device_, family, 0, &queue_);
    VkCommandPoolCreateInfo pi{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pi.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    pi.queueFamilyIndex = family;
    check(vkCreateCommandPool(device_, &pi, nullptr, &pool_), "vkCreateCommandPool");
    VkFenceCreateInfo fi{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    check(vkCreateFence(device_, &fi, nullptr, &fence_), "vkCreateFence");
    transferCb_ = allocateCommandBuffer();
}

VulkanContext::~VulkanContext() {
    if (!device_) return;
    vkDeviceWaitIdle(device_);
    staging_.reset();
    vkDestroyFence(device_, fence_, nullptr);
    vkDestroyCommandPool(device_, pool_, nullptr);
    vkDestroyDevice(device_, nullptr);
}

uint32_t VulkanContext::memoryType(uint32_t allowed, MemoryUse use) const {
    const VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    std::vector<VkMemoryPropertyFlags> wishes;
    switch (use) {
    case MemoryUse::Device: wishes = {VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0}; break;
    case MemoryUse::Upload: wishes = {host}; break;
    case MemoryUse::Readback: wishes = {host | VK_MEMORY_PROPERTY_HOST_CACHED_BIT, host}; break;
    }
    for (VkMemoryPropertyFlags want : wishes)
        for (uint32_t i = 0; i < memory_.memoryTypeCount; ++i)
            if ((allowed & (1u << i)) && (memory_.memoryTypes[i].propertyFlags & want) == want) return i;
    throw StrataError("Vulkan device '" + info_.name + "' has no suitable memory type");
}

Buffer VulkanContext::createBuffer(VkDeviceSize size, MemoryUse use) {
    size = std::max<VkDeviceSize>(size, 4);
    VkBufferCreateInfo bi{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    bi.size = size;
    bi.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
               VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    bi.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    VkBuffer buffer = VK_NULL_HANDLE;
    check(vkCreateBuffer(device_, &bi, nullptr, &buffer), "vkCreateBuffer");
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(device_, buffer, &req);
    VkMemoryAllocateInfo ai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    ai.allocationSize = req.size;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    try {
        ai.memoryTypeIndex = memoryType(req.memoryTypeBits, use);
        const VkResult r = vkAllocateMemory(device_, &ai, nullptr, &memory);
        if (r != VK_SUCCESS)
            throw StrataError("Vulkan device '" + info_.name + "': cannot allocate " + std::to_string(size) + " bytes (" +
                              resultName(r) + ")");
    } catch (...) {
        vkDestroyBuffer(device_, buffer, nullptr);
        throw;
    }
    Buffer b(device_, buffer, memory, size, nullptr); // owns both from here on
    check(vkBindBufferMemory(device_, buffer, memory, 0), "vkBindBufferMemory");
    if (use == MemoryUse::Device) return b;
    void* mapped = nullptr;
    check(vkMapMemory(device_, memory, 0, VK_WHOLE_SIZE, 0, &mapped), "vkMapMemory");
    return Buffer(device_, b.release(), memory, size, mapped);
}

VkCommandBuffer VulkanContext::allocateCommandBuffer() {
    VkCommandBufferAllocateInfo ai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    ai.commandPool = pool_;
    ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    ai.commandBufferCount = 1;
    VkCommandBuffer cb = VK_NULL_HANDLE;
    check(vkAllocateCommandBuffers(device_, &ai, &cb), "vkAllocateCommandBuffers");
    return cb;
}

void VulkanContext::freeCommandBuffer(VkCommandBuffer cb) {
    if (cb) vkFreeCommandBuffers(device_, pool_, 1, &cb);
}

void VulkanContext::submitAndWait(VkCommandBuffer cb) {
    VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    si.commandBufferCount = 1;
    si.pCommandBuffers = &cb;
    check(vkResetFences(device_, 1, &fence_), "vkResetFences");
    check(vkQueueSubmit(queue_, 1, &si, fence_), "vkQueueSubmit");
    check(vkWaitForFences(device_, 1, &fence_, VK_TRUE, UINT64_MAX), "vkWaitForFences");
}

VkFence VulkanContext::createFence() {
    VkFenceCreateInfo fi{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence f = VK_NULL_HANDLE;
    check(vkCreateFence(device_, &fi, nullptr, &f), "vkCreateFence");
    return f;
}

void VulkanContext::destroyFence(VkFence fence) {
    if (fence) vkDestroyFence(device_, fence, nullptr);
}

void VulkanContext::submit(VkCommandBuffer cb, VkFence fence) {
    VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    si.commandBufferCount = 1;
    si.pCommandBuffers = &cb;
    check(vkResetFences(device_, 1, &fence), "vkResetFences");
    check(vkQueueSubmit(queue_, 1, &si, fence), "vkQueueSubmit");
}

void VulkanContext::wait(VkFence fence) { check(vkWaitForFences(device_, 1, &fence, VK_TRUE, UINT64_MAX), "vkWaitForFences"); }

Buffer& VulkanContext::staging(VkDeviceSize size) {
    if (staging_.size() < size) {
        staging_.reset();
        staging_ = createBuffer(std::max<VkDeviceSize>(size, 1 << 20), MemoryUse::Readback);
    }
    return staging_;
}

namespace {
void recordCopy(VkCommandBuffer cb, VkBuffer src, VkDeviceSize srcOff, VkBuffer dst, VkDeviceSize dstOff, VkDeviceSize size) {
    VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    check(vkBeginCommandBuffer(cb, &bi), "vkBeginCommandBuffer");
    VkMemoryBarrier before{VK_STRUCTURE_TYPE_MEMORY_BARRIER}; // earlier device work on these bytes is done
    before.srcAccessMask = VK_ACCESS_MEMORY_WRITE_BIT;
    before.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
    vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &before, 0, nullptr, 0, nullptr);
    VkBufferCopy region{srcOff, dstOff, size};
    vkCmdCopyBuffer(cb, src, dst, 1, &region);
    VkMemoryBarrier after{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    after.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    after.dstAccessMask = VK_ACCESS_HOST_READ_BIT | VK_ACCESS_MEMORY_READ_BIT;
    vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, 0, 1,
                         &after, 0, nullptr, 0, nullptr);
    check(vkEndCommandBuffer(cb), "vkEndCommandBuffer");
}
} // namespace

void VulkanContext::upload(const BufferRange& dst, const void* data) {
    if (dst.size == 0) return;
    Buffer& s = staging(dst.size);
    std::memcpy(s.mapped(), data, dst.size);
    recordCopy(transferCb_, s.handle(), 0, dst.buffer, dst.offset, dst.size);
    submitAndWait(transferCb_);
}

void VulkanContext::download(const BufferRange& src, void* data) {
    if (src.size == 0) return;
    Buffer& s = staging(src.size);
    recordCopy(transferCb_, src.buffer, src.offset, s.handle(), 0, src.size);
    submitAndWait(transferCb_);
    std::memcpy(data, s.mapped(), src.size);
}

} // namespace strata::gpu
