#include "gpu/DeviceInfo.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>

namespace strata::gpu {

const char* deviceKindName(DeviceKind k) {
    switch (k) {
    case DeviceKind::Discrete: return "discrete";
    case DeviceKind::Integrated: return "integrated";
    case DeviceKind::Virtual: return "virtual";
    case DeviceKind::Cpu: return "cpu";
    case DeviceKind::Other: return "other";
    }
    return "other";
}

namespace {
std::string gib(uint64_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f GiB", double(bytes) / double(1ull << 30));
    return buf;
}
} // namespace

std::string DeviceInfo::summary() const {
    return name + " (" + deviceKindName(kind) + ", " + driverName + (driverInfo.empty() ? "" : " " + driverInfo) + ", " +
           gib(deviceLocalBytes) + ", subgroup " + std::to_string(subgroupSize) + ", Vulkan " + apiVersion + ")";
}

nlohmann::json DeviceInfo::toJson() const {
    return {{"index", index},
            {"name", name},
            {"type", deviceKindName(kind)},
            {"api_version", apiVersion},
            {"driver", driverName},
            {"driver_info", driverInfo},
            {"vendor_id", vendorId},
            {"device_id", deviceId},
            {"device_local_bytes", deviceLocalBytes},
            {"host_visible_bytes", hostVisibleBytes},
            {"unified_memory", unifiedMemory},
            {"subgroup_size", subgroupSize},
            {"subgroup_shuffle", subgroupShuffle},
            {"subgroup_arithmetic", subgroupArithmetic},
            {"shader_float64", shaderFloat64},
            {"max_workgroup_invocations", maxWorkgroupInvocations},
            {"max_workgroup_size", {maxWorkgroupSize[0], maxWorkgroupSize[1], maxWorkgroupSize[2]}},
            {"max_shared_memory_bytes", maxSharedMemoryBytes},
            {"max_push_constants_bytes", maxPushConstantsBytes},
            {"max_storage_buffer_range", maxStorageBufferRange},
            {"max_memory_allocation_bytes", maxMemoryAllocationBytes}};
}

int chooseDevice(const std::vector<DeviceInfo>& devices, bool allowCpu) {
    auto rank = [allowCpu](const DeviceInfo& d) {
        switch (d.kind) {
        case DeviceKind::Discrete: return 0;
        case DeviceKind::Integrated: return 1;
        case DeviceKind::Virtual: return 2;
        case DeviceKind::Cpu: return allowCpu ? 3 : 99;
        case DeviceKind::Other: return allowCpu ? 4 : 99;
        }
        return 99;
    };
    int best = -1;
    for (std::size_t i = 0; i < devices.size(); ++i) {
        if (!devices[i].vulkan12 || rank(devices[i]) == 99) continue;
        if (best < 0 || rank(devices[i]) < rank(devices[std::size_t(best)])) best = int(i);
    }
    return best;
}

} // namespace strata::gpu
