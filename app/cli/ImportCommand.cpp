// strata-cli import: an ONNX file as a saved-model folder and/or a new model in a project.
#include "app/cli/Cli.h"

#include "engine/Error.h"
#include "engine/Model.h"
#include "storage/CheckpointStore.h"
#include "storage/onnx/OnnxImport.h"
#include "storage/Project.h"
#include "storage/SavedModel.h"
#include "storage/Sqlite.h"
#include "storage/StorageError.h"

#include <filesystem>
#include <ostream>

namespace strata::cli {

namespace {

namespace fs = std::filesystem;

// The project, when it exists, must not have a model of that name yet.
void checkProjectHasRoom(const fs::path& file, const std::string& name) {
    if (!fs::exists(file)) return; // created by addToProject
    const storage::Project p = storage::Project::open(file, storage::OpenMode::ReadOnly);
    if (p.findModel(name)) throw storage::StorageError(file.string() + " already has a model '" + name + "'; choose another with --name");
}

// Adds the imported model to the project as a new model (version 1) with one checkpoint holding
// its weights, in one transaction. Returns "model 'NAME' version V, checkpoint ID".
std::string addToProject(const fs::path& file, const storage::ImportedModel& imported, const Model& model) {
    storage::Project p = storage::Project::open(file, storage::OpenMode::Create); // opens it when it exists
    const std::string& name = imported.spec.name;
    if (p.findModel(name))
        throw storage::StorageError(file.string() + " already has a model '" + name + "'; choose another with --name");
    storage::Transaction t(p.database());
    const storage::ModelVersion v = p.saveVersion(name, imported.spec, nlohmann::json::object(), "imported from ONNX");
    storage::CheckpointMeta meta;
    meta.modelVersionId = v.id;
    meta.keep = true;
    storage::CheckpointWriter w(p, meta);
    w.addModel(model);
    const int64_t id = w.commit();
    t.commit();
    return "model '" + name + "' version " + std::to_string(v.version) + ", checkpoint " + std::to_string(id);
}

int importCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    const Args a(args, {"--ignore-embedded-spec"}, {"--out", "--project", "--name", "--input-layout"});
    if (!a.ok() || a.positional().size() != 1 || (!a.hasValue("--out") && !a.hasValue("--project"))) {
        err << "strata-cli import: "
            << (!a.ok() ? a.error() : a.positional().size() != 1 ? "expected one MODEL.onnx" : "give --out DIR and/or --project P.strata")
            << " (see --help)\n";
        return 2;
    }
    const std::string source = a.positional()[0];
    storage::OnnxImportOptions options;
    options.useEmbeddedSpec = !a.has("--ignore-embedded-spec");
    options.modelName = a.value("--name");
    try {
        options.inputLayout = storage::checkInputLayout(a.value("--input-layout"), "--input-layout");
    } catch (const storage::StorageError& e) {
        err << "strata-cli import: " << e.what() << "\n";
        return 2;
    }
    try {
        const fs::path outDir = a.value("--out");
        if (!outDir.empty() && fs::exists(outDir)) throw storage::StorageError(outDir.string() + " already exists; give a new folder to --out");
        const storage::ImportedModel imported = storage::importOnnxFile(source, options);
        const std::shared_ptr<const Model> model = imported.model; // built and checked by the import
        if (a.hasValue("--project")) checkProjectHasRoom(a.value("--project"), imported.spec.name); // before writing anything
        for (const auto& note : imported.notes) out << "note: " << note << "\n";
        if (!outDir.empty()) {
            storage::writeImportedSavedModel(imported, outDir, source);
            out << "imported " << source << " to " << outDir.string() << " (" << model->layers().size() << " layers, "
                << model->paramCounts().total() << " parameters)\n";
        }
        if (a.hasValue("--project")) { // said only once the transaction committed: a full disk prints no "imported"
            const std::string added = addToProject(a.value("--project"), imported, *model);
            out << "imported " << source << " into " << a.value("--project") << " as " << added << "\n";
        }
        return 0;
    } catch (const storage::StorageError& e) {
        err << "strata-cli import: " << e.what() << "\n";
        return 2;
    } catch (const StrataError& e) {
        err << "strata-cli import: " << source << ": " << e.what() << "\n";
        return 1;
    }
}

} // namespace

void addImportCommands(std::vector<Command>& out) {
    out.push_back({"import", "read an ONNX model as a saved-model folder or a new model in a project",
                   "usage: strata-cli import MODEL.onnx --out DIR [--name NAME] [--ignore-embedded-spec] [--input-layout nchw|nhwc]\n"
                   "       strata-cli import MODEL.onnx --project P.strata [--name NAME] [--out DIR]\n\n"
                   "Translates an ONNX model (opset 13 and near it; float32) into a strata.model/1 spec with its\n"
                   "weights. Files Strata exported keep their own spec (--ignore-embedded-spec translates the graph\n"
                   "instead). Other files, e.g. from torch.onnx.export, are translated node by node: Gemm and\n"
                   "MatMul(+Add) become Dense, Conv Conv2D, ConvTranspose Conv2DTranspose (where its pads are\n"
                   "Keras' 'valid' or 'same'), MaxPool/AveragePool/GlobalAveragePool pooling layers,\n"
                   "BatchNormalization, Flatten, Reshape and Transpose (Reshape/Permute layers; shape arithmetic\n"
                   "such as x.view(x.size(0), -1) is folded), Add, Mul, Concat and activations (fused\n"
                   "into the Dense or convolution before them; LeakyRelu of another slope than 0.2 is a LeakyReLU\n"
                   "layer; HardSigmoid, PRelu, ThresholdedRelu and Softmax over other axes become hard_sigmoid,\n"
                   "PReLU, ReLU and Softmax layers); decomposed GELU (erf or tanh), SiLU, hard swish, mish and\n"
                   "LayerNorm (ReduceMean/Sub/Pow/.../Div) are recognized as such; Add and Mul broadcast as NumPy\n"
                   "does. Dropout and Identity are dropped. NCHW images become NHWC: the Strata model's Input\n"
                   "takes (height, width, channels), and weights are rearranged so the outputs are the same (predict\n"
                   "--input-layout nchw reads inputs laid out as PyTorch's). A node\n"
                   "that has no Strata form is an error naming it; nothing is written then.\n\n"
                   "  --out DIR                 write a saved-model folder (DIR must not exist)\n"
                   "  --project P.strata        add the model to the project (created when absent) as a new model,\n"
                   "                            with its weights as a checkpoint (predict, export and train\n"
                   "                            --project use it; train --project P --model NAME fine-tunes it)\n"
                   "  --name NAME               the model's name (default: the file's name, or the embedded spec's)\n"
                   "  --ignore-embedded-spec    translate the graph even when Strata's own spec is in the file\n"
                   "  --input-layout nchw|nhwc  how the graph route reads rank-4 inputs (default: the file's\n"
                   "                            strata.input_layout metadata, which Strata's exports carry; else\n"
                   "                            NHWC when the input is first transposed to NCHW, else NCHW)\n\n"
                   "Exit status: 0 imported; 1 the translated model does not validate; 2 usage errors, files that\n"
                   "cannot be read or written, and nodes that cannot be imported.\n",
                   importCommand});
}

} // namespace strata::cli
