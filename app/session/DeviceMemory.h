// How much memory a device offers a training run, for the summary's estimate of a training step
// (engine/LayerCost.h): the CPU's is this process's memory budget (engine/MemoryBudget.h), a
// Vulkan device's its largest device-local heap. Device names as session::chooseBackend takes them.
#pragma once

#include <cstdint>
#include <string>

namespace strata::session {

struct DeviceMemory {
    std::string device; // "cpu", "vulkan:0"
    std::string name;   // "this machine (physical memory)", "NVIDIA H100 (discrete)"
    int64_t bytes = 0;  // 0 with `error`
    std::string error;  // the device is unknown or absent, and why
};

// "cpu" (also "" and "auto"), "vulkan" (the best device, CPU drivers included) or "vulkan:N".
// Never throws; lists Vulkan devices only when a Vulkan device is named.
DeviceMemory deviceMemory(const std::string& device);

} // namespace strata::session
