#include "storage/VariableSource.h"

#include "storage/StorageError.h"

#include <limits>

namespace strata::storage {

namespace {
bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
} // namespace

std::string keyOfPath(const std::string& path) { return path + kValueSuffix; }

std::optional<std::string> pathOfKey(const std::string& key) {
    const std::string suffix = kValueSuffix;
    if (!endsWith(key, suffix) || key.size() == suffix.size()) return std::nullopt;
    return key.substr(0, key.size() - suffix.size());
}

bool isModelKey(const std::string& key) {
    return key.rfind("model/", 0) == 0 && endsWith(key, kValueSuffix) && key.find("/.OPTIMIZER_SLOT/") == std::string::npos;
}

void checkStoredShape(const VariableEntry& e, const std::string& where) {
    int64_t elements = 1;
    bool absurd = false;
    for (int64_t d : e.shape.dims()) {
        if (d < 0)
            throw StorageError(where + ": variable '" + e.key + "' has an invalid shape " + e.shape.toString() +
                               " (a stored tensor needs every dimension known and non-negative)");
        if (d != 0 && elements > Tensor::kMaxElements / d) absurd = true;
        else elements *= d;
    }
    if (absurd || elements > Tensor::kMaxElements)
        throw StorageError(where + ": variable '" + e.key + "' has an absurd shape " + e.shape.toString() +
                           " (more than " + std::to_string(Tensor::kMaxElements) + " elements); nothing was allocated");
    const int64_t expected = elements * int64_t(dtypeSize(e.dtype));
    if (e.numBytes != expected)
        throw StorageError(where + ": variable '" + e.key + "' of shape " + e.shape.toString() + " and dtype " +
                           std::string(dtypeName(e.dtype)) + " should have " + std::to_string(expected) + " bytes, the file says " +
                           std::to_string(e.numBytes));
}

const VariableEntry* VariableSource::find(const std::string& key) const {
    for (const auto& e : entries())
        if (e.key == key) return &e;
    return nullptr;
}

} // namespace strata::storage
