// Records a whole run (feed uploads, every dispatch, fetch copies) into one command buffer that
// is replayed each step. Commands are collected first; build() then creates one descriptor set
// per dispatch and records the buffer in dependency levels: a command goes one level after the
// last earlier command it depends on (it reads bytes that one writes, writes bytes that one
// reads or writes), and one barrier separates consecutive levels. Independent work (the weight
// gradient, bias gradient and input gradient of a layer; the updates of every variable) thus
// shares a level and runs without barriers between its dispatches, where program order would
// put a barrier before nearly every one. Without reordering (setReorder(false)) it is the ncnn
// rule in program order: a barrier only where a buffer's last access needs one. Internal to gpu/.
#pragma once

#include "gpu/PipelineCache.h"
#include "gpu/VulkanContext.h"

#include <array>
#include <string>
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
    // Record in dependency levels (the default) or in the order the commands were given.
    void setReorder(bool on) { reorder_ = on; }
    // Names the commands recorded from now on (the op that emits them), for profiles.
    void setLabel(std::string label) { label_ = std::move(label); }

    // Profiling: build() then records in program order with a barrier after every command and a
    // timestamp after each, so times() can say how long each command took on the device. Needs
    // timestamp support on the queue (VulkanContext::timestampBits); without it times() is empty.
    void setProfile(bool on) { profile_ = on; }
    struct CommandTime {
        std::string label;  // setLabel's text when the command was recorded
        std::string kernel; // the shader, or "copy" / "fill"
        double microseconds = 0;
    };
    // The times of the last run of this command buffer; call after its fence has signalled.
    std::vector<CommandTime> times() const;

    // The level of every command: 0 when it depends on no earlier command, else one more than the
    // highest level of the earlier commands it conflicts with (overlapping ranges, at least one
    // of the two a write). accesses[i]: command i's bindings.
    static std::vector<int> dependencyLevels(const std::vector<std::vector<Binding>>& accesses);

private:
    enum class Kind { Dispatch, Copy, Fill };
    struct Command {
        Kind kind = Kind::Dispatch;
        const Pipeline* pipeline = nullptr;
        std::vector<Binding> bindings; // Copy: {src, dst}; Fill: {dst}
        std::array<uint8_t, kPushConstantBytes> push{};
        uint32_t pushBytes = 0, value = 0;
        uint32_t groups[3] = {1, 1, 1};
        std::string label;
    };

    VulkanContext& ctx_;
    std::vector<Command> commands_;
    VkCommandBuffer cb_ = VK_NULL_HANDLE;
    VkDescriptorPool pool_ = VK_NULL_HANDLE;
    std::vector<VkBufferView> views_;
    int dispatches_ = 0, barriers_ = 0;
    bool reorder_ = true, profile_ = false;
    std::string label_;
    VkQueryPool queries_ = VK_NULL_HANDLE;
};

} // namespace strata::gpu
