// Named attributes of an IR node (strides, axes, alpha, ...), kept in insertion order so a dump
// reads the way the builder wrote it. Booleans are stored as integers.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace strata::ir {

using AttrValue = std::variant<int64_t, double, std::string, std::vector<int64_t>>;

class Attrs {
public:
    Attrs() = default;
    Attrs& setValue(const std::string& name, AttrValue v);
    Attrs& set(const std::string& name, int64_t v) { return setValue(name, AttrValue(v)); }
    Attrs& set(const std::string& name, int v) { return setValue(name, AttrValue(int64_t(v))); }
    Attrs& set(const std::string& name, bool v) { return setValue(name, AttrValue(int64_t(v))); }
    Attrs& set(const std::string& name, double v) { return setValue(name, AttrValue(v)); }
    Attrs& set(const std::string& name, const char* v) { return setValue(name, AttrValue(std::string(v))); }
    Attrs& set(const std::string& name, const std::string& v) { return setValue(name, AttrValue(v)); }
    Attrs& set(const std::string& name, std::vector<int64_t> v) { return setValue(name, AttrValue(std::move(v))); }

    bool has(const std::string& name) const;
    // Typed getters throw StrataError naming the attribute when it is missing or of another type.
    int64_t integer(const std::string& name) const;
    double real(const std::string& name) const; // an integer attribute reads as a real too
    const std::string& string(const std::string& name) const;
    const std::vector<int64_t>& ints(const std::string& name) const;

    int64_t integer(const std::string& name, int64_t fallback) const { return has(name) ? integer(name) : fallback; }
    double real(const std::string& name, double fallback) const { return has(name) ? real(name) : fallback; }

    const std::vector<std::pair<std::string, AttrValue>>& items() const { return items_; }
    std::string toString() const; // {alpha: 0.3, strides: [2, 2]}
    nlohmann::json toJson() const;

private:
    const AttrValue* find(const std::string& name) const;
    std::vector<std::pair<std::string, AttrValue>> items_;
};

} // namespace strata::ir
