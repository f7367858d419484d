#include "storage/SavedModel.h"
#include "engine/InputFiles.h"

#include "engine/JsonDepth.h"
#include "engine/data/TextVectorization.h"

#include "storage/AtomicFolder.h"
#include "storage/Crc32c.h"
#include "storage/Project.h"
#include "storage/Restore.h"
#include "storage/Sha256.h"
#include "storage/StorageError.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace strata::storage {

namespace fs = std::filesystem;

namespace {

constexpr int64_t kAlignment = 64;
constexpr int64_t kMaxJsonBytes = int64_t(64) << 20; // a spec or an index larger than this is not one of ours

nlohmann::json tensorJson(const SignatureTensor& t) {
    return {{"name", t.name}, {"shape", t.shape.toJson()}, {"dtype", dtypeName(t.dtype)}};
}

std::string readSmallFile(const fs::path& file, const std::string& folder) {
    std::error_code ec;
    if (fs::exists(file, ec) && !fs::is_regular_file(file, ec)) throw StorageError(inputFileProblem(file, uint64_t(kMaxJsonBytes)));
    const auto size = fs::file_size(file, ec);
    if (ec) throw StorageError(folder + " is not a complete saved model: " + file.filename().string() + " is missing (" + ec.message() + ")");
    if (int64_t(size) > kMaxJsonBytes)
        throw StorageError(file.string() + " is " + std::to_string(size) + " bytes, too large to be a saved-model JSON file");
    std::ifstream in(file, std::ios::binary);
    std::string text(size, '\0');
    if (!in.read(text.data(), std::streamsize(size))) throw StorageError(file.string() + ": read error");
    return text;
}

nlohmann::json parseJsonFile(const fs::path& file, const std::string& folder) {
    const std::string text = readSmallFile(file, folder);
    if (const std::string deep = jsonDepthProblem(text); !deep.empty()) throw StorageError(file.string() + ": " + deep);
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw StorageError(file.string() + " is not valid JSON (" + e.what() + ")");
    }
}

std::vector<SignatureTensor> parseTensors(const nlohmann::json& j, const std::string& where) {
    if (!j.is_array()) throw StorageError(where + " is not a list");
    std::vector<SignatureTensor> out;
    for (const auto& t : j) {
        try {
            out.push_back({t.at("name").get<std::string>(), Shape::fromJson(t.at("shape")), parseDType(t.at("dtype").get<std::string>())});
        } catch (const std::exception& e) {
            throw StorageError(where + " has an unreadable entry (" + e.what() + ")");
        }
    }
    return out;
}

int64_t nonNegativeInt(const nlohmann::json& j, const char* field, const std::string& where) {
    auto it = j.find(field);
    if (it == j.end() || !it->is_number_integer() || it->get<int64_t>() < 0)
        throw StorageError(where + ": field '" + field + "' is missing or not a non-negative integer");
    return it->get<int64_t>();
}

} // namespace

ServingSignature servingSignature(const Model& model) {
    ServingSignature s;
    for (int i : model.inputIndices()) s.inputs.push_back({model.layers()[i]->name(), model.outputShape(i), DType::F32});
    for (int i : model.outputIndices()) s.outputs.push_back({model.layers()[i]->name(), model.outputShape(i), DType::F32});
    return s;
}

