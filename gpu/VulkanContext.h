// One Vulkan device ready for compute: instance, logical device, a compute queue, a command
// pool, buffers and blocking transfers between host memory and device buffers.
// Internal to gpu/; VulkanBackend owns one.
#pragma once

#include "gpu/DeviceInfo.h"
#include "gpu/VulkanApi.h"
#include "gpu/VulkanProbe.h"

#include <cstdint>
#include <memory>

namespace strata::gpu {

// A byte range of a buffer, as descriptors and copies name it.
struct BufferRange {
    VkBuffer buffer = VK_NULL_HANDLE;
    VkDeviceSize offset = 0, size = 0;
    bool overlaps(const BufferRange& o) const {
        return buffer == o.buffer && offset < o.offset + o.size && o.offset < offset + size;
    }
};

// A buffer with its own memory; host-visible buffers stay mapped.
class Buffer {
public:
    Buffer() = default;
    Buffer(VkDevice device, VkBuffer buffer, VkDeviceMemory memory, VkDeviceSize size, void* mapped)
        : device_(device), buffer_(buffer), memory_(memory), size_(size), mapped_(mapped) {}
    Buffer(Buffer&& o) noexcept { *this = std::move(o); }
    Buffer& operator=(Buffer&& o) noexcept;
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;
    ~Buffer() { reset(); }
    void reset();
    // Gives up ownership without freeing (the memory handle must be kept by the caller).
    VkBuffer release() {
        VkBuffer b = buffer_;
        device_ = VK_NULL_HANDLE, buffer_ = VK_NULL_HANDLE, memory_ = VK_NULL_HANDLE, size_ = 0, mapped_ = nullptr;
        return b;
    }

    VkBuffer handle() const { return buffer_; }
    VkDeviceSize size() const { return size_; }
    void* mapped() const { return mapped_; }
    BufferRange range(VkDeviceSize offset, VkDeviceSize size) const { return {buffer_, offset, size}; }
    BufferRange whole() const { return {buffer_, 0, size_}; }

private:
    VkDevice device_ = VK_NULL_HANDLE;
    VkBuffer buffer_ = VK_NULL_HANDLE;
    VkDeviceMemory memory_ = VK_NULL_HANDLE;
    VkDeviceSize size_ = 0;
    void* mapped_ = nullptr;
};

enum class MemoryUse { Device, Upload, Readback };

class VulkanContext {
public:
    // deviceIndex: a position in listVulkanDevices(); -1 picks the best device (CPU drivers
    // included). Throws StrataError saying what is missing.
    VulkanContext(int deviceIndex, bool validation);
    ~VulkanContext();
    VulkanContext(const VulkanContext&) = delete;
    VulkanContext& operator=(const VulkanContext&) = delete;

    const DeviceInfo& info() const { return info_; }
    VkDevice device() const { return device_; }
    VkPhysicalDevice physical() const { return physical_; }
    const std::shared_ptr<ValidationLog>& validationLog() const { return instance_->log(); }
    bool validation() const { return instance_->validation(); }

    // Storage buffers usable as copy source and destination. Sizes of 0 become 4 bytes.
    Buffer createBuffer(VkDeviceSize size, MemoryUse use);
    VkCommandBuffer allocateCommandBuffer();
    void freeCommandBuffer(VkCommandBuffer cb);
    // Submits and blocks until the device is done.
    void submitAndWait(VkCommandBuffer cb);
    // Runs in flight: submit() returns at once; wait() blocks until `fence` has signalled.
    VkFence createFence();
    void destroyFence(VkFence fence);
    void submit(VkCommandBuffer cb, VkFence fence);
    void wait(VkFence fence);

    // Blocking transfers through a staging buffer kept for reuse.
    void upload(const BufferRange& dst, const void* data);
    void download(const BufferRange& src, void* data);

    // Alignment of every sub-allocated storage range.
    VkDeviceSize alignment() const { return alignment_; }
    // Timestamp queries on the compute queue: the valid bits (0: not supported) and nanoseconds
    // per tick.
    uint32_t timestampBits() const { return timestampBits_; }
    double timestampPeriodNs() const { return timestampPeriodNs_; }

private:
    uint32_t memoryType(uint32_t allowed, MemoryUse use) const;
    Buffer& staging(VkDeviceSize size);

    std::unique_ptr<VulkanInstance> instance_;
    VkPhysicalDevice physical_ = VK_NULL_HANDLE;
    DeviceInfo info_;
    VkPhysicalDeviceMemoryProperties memory_{};
    VkDevice device_ = VK_NULL_HANDLE;
    VkQueue queue_ = VK_NULL_HANDLE;
    VkCommandPool pool_ = VK_NULL_HANDLE;
    VkFence fence_ = VK_NULL_HANDLE;
    VkCommandBuffer transferCb_ = VK_NULL_HANDLE;
    Buffer staging_;
    VkDeviceSize alignment_ = 256;
    uint32_t timestampBits_ = 0;
    double timestampPeriodNs_ = 1;
};

} // namespace strata::gpu
