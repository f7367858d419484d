#include "engine/JsonDepth.h"

#include <algorithm>

namespace strata {

std::size_t jsonNestingDepth(std::string_view text) {
    std::size_t depth = 0, deepest = 0;
    bool inString = false, escaped = false;
    for (char c : text) {
        if (inString) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') inString = false;
            continue;
        }
        if (c == '"') inString = true;
        else if (c == '[' || c == '{') deepest = std::max(deepest, ++depth);
        else if ((c == ']' || c == '}') && depth > 0) --depth;
    }
    return deepest;
}

std::string jsonDepthProblem(std::string_view text) {
    const std::size_t depth = jsonNestingDepth(text);
    if (depth <= kMaxJsonDepth) return {};
    return "JSON nested " + std::to_string(depth) + " levels deep (at most " + std::to_string(kMaxJsonDepth) + " are read)";
}

} // namespace strata
