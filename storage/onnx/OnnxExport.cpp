#include "storage/onnx/OnnxExport.h"

#include "storage/AtomicFolder.h"
#include "storage/onnx/OnnxGraph.h"
#include "storage/onnx/OnnxLowering.h"
#include "storage/StorageError.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace strata::storage {

namespace fs = std::filesystem;

namespace {

// Removes ".NAME.partial-PID-N" files left beside `file` by writers that were killed.
void removeStaleTemporaries(const fs::path& file) {
    const std::string prefix = "." + file.filename().string() + ".partial-";
    std::error_code ec;
    const fs::path parent = file.parent_path().empty() ? fs::path(".") : file.parent_path();
    for (const auto& entry : fs::directory_iterator(parent, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(prefix, 0) != 0 || !entry.is_regular_file(ec)) continue;
        char* end = nullptr;
        const long pid = std::strtol(name.c_str() + prefix.size(), &end, 10);
        if (pid > 0 && *end == '-' && ::kill(pid_t(pid), 0) != 0 && errno == ESRCH) fs::remove(entry.path(), ec);
    }
}

} // namespace

std::string onnxModelBytes(const Model& model, const nlohmann::json& metadata) {
    OnnxGraph graph(model.spec().name);
    OnnxLowering(graph).lowerModel(model);
    OnnxModelInfo info;
    info.opset = kOnnxOpset;
    info.irVersion = kOnnxIrVersion;
    info.producerVersion = STRATA_VERSION;
    info.docString = "Strata model '" + model.spec().name + "'";
    info.metadata.emplace_back("strata.model", model.spec().toJson().dump());
    info.metadata.emplace_back(kOnnxInputLayoutKey, "nhwc"); // a translating reader's hint: Strata's images are NHWC
    if (metadata.is_object())
        for (const auto& [key, value] : metadata.items())
            info.metadata.emplace_back(key, value.is_string() ? value.get<std::string>() : value.dump());
    return graph.modelBytes(info);
}

void writeOnnxModel(const Model& model, const fs::path& file, const nlohmann::json& metadata) {
    const std::string where = file.string();
    if (file.filename().empty() || file.filename() == "." || file.filename() == "..")
        throw StorageError(where + ": not a file name; --out takes the ONNX file to write, e.g. model.onnx");
    std::error_code ec;
    if (fs::is_directory(file, ec)) throw StorageError(where + " is a folder; give the ONNX file to write, e.g. " + (file / "model.onnx").string());
    const fs::path parent = file.parent_path();
    if (!parent.empty() && !fs::is_directory(parent, ec))
        throw StorageError(where + ": " + (fs::exists(parent, ec) ? parent.string() + " is not a folder" : "the folder " + parent.string() + " does not exist"));

    std::string bytes;
    try {
        bytes = onnxModelBytes(model, metadata);
    } catch (const StrataError& e) {
        throw StorageError(where + ": " + e.what());
    }

    removeStaleTemporaries(file);
    static std::atomic<int> counter{0};
    const fs::path temp = parent / ("." + file.filename().string() + ".partial-" + std::to_string(::getpid()) + "-" +
                                    std::to_string(counter++));
    try {
        DurableFile out(temp);
        out.write(bytes.data(), bytes.size());
        out.close();
        if (::rename(temp.c_str(), file.c_str()) != 0)
            throw StorageError(where + ": cannot be put in place (" + std::strerror(errno) + ")");
        syncFolder(parent.empty() ? fs::path(".") : parent);
    } catch (const StorageError& e) {
        fs::remove(temp, ec);
        const std::string msg = e.what();
        throw StorageError(msg.rfind(where, 0) == 0 ? msg : where + ": cannot be written (" + msg + ")");
    }
}

} // namespace strata::storage
