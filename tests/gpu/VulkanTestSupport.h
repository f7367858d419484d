// Shared by the Vulkan suites: a backend on the best Vulkan device (lavapipe in CI) with the
// Khronos validation layer and a messenger that records every warning and error, or the reason
// to skip when this machine has no Vulkan device; and the comparison every suite uses.
#pragma once

#include "engine/Tensor.h"
#include "gpu/DeviceInfo.h"
#include "gpu/VulkanBackend.h"

#include "tests/support/RequiredTools.h"
#include <QtTest>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>

namespace vktest {

// A backend, or null with `why` set. STRATA_TEST_VULKAN_DEVICE=N picks device N. `o`: options
// besides the device and validation (reordering, profiling).
inline std::unique_ptr<strata::gpu::VulkanBackend> makeBackend(std::string& why, strata::gpu::VulkanOptions o = {}) {
    const strata::gpu::DeviceList list = strata::gpu::listVulkanDevices();
    if (list.devices.empty()) {
        why = "no Vulkan device: " + list.error;
        return nullptr;
    }
    if (const char* d = std::getenv("STRATA_TEST_VULKAN_DEVICE")) o.device = std::atoi(d);
    o.validation = std::getenv("STRATA_TEST_NO_VALIDATION") == nullptr;
    try {
        return std::make_unique<strata::gpu::VulkanBackend>(o);
    } catch (const std::exception& e) {
        if (!o.validation) throw;
        if (strata_testsupport::toolsRequired()) { // CI: a run without the validation layer proves nothing
            why = std::string("the Khronos validation layer (vulkan-validationlayers) cannot be enabled: ") + e.what();
            return nullptr;
        }
        qWarning("Vulkan validation is off: %s", e.what()); // the layer is not installed
        o.validation = false;
        return std::make_unique<strata::gpu::VulkanBackend>(o);
    }
}

// Fails the calling test when the validation layer reported anything.
#define VK_VERIFY_CLEAN(backend)                                                                      \
    do {                                                                                              \
        const auto msgs_ = (backend).takeValidationMessages();                                            \
        if (!msgs_.empty())                                                                           \
            QFAIL(qPrintable(QString("%1 validation message(s), the first: %2").arg(msgs_.size()).arg(msgs_[0].c_str()))); \
    } while (0)

// |got - want| <= rel * |want| + abs: 1e-4 relative, with an absolute floor for values near 0
// where summation order alone moves the last bits.
inline bool close(double got, double want, double rel = 1e-4, double abs = 1e-6) {
    return std::fabs(got - want) <= rel * std::fabs(want) + abs;
}

inline double element(const strata::Tensor& t, int64_t i) {
    return t.dtype() == strata::DType::I32 ? double(t.i32()[i]) : double(t.f32()[i]);
}

// First mismatch as text, "" when the tensors agree.
inline std::string compare(const strata::Tensor& got, const strata::Tensor& want, double rel = 1e-4, double abs = 1e-6) {
    if (got.shape() != want.shape() || got.dtype() != want.dtype())
        return "shape/dtype " + got.shape().toString() + " vs " + want.shape().toString();
    for (int64_t i = 0; i < got.size(); ++i) {
        const double g = element(got, i), w = element(want, i);
        if (std::isnan(g) && std::isnan(w)) continue;
        if (!close(g, w, rel, abs))
            return "element " + std::to_string(i) + ": vulkan " + std::to_string(g) + ", cpu " + std::to_string(w);
    }
    return {};
}

} // namespace vktest
