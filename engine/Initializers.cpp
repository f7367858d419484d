#include "engine/Initializers.h"

#include "engine/Error.h"

#include <algorithm>
#include <cmath>

namespace strata {

namespace {
uint64_t splitmix64(uint64_t& x) {
    uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
} // namespace

namespace {
// Keras' Orthogonal (gain 1): the (rows = all but the last dim, cols = last dim) matrix has
// orthonormal columns (or rows, when there are fewer rows than columns): Q of the QR of a standard
// normal matrix with R's diagonal made positive, which Gram-Schmidt on its columns gives directly.
void orthogonal(Tensor& t, Rng& rng) {
    const Shape& s = t.shape();
    const int64_t cols = s.rank() == 0 ? 1 : s.back(), rows = cols == 0 ? 0 : t.size() / cols;
    const bool transposed = rows < cols;
    const int64_t m = transposed ? cols : rows, k = transposed ? rows : cols; // m x k, m >= k
    std::vector<double> a(std::size_t(m * k));
    for (double& v : a) v = rng.normal();
    for (int64_t j = 0; j < k; ++j) { // column j, stored a[i * k + j]
        for (int pass = 0; pass < 2; ++pass) // twice is enough for float accuracy
            for (int64_t p = 0; p < j; ++p) {
                double dot = 0;
                for (int64_t i = 0; i < m; ++i) dot += a[std::size_t(i * k + p)] * a[std::size_t(i * k + j)];
                for (int64_t i = 0; i < m; ++i) a[std::size_t(i * k + j)] -= dot * a[std::size_t(i * k + p)];
            }
        double norm = 0;
        for (int64_t i = 0; i < m; ++i) norm += a[std::size_t(i * k + j)] * a[std::size_t(i * k + j)];
        norm = std::sqrt(norm);
        for (int64_t i = 0; i < m; ++i) a[std::size_t(i * k + j)] = norm > 0 ? a[std::size_t(i * k + j)] / norm : 0.0;
    }
    float* p = t.f32();
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
            p[r * cols + c] = float(transposed ? a[std::size_t(c * k + r)] : a[std::size_t(r * k + c)]);
}
} // namespace

Rng::Rng(uint64_t seed) {
    s_[0] = splitmix64(seed);
    s_[1] = splitmix64(seed);
}

uint64_t Rng::next() { // xoroshiro128+
    uint64_t s0 = s_[0], s1 = s_[1];
    uint64_t r = s0 + s1;
    s1 ^= s0;
    s_[0] = ((s0 << 24) | (s0 >> 40)) ^ s1 ^ (s1 << 16);
    s_[1] = (s1 << 37) | (s1 >> 27);
    return r;
}

float Rng::uniform() { return float(next() >> 40) * (1.0f / 16777216.0f); }

float Rng::normal() {
    double u1 = (double(next() >> 11) + 1.0) * (1.0 / 9007199254740993.0);
    double u2 = double(next() >> 11) * (1.0 / 9007199254740992.0);
    return float(std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2));
}

uint64_t hashString(const std::string& s, uint64_t seed) { // FNV-1a, then mixed with the seed
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    uint64_t x = h ^ (seed * 0x9E3779B97F4A7C15ull);
    return splitmix64(x);
}

const std::vector<std::string>& initializerNames() {
    static const std::vector<std::string> names = {"glorot_uniform", "glorot_normal", "he_uniform",
                                                   "he_normal",      "lecun_uniform", "lecun_normal",
                                                   "zeros",          "ones",          "random_normal",
                                                   "random_uniform", "orthogonal"};
    return names;
}

bool isInitializer(const std::string& name) {
    const auto& n = initializerNames();
    return std::find(n.begin(), n.end(), name) != n.end();
}

void initializeTensor(Tensor& t, const std::string& initializer, int64_t fanIn, int64_t fanOut, uint64_t seed,
                      const std::string& path) {
    float* p = t.f32();
    const int64_t n = t.size();
    if (initializer == "zeros") return t.fill(0.0f);
    if (initializer == "ones") return t.fill(1.0f);
    Rng rng(hashString(path, seed));
    auto uniform = [&](float limit) {
        for (int64_t i = 0; i < n; ++i) p[i] = (2.0f * rng.uniform() - 1.0f) * limit;
    };
    auto truncatedNormal = [&](float stddev) { // Keras' variance scaling uses a truncated normal
        for (int64_t i = 0; i < n; ++i) {
            float v;
            do v = rng.normal();
            while (std::fabs(v) > 2.0f);
            p[i] = v * stddev;
        }
    };
    const double fi = double(std::max<int64_t>(fanIn, 1)), fo = double(std::max<int64_t>(fanOut, 1));
    // 0.87962566 is the stddev of a unit normal truncated to [-2, 2]; Keras divides by it.
    if (initializer == "glorot_uniform") return uniform(float(std::sqrt(6.0 / (fi + fo))));
    if (initializer == "glorot_normal") return truncatedNormal(float(std::sqrt(2.0 / (fi + fo)) / 0.87962566103423978));
    if (initializer == "he_uniform") return uniform(float(std::sqrt(6.0 / fi)));
    if (initializer == "he_normal") return truncatedNormal(float(std::sqrt(2.0 / fi) / 0.87962566103423978));
    if (initializer == "lecun_uniform") return uniform(float(std::sqrt(3.0 / fi)));
    if (initializer == "lecun_normal") return truncatedNormal(float(std::sqrt(1.0 / fi) / 0.87962566103423978));
    if (initializer == "random_normal") {
        for (int64_t i = 0; i < n; ++i) p[i] = rng.normal() * 0.05f;
        return;
    }
    if (initializer == "random_uniform") return uniform(0.05f);
    if (initializer == "orthogonal") return orthogonal(t, rng);
    throw ConfigError("unknown initializer '" + initializer + "'");
}

} // namespace strata
