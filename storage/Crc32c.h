// CRC-32C (Castagnoli, the checksum of TensorFlow's tensor bundles and of iSCSI), kept beside
// every stored tensor. Slicing-by-8 tables in portable C++; on x86-64 CPUs with SSE4.2 the crc32
// instruction computes the same value about five times faster (chosen once at run time).
#pragma once

#include <cstddef>
#include <cstdint>

namespace strata::storage {

// CRC-32C of `size` bytes, continuing from `crc` (0 for a fresh checksum): crc32c("123456789") == 0xE3069283.
uint32_t crc32c(const void* data, std::size_t size, uint32_t crc = 0);
// The portable table-driven implementation, always available (tests compare both).
uint32_t crc32cPortable(const void* data, std::size_t size, uint32_t crc = 0);

} // namespace strata::storage
