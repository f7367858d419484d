#include "engine/InputFiles.h"

#include <system_error>

namespace strata {

namespace fs = std::filesystem;

std::string inputFileProblem(const fs::path& file, uint64_t maxBytes) {
    std::error_code ec;
    const fs::file_status st = fs::status(file, ec);
    const std::string name = file.string();
    if (ec || st.type() == fs::file_type::not_found)
        return name + (st.type() == fs::file_type::not_found ? ": no such file" : ": cannot be read (" + ec.message() + ")");
    switch (st.type()) {
    case fs::file_type::regular: break;
    case fs::file_type::directory: return name + ": is a directory, not a file";
    case fs::file_type::fifo: return name + ": is a FIFO (named pipe), not a regular file";
    case fs::file_type::socket: return name + ": is a socket, not a regular file";
    case fs::file_type::character:
    case fs::file_type::block: return name + ": is a device, not a regular file";
    default: return name + ": is not a regular file";
    }
    const uint64_t size = fs::file_size(file, ec);
    if (ec) return name + ": cannot be read (" + ec.message() + ")";
    if (size > maxBytes) return name + ": is " + std::to_string(size) + " bytes; at most " + std::to_string(maxBytes) + " are read";
    return {};
}

} // namespace strata
