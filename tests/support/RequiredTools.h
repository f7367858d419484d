// Skips that cannot hide a broken CI. A test whose tool or device is missing (a Vulkan device,
// the Khronos validation layer, PyTorch, a dataset package, a binary) skips on a developer's
// machine, but fails saying why when $STRATA_REQUIRE_TOOLS is set: .ci/run sets it, so CI cannot
// pass by skipping. Capabilities a device may lack (subgroup shuffle, timestamps) still skip.
//
//   if (!vk_) STRATA_SKIP_UNLESS_REQUIRED(why_);
#pragma once

#include <QtTest>

#include <cstdlib>
#include <string>

namespace strata_testsupport {

inline bool toolsRequired() {
    const char* v = std::getenv("STRATA_REQUIRE_TOOLS");
    return v && *v && std::string(v) != "0";
}

// Whether this is the sanitizer build's test run, which turns Vulkan off on purpose
// (tests/CMakeLists.txt names no driver there, for LeakSanitizer's sake): not a missing device.
// A Vulkan case outside tests/gpu skips there, as tests/gpu is not built; the plain build runs it.
inline bool vulkanOffForSanitizers() {
    const char* v = std::getenv("VK_ICD_FILENAMES");
    return v && std::string(v).find("no-vulkan-driver-under-sanitizers") != std::string::npos;
}

} // namespace strata_testsupport

#define STRATA_SKIP_UNLESS_REQUIRED(why)                                                                                 \
    do {                                                                                                                 \
        const std::string strataWhy_ = std::string(why);                                                                 \
        if (strata_testsupport::toolsRequired()) QFAIL(("missing, and required here ($STRATA_REQUIRE_TOOLS is set): " + strataWhy_).c_str()); \
        QSKIP(strataWhy_.c_str());                                                                                       \
    } while (false)
