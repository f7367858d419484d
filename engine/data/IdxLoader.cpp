#include "engine/data/IdxLoader.h"

#include "engine/Error.h"
#include "engine/data/FileInput.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdio>
#include <cstring>
#include <vector>

namespace strata::data {

namespace {

struct ElementType {
    uint8_t code;
    const char* name;
    std::size_t bytes;
    bool integer;
};

constexpr std::array<ElementType, 6> kTypes{{{0x08, "unsigned byte", 1, true},
                                             {0x09, "signed byte", 1, true},
                                             {0x0B, "short", 2, true},
                                             {0x0C, "int", 4, true},
                                             {0x0D, "float", 4, false},
                                             {0x0E, "double", 8, false}}};

uint32_t bigEndian32(const unsigned char* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}
uint64_t bigEndian64(const unsigned char* p) {
    return uint64_t(bigEndian32(p)) << 32 | bigEndian32(p + 4);
}

// Converts `count` big-endian elements starting at `in` into the tensor at element `offset`.
void convert(const ElementType& type, const unsigned char* in, std::size_t count,
             IdxConversion conversion, Tensor& out, std::size_t offset) {
    if (conversion == IdxConversion::Int) {
        int32_t* o = out.i32() + offset;
        for (std::size_t i = 0; i < count; ++i) {
            const unsigned char* p = in + i * type.bytes;
            switch (type.code) {
            case 0x08:
                o[i] = p[0];
                break;
            case 0x09:
                o[i] = int8_t(p[0]);
                break;
            case 0x0B:
                o[i] = int16_t(uint16_t(p[0] << 8 | p[1]));
                break;
            default:
                o[i] = int32_t(bigEndian32(p));
                break;
            }
        }
        return;
    }
    float* o = out.f32() + offset;
    if (type.code == 0x08) { // the common case (pixels): a loop the compiler vectorizes
        const float divisor = conversion == IdxConversion::ScaledFloat ? 255.0f : 1.0f;
        for (std::size_t i = 0; i < count; ++i)
            o[i] = float(in[i]) / divisor;
        return;
    }
    for (std::size_t i = 0; i < count; ++i) {
        const unsigned char* p = in + i * type.bytes;
        switch (type.code) {
        case 0x09:
            o[i] = float(int8_t(p[0]));
            break;
        case 0x0B:
            o[i] = float(int16_t(uint16_t(p[0] << 8 | p[1])));
            break;
        case 0x0C:
            o[i] = float(int32_t(bigEndian32(p)));
            break;
        case 0x0D:
            o[i] = std::bit_cast<float>(bigEndian32(p));
            break;
        default:
            o[i] = float(std::bit_cast<double>(bigEndian64(p)));
            break;
        }
    }
}

std::string hex32(uint32_t v) {
    char text[9];
    std::snprintf(text, sizeof text, "%08X", unsigned(v));
    return text;
}

// Reads the file; `expectedRank` (0: any) is checked before allocating, and a unit channel
// dimension is appended when `appendChannel` (images), so the tensor is allocated once.
Tensor readIdx(const std::filesystem::path& path, IdxConversion conversion, int expectedRank,
               bool appendChannel) {
    internal::GzFile file(path);
    const std::string& name = file.name();
    unsigned char magic[4];
    if (file.read(magic, 4) != 4)
        throw StrataError(name + ": not an IDX file: shorter than its 4-byte magic");
    const ElementType* type = nullptr;
    for (const ElementType& t : kTypes)
        if (t.code == magic[2]) type = &t;
    const int rank = magic[3];
    if (magic[0] != 0 || magic[1] != 0 || !type || rank < 1)
        throw StrataError(name + ": not an IDX file: bad magic number 0x" +
                          hex32(bigEndian32(magic)));
    if (expectedRank && rank != expectedRank)
        throw StrataError(name + ": expected " +
                          (expectedRank == 1 ? "labels of rank 1" : "images of rank 3") +
                          ", the header declares rank " + std::to_string(rank));
    if (conversion == IdxConversion::Int && !type->integer)
        throw StrataError(name + ": holds " + type->name + " values, expected integers (labels)");

    std::vector<unsigned char> header(std::size_t(rank) * 4);
    if (file.read(header.data(), header.size()) != header.size())
        throw StrataError(name + ": truncated: the header declares " + std::to_string(rank) +
                          " dimensions but the file ends before them");
    std::vector<int64_t> dims(static_cast<std::size_t>(rank));
    for (int i = 0; i < rank; ++i)
        dims[std::size_t(i)] = bigEndian32(header.data() + 4 * i);
    // Check the element count against what the file can hold before allocating anything.
    uint64_t count = 1;
    for (int64_t d : dims) {
        // count <= kMaxElements (2^32) and d < 2^32, so the product cannot overflow 64 bits.
        count *= uint64_t(d);
        if (count > uint64_t(Tensor::kMaxElements) || count * type->bytes > file.maxDataBytes())
            throw StrataError(name + ": corrupt IDX header: dimensions " + Shape(dims).toString() +
                              " are more than the file can hold (" +
                              (file.compressed() ? "compressed, " : "") + "at most " +
                              std::to_string(file.maxDataBytes()) + " data bytes)");
    }
    std::vector<int64_t> outDims = dims;
    if (appendChannel) outDims.push_back(1);
    Tensor out(Shape(outDims), conversion == IdxConversion::Int ? DType::I32 : DType::F32);

    // Stream the elements through a small buffer: no second copy of the whole file in memory.
    const std::size_t perChunk = (std::size_t(1) << 18) / type->bytes;
    std::vector<unsigned char> buffer(perChunk * type->bytes);
    std::size_t done = 0;
    while (done < count) {
        const std::size_t want = std::min<std::size_t>(perChunk, std::size_t(count) - done);
        const std::size_t got = file.read(buffer.data(), want * type->bytes);
        if (got != want * type->bytes)
            throw StrataError(name + ": truncated: the header declares " + Shape(dims).toString() +
                              " = " + std::to_string(count) + " elements (" +
                              std::to_string(count * type->bytes) +
                              " bytes) but the file holds only " +
                              std::to_string(done * type->bytes + got) + " bytes of data");
        convert(*type, buffer.data(), want, conversion, out, done);
        done += want;
    }
    unsigned char extra = 0;
    if (file.read(&extra, 1) != 0)
        throw StrataError(name + ": the file is longer than its header declares " +
                          Shape(dims).toString() + ": extra bytes after the data");
    return out;
}

} // namespace

Tensor loadIdx(const std::filesystem::path& path, IdxConversion conversion) {
    return readIdx(path, conversion, 0, false);
}

Tensor loadIdxImages(const std::filesystem::path& path, bool scaleToUnit) {
    return readIdx(path, scaleToUnit ? IdxConversion::ScaledFloat : IdxConversion::Float, 3, true);
}

Tensor loadIdxLabels(const std::filesystem::path& path) {
    return readIdx(path, IdxConversion::Int, 1, false);
}

} // namespace strata::data
