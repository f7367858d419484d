// strata-bench gemm --backend openblas --n N [--threads T] [--repeat R]
// Square single-precision GEMM throughput. One function per backend; a GPU backend adds its own
// entry to gemmBackends().
#include "BenchRegistry.h"

#include "engine/Tensor.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/cpu/Kernels.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <iostream>

namespace strata::bench {
namespace {

// Returns seconds per n x n x n product (median of `repeat` timed runs).
using GemmFn = std::function<double(int64_t n, int threads, int repeat)>;

double openblasGemm(int64_t n, int threads, int repeat) {
    cpu::CpuBackend backend(threads); // sets the BLAS thread count
    Tensor a(Shape{n, n}), b(Shape{n, n}), c(Shape{n, n});
    for (int64_t i = 0; i < n * n; ++i) a.f32()[i] = float(i % 7) * 0.1f, b.f32()[i] = float(i % 5) * 0.1f;
    cpu::matmul(a.f32(), b.f32(), c.f32(), n, n, n, false, false); // warm-up
    std::vector<double> times;
    for (int r = 0; r < repeat; ++r) {
        const double t0 = nowSeconds();
        cpu::matmul(a.f32(), b.f32(), c.f32(), n, n, n, false, false);
        times.push_back(nowSeconds() - t0);
    }
    return median(times);
}

std::map<std::string, GemmFn>& gemmBackends() {
    static std::map<std::string, GemmFn> m = {{"openblas", openblasGemm}};
    return m;
}

int runGemm(const std::vector<std::string>& args) {
    const std::string backend = argValue(args, "--backend", "openblas");
    const int64_t n = std::stoll(argValue(args, "--n", "512"));
    const int threads = std::stoi(argValue(args, "--threads", "1"));
    const int repeat = std::stoi(argValue(args, "--repeat", "5"));
    auto it = gemmBackends().find(backend);
    if (it == gemmBackends().end()) {
        std::cerr << "gemm: unknown backend '" << backend << "'\n";
        return 2;
    }
    if (n < 1 || threads < 1 || repeat < 1) {
        std::cerr << "gemm: --n, --threads and --repeat must be positive\n";
        return 2;
    }
    const double seconds = it->second(n, threads, repeat);
    const double gflops = 2.0 * double(n) * double(n) * double(n) / seconds / 1e9;
    std::cout << nlohmann::json{{"bench", "gemm"}, {"n", n}, {"backend", backend}, {"threads", threads},
                                {"seconds", seconds}, {"blas_core", cpu::CpuBackend::blasCoreName()}, {"gflops", gflops}, {"peak_rss_bytes", peakRssBytes()}}
                     .dump()
              << std::endl;
    return 0;
}

const Register reg("gemm", "--backend openblas --n N [--threads T]: square SGEMM GFLOP/s", runGemm);

} // namespace
} // namespace strata::bench
