// What Strata reads from a path a person gives it: only a regular file (after links), and no more
// than a cap. A FIFO would block the reader forever and /dev/zero would be read until memory runs
// out; a directory or socket cannot be read at all. Each reader checks this first and throws its
// own error type with the message:
//
//   if (auto why = inputFileProblem(path, kMaxSpecBytes); !why.empty()) throw SpecFormatError(why);
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace strata {

inline constexpr uint64_t kMaxSpecBytes = uint64_t(64) << 20;    // a model spec or another JSON file
inline constexpr uint64_t kMaxModelFileBytes = uint64_t(2) << 30; // an ONNX file (protobuf's own limit)
inline constexpr uint64_t kMaxDataFileBytes = uint64_t(4) << 30;  // a data file (CSV, IDX, NPY), as stored
inline constexpr uint64_t kMaxDecompressedBytes = uint64_t(4) << 30; // what a gzip data file may inflate to

// "" when `file` is a regular file (links followed) of at most `maxBytes`; else why not, naming the
// file: "F: no such file", "F: is a directory, not a file", "F: is a FIFO (named pipe), not a
// regular file", "F: is 5368709120 bytes; at most 4294967296 are read".
std::string inputFileProblem(const std::filesystem::path& file, uint64_t maxBytes);

} // namespace strata
