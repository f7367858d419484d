// Limits the test process's address space, for tests that prove a loader refuses a few bytes that
// claim gigabytes before allocating them. Under AddressSanitizer (STRATA_SANITIZE=ON) no limit can
// be set: its shadow memory alone reserves terabytes of address space, and every later mapping
// would fail. There the call does nothing and the same code runs sanitized; the bound itself is
// proved by the plain build.
#pragma once

#include <sys/resource.h>

#if defined(__SANITIZE_ADDRESS__)
#define STRATA_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STRATA_TEST_UNDER_ASAN 1
#endif
#endif

namespace strata::test {

// True when the limit is set, or when running under AddressSanitizer (no limit then).
inline bool limitAddressSpace(rlim_t bytes) {
#ifdef STRATA_TEST_UNDER_ASAN
    (void)bytes;
    return true;
#else
    const rlimit limit{bytes, bytes};
    return ::setrlimit(RLIMIT_AS, &limit) == 0;
#endif
}

} // namespace strata::test
