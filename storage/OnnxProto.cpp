#include "storage/OnnxProto.h"

#include <bit>
#include <cstring>

namespace strata::storage {

void ProtoWriter::varint(uint64_t v) {
    while (v >= 0x80) {
        bytes_.push_back(char(uint8_t(v) | 0x80));
        v >>= 7;
    }
    bytes_.push_back(char(uint8_t(v)));
}

void ProtoWriter::tag(int field, int wireType) { varint((uint64_t(field) << 3) | uint64_t(wireType)); }

void ProtoWriter::int64(int field, int64_t value) {
    tag(field, 0);
    varint(uint64_t(value)); // two's complement: a negative value takes ten bytes, as protobuf writes it
}

void ProtoWriter::float32(int field, float value) {
    tag(field, 5);
    const uint32_t bits = std::bit_cast<uint32_t>(value);
    for (int i = 0; i < 4; ++i) bytes_.push_back(char(uint8_t(bits >> (8 * i)))); // little-endian
}

void ProtoWriter::string(int field, std::string_view bytes) {
    tag(field, 2);
    varint(bytes.size());
    bytes_.append(bytes.data(), bytes.size());
}

void ProtoWriter::message(int field, const ProtoWriter& m) { string(field, m.bytes_); }

void ProtoWriter::int64s(int field, const std::vector<int64_t>& values) {
    for (int64_t v : values) int64(field, v);
}

} // namespace strata::storage
