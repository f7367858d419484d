// stb_image is compiled here, and only its PNG, JPEG and BMP decoders (the formats promised; no
// GIF, PSD, HDR, ... surprises). Its failure reason is thread-local (STBI_THREAD_LOCAL, C++11),
// so several threads decode at once.
#include "engine/data/ImageDecode.h"

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_NO_STDIO
#define STBI_NO_HDR
#define STBI_NO_LINEAR
#define STBI_MAX_DIMENSIONS (1 << 15)
#include <stb/stb_image.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>
#include <sstream>

namespace strata::data {

namespace {

constexpr int64_t kMaxPixels = int64_t(1) << 26; // 64 megapixels: larger files are refused before decoding

bool isJpeg(const std::string& bytes) {
    return bytes.size() >= 3 && uint8_t(bytes[0]) == 0xFF && uint8_t(bytes[1]) == 0xD8 && uint8_t(bytes[2]) == 0xFF;
}

// stb_image reads a JPEG cut short as if the rest were blank; its end-of-image marker tells.
bool hasJpegEnd(const std::string& bytes) {
    const std::size_t from = bytes.size() > 1024 ? bytes.size() - 1024 : 0;
    for (std::size_t i = bytes.size(); i-- > from + 1;)
        if (uint8_t(bytes[i - 1]) == 0xFF && uint8_t(bytes[i]) == 0xD9) return true;
    return false;
}

float sampleAt(const RgbImage& img, int y, int x, int c) {
    return float(img.pixels[(std::size_t(y) * std::size_t(img.width) + std::size_t(x)) * 3 + std::size_t(c)]);
}

// Source coordinates of a destination index: the two neighbours and the weight of the second.
struct Tap {
    int lo = 0, hi = 0;
    float w = 0;
};
std::vector<Tap> taps(int in, int out) {
    std::vector<Tap> t(static_cast<std::size_t>(out));
    const double scale = double(in) / double(out);
    for (int i = 0; i < out; ++i) {
        const double src = std::clamp((i + 0.5) * scale - 0.5, 0.0, double(in - 1));
        const int lo = int(std::floor(src));
        t[std::size_t(i)] = {lo, std::min(lo + 1, in - 1), float(src - lo)};
    }
    return t;
}

} // namespace

int channelsOf(ImageColor color) { return color == ImageColor::Rgb ? 3 : 1; }

ImageColor imageColorFromName(const std::string& name) {
    if (name == "rgb") return ImageColor::Rgb;
    if (name == "grayscale" || name == "gray") return ImageColor::Grayscale;
    throw StrataError("unknown color '" + name + "': expected rgb or grayscale");
}

std::string imageColorName(ImageColor color) { return color == ImageColor::Rgb ? "rgb" : "grayscale"; }

RgbImage decodeImage(const std::string& bytes, const std::string& name) {
    const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
    if (bytes.size() > std::size_t(INT32_MAX)) throw ImageFileError(name + ": too large for an image file (over 2 GiB)");
    const int len = int(bytes.size());
    int w = 0, h = 0, comp = 0;
    if (!stbi_info_from_memory(data, len, &w, &h, &comp))
        throw ImageFileError(name + ": not a PNG/JPEG/BMP image (stb: " + stbi_failure_reason() + ")");
    if (int64_t(w) * h > kMaxPixels)
        throw ImageFileError(name + ": " + std::to_string(w) + "x" + std::to_string(h) + " pixels is more than the " +
                             std::to_string(kMaxPixels >> 20) + " megapixels an image may have");
    if (isJpeg(bytes) && !hasJpegEnd(bytes))
        throw ImageFileError(name + ": truncated JPEG image (no end-of-image marker)");
    std::unique_ptr<stbi_uc, void (*)(void*)> pixels(stbi_load_from_memory(data, len, &w, &h, &comp, 3), stbi_image_free);
    if (!pixels) throw ImageFileError(name + ": damaged or truncated image (stb: " + stbi_failure_reason() + ")");
    RgbImage img;
    img.height = h;
    img.width = w;
    img.pixels.assign(pixels.get(), pixels.get() + std::size_t(w) * std::size_t(h) * 3);
    return img;
}

RgbImage readImage(const std::filesystem::path& file) {
    std::error_code ec;
    const auto status = std::filesystem::status(file, ec);
    if (ec || !std::filesystem::is_regular_file(status))
        throw ImageFileError(file.string() + ": not a regular file" + (ec ? " (" + ec.message() + ")" : ""));
    std::ifstream in(file, std::ios::binary);
    std::ostringstream bytes;
    if (!in || !(bytes << in.rdbuf())) throw ImageFileError(file.string() + ": cannot be read");
    return decodeImage(std::move(bytes).str(), file.string());
}

void imageToFloat(const RgbImage& img, int height, int width, ImageColor color, float* out) {
    const std::vector<Tap> ty = taps(img.height, height), tx = taps(img.width, width);
    const int channels = channelsOf(color);
    for (int y = 0; y < height; ++y) {
        const Tap& a = ty[std::size_t(y)];
        for (int x = 0; x < width; ++x) {
            const Tap& b = tx[std::size_t(x)];
            float rgb[3];
            for (int c = 0; c < 3; ++c) {
                const float top = sampleAt(img, a.lo, b.lo, c) * (1 - b.w) + sampleAt(img, a.lo, b.hi, c) * b.w;
                const float bottom = sampleAt(img, a.hi, b.lo, c) * (1 - b.w) + sampleAt(img, a.hi, b.hi, c) * b.w;
                rgb[c] = top * (1 - a.w) + bottom * a.w;
            }
            float* px = out + (std::size_t(y) * std::size_t(width) + std::size_t(x)) * std::size_t(channels);
            if (channels == 3)
                for (int c = 0; c < 3; ++c) px[c] = rgb[c] / 255.0f;
            else px[0] = (0.299f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2]) / 255.0f;
        }
    }
}

} // namespace strata::data
