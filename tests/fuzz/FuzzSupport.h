// What the fuzz targets share (tests/fuzz/README.md): a scratch folder of the process's own for
// loaders that read files, the container that packs several files into one input, and the bound
// on the models a target builds.
//
// A target calls a loader as strata-cli does and catches StrataError (every error a person can
// cause: SpecFormatError, ConfigError, ModelError, StorageError, RestoreError, ...). Anything else
// is a finding: a crash, a sanitizer report, a timeout, an allocation past -malloc_limit_mb, or an
// exception of another type (std::bad_alloc, nlohmann::json's, std::out_of_range, ...), which
// escapes LLVMFuzzerTestOneInput, ends in std::terminate and is reported as a deadly signal with
// its type and message.
#pragma once

#include "engine/Error.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace strata::fuzz {

// Parameters a target lets a fuzzed spec build (Model::fromSpec allocates every variable). A
// larger model is only shape-inferred: memory for huge layers is the spec's own budget, not the
// loader's.
inline constexpr int64_t kMaxBuiltParams = int64_t(1) << 20;

// Separates the files of a multi-file input ("saved_model.json", the index, the data).
inline constexpr std::string_view kFileSeparator = "\n@@strata-fuzz-file@@\n";

// A folder of this process's own, created on first use and removed at exit.
inline const std::filesystem::path& scratch() {
    static const std::filesystem::path dir = [] {
        std::string pattern = (std::filesystem::temp_directory_path() / "strata-fuzz-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) {
            std::perror("strata fuzz: mkdtemp");
            std::abort();
        }
        static const std::filesystem::path removeAtExit = pattern;
        std::atexit([] {
            std::error_code ec;
            std::filesystem::remove_all(removeAtExit, ec);
        });
        return std::filesystem::path(pattern);
    }();
    return dir;
}

// An empty folder `name` inside scratch() (emptied when it exists).
inline std::filesystem::path freshFolder(const std::string& name) {
    const std::filesystem::path dir = scratch() / name;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

inline void writeFile(const std::filesystem::path& file, std::string_view bytes) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size()));
    if (!out) {
        std::fprintf(stderr, "strata fuzz: cannot write %s\n", file.c_str());
        std::abort();
    }
}

// The input split at kFileSeparator into at most `maxParts` parts (the last keeps the rest).
inline std::vector<std::string_view> splitFiles(std::string_view input, std::size_t maxParts) {
    std::vector<std::string_view> parts;
    while (parts.size() + 1 < maxParts) {
        const std::size_t at = input.find(kFileSeparator);
        if (at == std::string_view::npos) break;
        parts.push_back(input.substr(0, at));
        input.remove_prefix(at + kFileSeparator.size());
    }
    parts.push_back(input);
    return parts;
}

inline std::string_view asText(const uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

} // namespace strata::fuzz
