#include "engine/MemoryBudget.h"

#include "engine/Error.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace strata {

MemoryBudget memoryBudget() {
    MemoryBudget b;
    const long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGESIZE);
    b.bytes = pages > 0 && pageSize > 0 ? int64_t(pages) * pageSize : INT64_MAX;
    b.source = "physical memory";
    auto lower = [&](int resource, const char* source) {
        rlimit l{};
        if (getrlimit(resource, &l) == 0 && l.rlim_cur != RLIM_INFINITY && int64_t(l.rlim_cur) < b.bytes) {
            b.bytes = int64_t(l.rlim_cur);
            b.source = source;
        }
    };
    lower(RLIMIT_AS, "the address-space limit (ulimit -v)");
    lower(RLIMIT_DATA, "the data-segment limit (ulimit -d)");
    if (const char* env = std::getenv("STRATA_MEMORY_LIMIT"); env && *env) {
        char* end = nullptr;
        double v = std::strtod(env, &end);
        const char unit = end ? char(std::toupper(static_cast<unsigned char>(*end))) : 0;
        v *= unit == 'K' ? 1024.0 : unit == 'M' ? 1048576.0 : unit == 'G' ? 1073741824.0 : 1.0;
        if (v > 0 && v < double(b.bytes)) {
            b.bytes = int64_t(v);
            b.source = "STRATA_MEMORY_LIMIT";
        }
    }
    return b;
}

std::string readableBytes(double bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    int u = 0;
    while (bytes >= 1024.0 && u < 6) bytes /= 1024.0, ++u;
    char buf[48];
    if (u == 0) std::snprintf(buf, sizeof buf, "%.0f B", bytes);
    else std::snprintf(buf, sizeof buf, "%.2f %s", bytes, units[u]);
    return buf;
}

void checkMemoryBudget(double bytes, const std::string& what) {
    if (bytes < double(int64_t(1) << 26)) return;
    const MemoryBudget b = memoryBudget();
    if (bytes > double(b.bytes))
        throw StrataError("cannot allocate " + readableBytes(bytes) + " for " + what +
                          ": more than this process may use (" + readableBytes(double(b.bytes)) + ", " + b.source +
                          ")");
}

} // namespace strata
