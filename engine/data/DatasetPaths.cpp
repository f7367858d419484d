#include "engine/data/DatasetPaths.h"

#include "engine/Error.h"

#include <cstdlib>
#include <system_error>

namespace strata::data {

namespace fs = std::filesystem;

std::vector<fs::path> datasetSearchPath() {
    std::vector<fs::path> folders;
    if (const char* resources = std::getenv("STRATA_RESOURCES"); resources && *resources)
        folders.push_back(fs::path(resources) / "datasets");
    std::error_code ec;
    const fs::path executable = fs::read_symlink("/proc/self/exe", ec);
    if (!ec)
        folders.push_back(
            (executable.parent_path() / ".." / "share" / "strata" / "datasets").lexically_normal());
    // The source tree's resources/ (set by CMake: __FILE__ is relative under a compiler cache
    // that rewrites paths, such as ccache with base_dir, and would then point nowhere).
    folders.push_back(fs::path(STRATA_SOURCE_RESOURCES) / "datasets");
    return folders;
}

fs::path findDatasetFile(const std::string& fileName) {
    std::string searched;
    for (const fs::path& folder : datasetSearchPath()) {
        std::error_code ec;
        const fs::path candidate = folder / fileName;
        if (fs::is_regular_file(candidate, ec)) return candidate;
        searched += (searched.empty() ? "" : ", ") + folder.string();
    }
    throw StrataError("dataset file '" + fileName + "' not found; searched " + searched +
                      " (set STRATA_RESOURCES to the folder that holds datasets/)");
}

} // namespace strata::data
