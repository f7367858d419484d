// The backend's variables on the device, in three contiguous buffers: parameters (and other
// model state), optimizer slots, counters (optimizer/iter and other scalars). Variables set
// before a run wait on the host; materialize() places them all (rebuilding the buffers when a
// variable was added or changed shape, which bumps generation() so plans re-record). Once
// placed, setVariable of the same shape uploads in place and getVariable downloads.
// Internal to gpu/.
#pragma once

#include "engine/Tensor.h"
#include "engine/ir/Graph.h"
#include "gpu/VulkanContext.h"

#include <array>
#include <map>
#include <string>
#include <vector>

namespace strata::gpu {

class VariableStore {
public:
    explicit VariableStore(VulkanContext& ctx) : ctx_(ctx) {}

    void set(const std::string& path, const Tensor& value);
    Tensor get(const std::string& path) const; // throws StrataError naming an absent path
    bool has(const std::string& path) const { return entries_.count(path) != 0; }
    std::vector<std::string> paths() const;

    void materialize();
    bool stale() const { return stale_; } // materialize() will rebuild the buffers
    uint64_t generation() const { return generation_; }
    // The device range of a placed variable; throws the CPU backend's errors when it is absent
    // or has another shape or dtype.
    BufferRange range(const std::string& path, const ir::Value& expected) const;
    uint64_t deviceBytes() const;

private:
    enum Group { Parameters, Slots, Counters, kGroups };
    struct Entry {
        Tensor host;          // the value while not on the device
        bool onDevice = false;
        Group group = Parameters;
        VkDeviceSize offset = 0;
        Shape shape;
        DType dtype = DType::F32;
        VkDeviceSize bytes() const { return VkDeviceSize(shape.numElements()) * 4; }
    };
    static Group groupOf(const std::string& path, const Shape& shape);
    BufferRange deviceRange(const Entry& e) const { return {buffers_[e.group].handle(), e.offset, e.bytes()}; }

    VulkanContext& ctx_;
    std::map<std::string, Entry> entries_;
    std::array<Buffer, kGroups> buffers_;
    bool stale_ = false;
    uint64_t generation_ = 0;
};

} // namespace strata::gpu
