// The Vulkan devices of this machine as a person and the backend see them: name, kind, driver,
// memory, subgroup size and the limits kernels are tuned by. No Vulkan types: the CLI and the
// GUI include this without Vulkan headers.
//
//   DeviceList list = listVulkanDevices();        // never throws; list.error says why it is empty
//   int best = chooseDevice(list.devices, false);  // a real GPU, or -1 when only CPU drivers exist
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace strata::gpu {

enum class DeviceKind { Discrete, Integrated, Virtual, Cpu, Other };
const char* deviceKindName(DeviceKind k); // "discrete", "integrated", "virtual", "cpu", "other"

struct DeviceInfo {
    int index = 0; // position in the loader's list: the N of --device vulkan:N
    std::string name;
    DeviceKind kind = DeviceKind::Other;
    std::string apiVersion;  // "1.3.230"
    std::string driverName;  // "llvmpipe", "NVIDIA"
    std::string driverInfo;  // driver version text
    uint32_t vendorId = 0, deviceId = 0;
    uint64_t deviceLocalBytes = 0; // the largest device-local heap
    uint64_t hostVisibleBytes = 0; // the largest host-visible heap
    bool unifiedMemory = false;    // a memory type both device-local and host-visible exists
    uint32_t subgroupSize = 0;
    bool subgroupShuffle = false, subgroupArithmetic = false;
    bool shaderFloat64 = false;
    bool vulkan12 = false; // API version >= 1.2
    uint32_t maxWorkgroupInvocations = 0;
    uint32_t maxWorkgroupSize[3] = {0, 0, 0};
    uint32_t maxWorkgroupCount[3] = {0, 0, 0};
    uint32_t maxSharedMemoryBytes = 0;
    uint32_t maxPushConstantsBytes = 0;
    uint64_t maxStorageBufferRange = 0;
    uint64_t minStorageBufferOffsetAlignment = 0;
    uint64_t minTexelBufferOffsetAlignment = 0;
    uint64_t maxTexelBufferElements = 0;
    uint64_t maxMemoryAllocationBytes = 0;

    bool isCpu() const { return kind == DeviceKind::Cpu; }
    std::string summary() const; // "NVIDIA H200 (discrete, NVIDIA 550.54, 141 GB, subgroup 32)"
    nlohmann::json toJson() const;
};

struct DeviceList {
    std::vector<DeviceInfo> devices;
    std::string error; // why there are no devices (no loader, no driver, ...); "" otherwise
    std::string loaderVersion; // instance-level API version
};

// Enumerates with a short-lived instance. Never throws.
DeviceList listVulkanDevices();

// Preference discrete > integrated > virtual > (cpu when allowCpu) > other; -1 if none fits.
// Returns an index into `devices`.
int chooseDevice(const std::vector<DeviceInfo>& devices, bool allowCpu);

} // namespace strata::gpu
