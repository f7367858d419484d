#include "app/cli/ProjectCommands.h"

#include "app/cli/CommandErrors.h"
#include "app/cli/Devices.h"
#include "app/cli/TextOptions.h"
#include "app/session/ModelLoading.h"
#include "engine/Error.h"
#include "engine/data/CsvTensors.h"
#include "engine/layers/CoreLayers.h"
#include "engine/train/Inference.h"
#include "storage/AtomicFolder.h"
#include "storage/CheckpointStore.h"
#include "storage/onnx/OnnxExport.h"
#include "storage/Project.h"
#include "storage/Restore.h"
#include "storage/SavedModel.h"
#include "storage/torch/TorchExport.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <sstream>

namespace strata::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// ---- where a runnable model comes from: a saved-model folder or a project's checkpoint (app/session)

using session::findCheckpoint;
using Runnable = session::LoadedModel;

Runnable loadRunnable(const std::string& where, const std::string& modelName, const std::string& checkpoint) {
    return session::loadModel(where, modelName, checkpoint);
}

Shape sampleShape(const Model& m, int layer) {
    const Shape s = m.outputShape(layer).withoutFirst();
    if (!s.isFullyKnown())
        throw StrataError("input '" + m.layers()[layer]->name() + "' has shape " + m.outputShape(layer).toString() +
                          " with unknown dimensions; predict needs them known");
    return s;
}

// A predict input (CSV, engine/data/CsvTensors.h); a file that cannot be opened is a usage error.
Tensor readCsv(const std::string& file, const Shape& sample, const std::string& inputName) {
    try {
        return data::readCsvTensor(file, sample, inputName);
    } catch (const data::UnreadableFileError& e) {
        throw UsageError(e.what());
    }
}

// An input written as PyTorch lays images out, (channels, height, width) per sample, for a model
// whose Input takes (height, width, channels) (--input-layout nchw).
Tensor readNchwCsv(const std::string& file, const Shape& sample, const std::string& inputName) {
    if (sample.rank() != 3)
        throw UsageError("--input-layout nchw applies to image inputs (height, width, channels); input '" + inputName + "' takes " +
                         sample.toString());
    const int64_t h = sample[0], w = sample[1], c = sample[2];
    const Tensor chw = readCsv(file, Shape{c, h, w}, inputName);
    const int64_t n = chw.shape()[0];
    Tensor hwc(Shape{n, h, w, c});
    const float* src = chw.f32();
    float* dst = hwc.f32();
    for (int64_t i = 0; i < n; ++i)
        for (int64_t ch = 0; ch < c; ++ch)
            for (int64_t y = 0; y < h; ++y)
                for (int64_t x = 0; x < w; ++x) dst[((i * h + y) * w + x) * c + ch] = src[((i * c + ch) * h + y) * w + x];
    return hwc;
}

// Every value of a repeatable option ("--input a=x.csv --input b=y.csv").
std::vector<std::string> allValues(const std::vector<std::string>& args, const std::string& option) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == option && i + 1 < args.size()) out.push_back(args[++i]);
        else if (args[i].rfind(option + "=", 0) == 0) out.push_back(args[i].substr(option.size() + 1));
    }
    return out;
}

// NAME=file pairs for the given names; a single name also takes a plain file.
std::map<std::string, std::string> namedFiles(const std::vector<std::string>& values, const std::vector<std::string>& names,
                                              const char* option) {
    std::map<std::string, std::string> out;
    for (const std::string& v : values) {
        const auto eq = v.find('=');
        const std::string name = eq == std::string::npos ? std::string() : v.substr(0, eq);
        if (std::find(names.begin(), names.end(), name) != names.end()) out[name] = v.substr(eq + 1);
        else if (names.size() == 1) out[names[0]] = v;
        else {
            std::string list;
            for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
            throw UsageError(std::string(option) + " '" + v + "': the model has several (" + list + "); give " + option +
                             " NAME=file.csv for each");
        }
    }
    return out;
}

