// Compute pipelines created once per (shader, binding count, specialization constants) and kept
// for the life of the backend; a VkPipelineCache makes their creation cheap across runs and is
// saved under the user's cache folder ($XDG_CACHE_HOME/strata or ~/.cache/strata). Every
// pipeline has `bindings` buffers (0..n-1) and 128 bytes of push constants; binding i is a
// storage buffer, or a uniform texel buffer where bit i of `texelMask` is set.
// Internal to gpu/.
#pragma once

#include "gpu/VulkanContext.h"

#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strata::gpu {

inline constexpr uint32_t kPushConstantBytes = 128;

struct Pipeline {
    VkPipeline pipeline = VK_NULL_HANDLE;
    VkPipelineLayout layout = VK_NULL_HANDLE;
    VkDescriptorSetLayout setLayout = VK_NULL_HANDLE;
    uint32_t bindings = 0;
    uint32_t texelMask = 0; // bit i: binding i is a uniform texel buffer (samplerBuffer)
    std::string shader;     // its shader's name ("matmul_vec4"), for profiles
};

class PipelineCache {
public:
    // cacheFile "" keeps the cache in memory only.
    PipelineCache(VulkanContext& ctx, std::string cacheFile);
    ~PipelineCache();
    PipelineCache(const PipelineCache&) = delete;
    PipelineCache& operator=(const PipelineCache&) = delete;

    // spec[i] is specialization constant i (constant 0 is the workgroup size by convention).
    const Pipeline& get(std::string_view shader, uint32_t bindings, std::span<const uint32_t> spec, uint32_t texelMask = 0);
    void save() const;
    std::size_t size() const { return pipelines_.size(); }
    const std::string& file() const { return file_; }

    // The default cache file of a device: <cache dir>/strata/vulkan-pipelines-VENDOR-DEVICE.bin,
    // "" when no cache folder is known. STRATA_CACHE_DIR overrides the folder.
    static std::string defaultFile(const DeviceInfo& device);

private:
    using LayoutKey = std::pair<uint32_t, uint32_t>; // bindings, texel mask
    const std::pair<VkDescriptorSetLayout, VkPipelineLayout>& layout(LayoutKey key);

    VulkanContext& ctx_;
    std::string file_;
    VkPipelineCache cache_ = VK_NULL_HANDLE;
    std::map<LayoutKey, std::pair<VkDescriptorSetLayout, VkPipelineLayout>> layouts_;
    std::map<std::string, VkShaderModule, std::less<>> modules_;
    std::map<std::string, std::unique_ptr<Pipeline>> pipelines_;
};

} // namespace strata::gpu
