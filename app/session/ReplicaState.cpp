#include "app/session/ReplicaState.h"

#include "engine/Error.h"

#include <nlohmann/json.hpp>

#include <cstring>
#include <map>

namespace strata::session {

namespace {

bool isOptimizerState(const std::string& path) {
    return path == ir::kIterationsPath || path.find("/.OPTIMIZER_SLOT/") != std::string::npos;
}

// [8-byte header length][JSON header][raw tensor bytes in header order]
std::vector<uint8_t> pack(const Model& model, const ir::Backend& backend, const train::TrainOptions& opts) {
    nlohmann::json header = {{"initial_epoch", opts.initialEpoch}, {"initial_batch", opts.initialBatch},
                             {"initial_step", opts.initialStep}, {"tensors", nlohmann::json::array()}};
    std::vector<std::pair<bool, Tensor>> tensors;
    auto add = [&](const std::string& path, bool inBackend, Tensor t) {
        header["tensors"].push_back({{"path", path}, {"backend", inBackend}, {"dtype", std::string(dtypeName(t.dtype()))},
                                     {"shape", t.shape().dims()}});
        tensors.emplace_back(inBackend, std::move(t));
    };
    for (const Variable* v : model.variables()) add(v->path(), false, v->value());
    for (const std::string& path : backend.variablePaths())
        if (isOptimizerState(path)) add(path, true, backend.getVariable(path));
    const std::string h = header.dump();
    std::vector<uint8_t> out(8 + h.size());
    const uint64_t n = h.size();
    std::memcpy(out.data(), &n, 8);
    std::memcpy(out.data() + 8, h.data(), h.size());
    for (const auto& [b, t] : tensors) {
        const auto* p = reinterpret_cast<const uint8_t*>(t.bytes());
        out.insert(out.end(), p, p + t.byteSize());
    }
    return out;
}

void unpack(const std::vector<uint8_t>& in, Model& model, ir::Backend& backend, train::TrainOptions& opts) {
    uint64_t n = 0;
    if (in.size() < 8) throw StrataError("rank 0's initial state is truncated");
    std::memcpy(&n, in.data(), 8);
    if (n > in.size() - 8) throw StrataError("rank 0's initial state is truncated");
    const nlohmann::json header = nlohmann::json::parse(in.begin() + 8, in.begin() + 8 + std::ptrdiff_t(n));
    opts.initialEpoch = header.at("initial_epoch").get<int>();
    opts.initialBatch = header.at("initial_batch").get<int64_t>();
    opts.initialStep = header.at("initial_step").get<int64_t>();
    std::map<std::string, Variable*> variables;
    for (Variable* v : model.variables()) variables[v->path()] = v;
    std::size_t at = 8 + n;
    for (const auto& t : header.at("tensors")) {
        const std::string path = t.at("path").get<std::string>();
        Tensor value(Shape(t.at("shape").get<std::vector<int64_t>>()), parseDType(t.at("dtype").get<std::string>()));
        if (at + value.byteSize() > in.size()) throw StrataError("rank 0's initial state is truncated at '" + path + "'");
        std::memcpy(value.bytes(), in.data() + at, value.byteSize());
        at += value.byteSize();
        if (t.at("backend").get<bool>()) {
            backend.setVariable(path, value);
            continue;
        }
        const auto v = variables.find(path);
        if (v == variables.end()) throw StrataError("rank 0 sent variable '" + path + "', which this rank's model does not have");
        v->second->assign(value); // checks the shape
    }
}

} // namespace

void shareInitialState(train::Collectives& c, Model& model, ir::Backend& backend, train::TrainOptions& opts) {
    std::vector<uint8_t> bytes;
    if (c.rank() == 0) bytes = pack(model, backend, opts);
    c.broadcast(bytes);
    if (c.rank() != 0) unpack(bytes, model, backend, opts);
}

bool replicasAgree(train::Collectives& c, const ir::Backend& backend) {
    uint64_t h = 1469598103934665603ull; // FNV-1a over every variable's path and bytes
    auto mix = [&](const void* p, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) h = (h ^ reinterpret_cast<const uint8_t*>(p)[i]) * 1099511628211ull;
    };
    for (const std::string& path : backend.variablePaths()) {
        const Tensor t = backend.getVariable(path);
        mix(path.data(), path.size());
        mix(t.bytes(), t.byteSize());
    }
    const int mine = int(h & 0x3fffffff);
    return c.agree(mine) == mine && c.agree(-mine) == -mine;
}

} // namespace strata::session
