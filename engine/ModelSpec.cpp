#include "engine/ModelSpec.h"
#include "engine/InputFiles.h"

#include "engine/JsonDepth.h"

#include "engine/Error.h"
#include "engine/LayerRegistry.h"

#include <fstream>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

namespace strata {

namespace {
// nlohmann's message without its "[json.exception.out_of_range.406] " prefix.
std::string jsonErrorText(const nlohmann::json::exception& e) {
    const std::string what = e.what();
    const auto end = what.rfind("] ", what.find(' '));
    return what.rfind("[json.exception.", 0) == 0 && end != std::string::npos ? what.substr(end + 2) : what;
}

std::vector<std::string> stringList(const nlohmann::json& j, const std::string& what, std::vector<std::string>& problems) {
    std::vector<std::string> out;
    if (j.is_string()) return {j.get<std::string>()};
    if (!j.is_array()) {
        problems.push_back(what + " must be a list of layer names, got " + j.dump());
        return out;
    }
    for (const auto& e : j) {
        if (e.is_string()) out.push_back(e.get<std::string>());
        else problems.push_back(what + " must contain layer names, got " + e.dump());
    }
    return out;
}
} // namespace

ModelSpec ModelSpec::fromJson(const nlohmann::json& j) {
    if (!j.is_object()) throw SpecFormatError("not a model spec: expected a JSON object with \"format\": \"strata.model/1\"");
    auto fmt = j.find("format");
    if (fmt == j.end() || !fmt->is_string())
        throw SpecFormatError("not a model spec: missing \"format\": \"strata.model/1\"");
    if (fmt->get<std::string>() != kModelFormat)
        throw SpecFormatError("unsupported model format '" + fmt->get<std::string>() + "' (this version reads " +
                              kModelFormat + ")");
    auto layers = j.find("layers");
    if (layers == j.end() || !layers->is_array())
        throw SpecFormatError("not a model spec: \"layers\" must be a list of layer objects");

    ModelSpec spec;
    if (auto n = j.find("name"); n != j.end() && n->is_string()) spec.name = n->get<std::string>();
    std::vector<std::string> topProblems;
    if (auto in = j.find("inputs"); in != j.end()) spec.inputs = stringList(*in, "inputs", topProblems);
    else spec.inputsGiven = false;
    if (auto out = j.find("outputs"); out != j.end()) spec.outputs = stringList(*out, "outputs", topProblems);
    else spec.outputsGiven = false;
    if (!topProblems.empty()) throw SpecFormatError("not a valid model spec: " + topProblems.front());

    spec.layers.reserve(layers->size());
    for (std::size_t i = 0; i < layers->size(); ++i) {
        const auto& e = (*layers)[i];
        LayerSpec ls;
        if (!e.is_object()) {
            ls.nameGiven = false;
            ls.problems.push_back("layer entry #" + std::to_string(i) + " must be an object, got " + e.dump());
            spec.layers.push_back(std::move(ls));
            continue;
        }
        if (auto n = e.find("name"); n != e.end() && n->is_string() && !n->get<std::string>().empty())
            ls.name = n->get<std::string>();
        else {
            ls.nameGiven = false;
            if (n != e.end()) ls.problems.push_back("name must be a non-empty string, got " + n->dump());
        }
        if (auto t = e.find("type"); t != e.end() && t->is_string()) ls.type = t->get<std::string>();
        else ls.problems.push_back(t == e.end() ? "missing \"type\"" : "type must be a string, got " + t->dump());
        if (auto c = e.find("config"); c != e.end()) {
            if (c->is_object()) ls.config = *c;
            else if (!c->is_null()) ls.problems.push_back("config must be an object, got " + c->dump());
        }
        if (auto ib = e.find("inbound"); ib != e.end()) ls.inbound = stringList(*ib, "inbound", ls.problems);
        else ls.inboundGiven = false;
        for (auto it = e.begin(); it != e.end(); ++it)
            if (it.key() != "name" && it.key() != "type" && it.key() != "config" && it.key() != "inbound")
                ls.problems.push_back("unknown key '" + it.key() + "' in layer entry");
        spec.layers.push_back(std::move(ls));
    }
    // Default names for unnamed layers, Keras style (dense, dense_1, ...), avoiding every explicit
    // name: one set of names and a next suffix per base, so 30,000 unnamed layers take linear time
    // (uniqueName per layer was quadratic).
    std::unordered_set<std::string> taken;
    for (const auto& ls : spec.layers)
        if (ls.nameGiven) taken.insert(ls.name);
    std::unordered_map<std::string, int> nextSuffix;
    for (auto& ls : spec.layers) {
        if (ls.nameGiven) continue;
        const std::string base = defaultLayerName(ls.type.empty() ? "Layer" : ls.type);
        int& k = nextSuffix[base];
        std::string name = k == 0 ? base : base + "_" + std::to_string(k);
        while (taken.count(name)) name = base + "_" + std::to_string(++k);
        ++k;
        taken.insert(name);
        ls.name = std::move(name);
    }
    // Sequential shorthand: a layer without inbound takes the previous layer's output.
    for (std::size_t i = 0; i < spec.layers.size(); ++i) {
        auto& ls = spec.layers[i];
        if (!ls.inboundGiven && ls.type != "Input" && i > 0) ls.inbound = {spec.layers[i - 1].name};
    }
    if (!spec.inputsGiven)
        for (const auto& ls : spec.layers)
            if (ls.type == "Input") spec.inputs.push_back(ls.name);
    if (!spec.outputsGiven && !spec.layers.empty()) spec.outputs = {spec.layers.back().name};
    return spec;
}

ModelSpec ModelSpec::parse(const std::string& text, const std::string& source) {
    if (const std::string deep = jsonDepthProblem(text); !deep.empty()) throw SpecFormatError(source + ": " + deep);
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        // e.byte is the 1-based offset of the error; turn it into a line number.
        std::size_t line = 1;
        for (std::size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) line += text[i] == '\n';
        std::string what = e.what();
        auto pos = what.find("parse error");
        throw SpecFormatError(source + ":" + std::to_string(line) + ": not valid JSON (" +
                              (pos == std::string::npos ? what : what.substr(pos)) + ")");
    } catch (const nlohmann::json::exception& e) {
        // The parser's other error: a number too large for a double (out_of_range 406, "1e309").
        throw SpecFormatError(source + ": not valid JSON (" + jsonErrorText(e) + ")");
    }
    try {
        return fromJson(j);
    } catch (const SpecFormatError& e) {
        throw SpecFormatError(source + ": " + e.what());
    }
}

