#include "storage/onnx/OnnxImport.h"

#include "engine/Layer.h"
#include "storage/onnx/OnnxGraphImport.h"
#include "storage/onnx/OnnxReader.h"
#include "storage/SavedModel.h"
#include "storage/StorageError.h"

#include <cctype>
#include <map>
#include <set>

namespace strata::storage {

namespace {

std::string shapeText(const std::vector<int64_t>& dims) { return nlohmann::json(dims).dump(); }

// A Conv1D kernel, stored (filters, in, k); other rank-3 kernels (MultiHeadAttention's) are stored as they are.
bool isConv1DKernel(const Variable& v) {
    const auto* layer = dynamic_cast<const Layer*>(v.owner());
    return v.name() == "kernel" && layer && layer->type() == "Conv1D";
}

// A file Strata exported: its own spec, each variable from the initializer named by its path.
// The model is built once, here, and holds the values (every variable matched by path and shape).
ImportedModel importEmbedded(const OnnxModel& onnx, const std::string& specJson, const std::string& source, const std::string& name) {
    ImportedModel out;
    out.fromEmbeddedSpec = true;
    out.spec = ModelSpec::parse(specJson, source + " (metadata strata.model)");
    if (!name.empty()) out.spec.name = name;
    std::unique_ptr<Model> model;
    try {
        model = Model::fromSpec(out.spec);
        model->build(0);
    } catch (const StrataError& e) {
        throw StorageError(source + ": the embedded strata.model spec is not valid: " + e.what());
    }
    std::map<std::string, const OnnxTensor*> inits;
    for (const OnnxTensor& t : onnx.graph.initializers) inits[t.name] = &t;
    for (Variable* v : model->variables()) {
        const auto it = inits.find(v->path());
        if (it == inits.end()) throw StorageError(source + ": the graph has no initializer '" + v->path() + "' for the embedded spec's variable");
        const OnnxTensor& t = *it->second;
        if (!t.isFloat()) throw StorageError(source + ": initializer '" + t.name + "' is not a float tensor");
        const std::vector<int64_t>& want = v->value().shape().dims();
        Tensor value;
        // A Conv2D kernel stored OIHW, or a Conv2DTranspose kernel stored (C_in, filters, kh, kw): the same permutation back.
        if (want.size() == 4 && t.dims.size() == 4) value = kernelOihwToHwio(t.dims, t.floats);
        else if (want.size() == 3 && t.dims.size() == 3 && isConv1DKernel(*v)) value = kernelOiwToWio(t.dims, t.floats);
        else value = importedTensor(t.dims, t.floats);
        // A DepthwiseConv2D kernel (kh, kw, in, dm) stored as the grouped Conv weight (in*dm, 1, kh, kw):
        // permuted back it is (kh, kw, 1, in*dm), the same floats.
        if (want.size() == 4 && value.shape().rank() == 4 && value.shape()[2] == 1 && want[2] != 1 &&
            value.shape()[0] == want[0] && value.shape()[1] == want[1] && value.shape()[3] == want[2] * want[3])
            value.reshape(Shape(want));
        if (value.shape().dims() != want)
            throw StorageError(source + ": initializer '" + t.name + "' has shape " + shapeText(t.dims) + ", the variable needs " + shapeText(want));
        v->assign(value);
        out.variables[v->checkpointKey()] = std::move(value);
    }
    out.model = std::move(model);
    out.notes.push_back("the model was exported by Strata: its embedded spec was used");
    return out;
}

} // namespace

std::unique_ptr<Model> ImportedModel::instantiate() const {
    auto model = Model::fromSpec(spec);
    model->build(0);
    std::set<std::string> keys;
    for (Variable* v : model->variables()) {
        const std::string key = v->checkpointKey();
        const auto it = variables.find(key);
        if (it == variables.end()) throw StorageError("imported model '" + spec.name + "': no value for variable '" + key + "'");
        if (it->second.shape() != v->value().shape())
            throw StorageError("imported model '" + spec.name + "': variable '" + key + "' has shape " + it->second.shape().toString() +
                               ", the layer needs " + v->value().shape().toString());
        v->assign(it->second);
        keys.insert(key);
    }
    for (const auto& [key, value] : variables)
        if (!keys.count(key))
            throw StorageError("imported model '" + spec.name + "': variable '" + key + "' belongs to no layer");
    return model;
}

std::string checkInputLayout(const std::string& value, const std::string& where) {
    std::string lower;
    for (char c : value) lower += char(std::tolower(static_cast<unsigned char>(c)));
    if (lower.empty() || lower == "nchw" || lower == "nhwc") return lower;
    throw StorageError(where + " is '" + value + "'; it takes nchw (PyTorch's images) or nhwc (Keras' and Strata's)");
}

ImportedModel importOnnxModel(const OnnxModel& onnx, const std::string& source, const OnnxImportOptions& options) {
    ImportedModel out;
    const std::string* embedded = options.useEmbeddedSpec ? onnx.metadataValue("strata.model") : nullptr;
    if (embedded) {
        try {
            out = importEmbedded(onnx, *embedded, source, options.modelName);
        } catch (const StrataError& e) {
            throw StorageError(std::string(e.what()) + " (the embedded Strata spec does not fit the graph; translating the graph "
                                                       "instead: strata-cli import --ignore-embedded-spec)");
        }
    } else {
        std::string name = options.modelName.empty() ? std::filesystem::path(source).stem().string() : options.modelName;
        if (name.empty()) name = onnx.graph.name.empty() ? std::string("imported") : onnx.graph.name;
        std::string layout = checkInputLayout(options.inputLayout, "the input layout");
        if (layout.empty())
            if (const std::string* hint = onnx.metadataValue(kOnnxInputLayoutKey))
                layout = checkInputLayout(*hint, source + ": metadata " + kOnnxInputLayoutKey);
        out = OnnxGraphImport(onnx, source, layout).run(name);
    }
    if (!out.model) { // the graph's translation: the spec is valid and every variable fits
        try {
            out.model = out.instantiate();
        } catch (const StrataError& e) {
            throw StorageError(source + ": the imported model is not valid: " + e.what());
        }
    }
    return out;
}

ImportedModel importOnnxFile(const std::filesystem::path& file, const OnnxImportOptions& options) {
    return importOnnxModel(readOnnxFile(file), file.string(), options);
}

void writeImportedSavedModel(const ImportedModel& m, const std::filesystem::path& dir, const std::string& source) {
    const std::shared_ptr<const Model> model = m.model ? m.model : std::shared_ptr<const Model>(m.instantiate());
    writeSavedModel(*model, dir, {{"imported_from", source}, {"import_notes", m.notes}});
}

} // namespace strata::storage