void writeSavedModel(const Model& model, const fs::path& dir, nlohmann::json metadata) {
    if (!model.built()) throw StorageError("model '" + model.spec().name + "' must be built before it is saved to " + dir.string());
    AtomicFolder folder(dir);
    const fs::path& tmp = folder.path();
    fs::create_directories(tmp / "variables");

    // Data: every variable, 64-byte aligned; the index maps keys to their bytes.
    nlohmann::json vars = nlohmann::json::object();
    Sha256 dataHash;
    {
        DurableFile data(tmp / "variables" / kVariablesDataFile);
        int64_t offset = 0;
        static const char zeros[kAlignment] = {};
        for (const Variable* v : model.variables()) {
            if (int64_t pad = (kAlignment - offset % kAlignment) % kAlignment) {
                data.write(zeros, std::size_t(pad));
                dataHash.update(zeros, std::size_t(pad));
                offset += pad;
            }
            const Tensor& t = v->value();
            data.write(t.bytes(), t.byteSize());
            dataHash.update(t.bytes(), t.byteSize());
            vars[v->checkpointKey()] = {{"dtype", dtypeName(t.dtype())}, {"shape", t.shape().toJson()}, {"shard", 0},
                                        {"offset", offset}, {"length", int64_t(t.byteSize())},
                                        {"crc32c", crc32c(t.bytes(), t.byteSize())}};
            offset += int64_t(t.byteSize());
        }
        data.close();
    }
    const std::string index = nlohmann::json{{"format", kVariablesIndexFormat}, {"num_shards", 1}, {"variables", vars}}.dump(1);
    writeDurably(tmp / "variables" / "variables.index", index);

    const ServingSignature sig = servingSignature(model);
    nlohmann::json inputs = nlohmann::json::array(), outputs = nlohmann::json::array();
    for (const auto& t : sig.inputs) inputs.push_back(tensorJson(t));
    for (const auto& t : sig.outputs) outputs.push_back(tensorJson(t));
    if (!metadata.is_object()) metadata = nlohmann::json::object();
    metadata["strata_version"] = STRATA_VERSION;
    metadata["created_at"] = utcNow();
    metadata["parameters"] = model.paramCounts().total();
    nlohmann::json text; // a text model's vectorizer: a file of its own, beside the spec
    if (metadata.contains("training") && metadata["training"].is_object() && metadata["training"].contains("text_vectorization")) {
        text = metadata["training"]["text_vectorization"];
        metadata["training"]["text_vectorization"] = {{"file", data::kTextVectorizationFile}};
        writeDurably(tmp / data::kTextVectorizationFile, text.dump(1));
    }
    const nlohmann::json specJson = model.spec().toJson();
    const nlohmann::json saved = {{"format", kSavedModelFormat},
                                  {"spec", specJson},
                                  {"signatures", {{"serving_default", {{"inputs", inputs}, {"outputs", outputs}}}}},
                                  {"metadata", metadata}};
    writeDurably(tmp / "saved_model.json", saved.dump(1));
    nlohmann::json fingerprint = {{"spec_sha256", Sha256::hex(specJson.dump())},
                                        {"index_sha256", Sha256::hex(index)},
                                        {"variables_sha256", dataHash.hexDigest()}};
    if (!text.is_null()) fingerprint["text_vectorization_sha256"] = Sha256::hex(text.dump(1));
    writeDurably(tmp / "fingerprint.json", fingerprint.dump(1));
    folder.commit();
}

