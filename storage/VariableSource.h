// Stored variables as restore reads them, from a checkpoint or a saved-model folder: each entry's
// key, dtype, shape, size and crc32c first, the bytes only on demand (checked against the crc32c).
//
// Keys follow DESIGN.md: "model/dense_1/kernel/.ATTRIBUTES/VARIABLE_VALUE" for a model variable,
// "model/dense_1/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE" for an optimizer
// slot, "optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE" and "save_counter/..." for counters. The
// backend names the same variables by path: the key without "/.ATTRIBUTES/VARIABLE_VALUE".
#pragma once

#include "engine/DType.h"
#include "engine/Shape.h"
#include "engine/Tensor.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace strata::storage {

inline constexpr const char* kValueSuffix = "/.ATTRIBUTES/VARIABLE_VALUE";
inline constexpr const char* kSaveCounterKey = "save_counter/.ATTRIBUTES/VARIABLE_VALUE";

std::string keyOfPath(const std::string& path);
// The backend path of a key, or nullopt when the key does not end in kValueSuffix.
std::optional<std::string> pathOfKey(const std::string& key);
// A model variable: under "model/", not an optimizer slot.
bool isModelKey(const std::string& key);

struct VariableEntry {
    std::string key;
    DType dtype = DType::F32;
    Shape shape;
    int64_t numBytes = 0;
    uint32_t crc32c = 0;
};

// Checks a stored shape before anything is allocated: every dimension known and non-negative,
// the element count at most Tensor::kMaxElements (computed without overflow), and numBytes equal
// to elements x dtype size. Throws StorageError naming `where` and the key.
void checkStoredShape(const VariableEntry& e, const std::string& where);

class VariableSource {
public:
    virtual ~VariableSource() = default;
    // For messages: "checkpoint 7 of work.strata", "saved model exported/".
    virtual std::string description() const = 0;
    virtual const std::vector<VariableEntry>& entries() const = 0;
    // The bytes of one entry as a tensor; throws StorageError naming the key when the shape is
    // absurd, the bytes are missing or out of bounds, or the crc32c does not match.
    virtual Tensor read(const VariableEntry& entry) const = 0;

    const VariableEntry* find(const std::string& key) const;
};

} // namespace strata::storage
