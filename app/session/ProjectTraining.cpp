#include "app/session/ProjectTraining.h"

#include "engine/Error.h"
#include "engine/train/Histogram.h"
#include "engine/train/Tracer.h"
#include "storage/CheckpointManager.h"
#include "storage/Project.h"
#include "storage/Restore.h"
#include "storage/Sha256.h"
#include "storage/CheckpointStore.h"
#include "storage/VariableSource.h"

#include <chrono>
#include <cmath>

namespace strata::session {

namespace {

constexpr std::size_t kMetricsBatch = 200; // step metrics are written at least this often

nlohmann::json metricJson(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

nlohmann::json hyperparametersOf(const train::TrainOptions& o, const data::DataSource& dataset, const ProjectTrainingOptions& p) {
    nlohmann::json hp = {{"epochs", o.epochs},
            {"batch_size", o.batchSize},
            {"loss", o.loss},
            {"from_logits", o.fromLogits},
            {"optimizer", o.optimizer.toJson()},
            {"seed", o.seed},
            {"shuffle", o.shuffle},
            {"dataset", dataset.name},
            {"checkpoint_every", p.checkpointEvery.value_or(0)},
            {"max_to_keep", p.maxToKeep.value_or(kDefaultMaxToKeep)}};
    if (data::isCsvSource(dataset.name)) {
        hp["label"] = dataset.label;
        hp["regression"] = dataset.regression;
        if (!dataset.columns.empty()) hp["columns"] = dataset.columns.toJson();
        if (!dataset.textColumn.empty()) {
            hp["text_column"] = dataset.textColumn;
            hp["text_options"] = data::TextVectorization(dataset.text).toJson(); // as given (sequence_length 0: the longest)
            hp["text_options"].erase("vocabulary");
        }
        if (dataset.timesteps > 0) hp["timesteps"] = dataset.timesteps;
    }
    for (const train::OutputLoss& l : o.outputLosses)
        hp["output_losses"].push_back({{"output", l.output}, {"loss", l.loss}, {"weight", l.weight}});
    if (dataset.reconstruct) hp["reconstruct"] = true;
    if (!p.distributed.is_null()) hp["distributed"] = p.distributed;
    if (data::isImageSource(dataset.name)) {
        hp["image_size"] = {dataset.imageHeight, dataset.imageWidth};
        hp["color"] = dataset.color;
        hp["validation_split"] = dataset.validationSplit;
        hp["skip_bad_files"] = dataset.skipBadFiles;
        if (dataset.cacheImages) hp["cache_images"] = true;
    }
    return hp;
}

// The features' bytes, or a streamed dataset's file listing, and the targets.
std::string datasetHash(const data::Dataset& d, const std::string& listing) {
    storage::Sha256 h;
    if (d.isStreamed()) h.update(listing.data(), listing.size());
    else h.update(d.x.bytes(), d.x.byteSize());
    h.update(d.y.bytes(), d.y.byteSize());
    for (const Tensor& t : d.moreX) h.update(t.bytes(), t.byteSize());
    for (const data::Targets& t : d.moreY) h.update(t.y.bytes(), t.y.byteSize());
    return h.hexDigest();
}

std::string joined(const nlohmann::json& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n.get<std::string>();
    return out;
}

} // namespace

std::string initialWeightsText(const nlohmann::json& initial) {
    const std::string from = initial.value("from", std::string("initializers"));
    if (from == "initializers") {
        const std::string why = initial.value("reason", std::string());
        return "initial weights: fresh (" + why + ")";
    }
    std::string text = "initial weights: " + from + " (" + std::to_string(initial.value("restored", 0)) + " variables)";
    if (!initial["new"].empty()) text += "; new: " + joined(initial["new"]);
    if (!initial["reinitialized"].empty()) {
        text += "; reinitialized (another shape):";
        for (const auto& r : initial["reinitialized"])
            text += " " + r.value("path", std::string()) + " " + r.value("shape", std::string()) + " (was " +
                    r.value("stored_shape", std::string()) + ")";
    }
    if (!initial["dropped"].empty()) text += "; not in this version: " + joined(initial["dropped"]);
    return text;
}

nlohmann::json ProjectTraining::warmStart(Model& model, const std::string& name) {
    nlohmann::json initial = {{"from", "initializers"}, {"new", nlohmann::json::array()},
                              {"reinitialized", nlohmann::json::array()}, {"dropped", nlohmann::json::array()}};
    if (options_.fromScratch) {
        initial["reason"] = "--from-scratch";
        return initial;
    }
    const auto info = project_->findModel(name);
    const std::optional<storage::CheckpointInfo> newest =
        info ? storage::CheckpointStore(*project_).latest({info->id, std::nullopt, std::nullopt}) : std::nullopt;
    if (!newest) {
        initial["reason"] = info ? "model '" + name + "' has no checkpoint yet" : "a new model";
        return initial;
    }
    storage::CheckpointReader reader(*project_, newest->id);
    const storage::RestoreReport r = storage::restoreModel(reader, model, storage::RestoreMode::Partial);
    const auto pathOf = [](const std::string& key) { return storage::pathOfKey(key).value_or(key); };
    initial["from"] = "checkpoint " + std::to_string(newest->id) + " (model '" + name + "', step " + std::to_string(newest->step) + ")";
    initial["checkpoint"] = newest->id;
    initial["restored"] = r.restored.size();
    for (const auto& k : r.missing) initial["new"].push_back(pathOf(k));
    for (const auto& m : r.mismatched)
        initial["reinitialized"].push_back(
            {{"path", pathOf(m.key)}, {"shape", m.expected.toString()}, {"stored_shape", m.found.toString()}});
    for (const auto& k : r.unexpected) initial["dropped"].push_back(pathOf(k));
    return initial;
}

ProjectTraining::ProjectTraining(ProjectTrainingOptions options) : options_(std::move(options)) {
    project_ = std::make_unique<storage::Project>(
        storage::Project::open(options_.project, options_.readOnly ? storage::OpenMode::ReadOnly
                                                 : options_.resume ? storage::OpenMode::ReadWrite
                                                                   : storage::OpenMode::Create));
    if (!options_.resume) return;
    const storage::ModelInfo model = project_->model(options_.model);
    const auto run = project_->latestRun(model.id);
    if (!run)
        throw StrataError(options_.project + " has no run of model '" + model.name + "' to resume; train once without --resume");
    resume_ = run->id;
    runSpec_ = project_->version(run->modelVersionId).spec;
    runDataset_.name = run->hyperparameters.value("dataset", run->datasetName);
    runDataset_.label = run->hyperparameters.value("label", std::string());
    runDataset_.regression = run->hyperparameters.value("regression", false);
    runDataset_.reconstruct = run->hyperparameters.value("reconstruct", false);
    if (run->hyperparameters.contains("columns")) runDataset_.columns = data::ColumnMapping::fromJson(run->hyperparameters["columns"]);
    runDataset_.textColumn = run->hyperparameters.value("text_column", std::string());
    if (run->hyperparameters.contains("text_options"))
        runDataset_.text = data::TextVectorization::fromJson(run->hyperparameters["text_options"]).options();
    if (!runDataset_.textColumn.empty() && run->hyperparameters.contains("text_vectorization")) // the ids its embedding learned
        runDataset_.adaptedText = std::make_shared<const data::TextVectorization>(
            data::TextVectorization::fromJson(run->hyperparameters["text_vectorization"]));
    runDataset_.timesteps = run->hyperparameters.value("timesteps", int64_t(0));
    if (data::isImageSource(runDataset_.name)) {
        const auto size = run->hyperparameters.value("image_size", std::vector<int>{0, 0});
        runDataset_.imageHeight = size.size() == 2 ? size[0] : 0;
        runDataset_.imageWidth = size.size() == 2 ? size[1] : 0;
        runDataset_.color = run->hyperparameters.value("color", std::string());
        runDataset_.validationSplit = run->hyperparameters.value("validation_split", data::kBuiltinValidationFraction);
        runDataset_.skipBadFiles = run->hyperparameters.value("skip_bad_files", false);
        runDataset_.cacheImages = run->hyperparameters.value("cache_images", false);
    }
    hyperparameters_ = run->hyperparameters;
    versionId_ = run->modelVersionId;
    runId_ = run->id;
    if (options_.model.empty()) options_.model = model.name;
    // The run's own settings, unless this command gives new ones.
    if (!options_.checkpointEvery) options_.checkpointEvery = hyperparameters_.value("checkpoint_every", int64_t(0));
    if (!options_.maxToKeep) options_.maxToKeep = hyperparameters_.value("max_to_keep", kDefaultMaxToKeep);
}

ProjectTraining::~ProjectTraining() = default;

int ProjectTraining::runRanks() const {
    const nlohmann::json d = hyperparameters_.value("distributed", nlohmann::json());
    return d.is_object() ? d.value("ranks", 1) : 1;
}

ModelSpec ProjectTraining::resolveSpec(const std::optional<ModelSpec>& given) const {
    if (!resuming()) {
        if (given) return *given;
        if (options_.model.empty() && project_->models().size() != 1)
            throw StrataError("a MODEL.json, or --model NAME of a model in " + options_.project + ", is needed to start a run");
        const storage::ModelInfo model = project_->model(options_.model); // names the models it holds
        ModelSpec spec = project_->version(model.latestVersionId).spec;
        spec.name = model.name;
        return spec;
    }
    if (given && given->toJson() != runSpec_.toJson())
        throw StrataError("the given spec differs from the spec of run " + std::to_string(runId_) + " in " + options_.project +
                          " (model '" + options_.model + "'); resume without MODEL.json, or start a new run without --resume");
    return runSpec_;
}

data::DataSource ProjectTraining::resolveDataset(const data::DataSource& given) const {
    if (!resuming()) {
        if (given.name.empty()) throw StrataError("--data NAME is required (digits, iris, wine, fashion-mnist, mnist:DIR, FILE.csv, images:DIR)");
        return given;
    }
    if (!given.name.empty() && given.name != runDataset_.name)
        throw StrataError("run " + std::to_string(runId_) + " in " + options_.project + " trains on '" + runDataset_.name +
                          "', not '" + given.name + "'; resume without --data, or start a new run without --resume");
    return runDataset_;
}

void ProjectTraining::applyRunOptions(train::TrainOptions& opts, bool epochsGiven) const {
    if (!resuming()) return;
    const auto& hp = hyperparameters_;
    try {
        if (!epochsGiven) opts.epochs = hp.at("epochs").get<int>();
        opts.batchSize = hp.at("batch_size").get<int64_t>();
        opts.loss = hp.at("loss").get<std::string>();
        opts.fromLogits = hp.value("from_logits", false);
        opts.optimizer = ir::OptimizerConfig::fromJson(hp.at("optimizer"));
        opts.seed = hp.at("seed").get<uint64_t>();
        opts.shuffle = hp.value("shuffle", true);
        opts.outputLosses.clear();
        for (const auto& l : hp.value("output_losses", nlohmann::json::array()))
            opts.outputLosses.push_back({l.at("output").get<std::string>(), l.at("loss").get<std::string>(), l.at("weight").get<double>()});
    } catch (const nlohmann::json::exception& e) {
        throw StrataError(options_.project + ": the hyper-parameters of run " + std::to_string(runId_) +
                          " cannot be read (" + e.what() + ")");
    }
}

std::string ProjectTraining::begin(Model& model, ir::Backend& backend, train::TrainOptions& opts, const data::Dataset& train,
                                   const data::DataSource& source, const std::string& listing,
                                   const data::TextVectorization* text) {
    const std::string name = options_.model.empty() ? model.spec().name : options_.model;
    const bool csv = data::isCsvSource(source.name), images = data::isImageSource(source.name);
    const std::string datasetName = csv      ? data::csvPathOf(source.name).filename().string()
                                    : images ? data::imageFolderOf(source.name).filename().string()
                                             : source.name;
    const storage::RetentionPolicy policy{options_.maxToKeep.value_or(kDefaultMaxToKeep), 0, "val_loss", false};
    const std::string hash = datasetHash(train, listing);
    trainablePaths_.clear();
    if (options_.histograms)
        for (const Variable* v : model.trainableVariables())
            if (v->value().dtype() == DType::F32) trainablePaths_.push_back(v->path());
    // Room for the checkpoints kept (variables and optimizer slots, about 3x the weights) and the
    // write-ahead log (up to 32 MiB between copies into the file), before writing anything.
    const int64_t weights = model.paramCounts().total() * 4;
    project_->checkFreeSpace((int64_t(64) << 20) + int64_t(policy.maxToKeep + 1) * 3 * weights,
                             "recording a run of '" + name + "' (its checkpoints and log)");
    if (!resuming()) {
        const nlohmann::json initial = warmStart(model, name); // before anything is written
        const storage::ModelVersion version = project_->ensureVersion(name, model.spec(), options_.layout);
        versionId_ = version.id;
        const storage::DatasetInfo dataset =
            csv      ? project_->addDatasetFile(datasetName, data::csvPathOf(source.name))
            : images ? project_->addDatasetFolder(datasetName, data::imageFolderOf(source.name), hash)
                     : project_->addBuiltinDataset(datasetName, hash, int64_t(train.x.byteSize() + train.y.byteSize()));
        hyperparameters_ = hyperparametersOf(opts, source, options_);
        hyperparameters_["initial_weights"] = initial;
        if (text) hyperparameters_["text_vectorization"] = text->toJson();
        runId_ = project_->beginRun({versionId_, dataset.id, hyperparameters_, opts.seed, backend.deviceName()});
        // The graphs this run traces, for the traced-graph viewer.
        std::vector<Shape> batchShapes;
        for (int in : model.inputIndices()) {
            std::vector<int64_t> dims = model.outputShape(in).dims();
            dims[0] = opts.batchSize;
            batchShapes.emplace_back(dims);
        }
        for (bool training : {true, false}) {
            const train::Signature sig{batchShapes, training};
            project_->saveTracedGraph(versionId_, sig.toString(), train::traceModel(model, sig, opts.seed).graph.toJson());
        }
        manager_ = std::make_unique<storage::CheckpointManager>(*project_, versionId_, runId_, policy);
        return "recording run " + std::to_string(runId_) + " of model '" + name + "' version " + std::to_string(version.version) +
               " in " + options_.project + "\n" + initialWeightsText(initial);
    }

    manager_ = std::make_unique<storage::CheckpointManager>(*project_, versionId_, runId_, policy);
    hyperparameters_["epochs"] = opts.epochs;
    hyperparameters_["checkpoint_every"] = options_.checkpointEvery.value_or(0);
    hyperparameters_["max_to_keep"] = policy.maxToKeep;
    project_->updateRun(runId_, "running", nlohmann::json::object(), &hyperparameters_);
    std::string note;
    if (const auto run = project_->run(runId_); run.datasetId) {
        for (const auto& d : project_->datasets())
            if (d.id == *run.datasetId && d.sha256 != hash)
                note = " (warning: dataset '" + datasetName + "' has changed since the run started)";
    }
    const auto latest = manager_->latest();
    if (!latest)
        return "run " + std::to_string(runId_) + " has no checkpoint yet; starting it again from the beginning" + note;
    storage::CheckpointReader reader(*project_, latest->id);
    storage::restoreModel(reader, model);
    storage::restoreTrainingState(reader, backend);
    opts.initialEpoch = latest->epochsDone;
    opts.initialBatch = latest->batchesDone;
    opts.initialStep = latest->step;
    stepOffset_ = lastStep_ = lastSavedStep_ = latest->step;
    epochsDone_ = latest->epochsDone;
    batchesDone_ = latest->batchesDone;
    lastCheckpointId_ = latest->id;
    return "resuming run " + std::to_string(runId_) + " from checkpoint " + std::to_string(latest->id) + " (step " +
           std::to_string(latest->step) + ", " + std::to_string(latest->epochsDone) + " epochs and " +
           std::to_string(latest->batchesDone) + " batches done)" + note;
}

int64_t ProjectTraining::saveCheckpoint(ir::Backend& backend, const nlohmann::json& metrics) {
    storage::Transaction t(project_->database());
    flushMetrics();
    storage::CheckpointMeta meta;
    meta.step = lastStep_;
    meta.epochsDone = epochsDone_;
    meta.batchesDone = batchesDone_;
    meta.metrics = metrics;
    lastCheckpointId_ = manager_->save(meta, [&](storage::CheckpointWriter& w) { w.addBackend(backend); });
    t.commit();
    lastSavedStep_ = lastStep_;
    return lastCheckpointId_;
}

void ProjectTraining::flushMetrics() {
    project_->addMetrics(runId_, pending_);
    pending_.clear();
}

void ProjectTraining::onStep(const train::StepEvent& e, ir::Backend& backend) {
    lastStep_ = stepOffset_ + e.step;
    const bool epochEnd = e.batch == e.batchesPerEpoch;
    epochsDone_ = epochEnd ? e.epoch : e.epoch - 1;
    batchesDone_ = epochEnd ? 0 : e.batch;
    pending_.push_back({"step", lastStep_, "loss", e.loss});
    const int64_t every = options_.checkpointEvery.value_or(0);
    if (every > 0 && lastStep_ % every == 0) saveCheckpoint(backend, {{"loss", metricJson(e.loss)}});
    else if (pending_.size() >= kMetricsBatch) flushMetrics();
}

void ProjectTraining::recordHistograms(int epoch, ir::Backend& backend,
                                       const std::vector<std::pair<std::string, Tensor>>& gradients) {
    if (trainablePaths_.empty()) return;
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<storage::VariableHistogram> out;
    auto add = [&](const std::string& path, const char* kind, const Tensor& t) {
        const train::Histogram h = train::histogramOf(t);
        out.push_back({epoch, storage::keyOfPath(path), kind, h.count, h.nonFinite, h.min, h.max, h.mean, h.std, h.bins});
    };
    for (const std::string& path : trainablePaths_)
        if (backend.hasVariable(path)) add(path, "value", backend.getVariable(path));
    for (const auto& [path, g] : gradients)
        if (g.dtype() == DType::F32) add(path, "gradient", g);
    project_->addHistograms(runId_, out);
    histogramSeconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void ProjectTraining::onEpoch(const train::EpochEvent& e, ir::Backend& backend,
                              const std::vector<std::pair<std::string, Tensor>>& gradients) {
    recordHistograms(e.epoch, backend, gradients);
    std::vector<std::pair<std::string, double>> values = train::epochMetrics(e);
    nlohmann::json metrics = nlohmann::json::object();
    for (const auto& [k, v] : values) metrics[k] = metricJson(v); // the checkpoint's figures
    values.insert(values.end(), {{"seconds", e.seconds}, {"samples_per_second", e.samplesPerSecond}});
    for (const auto& [k, v] : values)
        if (std::isfinite(v)) pending_.push_back({"epoch", e.epoch, k, v});
    if (options_.checkpointEvery.value_or(0) == 0) {
        saveCheckpoint(backend, metrics);
        return;
    }
    storage::Transaction t(project_->database());
    flushMetrics();
    if (lastSavedStep_ == lastStep_ && lastCheckpointId_) manager_->addMetrics(lastCheckpointId_, metrics);
    t.commit();
}

void ProjectTraining::finish(const train::FitResult& fit, const train::EvalResult& test, ir::Backend& backend) {
    if (!fit.diverged && lastStep_ > lastSavedStep_) saveCheckpoint(backend, nlohmann::json::object());
    flushMetrics();
    const std::string status = fit.diverged ? "diverged" : fit.stopped ? "stopped" : "completed";
    nlohmann::json result = {{"steps", lastStep_},
                             {"epochs_done", epochsDone_},
                             {"batches_done", batchesDone_},
                             {"test_loss", metricJson(test.loss)},
                             {"test_accuracy", metricJson(test.accuracy)},
                             {"message", fit.message}};
    if (!trainablePaths_.empty()) result["histogram_seconds"] = histogramSeconds_;
    for (const auto& [k, v] : train::evalMetrics(test, "test_"))
        if (k != "test_loss" && k != "test_accuracy" && std::isfinite(v)) result[k] = v;
    project_->updateRun(runId_, status, result);
}

} // namespace strata::session