SavedModel SavedModel::load(const fs::path& dirIn) {
    SavedModel m;
    m.dir_ = dirIn;
    const std::string folder = dirIn.string();
    std::error_code ec;
    if (!fs::is_directory(dirIn, ec)) throw StorageError(folder + " is not a saved-model folder (no such folder)");

    const nlohmann::json saved = parseJsonFile(dirIn / "saved_model.json", folder);
    const std::string savedName = (dirIn / "saved_model.json").string();
    if (!saved.is_object() || saved.value("format", "") != kSavedModelFormat)
        throw StorageError(savedName + " is not a Strata saved model (expected \"format\": \"" + kSavedModelFormat + "\")");
    if (!saved.contains("spec")) throw StorageError(savedName + " has no model spec");
    m.spec_ = ModelSpec::fromJson(saved["spec"]);
    try {
        const auto& sig = saved.at("signatures").at("serving_default");
        m.signature_.inputs = parseTensors(sig.at("inputs"), savedName + ": signature inputs");
        m.signature_.outputs = parseTensors(sig.at("outputs"), savedName + ": signature outputs");
    } catch (const nlohmann::json::exception& e) {
        throw StorageError(savedName + " has no usable serving_default signature (" + e.what() + ")");
    }
    m.metadata_ = saved.value("metadata", nlohmann::json::object());

    m.fingerprint_ = parseJsonFile(dirIn / "fingerprint.json", folder);
    if (m.fingerprint_.value("spec_sha256", "") != Sha256::hex(saved["spec"].dump()))
        throw StorageError(folder + ": the spec in saved_model.json does not match fingerprint.json (edited after export?)");

    if (fs::exists(dirIn / data::kTextVectorizationFile, ec)) {
        m.textVectorization_ = parseJsonFile(dirIn / data::kTextVectorizationFile, folder);
        if (!m.textVectorization_.is_object())
            throw StorageError((dirIn / data::kTextVectorizationFile).string() + " is not a JSON object");
    }
    const fs::path indexFile = dirIn / "variables" / "variables.index";
    const std::string indexText = readSmallFile(indexFile, folder);
    if (const std::string deep = jsonDepthProblem(indexText); !deep.empty()) throw StorageError(indexFile.string() + ": " + deep);
    nlohmann::json index;
    try {
        index = nlohmann::json::parse(indexText);
    } catch (const nlohmann::json::exception& e) {
        throw StorageError(indexFile.string() + " is not valid JSON (" + e.what() + ")");
    }
    if (!index.is_object() || index.value("format", "") != kVariablesIndexFormat || !index.contains("variables") ||
        !index["variables"].is_object())
        throw StorageError(indexFile.string() + " is not a Strata variables index (expected \"format\": \"" +
                           kVariablesIndexFormat + "\" and a \"variables\" object)");
    const int64_t shards = index.value("num_shards", int64_t(1));
    if (shards != 1) throw StorageError(indexFile.string() + ": " + std::to_string(shards) + " shards; this Strata reads one");
    const fs::path dataFile = dirIn / "variables" / kVariablesDataFile;
    const auto dataSize = fs::file_size(dataFile, ec);
    if (ec) throw StorageError(folder + " is not a complete saved model: variables/" + kVariablesDataFile + " is missing");

    for (const auto& [key, v] : index["variables"].items()) {
        const std::string where = indexFile.string() + ": variable '" + key + "'";
        if (!v.is_object()) throw StorageError(where + " is not an object");
        VariableEntry e;
        e.key = key;
        try {
            e.dtype = parseDType(v.at("dtype").get<std::string>());
            e.shape = Shape::fromJson(v.at("shape"));
        } catch (const std::exception& ex) {
            throw StorageError(where + " has an unreadable dtype or shape (" + ex.what() + ")");
        }
        if (nonNegativeInt(v, "shard", where) != 0) throw StorageError(where + " names shard " + v["shard"].dump() + " of 1");
        const int64_t offset = nonNegativeInt(v, "offset", where);
        e.numBytes = nonNegativeInt(v, "length", where);
        const int64_t crc = nonNegativeInt(v, "crc32c", where);
        if (crc > int64_t(UINT32_MAX)) throw StorageError(where + ": crc32c " + std::to_string(crc) + " is not a 32-bit value");
        e.crc32c = uint32_t(crc);
        checkStoredShape(e, indexFile.string());
        if (offset > int64_t(dataSize) || e.numBytes > int64_t(dataSize) - offset)
            throw StorageError(where + " points outside the data file: bytes [" + std::to_string(offset) + ", " +
                               std::to_string(offset) + " + " + std::to_string(e.numBytes) + ") of " + kVariablesDataFile +
                               ", which has " + std::to_string(dataSize) + " bytes");
        m.entries_.push_back(std::move(e));
        m.offsets_.push_back(offset);
    }
    return m;
}

std::string SavedModel::description() const { return "saved model " + dir_.string(); }

Tensor SavedModel::read(const VariableEntry& entry) const {
    std::size_t i = 0;
    while (i < entries_.size() && entries_[i].key != entry.key) ++i;
    if (i == entries_.size()) throw StorageError(description() + " has no variable '" + entry.key + "'");
    const VariableEntry& e = entries_[i];
    checkStoredShape(e, description());
    Tensor t(e.shape, e.dtype);
    const fs::path file = dir_ / "variables" / kVariablesDataFile;
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw StorageError(file.string() + ": cannot be opened (" + std::strerror(errno) + ")");
    int64_t done = 0;
    while (done < e.numBytes) {
        const ssize_t got = ::pread(fd, t.bytes() + done, std::size_t(e.numBytes - done), off_t(offsets_[i] + done));
        if (got <= 0) {
            const int err = errno;
            ::close(fd);
            throw StorageError(file.string() + ": variable '" + e.key + "' cannot be read (" +
                               (got == 0 ? std::string("the file ends early") : std::string(std::strerror(err))) + ")");
        }
        done += got;
    }
    ::close(fd);
    const uint32_t crc = crc32c(t.bytes(), std::size_t(e.numBytes));
    if (crc != e.crc32c) {
        char buf[80];
        std::snprintf(buf, sizeof buf, " (index crc32c %08x, computed %08x)", e.crc32c, crc);
        throw StorageError(description() + ": variable '" + e.key + "' fails its checksum" + buf + "; the data file is corrupted");
    }
    return t;
}

std::unique_ptr<Model> SavedModel::instantiate() const {
    std::unique_ptr<Model> model = Model::fromSpec(spec_);
    restoreModel(*this, *model);
    return model;
}

} // namespace strata::storage
