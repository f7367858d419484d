// Records a whole run (feed uploads, every dispatch, fetch copies) into one command buffer that
// is replayed each step. Commands are collected first; build() then creates one descriptor set
// per dispatch and records the buffer, inserting a barrier only where a command reads or writes
// bytes that an earlier command since the last barrier wrote (or writes bytes it read): the
// ncnn rule "barrier only when a buffer's last access needs one". Internal to gpu/.
#pragma once

#include "gpu/PipelineCache.h"
#include "gpu/VulkanContext.h"

#include <array>
#include <vector>

namespace strata::gpu {

struct Binding {
    BufferRange range;
    bool write = false;
    // A uniform texel buffer binding (the pipeline's texelMask has its bit): the range is viewed
    // in this format (offset a multiple of the device's texel-buffer alignment, size of whole
    // texels). VK_FORMAT_UNDEFINED: a storage buffer.
    VkFormat texel = VK_FORMAT_UNDEFINED;
};

class CommandRecorder {
public:
    explicit CommandRecorder(VulkanContext& ctx) : ctx_(ctx) {}
    ~CommandRecorder() { reset(); }
    CommandRecorder(const CommandRecorder&) = delete;
    CommandRecorder& operator=(const CommandRecorder&) = delete;

    // Binding i of the pipeline is bindings[i]. push: at most kPushConstantBytes.
    void dispatch(const Pipeline& p, std::vector<Binding> bindings, const void* push, uint32_t pushBytes, uint32_t groupsX,
                  uint32_t groupsY = 1, uint32_t groupsZ = 1);
    template <typename Push>
    void dispatch(const Pipeline& p, std::vector<Binding> bindings, const Push& push, uint32_t gx, uint32_t gy = 1, uint32_t gz = 1) {
        static_assert(sizeof(Push) <= kPushConstantBytes, "push constants above 128 bytes");
        dispatch(p, std::move(bindings), &push, uint32_t(sizeof(Push)), gx, gy, gz);
    }
    void copy(const BufferRange& src, const BufferRange& dst); // equal sizes
    void fill(const BufferRange& dst, uint32_t value);

    // Records the command buffer (once; later calls return it).
    VkCommandBuffer build();
    bool built() const { return cb_ != VK_NULL_HANDLE; }
    void reset(); // forgets every command and frees the Vulkan objects

    int dispatchCount() const { return dispatches_; }
    int barrierCount() const { return barriers_; }

private:
    enum class Kind { Dispatch, Copy, Fill };
    struct Command {
        Kind kind = Kind::Dispatch;
        const Pipeline* pipeline = nullptr;
        std::vector<Binding> bindings; // Copy: {src, dst}; Fill: {dst}
        std::array<uint8_t, kPushConstantBytes> push{};
        uint32_t pushBytes = 0, value = 0;
        uint32_t groups[3] = {1, 1, 1};
    };

    VulkanContext& ctx_;
    std::vector<Command> commands_;
    VkCommandBuffer cb_ = VK_NULL_HANDLE;
    VkDescriptorPool pool_ = VK_NULL_HANDLE;
    std::vector<VkBufferView> views_;
    int dispatches_ = 0, barriers_ = 0;
};

} // namespace strata::gpu
