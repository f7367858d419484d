#include "engine/ir/Attrs.h"

#include "engine/Error.h"

#include <nlohmann/json.hpp>

#include <sstream>

namespace strata::ir {

Attrs& Attrs::setValue(const std::string& name, AttrValue v) {
    for (auto& [k, old] : items_)
        if (k == name) {
            old = std::move(v);
            return *this;
        }
    items_.emplace_back(name, std::move(v));
    return *this;
}

const AttrValue* Attrs::find(const std::string& name) const {
    for (const auto& [k, v] : items_)
        if (k == name) return &v;
    return nullptr;
}

bool Attrs::has(const std::string& name) const { return find(name) != nullptr; }

namespace {
template <typename T>
const T& get(const AttrValue* v, const std::string& name, const char* kind) {
    if (!v) throw StrataError("node has no attribute '" + name + "'");
    if (const T* p = std::get_if<T>(v)) return *p;
    throw StrataError("attribute '" + name + "' is not " + kind);
}
} // namespace

int64_t Attrs::integer(const std::string& name) const { return get<int64_t>(find(name), name, "an integer"); }

double Attrs::real(const std::string& name) const {
    const AttrValue* v = find(name);
    if (v)
        if (const int64_t* i = std::get_if<int64_t>(v)) return double(*i);
    return get<double>(v, name, "a number");
}

const std::string& Attrs::string(const std::string& name) const { return get<std::string>(find(name), name, "a string"); }

const std::vector<int64_t>& Attrs::ints(const std::string& name) const {
    return get<std::vector<int64_t>>(find(name), name, "a list of integers");
}

nlohmann::json Attrs::toJson() const {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& item : items_) std::visit([&](const auto& x) { j[item.first] = x; }, item.second);
    return j;
}

std::string Attrs::toString() const {
    if (items_.empty()) return {};
    std::ostringstream s;
    s << "{";
    for (std::size_t i = 0; i < items_.size(); ++i) {
        s << (i ? ", " : "") << items_[i].first << ": ";
        std::visit(
            [&](const auto& x) {
                using T = std::decay_t<decltype(x)>;
                if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
                    s << "[";
                    for (std::size_t j = 0; j < x.size(); ++j) s << (j ? ", " : "") << x[j];
                    s << "]";
                } else if constexpr (std::is_same_v<T, std::string>) {
                    s << '"' << x << '"';
                } else {
                    s << x;
                }
            },
            items_[i].second);
    }
    s << "}";
    return s.str();
}

} // namespace strata::ir
