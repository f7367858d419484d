// Errors of storage/: a file that cannot be used as asked (not a Strata project, truncated,
// corrupted, from a newer version, a bad saved-model folder). The message names the file and,
// where it applies, the table, checkpoint or variable key a person must act on.
#pragma once

#include "engine/Error.h"

namespace strata::storage {

class StorageError : public StrataError {
public:
    using StrataError::StrataError;
};

} // namespace strata::storage
