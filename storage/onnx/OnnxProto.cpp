#include "storage/onnx/OnnxProto.h"

#include "storage/StorageError.h"

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

namespace strata::storage {

[[noreturn]] void ProtoReader::fail(std::size_t offset, const std::string& why) const {
    throw StorageError(source_ + ": " + what_ + " at byte " + std::to_string(offset) + ": " + why +
                       " (the file is truncated or is not an ONNX model)");
}

uint64_t ProtoReader::varint(std::string_view bytes, std::size_t& at, std::size_t base) const {
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (at >= bytes.size()) fail(base + at, "a varint runs past the end");
        const auto b = uint8_t(bytes[at++]);
        if (shift == 63 && b > 1) fail(base + at - 1, "a varint is longer than 64 bits");
        v |= uint64_t(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
    }
    fail(base + at, "a varint is longer than ten bytes");
}

bool ProtoReader::next(ProtoField& f) {
    if (at_ >= bytes_.size()) return false;
    f = ProtoField{};
    f.offset = base_ + at_;
    const uint64_t tag = varint(bytes_, at_, base_);
    f.field = int(tag >> 3);
    f.wireType = int(tag & 7);
    if (tag >> 3 == 0 || tag >> 3 > 536870911) fail(f.offset, "field number " + std::to_string(tag >> 3) + " is invalid");
    const std::size_t left = bytes_.size() - at_;
    switch (f.wireType) {
    case 0: f.number = varint(bytes_, at_, base_); break;
    case 1:
    case 5: {
        const std::size_t n = f.wireType == 1 ? 8 : 4;
        if (left < n) fail(f.offset, "a " + std::to_string(n * 8) + "-bit field runs past the end");
        for (std::size_t k = 0; k < n; ++k) f.number |= uint64_t(uint8_t(bytes_[at_ + k])) << (8 * k);
        at_ += n;
        break;
    }
    case 2: {
        const uint64_t len = varint(bytes_, at_, base_);
        if (len > bytes_.size() - at_)
            fail(f.offset, "a length of " + std::to_string(len) + " runs past the end (" + std::to_string(bytes_.size() - at_) + " bytes left)");
        f.dataOffset = base_ + at_;
        f.bytes = bytes_.substr(at_, std::size_t(len));
        at_ += std::size_t(len);
        break;
    }
    default: fail(f.offset, "wire type " + std::to_string(f.wireType) + " of field " + std::to_string(f.field) + " is not supported");
    }
    return true;
}

ProtoReader ProtoReader::sub(const ProtoField& f, std::string what) const {
    expect(f, 2);
    return ProtoReader(f.bytes, source_, std::move(what), f.dataOffset);
}

void ProtoReader::expect(const ProtoField& f, int wireType) const {
    if (f.wireType != wireType)
        fail(f.offset, "field " + std::to_string(f.field) + " has wire type " + std::to_string(f.wireType) + ", expected " +
                           std::to_string(wireType));
}

int64_t ProtoReader::int64(const ProtoField& f) const {
    expect(f, 0);
    return int64_t(f.number);
}

float ProtoReader::float32(const ProtoField& f) const {
    expect(f, 5);
    return std::bit_cast<float>(uint32_t(f.number));
}

double ProtoReader::float64(const ProtoField& f) const {
    expect(f, 1);
    return std::bit_cast<double>(f.number);
}

std::string ProtoReader::string(const ProtoField& f) const {
    expect(f, 2);
    return std::string(f.bytes);
}

void ProtoReader::int64s(const ProtoField& f, std::vector<int64_t>& out) const {
    if (f.wireType != 2) return void(out.push_back(int64(f)));
    std::size_t at = 0;
    while (at < f.bytes.size()) out.push_back(int64_t(varint(f.bytes, at, f.dataOffset)));
}

void ProtoReader::float32s(const ProtoField& f, std::vector<float>& out) const {
    if (f.wireType != 2) return void(out.push_back(float32(f)));
    if (f.bytes.size() % 4) fail(f.offset, "packed float32 values of " + std::to_string(f.bytes.size()) + " bytes");
    for (std::size_t k = 0; k < f.bytes.size(); k += 4) {
        uint32_t bits;
        std::memcpy(&bits, f.bytes.data() + k, 4);
        out.push_back(std::bit_cast<float>(bits));
    }
}

void ProtoReader::float64s(const ProtoField& f, std::vector<double>& out) const {
    if (f.wireType != 2) return void(out.push_back(float64(f)));
    if (f.bytes.size() % 8) fail(f.offset, "packed float64 values of " + std::to_string(f.bytes.size()) + " bytes");
    for (std::size_t k = 0; k < f.bytes.size(); k += 8) {
        uint64_t bits;
        std::memcpy(&bits, f.bytes.data() + k, 8);
        out.push_back(std::bit_cast<double>(bits));
    }
}

} // namespace strata::storage
