// How deeply JSON text nests, measured on the text before it is parsed. Every JSON read of a file
// or row a person (or an attacker) can hand Strata checks this first: a model spec, an ONNX file's
// embedded spec, a saved model's index, project rows. Parsing and walking a value recurse, and
// 50,000 nested brackets fit in 100 KB, enough to overflow the stack.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace strata {

// Deeper than any spec Strata writes (a block in a block adds 6 levels) by far.
inline constexpr std::size_t kMaxJsonDepth = 256;

// The deepest nesting of arrays and objects in `text`; brackets inside strings do not count.
std::size_t jsonNestingDepth(std::string_view text);

// "" when `text` nests at most kMaxJsonDepth levels, else "JSON nested N levels deep (at most 256
// are read)", for the caller to prefix with the file, key or row.
std::string jsonDepthProblem(std::string_view text);

} // namespace strata
