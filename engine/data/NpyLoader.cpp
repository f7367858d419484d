#include "engine/data/NpyLoader.h"

#include "engine/Error.h"
#include "engine/data/FileInput.h"

#include <bit>
#include <charconv>
#include <cstring>
#include <vector>

namespace strata::data {

namespace {

static_assert(std::endian::native == std::endian::little,
              "the .npy reader assumes a little-endian host");

struct Header {
    std::string descr;
    bool fortranOrder = false;
    std::vector<int64_t> shape;
};

// The header is a Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
class HeaderParser {
  public:
    HeaderParser(std::string_view text, const std::string& source) : text_(text), source_(source) {}

    Header parse() {
        Header h;
        h.descr = stringAfterKey("descr");
        const std::string_view order = valueAfterKey("fortran_order");
        if (order.starts_with("True"))
            h.fortranOrder = true;
        else if (!order.starts_with("False"))
            fail("'fortran_order' is neither True nor False");
        std::string_view shape = valueAfterKey("shape");
        if (shape.empty() || shape[0] != '(') fail("'shape' is not a tuple");
        const std::size_t close = shape.find(')');
        if (close == std::string_view::npos) fail("'shape' tuple is not closed");
        shape = shape.substr(1, close - 1);
        while (!shape.empty()) {
            const std::size_t start = shape.find_first_not_of(" ,L");
            if (start == std::string_view::npos) break;
            shape.remove_prefix(start);
            int64_t dim = 0;
            const auto [end, ec] = std::from_chars(shape.data(), shape.data() + shape.size(), dim);
            if (ec != std::errc() || dim < 0)
                fail("'shape' holds something other than non-negative integers");
            h.shape.push_back(dim);
            shape.remove_prefix(std::size_t(end - shape.data()));
        }
        return h;
    }

  private:
    [[noreturn]] void fail(const std::string& why) const {
        throw StrataError(source_ + ": bad .npy header: " + why + " in " + std::string(text_));
    }

    std::string_view valueAfterKey(const char* key) const {
        std::string quoted(1, '\'');
        quoted.append(key).push_back('\'');
        std::size_t at = text_.find(quoted);
        if (at == std::string_view::npos) fail(std::string("no '") + key + "' key");
        at = text_.find(':', at + quoted.size());
        if (at == std::string_view::npos) fail(std::string("no value for '") + key + "'");
        at = text_.find_first_not_of(' ', at + 1);
        return at == std::string_view::npos ? std::string_view() : text_.substr(at);
    }

    std::string stringAfterKey(const char* key) const {
        const std::string_view v = valueAfterKey(key);
        if (v.empty() || (v[0] != '\'' && v[0] != '"'))
            fail(std::string("'") + key + "' is not a string");
        const std::size_t end = v.find(v[0], 1);
        if (end == std::string_view::npos) fail(std::string("'") + key + "' string is not closed");
        return std::string(v.substr(1, end - 1));
    }

    std::string_view text_;
    const std::string& source_;
};

struct Source {
    const char* descr;
    std::size_t bytes;
    DType to;
};

// Keep this order: parseNpy converts by position.
constexpr Source kSources[] = {{"<f4", 4, DType::F32}, {"<f8", 8, DType::F32},
                               {"|u1", 1, DType::I32}, {"|i1", 1, DType::I32},
                               {"<i4", 4, DType::I32}, {"<i8", 8, DType::I32}};

template <typename T> T readLittle(const char* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

} // namespace

Tensor parseNpy(std::string_view bytes, const std::string& sourceName) {
    static constexpr char kMagic[] = "\x93NUMPY";
    if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, 6) != 0)
        throw StrataError(sourceName + ": not a .npy file (no \\x93NUMPY magic)");
    const int major = static_cast<unsigned char>(bytes[6]);
    std::size_t headerLength = 0, headerStart = 0;
    if (major == 1) {
        headerLength = readLittle<uint16_t>(bytes.data() + 8);
        headerStart = 10;
    } else if (major == 2 || major == 3) {
        if (bytes.size() < 12) throw StrataError(sourceName + ": truncated .npy header");
        headerLength = readLittle<uint32_t>(bytes.data() + 8);
        headerStart = 12;
    } else {
        throw StrataError(sourceName + ": unsupported .npy version " + std::to_string(major) +
                          " (1, 2 and 3 are read)");
    }
    if (bytes.size() < headerStart + headerLength)
        throw StrataError(sourceName + ": truncated .npy header: it declares " +
                          std::to_string(headerLength) + " bytes but the file has " +
                          std::to_string(bytes.size() - headerStart));
    const Header header = HeaderParser(bytes.substr(headerStart, headerLength), sourceName).parse();

    const Source* source = nullptr;
    for (const Source& s : kSources)
        if (header.descr == s.descr) source = &s;
    if (!source)
        throw StrataError(sourceName + ": unsupported .npy dtype '" + header.descr +
                          "' (supported: '<f4', '<f8', '|u1', '|i1', '<i4', '<i8', little-endian)");
    if (header.fortranOrder)
        throw StrataError(sourceName +
                          ": the array is stored in Fortran order, which is not supported; "
                          "save it with numpy.save(path, numpy.ascontiguousarray(a))");

    // Check the declared size against the bytes present before allocating.
    const std::size_t available = bytes.size() - headerStart - headerLength;
    uint64_t count = 1;
    for (int64_t d : header.shape) {
        if (d != 0 && count > uint64_t(Tensor::kMaxElements) / uint64_t(d))
            throw StrataError(sourceName + ": the .npy shape " + Shape(header.shape).toString() +
                              " is too large");
        count *= uint64_t(d);
    }
    if (count * source->bytes != available)
        throw StrataError(sourceName + ": the .npy shape " + Shape(header.shape).toString() +
                          " of '" + header.descr + "' needs " +
                          std::to_string(count * source->bytes) +
                          " bytes of data but the file holds " + std::to_string(available) +
                          (count * source->bytes > available ? " (truncated)" : ""));

    Tensor out(Shape(header.shape), source->to);
    const char* in = bytes.data() + headerStart + headerLength;
    const std::size_t n = std::size_t(count);
    if (n == 0) return out;
    switch (source - kSources) {
    case 0:
        std::memcpy(out.f32(), in, n * 4);
        break;
    case 1:
        for (std::size_t i = 0; i < n; ++i)
            out.f32()[i] = float(readLittle<double>(in + 8 * i));
        break;
    case 2:
        for (std::size_t i = 0; i < n; ++i)
            out.i32()[i] = static_cast<unsigned char>(in[i]);
        break;
    case 3:
        for (std::size_t i = 0; i < n; ++i)
            out.i32()[i] = static_cast<signed char>(in[i]);
        break;
    case 4:
        std::memcpy(out.i32(), in, n * 4);
        break;
    default:
        for (std::size_t i = 0; i < n; ++i) {
            const int64_t v = readLittle<int64_t>(in + 8 * i);
            if (v < INT32_MIN || v > INT32_MAX)
                throw StrataError(sourceName + ": element " + std::to_string(i) + " = " +
                                  std::to_string(v) + " does not fit in int32");
            out.i32()[i] = int32_t(v);
        }
    }
    return out;
}

Tensor loadNpy(const std::filesystem::path& path) {
    return parseNpy(internal::readWholeFile(path), path.string());
}

} // namespace strata::data