ModelSpec ModelSpec::load(const std::string& path) {
    if (const std::string why = inputFileProblem(path, kMaxSpecBytes); !why.empty() && std::filesystem::exists(path))
        throw SpecFormatError(why);
    std::ifstream f(path, std::ios::binary);
    if (!f) throw SpecFormatError(path + ": cannot open the file");
    std::ostringstream ss;
    ss << f.rdbuf();
    return parse(ss.str(), path);
}

nlohmann::json ModelSpec::toJson() const {
    nlohmann::json j = {{"format", kModelFormat}, {"name", name}};
    if (inputsGiven) j["inputs"] = inputs;
    if (outputsGiven) j["outputs"] = outputs;
    auto arr = nlohmann::json::array();
    for (const auto& ls : layers) {
        nlohmann::json e = {{"name", ls.name}, {"type", ls.type}};
        if (!ls.config.empty()) e["config"] = ls.config;
        if (ls.inboundGiven) e["inbound"] = ls.inbound;
        arr.push_back(std::move(e));
    }
    j["layers"] = std::move(arr);
    return j;
}

int ModelSpec::indexOf(const std::string& layerName) const {
    for (std::size_t i = 0; i < layers.size(); ++i)
        if (layers[i].name == layerName) return int(i);
    return -1;
}

OutputRef ModelSpec::resolve(const std::string& ref) const {
    return resolveOutputRef(ref, [this](const std::string& n) { return indexOf(n); });
}

bool splitOutputSuffix(const std::string& ref, std::string& layer, int& output) {
    const auto colon = ref.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 >= ref.size() || ref.size() - colon - 1 > 2) return false;
    int k = 0;
    for (std::size_t i = colon + 1; i < ref.size(); ++i) {
        if (ref[i] < '0' || ref[i] > '9') return false;
        k = k * 10 + (ref[i] - '0');
    }
    if (ref[colon + 1] == '0' || k < 1 || k > kMaxLayerOutputs) return false;
    layer = ref.substr(0, colon);
    output = k;
    return true;
}

std::string outputRefText(const std::string& layer, int output) {
    return output == 0 ? layer : layer + ":" + std::to_string(output);
}

bool ModelSpec::isSequential() const {
    for (std::size_t i = 0; i < layers.size(); ++i) {
        const auto& ls = layers[i];
        if (ls.type == "Input") {
            if (i != 0) return false;
            continue;
        }
        if (i == 0 || ls.inbound.size() != 1 || ls.inbound[0] != layers[i - 1].name) return false;
    }
    return inputs.size() <= 1 && outputs.size() == 1 && !layers.empty() && outputs[0] == layers.back().name;
}

std::string ModelSpec::uniqueName(const std::string& base) const {
    std::unordered_set<std::string> taken;
    for (const auto& ls : layers)
        if (!ls.name.empty()) taken.insert(ls.name);
    if (!taken.count(base)) return base;
    for (int i = 1;; ++i) {
        std::string n = base + "_" + std::to_string(i);
        if (!taken.count(n)) return n;
    }
}

} // namespace strata