std::string layerNames(const Model& m, const std::vector<int>& indices, std::vector<std::string>* out = nullptr) {
    std::string list;
    for (int i : indices) {
        list += (list.empty() ? "" : ", ") + m.layers()[i]->name();
        if (out) out->push_back(m.layers()[i]->name());
    }
    return list;
}

std::string kib(int64_t bytes) {
    char buf[64];
    std::snprintf(buf, sizeof buf, bytes < (1 << 20) ? "%.1f KiB" : "%.1f MiB", bytes < (1 << 20) ? bytes / 1024.0 : bytes / 1048576.0);
    return buf;
}

json entriesJson(const std::vector<storage::VariableEntry>& entries) {
    json vars = json::array();
    for (const auto& e : entries)
        vars.push_back({{"key", e.key}, {"dtype", dtypeName(e.dtype)}, {"shape", e.shape.toJson()}, {"bytes", e.numBytes}});
    return vars;
}

void printEntries(std::ostream& out, const std::vector<storage::VariableEntry>& entries) {
    std::size_t width = 0;
    for (const auto& e : entries) width = std::max(width, e.key.size());
    for (const auto& e : entries) {
        std::string key = e.key;
        key.resize(width, ' ');
        out << "  " << key << "  " << dtypeName(e.dtype) << "  " << e.shape.toString() << "\n";
    }
}

json checkpointJson(const storage::CheckpointInfo& c) {
    return {{"id", c.id}, {"model", c.modelName}, {"model_version", c.modelVersion},
            {"run", c.runId ? json(*c.runId) : json(nullptr)}, {"step", c.step}, {"epochs_done", c.epochsDone},
            {"batches_done", c.batchesDone}, {"metrics", c.metrics}, {"kept", c.keep}, {"created_at", c.createdAt},
            {"variables", c.variableCount}, {"bytes", c.totalBytes}};
}

// ---- inspect

int inspectSavedModel(const std::string& dir, bool asJson, std::ostream& out) {
    const storage::SavedModel saved = storage::SavedModel::load(dir);
    auto tensors = [](const std::vector<storage::SignatureTensor>& ts) {
        json a = json::array();
        for (const auto& t : ts) a.push_back({{"name", t.name}, {"shape", t.shape.toJson()}, {"dtype", dtypeName(t.dtype)}});
        return a;
    };
    if (asJson) {
        out << json{{"saved_model", dir}, {"model", saved.spec().name}, {"inputs", tensors(saved.signature().inputs)},
                    {"outputs", tensors(saved.signature().outputs)}, {"metadata", saved.metadata()},
                    {"fingerprint", saved.fingerprint()}, {"variables", entriesJson(saved.entries())}}.dump()
            << "\n";
        return 0;
    }
    out << "saved model " << dir << ": model '" << saved.spec().name << "'\n";
    for (const auto& t : saved.signature().inputs) out << "  input   " << t.name << "  " << t.shape.toString() << " " << dtypeName(t.dtype) << "\n";
    for (const auto& t : saved.signature().outputs) out << "  output  " << t.name << "  " << t.shape.toString() << " " << dtypeName(t.dtype) << "\n";
    out << "variables:\n";
    printEntries(out, saved.entries());
    return 0;
}

int inspectCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    Args a(args, {"--json"}, {"--checkpoint", "--model"});
    if (!a.ok() || a.positional().size() != 1) {
        err << "strata-cli inspect: " << (a.ok() ? "expected one P.strata or saved-model folder" : a.error()) << " (see --help)\n";
        return 2;
    }
    return guarded("inspect", err, [&] {
        const std::string where = a.positional()[0];
        const bool asJson = a.has("--json");
        if (fs::is_directory(where)) return inspectSavedModel(where, asJson, out);
        const storage::Project p = storage::Project::open(where, storage::OpenMode::ReadOnly);
        if (!p.openNote().empty()) err << "note: " << p.openNote() << "\n"; // stderr: --json stays parseable
        storage::CheckpointStore store(p);
        if (a.hasValue("--checkpoint")) {
            const storage::CheckpointInfo c = findCheckpoint(p, a.value("--model"), a.value("--checkpoint"));
            const auto entries = store.variables(c.id);
            if (asJson) {
                json j = checkpointJson(c);
                j["variables"] = entriesJson(entries);
                out << j.dump() << "\n";
                return 0;
            }
            out << "checkpoint " << c.id << " of " << where << ": model '" << c.modelName << "' version " << c.modelVersion
                << (c.runId ? ", run " + std::to_string(*c.runId) : std::string()) << ", step " << c.step << " ("
                << c.epochsDone << " epochs and " << c.batchesDone << " batches done)\n";
            printEntries(out, entries);
            return 0;
        }
        const auto models = p.models();
        const auto runs = p.runs();
        std::optional<int64_t> modelId;
        if (a.hasValue("--model")) modelId = p.model(a.value("--model")).id;
        storage::CheckpointFilter f;
        f.modelId = modelId;
        const auto checkpoints = store.list(f);
        if (asJson) {
            json jm = json::array(), jr = json::array(), jc = json::array();
            for (const auto& m : models)
                jm.push_back({{"name", m.name}, {"versions", m.versionCount}, {"latest_version", m.latestVersion}, {"created_at", m.createdAt}});
            for (const auto& r : runs)
                if (!modelId || p.version(r.modelVersionId).modelId == *modelId)
                    jr.push_back({{"id", r.id}, {"model", r.modelName}, {"model_version", r.modelVersion}, {"dataset", r.datasetName},
                                  {"status", r.status}, {"hyperparameters", r.hyperparameters}, {"result", r.result},
                                  {"seed", r.seed}, {"backend", r.backend}, {"started_at", r.startedAt}, {"ended_at", r.endedAt}});
            for (const auto& c : checkpoints) jc.push_back(checkpointJson(c));
            out << json{{"project", where}, {"schema_version", p.schemaVersion()}, {"models", jm}, {"runs", jr}, {"checkpoints", jc}}.dump() << "\n";
            return 0;
        }
        out << "project " << where << " (schema version " << p.schemaVersion() << ")\nmodels:\n";
        for (const auto& m : models)
            out << "  " << m.name << "  " << m.versionCount << " version" << (m.versionCount == 1 ? "" : "s") << ", latest v" << m.latestVersion << "\n";
        out << "runs:\n";
        for (const auto& r : runs) {
            if (modelId && p.version(r.modelVersionId).modelId != *modelId) continue;
            out << "  " << r.id << "  " << r.modelName << " v" << r.modelVersion << "  " << r.datasetName << "  " << r.status
                << "  epochs " << r.result.value("epochs_done", 0) << "/" << r.hyperparameters.value("epochs", 0) << "  step "
                << r.result.value("steps", int64_t(0)) << "  started " << r.startedAt << "\n";
        }
        out << "checkpoints:\n";
        for (const auto& c : checkpoints) {
            out << "  " << c.id << "  " << c.modelName << " v" << c.modelVersion << (c.runId ? "  run " + std::to_string(*c.runId) : std::string())
                << "  step " << c.step << "  epochs " << c.epochsDone << " + " << c.batchesDone << " batches";
            for (const char* k : {"loss", "val_loss", "val_accuracy"})
                if (c.metrics.contains(k) && c.metrics[k].is_number()) out << "  " << k << " " << c.metrics[k].get<double>();
            out << "  " << c.variableCount << " variables, " << kib(c.totalBytes) << (c.keep ? "  kept" : "") << "\n";
        }
        return 0;
    });
}

// ---- export

