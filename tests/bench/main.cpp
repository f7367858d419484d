#include "BenchRegistry.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

namespace strata::bench {

std::map<std::string, BenchInfo>& registry() {
    static std::map<std::string, BenchInfo> r;
    return r;
}

int64_t peakRssBytes() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
    return -1;
}

std::string argValue(const std::vector<std::string>& args, const std::string& name, const std::string& fallback) {
    for (std::size_t i = 0; i + 1 < args.size(); ++i)
        if (args[i] == name) return args[i + 1];
    return fallback;
}

double nowSeconds() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

} // namespace strata::bench

int main(int argc, char** argv) {
    using namespace strata::bench;
    if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
        std::cout << "usage: strata-bench NAME [options]\n\nbenchmarks:\n";
        for (const auto& [name, info] : registry()) std::cout << "  " << name << "  " << info.help << "\n";
        return argc < 2 ? 2 : 0;
    }
    auto it = registry().find(argv[1]);
    if (it == registry().end()) {
        std::cerr << "strata-bench: unknown benchmark '" << argv[1] << "' (try --help)\n";
        return 2;
    }
    return it->second.run(std::vector<std::string>(argv + 2, argv + argc));
}
