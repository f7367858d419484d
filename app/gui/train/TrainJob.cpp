#include "app/gui/train/TrainJob.h"

#include "app/cli/Devices.h"
#include "app/cli/ProjectTraining.h"

#include "engine/Error.h"
#include "engine/Model.h"
#include "engine/data/BuiltinDatasets.h"
#include "engine/data/DatasetSource.h"

#include <chrono>
#include <filesystem>
#include <sstream>
#include <utility>

namespace strata::gui {

namespace {

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    const std::string prefix = "strata-cli: ";
    if (s.rfind(prefix, 0) == 0) s.erase(0, prefix.size());
    return s;
}

} // namespace

TrainJob::TrainJob(ModelSpec spec, TrainSettings settings) : spec_(std::move(spec)), settings_(std::move(settings)) {
    thread_ = std::thread([this] { run(); });
}

TrainJob::~TrainJob() {
    stop();
    wait();
}

void TrainJob::stop() {
    stop_ = true;
    std::lock_guard lock(mutex_);
    if (trainer_) trainer_->requestStop();
}

void TrainJob::wait() {
    if (thread_.joinable()) thread_.join();
}

std::vector<TrainUpdate> TrainJob::takeUpdates() {
    std::lock_guard lock(mutex_);
    return std::exchange(updates_, {});
}

void TrainJob::post(TrainUpdate u) {
    std::lock_guard lock(mutex_);
    updates_.push_back(std::move(u));
}

void TrainJob::run() {
    const auto t0 = std::chrono::steady_clock::now();
    TrainOutcome& out = outcome_;
    std::unique_ptr<cli::ProjectTraining> project;
    std::unique_ptr<ir::Backend> backend;
    bool begun = false;
    try {
        std::unique_ptr<Model> model = Model::fromSpec(spec_);

        out.datasetName = settings_.csvFile.empty() ? settings_.dataset
                                                    : std::filesystem::path(settings_.csvFile).filename().string();
        const data::DataSource source = settings_.csvFile.empty()
                                            ? data::DataSource{settings_.dataset, {}, false, settings_.reconstruct}
                                            : data::DataSource{"csv:" + settings_.csvFile, settings_.csvLabel, false, settings_.reconstruct};
        data::DatasetSplits splits = data::loadDataSource(source);
        const int in = model->inputIndices()[0];
        const Shape sample = model->outputShape(in).withoutFirst();
        const Shape output = model->outputShape(model->outputIndices()[0]).withoutFirst();
        for (data::Dataset* d : {&splits.train, &splits.validation, &splits.test})
            if (d->size() > 0) {
                data::reshapeFeatures(*d, sample, model->layers()[std::size_t(in)]->name());
                data::reshapeTargets(*d, output);
            }

        std::ostringstream deviceNote;
        backend = cli::makeBackend(settings_.device, settings_.threads, deviceNote);
        if (!backend) throw StrataError(trimmed(deviceNote.str()));
        out.backend = backend->name();

        train::TrainOptions opts = settings_.options;
        model->build(opts.seed);
        train::Trainer trainer(*model, *backend, opts);
        trainer.checkData(splits.train); // before anything is recorded

        std::string notes = trimmed(deviceNote.str());
        if (!settings_.projectFile.empty()) {
            cli::ProjectTrainingOptions po;
            po.project = settings_.projectFile;
            po.model = settings_.modelName;
            po.layout = settings_.layout;
            project = std::make_unique<cli::ProjectTraining>(po);
            project->begin(*model, *backend, opts, splits.train, source);
            begun = true;
            out.runId = project->runId();
        }
        post({TrainUpdate::Kind::Started, {}, {}, notes});

        trainer.onStep([&](const train::StepEvent& e) {
            if (stop_) trainer.requestStop(); // a stop asked for before fit began
            if (project) project->onStep(e, trainer.backend());
            post({TrainUpdate::Kind::Step, e, {}, {}});
        });
        trainer.onEpoch([&](const train::EpochEvent& e) {
            if (project) project->onEpoch(e, trainer.backend());
            post({TrainUpdate::Kind::Epoch, {}, e, {}});
        });
        // stop() reaches the trainer while it exists, and never after (an exception included).
        struct Registration {
            TrainJob& job;
            Registration(TrainJob& j, train::Trainer& t) : job(j) {
                std::lock_guard lock(job.mutex_);
                job.trainer_ = &t;
            }
            ~Registration() {
                std::lock_guard lock(job.mutex_);
                job.trainer_ = nullptr;
            }
        } registration(*this, trainer);
        if (!stop_) out.fit = trainer.fit(splits.train, splits.validation.size() ? &splits.validation : nullptr);
        else out.fit = {{}, 0, true, false, "stopped before the first step"};
        out.test = trainer.evaluate(splits.test);
        out.tested = true;
        for (Variable* v : model->variables()) out.weights[v->path()] = v->value(); // fit pulled them
        if (project) project->finish(out.fit, out.test, trainer.backend());
    } catch (const std::exception& e) {
        out.error = e.what();
    }
    if (begun && !out.error.empty()) { // leave the recorded run in a final state, saying why
        try {
            train::FitResult failed = out.fit;
            failed.stopped = true;
            failed.message = out.error;
            train::EvalResult none;
            none.loss = train::kNoMetric;
            project->finish(failed, none, *backend);
        } catch (const std::exception&) {
        }
    }
    project.reset();
    backend.reset();
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    finished_ = true;
    post({TrainUpdate::Kind::Finished, {}, {}, {}});
}

} // namespace strata::gui
