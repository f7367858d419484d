// Tests of hostile inputs run under a memory limit (issue 19: "under a 4 GiB address-space
// limit"): ulimit -v for the process, so that any allocation past it fails as it would on a small
// machine. A sanitizer build cannot take ulimit -v (ASan's shadow memory alone is terabytes of
// address space), so there the limit is Strata's own budget, STRATA_MEMORY_LIMIT
// (engine/MemoryBudget.h), and ASan's allocator reports the rest.
#pragma once

#include <QByteArray>
#include <QtGlobal>

#include <cstdint>
#include <string>
#include <sys/resource.h>

namespace strata_testsupport {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif
#else
inline constexpr bool kAddressSanitizer = false;
#endif

// Limits this process to `bytes`; returns false when the limit cannot be set.
inline bool limitMemory(std::uint64_t bytes) {
    qputenv("STRATA_MEMORY_LIMIT", QByteArray::number(qulonglong(bytes)));
    if (kAddressSanitizer) return true;
    const rlimit limit{rlim_t(bytes), rlim_t(bytes)};
    return ::setrlimit(RLIMIT_AS, &limit) == 0;
}

} // namespace strata_testsupport
