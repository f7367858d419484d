// JPEG is decoded by libjpeg-turbo (its TurboJPEG API; Debian's libturbojpeg0-dev), PNG and BMP
// by stb_image, compiled here with only those two decoders (no GIF, PSD, HDR, ... surprises).
// JPEG is not left to stb: Debian 12's stb_image (2022-09) writes past a Huffman table's size
// list on a hostile JPEG (found by tests/fuzz/fuzz_image), while libjpeg-turbo is fuzzed
// continuously upstream. stb's failure reason is thread-local (STBI_THREAD_LOCAL, C++11) and a
// TurboJPEG handle is made per call, so several threads decode at once.
#include "engine/data/ImageDecode.h"

#include <turbojpeg.h>

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
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

// stb_image grows its buffer to a PNG chunk's declared length before reading it (a 128-byte file
// may ask for 2 GiB), so every chunk's length is checked against the bytes the file has first.
std::string pngChunkProblem(const std::string& bytes) {
    static const char kSignature[] = "\x89PNG\r\n\x1a\n";
    if (bytes.size() < 8 || bytes.compare(0, 8, kSignature, 8) != 0) return {}; // not a PNG: stb says what it is
    std::size_t at = 8;
    while (at + 8 <= bytes.size()) {
        const auto* p = reinterpret_cast<const uint8_t*>(bytes.data() + at);
        const uint64_t length = (uint64_t(p[0]) << 24) | (uint64_t(p[1]) << 16) | (uint64_t(p[2]) << 8) | uint64_t(p[3]);
        const std::string type(bytes.data() + at + 4, 4);
        if (length + 12 > bytes.size() - at)
            return "its " + type + " chunk at byte " + std::to_string(at) + " claims " + std::to_string(length) + " bytes, the file has " +
                   std::to_string(bytes.size() - at - 8) + " left";
        if (type == "IEND") return {};
        at += std::size_t(length) + 12;
    }
    return "it ends without an IEND chunk";
}

// stb_image reads a BMP's rows as its header declares them and zeros past the end of the file, so
// a 100-byte file declaring 24,000 x 2,400 pixels costs seconds of decoding: the pixel bytes an
// uncompressed BMP declares must be in the file.
std::string bmpProblem(const std::string& bytes) {
    if (bytes.size() < 26 || bytes[0] != 'B' || bytes[1] != 'M') return {}; // not a BMP (or too short: stb says so)
    const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
    auto u16 = [&](std::size_t at) { return uint64_t(p[at]) | (uint64_t(p[at + 1]) << 8); };
    auto u32 = [&](std::size_t at) { return u16(at) | (u16(at + 2) << 16); };
    const uint64_t offset = u32(10), header = u32(14);
    int64_t width = 0, height = 0;
    uint64_t bpp = 0, compression = 0;
    if (header == 12) { // OS/2 BITMAPCOREHEADER
        width = int64_t(u16(18)), height = int64_t(u16(20)), bpp = u16(24);
    } else {
        // Cut inside its own header: stb reads the missing bytes as zeros and may decode a huge
        // image from nothing (fuzz_image: 29 bytes, 13085x5120 pixels).
        if (bytes.size() < 34)
            return "its " + std::to_string(header) + "-byte header is cut short: the file has " + std::to_string(bytes.size()) + " bytes";
        width = int64_t(int32_t(uint32_t(u32(18)))), height = int64_t(int32_t(uint32_t(u32(22))));
        bpp = u16(28), compression = u32(30);
    }
    if (compression == 1 || compression == 2) return {}; // RLE: stb refuses it itself; anything else it reads as rows
    const uint64_t rowBytes = (bpp * uint64_t(width < 0 ? -width : width) + 31) / 32 * 4;
    const uint64_t need = offset + rowBytes * uint64_t(height < 0 ? -height : height);
    if (need <= bytes.size()) return {};
    return "its header declares " + std::to_string(width) + "x" + std::to_string(height) + " pixels at " + std::to_string(bpp) +
           " bits each from byte " + std::to_string(offset) + ", " + std::to_string(need) + " bytes in all; the file has " +
           std::to_string(bytes.size());
}

void checkPixelCount(int64_t w, int64_t h, const std::string& name) {
    if (w * h > kMaxPixels)
        throw ImageFileError(name + ": " + std::to_string(w) + "x" + std::to_string(h) + " pixels is more than the " +
                             std::to_string(kMaxPixels >> 20) + " megapixels an image may have");
}

// A JPEG through TurboJPEG. A warning (a file cut short, a corrupt scan) stops the decode: libjpeg
// would otherwise fill the rest grey and carry on.
RgbImage decodeJpeg(const std::string& bytes, const std::string& name) {
    std::unique_ptr<void, int (*)(tjhandle)> tj(tjInitDecompress(), tjDestroy);
    if (!tj) throw ImageFileError(name + ": cannot start the JPEG decoder (" + tjGetErrorStr2(nullptr) + ")");
    const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
    const auto len = static_cast<unsigned long>(bytes.size());
    int w = 0, h = 0, subsampling = 0, colorspace = 0;
    if (tjDecompressHeader3(tj.get(), data, len, &w, &h, &subsampling, &colorspace) != 0)
        throw ImageFileError(name + ": not a JPEG image libjpeg-turbo can read (" + tjGetErrorStr2(tj.get()) + ")");
    if (w < 1 || h < 1) throw ImageFileError(name + ": a JPEG image of " + std::to_string(w) + "x" + std::to_string(h) + " pixels");
    checkPixelCount(w, h, name);
    RgbImage img;
    img.height = h;
    img.width = w;
    img.pixels.resize(std::size_t(w) * std::size_t(h) * 3);
    if (tjDecompress2(tj.get(), data, len, img.pixels.data(), w, 0, h, TJPF_RGB, TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS) != 0)
        throw ImageFileError(name + ": damaged or truncated JPEG image (libjpeg-turbo: " + tjGetErrorStr2(tj.get()) + ")");
    return img;
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
    if (isJpeg(bytes)) return decodeJpeg(bytes, name);
    if (const std::string problem = pngChunkProblem(bytes); !problem.empty())
        throw ImageFileError(name + ": damaged or truncated PNG image (" + problem + ")");
    if (const std::string problem = bmpProblem(bytes); !problem.empty())
        throw ImageFileError(name + ": damaged or truncated BMP image (" + problem + ")");
    int w = 0, h = 0, comp = 0;
    if (!stbi_info_from_memory(data, len, &w, &h, &comp))
        throw ImageFileError(name + ": not a PNG/JPEG/BMP image (stb: " + stbi_failure_reason() + ")");
    checkPixelCount(w, h, name);
    std::unique_ptr<stbi_uc, void (*)(void*)> pixels(stbi_load_from_memory(data, len, &w, &h, &comp, 3), stbi_image_free);
    if (!pixels) throw ImageFileError(name + ": damaged or truncated image (stb: " + stbi_failure_reason() + ")");
    if (w < 1 || h < 1) throw ImageFileError(name + ": an image of " + std::to_string(w) + "x" + std::to_string(h) + " pixels");
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
    if (img.height < 1 || img.width < 1 || img.pixels.size() != std::size_t(img.height) * std::size_t(img.width) * 3)
        throw ImageFileError("an image of " + std::to_string(img.width) + "x" + std::to_string(img.height) + " pixels cannot be resized");
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