// --format onnx (from a project's checkpoint or a saved-model folder), and --format pytorch from
// a saved-model folder.
int exportRunnable(const Args& a, const std::string& format, std::ostream& out, std::ostream& err) {
    return guarded("export", err, [&] {
        const Runnable r = loadRunnable(a.positional()[0], a.value("--model"), a.value("--checkpoint", "latest"));
        const bool text = r.training.is_object() && r.training.contains("text_vectorization"); // a model trained on text
        if (format == "onnx") {
            json metadata = {{"strata.source", r.source}};
            if (text) metadata["strata.text_vectorization"] = r.training["text_vectorization"]; // the vocabulary its ids index
            storage::writeOnnxModel(*r.model, a.value("--out"), metadata);
            out << "exported " << r.source << " to " << a.value("--out") << " (ONNX, opset " << storage::kOnnxOpset << ")\n";
        } else {
            json metadata = {{"source", r.source}};
            if (text) metadata["training"] = {{"text_vectorization", r.training["text_vectorization"]}};
            storage::writeTorchExport(*r.model, a.value("--out"), metadata);
            out << "exported " << r.source << " to " << a.value("--out") << " as PyTorch code\n";
        }
        return 0;
    });
}

int exportCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    Args a(args, {}, {"--model", "--checkpoint", "--format", "--out"});
    if (!a.ok() || a.positional().size() != 1 || !a.hasValue("--out")) {
        err << "strata-cli export: " << (!a.ok() ? a.error() : a.positional().size() != 1 ? "expected one P.strata" : "--out is required")
            << " (see --help)\n";
        return 2;
    }
    const std::string format = a.value("--format", "saved-model");
    if (format != "saved-model" && format != "onnx" && format != "pytorch") {
        err << "strata-cli export: unknown --format '" << format << "' (known: saved-model, onnx, pytorch)\n";
        return 2;
    }
    if (format == "onnx" || (format == "pytorch" && fs::is_directory(a.positional()[0]))) return exportRunnable(a, format, out, err);
    return guarded("export", err, [&] {
        const std::string where = a.positional()[0];
        if (fs::is_directory(where)) throw UsageError(where + " is a folder; a saved-model folder exports as onnx or pytorch");
        const storage::Project p = storage::Project::open(where, storage::OpenMode::ReadOnly);
        const storage::CheckpointInfo c = findCheckpoint(p, a.value("--model"), a.value("--checkpoint", "latest"));
        const session::LoadedModel loaded = session::loadCheckpoint(p, c);
        const std::unique_ptr<Model>& model = loaded.model;
        json metadata = {{"source", {{"project", fs::absolute(where).string()}, {"model", c.modelName}, {"model_version", c.modelVersion},
                                     {"checkpoint", c.id}, {"step", c.step}, {"epochs_done", c.epochsDone},
                                     {"batches_done", c.batchesDone}, {"run", c.runId ? json(*c.runId) : json(nullptr)}}}};
        if (c.runId) metadata["training"] = loaded.training;
        if (format == "pytorch") storage::writeTorchExport(*model, a.value("--out"), metadata);
        else storage::writeSavedModel(*model, a.value("--out"), metadata);
        out << "exported model '" << c.modelName << "' version " << c.modelVersion << ", checkpoint " << c.id << " (step " << c.step
            << ") to " << a.value("--out") << (format == "pytorch" ? " as PyTorch code" : "") << "\n";
        return 0;
    });
}

// ---- predict

int predictCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    Args a(args, {}, {"--input", "--output", "--model", "--checkpoint", "--batch", "--threads", "--device", "--input-layout", "--text"});
    if (!a.ok() || a.positional().size() != 1 || !a.hasValue("--input")) {
        err << "strata-cli predict: " << (!a.ok() ? a.error() : a.positional().size() != 1 ? "expected one DIR or P.strata" : "--input is required")
            << " (see --help)\n";
        return 2;
    }
    int64_t batch = 256, threads = 1;
    try {
        batch = std::stoll(a.value("--batch", "256"));
        threads = std::stoll(a.value("--threads", "1"));
    } catch (const std::exception&) {
        batch = 0;
    }
    if (batch < 1 || threads < 1) {
        err << "strata-cli predict: --batch and --threads take positive integers\n";
        return 2;
    }
    const std::string layout = a.value("--input-layout", "nhwc");
    if (layout != "nhwc" && layout != "nchw") {
        err << "strata-cli predict: --input-layout takes nhwc or nchw, got '" << layout << "'\n";
        return 2;
    }
    std::unique_ptr<ir::Backend> backend = makeBackend(a.value("--device", "cpu"), int(threads), err);
    if (!backend) return 2;
    return guarded("predict", err, [&] {
        Runnable r = loadRunnable(a.positional()[0], a.value("--model"), a.value("--checkpoint"));
        const Model& m = *r.model;
        std::vector<std::string> inputNames, outputNames;
        const std::string inputList = layerNames(m, m.inputIndices(), &inputNames);
        layerNames(m, m.outputIndices(), &outputNames);
        const auto inputFiles = namedFiles(allValues(args, "--input"), inputNames, "--input");
        std::vector<Tensor> inputs;
        for (std::size_t i = 0; i < inputNames.size(); ++i) {
            auto it = inputFiles.find(inputNames[i]);
            if (it == inputFiles.end()) throw UsageError("no --input " + inputNames[i] + "=file.csv (the model's inputs: " + inputList + ")");
            const Shape sample = sampleShape(m, m.inputIndices()[i]);
            if (std::optional<Tensor> ids = i == 0 && inputNames.size() == 1 ? readTextInput(it->second, a.value("--text"), r.training, sample,
                                                                                           static_cast<const layers::InputLayer*>(m.layers()[std::size_t(m.inputIndices()[0])])->dtype())
                                                                             : std::nullopt)
                inputs.push_back(std::move(*ids));
            else
                inputs.push_back(layout == "nchw" ? readNchwCsv(it->second, sample, inputNames[i]) : readCsv(it->second, sample, inputNames[i]));
            if (inputs.back().shape()[0] != inputs[0].shape()[0])
                throw StrataError("input files have different sample counts: " + std::to_string(inputs[0].shape()[0]) + " in " +
                                  inputFiles.at(inputNames[0]) + ", " + std::to_string(inputs.back().shape()[0]) + " in " + it->second);
        }
        const std::vector<Tensor> outputs = train::runModel(m, *backend, inputs, batch);
        const auto outputFiles = namedFiles(allValues(args, "--output"), outputNames, "--output");
        if (outputFiles.empty()) {
            if (outputs.size() != 1) throw UsageError("the model has several outputs; give --output NAME=file.csv for each to write");
            data::writeCsvTensor(out, outputs[0]);
            return 0;
        }
        // Each file appears whole or not at all: a full disk leaves no truncated CSV behind.
        for (std::size_t o = 0; o < outputs.size(); ++o) {
            auto it = outputFiles.find(outputNames[o]);
            if (it == outputFiles.end()) continue;
            std::ostringstream csv;
            data::writeCsvTensor(csv, outputs[o]);
            storage::replaceFileAtomically(it->second, csv.str());
        }
        return 0;
    });
}

} // namespace

