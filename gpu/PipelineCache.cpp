#include "gpu/PipelineCache.h"

#include "gpu/Shaders.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <tuple>

namespace strata::gpu {

namespace fs = std::filesystem;

std::string PipelineCache::defaultFile(const DeviceInfo& d) {
    fs::path dir;
    if (const char* s = std::getenv("STRATA_CACHE_DIR"); s && *s) dir = s;
    else if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) dir = fs::path(x) / "strata";
    else if (const char* h = std::getenv("HOME"); h && *h) dir = fs::path(h) / ".cache" / "strata";
    else return {};
    char name[64];
    std::snprintf(name, sizeof name, "vulkan-pipelines-%04x-%04x.bin", d.vendorId, d.deviceId);
    return (dir / name).string();
}

PipelineCache::PipelineCache(VulkanContext& ctx, std::string cacheFile) : ctx_(ctx), file_(std::move(cacheFile)) {
    std::vector<char> data;
    if (!file_.empty()) {
        std::ifstream in(file_, std::ios::binary);
        if (in) data.assign(std::istreambuf_iterator<char>(in), {});
    }
    // Keep only data written by this very device and driver (header: length, version, vendor, device, uuid).
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(ctx_.physical(), &props);
    if (data.size() >= 16 + VK_UUID_SIZE) {
        uint32_t vendor = 0, device = 0;
        std::memcpy(&vendor, data.data() + 8, 4);
        std::memcpy(&device, data.data() + 12, 4);
        if (vendor != props.vendorID || device != props.deviceID ||
            std::memcmp(data.data() + 16, props.pipelineCacheUUID, VK_UUID_SIZE) != 0)
            data.clear();
    } else {
        data.clear();
    }
    VkPipelineCacheCreateInfo ci{VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO};
    ci.initialDataSize = data.size();
    ci.pInitialData = data.empty() ? nullptr : data.data();
    if (vkCreatePipelineCache(ctx_.device(), &ci, nullptr, &cache_) != VK_SUCCESS) {
        ci.initialDataSize = 0, ci.pInitialData = nullptr; // a rejected file: start empty
        check(vkCreatePipelineCache(ctx_.device(), &ci, nullptr, &cache_), "vkCreatePipelineCache");
    }
}

PipelineCache::~PipelineCache() {
    try {
        save();
    } catch (...) { // a read-only cache folder must not break anything
    }
    VkDevice d = ctx_.device();
    for (auto& [k, p] : pipelines_) vkDestroyPipeline(d, p->pipeline, nullptr);
    for (auto& [k, m] : modules_) vkDestroyShaderModule(d, m, nullptr);
    for (auto& [k, l] : layouts_) {
        vkDestroyPipelineLayout(d, l.second, nullptr);
        vkDestroyDescriptorSetLayout(d, l.first, nullptr);
    }
    vkDestroyPipelineCache(d, cache_, nullptr);
}

void PipelineCache::save() const {
    if (file_.empty() || pipelines_.empty()) return;
    std::size_t n = 0;
    if (vkGetPipelineCacheData(ctx_.device(), cache_, &n, nullptr) != VK_SUCCESS || n == 0) return;
    std::vector<char> data(n);
    if (vkGetPipelineCacheData(ctx_.device(), cache_, &n, data.data()) != VK_SUCCESS) return;
    std::error_code ec;
    fs::create_directories(fs::path(file_).parent_path(), ec);
    const std::string tmp = file_ + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) return;
        out.write(data.data(), std::streamsize(n));
        if (!out) return;
    }
    fs::rename(tmp, file_, ec); // atomic: a reader never sees half a file
}

const std::pair<VkDescriptorSetLayout, VkPipelineLayout>& PipelineCache::layout(LayoutKey key) {
    auto it = layouts_.find(key);
    if (it != layouts_.end()) return it->second;
    const auto [bindings, texelMask] = key;
    std::vector<VkDescriptorSetLayoutBinding> b(bindings);
    for (uint32_t i = 0; i < bindings; ++i)
        b[i] = {i, (texelMask >> i) & 1u ? VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER : VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1,
                VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
    VkDescriptorSetLayoutCreateInfo li{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
    li.bindingCount = bindings;
    li.pBindings = b.data();
    VkDescriptorSetLayout set = VK_NULL_HANDLE;
    check(vkCreateDescriptorSetLayout(ctx_.device(), &li, nullptr, &set), "vkCreateDescriptorSetLayout");
    VkPushConstantRange pc{VK_SHADER_STAGE_COMPUTE_BIT, 0, kPushConstantBytes};
    VkPipelineLayoutCreateInfo pi{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    pi.setLayoutCount = 1;
    pi.pSetLayouts = &set;
    pi.pushConstantRangeCount = 1;
    pi.pPushConstantRanges = &pc;
    VkPipelineLayout pipelineLayout = VK_NULL_HANDLE;
    check(vkCreatePipelineLayout(ctx_.device(), &pi, nullptr, &pipelineLayout), "vkCreatePipelineLayout");
    return layouts_[key] = {set, pipelineLayout};
}

const Pipeline& PipelineCache::get(std::string_view shader, uint32_t bindings, std::span<const uint32_t> spec, uint32_t texelMask) {
    std::string key(shader);
    key += "/" + std::to_string(bindings) + "/" + std::to_string(texelMask);
    for (uint32_t s : spec) key += "," + std::to_string(s);
    if (auto it = pipelines_.find(key); it != pipelines_.end()) return *it->second;

    auto mod = modules_.find(shader);
    if (mod == modules_.end()) {
        const std::span<const uint32_t> code = shaderCode(shader);
        VkShaderModuleCreateInfo mi{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
        mi.codeSize = code.size_bytes();
        mi.pCode = code.data();
        VkShaderModule m = VK_NULL_HANDLE;
        check(vkCreateShaderModule(ctx_.device(), &mi, nullptr, &m), "vkCreateShaderModule");
        mod = modules_.emplace(std::string(shader), m).first;
    }
    auto p = std::make_unique<Pipeline>();
    p->bindings = bindings;
    p->texelMask = texelMask;
    p->shader = std::string(shader);
    std::tie(p->setLayout, p->layout) = layout({bindings, texelMask});
    std::vector<VkSpecializationMapEntry> entries(spec.size());
    for (uint32_t i = 0; i < spec.size(); ++i) entries[i] = {i, i * 4, 4};
    VkSpecializationInfo si{uint32_t(entries.size()), entries.data(), spec.size_bytes(), spec.data()};
    VkComputePipelineCreateInfo ci{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
    ci.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO};
    ci.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    ci.stage.module = mod->second;
    ci.stage.pName = "main";
    ci.stage.pSpecializationInfo = spec.empty() ? nullptr : &si;
    ci.layout = p->layout;
    check(vkCreateComputePipelines(ctx_.device(), cache_, 1, &ci, nullptr, &p->pipeline), "vkCreateComputePipelines");
    return *pipelines_.emplace(key, std::move(p)).first->second;
}

} // namespace strata::gpu
