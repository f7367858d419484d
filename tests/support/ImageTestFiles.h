// Image files for the image-folder tests, written with stb_image_write (Debian's libstb-dev, the
// same package as the decoder), so the tests need no python: PNG and JPEG of given pixels, a
// corrupt file and a truncated one.
#pragma once

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace imagetest {

// 8-bit pixels, row-major, `channels` per pixel (1, 3 or 4).
struct Pixels {
    int height = 0, width = 0, channels = 3;
    std::vector<uint8_t> values;
};

inline Pixels filled(int height, int width, int channels, uint8_t value) {
    return {height, width, channels, std::vector<uint8_t>(std::size_t(height * width * channels), value)};
}

inline void writePng(const std::filesystem::path& file, const Pixels& p) {
    std::filesystem::create_directories(file.parent_path());
    if (!stbi_write_png(file.string().c_str(), p.width, p.height, p.channels, p.values.data(), p.width * p.channels))
        throw std::runtime_error("cannot write " + file.string());
}

inline void writeJpeg(const std::filesystem::path& file, const Pixels& p, int quality = 95) {
    std::filesystem::create_directories(file.parent_path());
    if (!stbi_write_jpg(file.string().c_str(), p.width, p.height, p.channels, p.values.data(), quality))
        throw std::runtime_error("cannot write " + file.string());
}

inline void writeBmp(const std::filesystem::path& file, const Pixels& p) {
    std::filesystem::create_directories(file.parent_path());
    if (!stbi_write_bmp(file.string().c_str(), p.width, p.height, p.channels, p.values.data()))
        throw std::runtime_error("cannot write " + file.string());
}

inline void writeText(const std::filesystem::path& file, const std::string& text) {
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
}

// Cuts a file to its first `fraction` of bytes (a truncated download).
inline void truncate(const std::filesystem::path& file, double fraction) {
    std::filesystem::resize_file(file, std::uintmax_t(double(std::filesystem::file_size(file)) * fraction));
}

// A bright (values in [160, 255]) or dark ([0, 95]) noisy RGB image: an easy two-class task.
inline Pixels noisy(int size, bool bright, uint32_t seed) {
    Pixels p = filled(size, size, 3, 0);
    for (auto& v : p.values) {
        seed = seed * 1664525u + 1013904223u;
        const uint8_t r = uint8_t((seed >> 24) % 96);
        v = bright ? uint8_t(160 + r) : r;
    }
    return p;
}

} // namespace imagetest
