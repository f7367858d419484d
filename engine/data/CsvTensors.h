// Tensors as CSV for `strata-cli predict`: one sample per row, the sample flattened row-major,
// no header. Reading checks every row against the input's sample shape and names the file and
// line of a ragged row or a cell that is not a number; writing prints %.9g, enough digits to read
// back the same float.
#pragma once

#include "engine/Error.h"
#include "engine/Shape.h"
#include "engine/Tensor.h"

#include <iosfwd>
#include <string>

namespace strata::data {

// The file cannot be opened ("FILE: cannot be read").
class UnreadableFileError : public StrataError {
public:
    using StrataError::StrataError;
};

// The samples of `file` for input `inputName` (used in messages) of sample shape `sample` (fully
// known): a tensor of shape (rows, *sample). Blank lines are skipped. Throws UnreadableFileError,
// or StrataError "FILE:LINE: ..." for a bad row and "FILE: no samples" for an empty file.
Tensor readCsvTensor(const std::string& file, const Shape& sample, const std::string& inputName);

// Writes `t` (float32, first dimension the samples) one sample per line.
void writeCsvTensor(std::ostream& out, const Tensor& t);

} // namespace strata::data
