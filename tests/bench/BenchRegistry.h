// strata-bench subcommands register themselves here; main() dispatches by name.
// Every benchmark prints JSON lines and reports peak RSS beside time (see peakRssBytes()).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace strata::bench {

using BenchFn = std::function<int(const std::vector<std::string>& args)>;

struct BenchInfo {
    std::string help;
    BenchFn run;
};

std::map<std::string, BenchInfo>& registry();

struct Register {
    Register(const std::string& name, const std::string& help, BenchFn fn) {
        registry()[name] = BenchInfo{help, std::move(fn)};
    }
};

// Peak resident set size of this process so far, in bytes (VmHWM).
int64_t peakRssBytes();
// Value of "--name V" in args, or fallback.
std::string argValue(const std::vector<std::string>& args, const std::string& name, const std::string& fallback);
double nowSeconds();
double median(std::vector<double> v);

} // namespace strata::bench
