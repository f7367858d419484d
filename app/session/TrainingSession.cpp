#include "app/session/TrainingSession.h"

#include "app/session/Devices.h"
#include "app/session/ReplicaState.h"

#include "engine/Error.h"
#include "engine/data/BuiltinDatasets.h"
#include "engine/data/TextVectorization.h"
#include "engine/layers/CoreLayers.h"
#include "engine/train/AdaptNormalization.h"
#include "engine/train/FineTuning.h"

#include <algorithm>
#include <utility>

namespace strata::session {

TrainingSession::TrainingSession(TrainingRequest request)
    : request_(std::move(request)), source_(request_.data), options_(request_.options) {}

TrainingSession::~TrainingSession() = default;

void TrainingSession::openProject() {
    projectOpened_ = true;
    if (!request_.project) return;
    ProjectTrainingOptions o = *request_.project;
    if (const train::Collectives* c = request_.collectives) {
        o.distributed = {{"ranks", c->size()}};
        if (c->rank() != 0) { // reads only, and only what the command line does not give
            if (!o.resume && request_.spec) return;
            o.readOnly = true;
        }
    }
    project_ = std::make_unique<ProjectTraining>(o);
    source_ = project_->resolveDataset(source_);
}

void TrainingSession::agreeOrThrow(std::exception_ptr failed, const std::string& stage) {
    if (!request_.collectives) {
        if (failed) std::rethrow_exception(failed);
        return;
    }
    if (request_.collectives->agree(failed ? 1 : 0) == 0) return;
    if (failed) std::rethrow_exception(failed);
    throw StrataError("another rank failed " + stage + " (its message says why)");
}

void TrainingSession::makeBackend() { backend_ = session::makeBackend(request_.device, request_.threads, &backendNote_); }

void TrainingSession::makeModel() {
    if (!projectOpened_) openProject();
    if (!project_ && !request_.spec) throw StrataError("a model spec is needed to start a run");
    ModelSpec spec = project_ ? project_->resolveSpec(request_.spec) : *request_.spec;
    if (!request_.freeze.empty()) frozen_ = train::freezeLayers(spec, request_.freeze);
    model_ = Model::fromSpec(spec);
    settleOptions();
}

void TrainingSession::settleOutputLosses(const std::vector<std::string>& outputs) {
    train::TrainOptions& opts = options_;
    if (opts.outputLosses.empty() && outputs.size() == 1) return;
    std::vector<train::OutputLoss> ordered(outputs.size());
    for (std::size_t k = 0; k < outputs.size(); ++k) {
        ordered[k].output = outputs[k];
        // The default loss of each output follows its target column, as the single output's does.
        for (const data::OutputColumn& c : source_.columns.outputs)
            if (c.output == outputs[k]) ordered[k].loss = c.regression ? "mean_squared_error" : "sparse_categorical_crossentropy";
    }
    for (const train::OutputLoss& given : opts.outputLosses) {
        const auto it = std::find(outputs.begin(), outputs.end(), given.output);
        if (it == outputs.end()) {
            std::string names;
            for (const std::string& n : outputs) names += (names.empty() ? "'" : ", '") + n + "'";
            throw StrataError("a loss is given for output '" + given.output + "', but the model's outputs are " + names);
        }
        train::OutputLoss& o = ordered[std::size_t(it - outputs.begin())];
        if (!given.loss.empty()) o.loss = given.loss;
        o.weight = given.weight;
    }
    opts.outputLosses = ordered;
}

void TrainingSession::settleOptions() {
    if (optionsSettled_) return;
    optionsSettled_ = true;
    train::TrainOptions& opts = options_;
    if (opts.loss.empty())
        opts.loss = source_.regression || source_.reconstruct ? "mean_squared_error" : "sparse_categorical_crossentropy";
    if (project_) project_->applyRunOptions(opts, request_.epochsGiven);
    const int ranks = request_.collectives ? request_.collectives->size() : 1;
    if (project_ && project_->resuming() && project_->runRanks() != ranks) {
        const int was = project_->runRanks();
        throw StrataError("run " + std::to_string(project_->runId()) + " was trained " +
                          (was > 1 ? "on " + std::to_string(was) + " ranks" : std::string("in one process")) +
                          " and is resumed " + (ranks > 1 ? "on " + std::to_string(ranks) : std::string("in one process")) +
                          "; resume it as it ran (" +
                          (was > 1 ? "mpirun -np " + std::to_string(was) + " strata-cli train --distributed ... --resume"
                                   : std::string("without mpirun and --distributed")) + ")");
    }
    opts.collectives = request_.collectives;
}

std::string TrainingSession::lossWarning() const {
    return model_ ? train::lossOutputWarning(model_->spec(), options_.loss, options_.fromLogits) : std::string();
}

std::string TrainingSession::datasetName() const {
    if (data::isImageSource(source_.name)) return data::imageFolderOf(source_.name).filename().string();
    return data::isCsvSource(source_.name) ? data::csvPathOf(source_.name).filename().string() : source_.name;
}

std::string TrainingSession::backendName() const { return backend_ ? backend_->name() : std::string(); }

int64_t TrainingSession::runId() const { return project_ ? project_->runId() : 0; }

void TrainingSession::requestStop() {
    stop_ = true;
    // try_lock: also from a signal handler. A trainer being registered sees stop_ itself.
    std::unique_lock lock(trainerMutex_, std::try_to_lock);
    if (lock.owns_lock() && trainer_) trainer_->requestStop();
}

void TrainingSession::finishFailed(const train::FitResult& fit, const std::string& why) {
    try { // leave the recorded run in a final state, saying why
        train::FitResult failed = fit;
        failed.stopped = true;
        failed.message = why;
        train::EvalResult none;
        none.loss = train::kNoMetric;
        project_->finish(failed, none, *backend_);
    } catch (const std::exception&) {
    }
}

TrainingResult TrainingSession::run(const TrainingEvents& events) {
    if (!projectOpened_) openProject();
    if (!backend_) makeBackend();
    if (!model_) makeModel();

    settleOptions();
    train::TrainOptions& opts = options_;

    Model& model = *model_;
    const std::vector<int> ins = model.inputIndices(), outs = model.outputIndices();
    std::vector<std::string> inputNames, outputNames;
    for (int i : ins) inputNames.push_back(model.layers()[std::size_t(i)]->name());
    for (int o : outs) outputNames.push_back(model.layers()[std::size_t(o)]->name());
    if (!source_.columns.empty()) source_.columns = data::orderedFor(source_.columns, inputNames, outputNames);
    else if (ins.size() > 1 || outs.size() > 1)
        throw StrataError("model '" + model.name() + "' has " + std::to_string(ins.size()) + " input(s) and " +
                          std::to_string(outs.size()) + " output(s): map a CSV table's columns to each (strata-cli: "
                          "--input NAME=COLUMNS and --output NAME=COLUMN; the Train panel: Columns...)");
    settleOutputLosses(outputNames);
    const Shape sample = model.outputShape(ins[0]).withoutFirst();
    data::settleImageShape(source_, sample);
    source_.dataThreads = opts.dataWorkers;
    data::ImageFolderReport report;
    data::DatasetSplits splits = data::loadDataSource(source_, data::kDefaultValidationSeed, &report, events.data);
    if (!report.skipped.empty() && events.data) {
        events.data("skipped " + std::to_string(report.skipped.size()) + " bad image file" +
                    (report.skipped.size() == 1 ? "" : "s") + ":");
        for (const std::string& why : report.skipped) events.data("  " + why);
    }
    if (!report.cache.empty() && events.data) events.data(report.cache);
    text_ = splits.text;
    const DType inputType = static_cast<const layers::InputLayer*>(model.layers()[std::size_t(ins[0])])->dtype();
    if (text_ && inputType != DType::F32)
        throw StrataError("input '" + inputNames[0] + "' is " + std::string(dtypeName(inputType)) +
                          "; the token ids of a text column are fed as float32 (an Embedding casts them): leave the Input's "
                          "dtype out for training on text");
    if (text_ && sample.isFullyKnown() && sample.numElements() != text_->options().sequenceLength)
        throw StrataError("input '" + inputNames[0] + "' takes " + sample.toString() + " but the text column gives " +
                          std::to_string(text_->options().sequenceLength) + " ids per text" +
                          (source_.text.sequenceLength == 0 ? " (the longest training text)" : "") +
                          ": set the sequence length (strata-cli: --sequence-length " + std::to_string(sample.numElements()) + ")");
    for (data::Dataset* d : {&splits.train, &splits.validation, &splits.test})
        if (d->size() > 0) {
            data::reshapeFeatures(*d, sample, inputNames[0]);
            for (std::size_t i = 1; i < ins.size() && i - 1 < d->moreX.size(); ++i)
                data::reshapeTensor(d->moreX[i - 1], model.outputShape(ins[i]).withoutFirst(), d->name, inputNames[i]);
            data::reshapeTargets(*d, model.outputShape(outs[0]).withoutFirst());
        }
    model.build(opts.seed);
    train::TrainOptions check = opts;
    check.collectives = nullptr;
    train::Trainer(model, *backend_, check).checkData(splits.train); // before anything is recorded
    if (train::needsNormalizationAdapt(model)) { // Keras' Normalization.adapt(), on the training split only
        std::string names;
        for (const std::string& n : train::adaptNormalization(model, splits.train)) names += (names.empty() ? "" : ", ") + n;
        if (events.data) events.data("adapted the mean and variance of " + names + " on the training split");
    }

    TrainingResult result;
    bool begun = false;
    try {
        std::string recording;
        std::exception_ptr failed;
        try {
            if (ProjectTraining* p = recorder()) {
                recording = p->begin(model, *backend_, opts, splits.train, source_, report.listing, splits.text.get()); // resume: sets the epoch and batch
                begun = true;
                opts.keepEpochGradients = request_.project->histograms; // for the gradient histograms
            }
        } catch (...) {
            failed = std::current_exception();
        }
        agreeOrThrow(failed, "to record the run");
        if (request_.collectives) { // rank 0's weights, optimizer state and resume position, bit for bit
            shareInitialState(*request_.collectives, model, *backend_, opts);
            opts.keepEpochGradients = request_.project && request_.project->histograms; // every rank joins the same sums
        }
        ProjectTraining* const rec = recorder();
        train::Trainer trainer(model, *backend_, opts);
        trainer.onStep([&](const train::StepEvent& e) {
            if (stop_) trainer.requestStop();
            if (rec) rec->onStep(e, trainer.backend());
            if (events.step) events.step(e);
        });
        trainer.onEpoch([&](const train::EpochEvent& e) {
            if (rec) rec->onEpoch(e, trainer.backend(), trainer.epochGradients());
            if (events.epoch) events.epoch(e);
        });
        // requestStop() reaches the trainer while it exists, and never after (an exception included).
        struct Registration {
            TrainingSession& s;
            Registration(TrainingSession& session, train::Trainer& t) : s(session) {
                std::lock_guard lock(s.trainerMutex_);
                s.trainer_ = &t;
            }
            ~Registration() {
                std::lock_guard lock(s.trainerMutex_);
                s.trainer_ = nullptr;
            }
        } registration(*this, trainer);
        if (events.started) events.started(recording);
        if (!stop_) result.fit = trainer.fit(splits.train, splits.validation.size() ? &splits.validation : nullptr);
        else result.fit = {{}, 0, true, false, "stopped before the first step"};
        result.test = trainer.evaluate(splits.test);
        if (request_.collectives) {
            if (const train::DataParallelStats* st = trainer.parallelStats()) result.parallel = *st;
            result.replicasAgree = replicasAgree(*request_.collectives, trainer.backend());
        }
        if (rec) rec->finish(result.fit, result.test, trainer.backend());
    } catch (const std::exception& e) {
        if (begun) finishFailed(result.fit, e.what());
        throw;
    }
    return result;
}

} // namespace strata::session