void addProjectCommands(std::vector<Command>& out) {
    out.push_back({"inspect", "list a project's models, runs and checkpoints, or a checkpoint's or saved model's variables",
                   "usage: strata-cli inspect P.strata|DIR [--checkpoint ID|latest] [--model NAME] [--json]\n\n"
                   "A project file: its models (with their versions), runs (status, epochs, steps) and checkpoints\n"
                   "(step, epochs and batches done, metrics, size). With --checkpoint: that checkpoint's variables,\n"
                   "key, dtype and shape, like tf.train.list_variables. A saved-model folder: its signature and\n"
                   "variables.\n"
                   "  --checkpoint ID|latest  one checkpoint (latest: the model's newest)\n"
                   "  --model NAME        only this model (needed with 'latest' when the project holds several)\n"
                   "  --json              one JSON document instead of text\n"
                   "Exit status: 0 listed; 2 usage errors, files that are not projects or saved models.\n",
                   inspectCommand});
    out.push_back({"export", "write a project's checkpoint as a saved-model folder, an ONNX file or PyTorch code",
                   "usage: strata-cli export P.strata [--model NAME] [--checkpoint ID|latest] --format saved-model --out DIR\n"
                   "       strata-cli export P.strata|DIR [--model NAME] [--checkpoint ID|latest] --format onnx --out FILE.onnx\n"
                   "       strata-cli export P.strata|DIR [--model NAME] [--checkpoint ID|latest] --format pytorch --out DIR\n\n"
                   "saved-model writes DIR/saved_model.json (spec, signatures, metadata), DIR/fingerprint.json and\n"
                   "DIR/variables/ (an index and one data file).\n"
                   "onnx writes one ONNX file (opset 13) that onnxruntime runs: inputs and outputs named after the\n"
                   "model's Input and output layers, NHWC as the model takes them, batch dimension \"batch\", the\n"
                   "weights as initializers. FILE is written under a temporary name and renamed (an existing FILE\n"
                   "is replaced only by a complete one).\n"
                   "pytorch writes DIR/model.py (a torch.nn.Module named after the model, NHWC tensors as in\n"
                   "Strata), DIR/weights.json, DIR/weights.bin and DIR/README.txt; model.load() gives the trained\n"
                   "model with only torch (1.13+) installed.\n"
                   "A folder DIR to create must not exist; it is written under a temporary name and renamed, so\n"
                   "it is complete or absent even if export is killed. onnx and pytorch also read a saved-model\n"
                   "folder (DIR) instead of a project.\n"
                   "  --model NAME        the model (may be left out when the project holds one)\n"
                   "  --checkpoint ID|latest  which checkpoint (default latest)\n"
                   "  --format F          saved-model (default), onnx or pytorch\n"
                   "  --out DIR|FILE      the folder or file to create\n"
                   "Exit status: 0 exported; 1 the checkpoint does not fit the model's spec; 2 usage errors,\n"
                   "unreadable projects, an existing DIR, a layer the format cannot express.\n",
                   exportCommand});
    out.push_back({"predict", "run a saved model or a project's checkpoint on CSV input",
                   "usage: strata-cli predict DIR|P.strata --input in.csv [--output out.csv] [options]\n\n"
                   "CSV: one sample per row, the input tensor flattened row-major, no header. A model with several\n"
                   "inputs takes --input NAME=file.csv for each; several outputs are written with\n"
                   "--output NAME=file.csv (each one wanted). Without --output the single output goes to stdout.\n"
                   "Values are printed with %.9g, enough digits to read back the same float.\n"
                   "A model trained on a text column (train --text) reads raw text instead: the run's text column\n"
                   "when the first row names it, else a file of one column without a header, vectorized with the\n"
                   "vocabulary stored with the run (a saved model's text_vectorization.json).\n"
                   "  --text COLUMN       the column of text to read (a header name or a 0-based index)\n"
                   "  --model NAME, --checkpoint ID|latest   for a project file (default: the latest checkpoint)\n"
                   "  --input-layout L    nhwc (default): an image row is (height, width, channels), as the\n"
                   "                      model's Input takes it; nchw: (channels, height, width), as PyTorch\n"
                   "                      lays tensors out (the layout of a model imported from torch)\n"
                   "  --batch B           samples per run (default 256)\n"
                   "  --threads T         CPU threads for matrix products (default 1)\n"
                   "  --device NAME       the backend: cpu (default)\n"
                   "Exit status: 0 predicted; 1 bad input values or shapes; 2 usage errors, unreadable files.\n",
                   predictCommand});
}

} // namespace strata::cli
