// How much memory this process may allocate, and the check made before allocating anything
// whose size came from a file or a spec (a hostile one declares terabytes in a few bytes).
#pragma once

#include <cstdint>
#include <string>

namespace strata {

struct MemoryBudget {
    int64_t bytes = 0;  // the smallest of physical memory, the address-space/data limits and STRATA_MEMORY_LIMIT
    std::string source; // which one: "physical memory", "the address-space limit (ulimit -v)", ...
};

// Read anew on each call (a test may lower its limits): a few system calls. The environment
// variable STRATA_MEMORY_LIMIT (bytes, or with a K, M or G suffix: "4G") lowers it further, for a
// shared machine, or a sanitizer build where ulimit -v cannot be used (ASan maps terabytes).
MemoryBudget memoryBudget();

// "1.50 GiB", "512.00 MiB", "12 B".
std::string readableBytes(double bytes);

// Throws StrataError "cannot allocate BYTES for WHAT: more than this process may use (BUDGET: SOURCE)"
// when `bytes` exceeds the budget. Cheap for small sizes (no system call under 64 MiB).
void checkMemoryBudget(double bytes, const std::string& what);

} // namespace strata
