// strata_gpu built without the Vulkan headers or glslc: no device is ever found, and asking for
// the Vulkan backend says why.
#include "engine/Error.h"
#include "gpu/DeviceInfo.h"
#include "gpu/VulkanBackend.h"

namespace strata::gpu {

namespace {
const char* kWhy = "this build of Strata has no Vulkan support (rebuild with libvulkan-dev and glslc installed)";
}

DeviceList listVulkanDevices() {
    DeviceList l;
    l.error = kWhy;
    return l;
}

struct VulkanBackend::Impl {};
VulkanBackend::VulkanBackend(VulkanOptions) { throw StrataError(kWhy); }
VulkanBackend::~VulkanBackend() = default;
const DeviceInfo& VulkanBackend::device() const { throw StrataError(kWhy); }
std::vector<std::string> VulkanBackend::takeValidationMessages() { return {}; }
bool VulkanBackend::validationEnabled() const { return false; }
int VulkanBackend::lastDispatchCount() const { return 0; }
int VulkanBackend::lastBarrierCount() const { return 0; }
int VulkanBackend::recordCount() const { return 0; }
std::vector<KernelTime> VulkanBackend::profile() const { return {}; }
void VulkanBackend::resetProfile() {}
void VulkanBackend::setVariable(const std::string&, const Tensor&) { throw StrataError(kWhy); }
Tensor VulkanBackend::getVariable(const std::string&) const { throw StrataError(kWhy); }
bool VulkanBackend::hasVariable(const std::string&) const { return false; }
std::vector<std::string> VulkanBackend::variablePaths() const { return {}; }
std::unique_ptr<ir::PreparedGraph> VulkanBackend::prepare(const ir::Graph&, std::vector<ir::ValueId>) { throw StrataError(kWhy); }
void VulkanBackend::run(ir::PreparedGraph&, std::span<const ir::Feed>, std::span<const ir::ValueId>, std::vector<Tensor>&) {
    throw StrataError(kWhy);
}

} // namespace strata::gpu
