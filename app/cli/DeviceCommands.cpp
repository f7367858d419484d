#include "app/cli/DeviceCommands.h"

#include "gpu/DeviceInfo.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <ostream>

namespace strata::cli {

namespace {

std::string mib(uint64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

// What `--device` left out picks, in words.
std::string defaultChoice(const gpu::DeviceList& list) {
    const int best = gpu::chooseDevice(list.devices, false);
    if (best >= 0) return "vulkan:" + std::to_string(list.devices[std::size_t(best)].index) + " (" + list.devices[std::size_t(best)].name + ")";
    return list.devices.empty() ? "cpu (no Vulkan device)" : "cpu (no GPU; use --device vulkan for the CPU Vulkan driver)";
}

int runDevices(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    Args a(args, {"--json"}, {});
    if (!a.ok() || !a.positional().empty()) {
        err << "strata-cli devices: " << (a.ok() ? "unexpected argument '" + a.positional()[0] + "'" : a.error()) << "\n";
        return 2;
    }
    const gpu::DeviceList list = gpu::listVulkanDevices();
    if (a.has("--json")) {
        nlohmann::json j = {{"devices", nlohmann::json::array()}, {"default", defaultChoice(list)}};
        for (const auto& d : list.devices) j["devices"].push_back(d.toJson());
        if (!list.error.empty()) j["error"] = list.error;
        if (!list.loaderVersion.empty()) j["loader_version"] = list.loaderVersion;
        out << j.dump(2) << "\n";
        return 0;
    }
    if (list.devices.empty()) {
        out << "No Vulkan device: " << list.error << "\nModels run on the CPU backend (--device cpu).\n";
        return 0;
    }
    out << "Vulkan devices (loader " << list.loaderVersion << "):\n";
    for (const auto& d : list.devices) {
        out << "  vulkan:" << d.index << "  " << d.name << "\n"
            << "            type " << gpu::deviceKindName(d.kind) << ", driver " << d.driverName
            << (d.driverInfo.empty() ? "" : " " + d.driverInfo) << ", Vulkan " << d.apiVersion << "\n"
            << "            memory " << mib(d.deviceLocalBytes) << " device-local" << (d.unifiedMemory ? " (shared with the host)" : "")
            << ", subgroup " << d.subgroupSize << (d.subgroupShuffle ? " (shuffle" : " (no shuffle")
            << (d.subgroupArithmetic ? ", arithmetic)" : ")") << "\n"
            << "            workgroup up to " << d.maxWorkgroupInvocations << " invocations, " << d.maxSharedMemoryBytes / 1024
            << " KiB shared memory" << (d.vulkan12 ? "" : "; Vulkan 1.2 missing: not usable") << "\n";
    }
    out << "Default for --device: " << defaultChoice(list) << "\n";
    return 0;
}

} // namespace

void addDeviceCommands(std::vector<Command>& out) {
    out.push_back({"devices", "list the Vulkan devices and the one --device picks by default",
                   "usage: strata-cli devices [--json]\n\n"
                   "Lists the Vulkan devices of this machine (name, type, driver, memory, subgroup size,\n"
                   "limits) and which backend a command uses when --device is not given: a GPU when there\n"
                   "is one, else the CPU backend. The CPU Vulkan driver (lavapipe) is used only when asked\n"
                   "for (--device vulkan or vulkan:N).\n\n"
                   "  --json   one JSON document instead of text\n",
                   runDevices});
}

} // namespace strata::cli
