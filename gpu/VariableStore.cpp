#include "gpu/VariableStore.h"

#include "engine/Error.h"

namespace strata::gpu {

VariableStore::Group VariableStore::groupOf(const std::string& path, const Shape& shape) {
    if (path.find("/.OPTIMIZER_SLOT/") != std::string::npos) return Slots;
    if (shape.rank() == 0) return Counters;
    return Parameters;
}

void VariableStore::set(const std::string& path, const Tensor& value) {
    auto it = entries_.find(path);
    if (it != entries_.end() && it->second.onDevice && it->second.shape == value.shape() && it->second.dtype == value.dtype()) {
        ctx_.upload(deviceRange(it->second), value.bytes());
        return;
    }
    Entry& e = entries_[path];
    e.host = value;
    e.onDevice = false;
    e.shape = value.shape();
    e.dtype = value.dtype();
    e.group = groupOf(path, e.shape);
    stale_ = true;
}

Tensor VariableStore::get(const std::string& path) const {
    auto it = entries_.find(path);
    if (it == entries_.end()) throw StrataError("the backend has no variable '" + path + "'");
    const Entry& e = it->second;
    if (!e.onDevice) return e.host;
    Tensor t(e.shape, e.dtype);
    ctx_.download(deviceRange(e), t.bytes());
    return t;
}

std::vector<std::string> VariableStore::paths() const {
    std::vector<std::string> r;
    for (const auto& [k, v] : entries_) r.push_back(k);
    return r;
}

void VariableStore::materialize() {
    if (!stale_) return;
    for (auto& [path, e] : entries_)
        if (e.onDevice) e.host = get(path); // keep the device's current value across the rebuild
    std::array<VkDeviceSize, kGroups> sizes{};
    const VkDeviceSize align = ctx_.alignment();
    for (auto& [path, e] : entries_) {
        e.offset = sizes[e.group];
        sizes[e.group] += (e.bytes() + align - 1) / align * align;
    }
    std::array<Buffer, kGroups> fresh;
    for (int gi = 0; gi < kGroups; ++gi) fresh[std::size_t(gi)] = ctx_.createBuffer(sizes[std::size_t(gi)], MemoryUse::Device);
    buffers_ = std::move(fresh);
    for (auto& [path, e] : entries_) {
        ctx_.upload(deviceRange(e), e.host.bytes());
        e.onDevice = true;
        e.host = Tensor();
    }
    stale_ = false;
    ++generation_;
}

BufferRange VariableStore::range(const std::string& path, const ir::Value& expected) const {
    auto it = entries_.find(path);
    if (it == entries_.end()) throw StrataError("variable '" + path + "' has no value in the backend (set it first)");
    const Entry& e = it->second;
    if (e.shape != expected.shape || e.dtype != expected.dtype)
        throw ShapeError("variable '" + path + "': the graph expects " + expected.shape.toString() + " " +
                         std::string(dtypeName(expected.dtype)) + ", the backend holds " + e.shape.toString() + " " +
                         std::string(dtypeName(e.dtype)));
    return deviceRange(e);
}

uint64_t VariableStore::deviceBytes() const {
    uint64_t s = 0;
    for (const Buffer& b : buffers_) s += b.size();
    return s;
}

} // namespace strata::gpu
