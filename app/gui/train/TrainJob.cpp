#include "app/gui/train/TrainJob.h"

#include "app/session/TrainingSession.h"

#include <chrono>
#include <filesystem>
#include <utility>

namespace strata::gui {

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
    if (session_) session_->requestStop();
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
    session::TrainingRequest request;
    request.spec = spec_;
    request.data = settings_.csvFile.empty() ? data::DataSource{settings_.dataset, {}, false, settings_.reconstruct}
                                             : data::DataSource{"csv:" + settings_.csvFile, settings_.csvLabel, false, settings_.reconstruct};
    request.data.columns = settings_.columns;
    request.data.textColumn = settings_.textColumn;
    request.data.text = settings_.text;
    request.options = settings_.options;
    request.device = settings_.device;
    request.threads = settings_.threads;
    if (!settings_.projectFile.empty()) {
        session::ProjectTrainingOptions po;
        po.project = settings_.projectFile;
        po.fromScratch = settings_.fromScratch;
        po.model = settings_.modelName;
        po.layout = settings_.layout;
        request.project = po;
    }
    { // the session (its project file and backend) ends before Finished is posted
        session::TrainingSession session(std::move(request));
        out.datasetName = session.datasetName();
        { // stop() reaches the session from now on
            std::lock_guard lock(mutex_);
            session_ = &session;
            if (stop_) session.requestStop();
        }
        try {
            session::TrainingEvents events;
            events.started = [&](const std::string&) {
                out.backend = session.backendName();
                out.runId = session.runId();
                post({TrainUpdate::Kind::Started, {}, {}, session.backendNote()});
            };
            events.step = [&](const train::StepEvent& e) { post({TrainUpdate::Kind::Step, e, {}, {}}); };
            events.epoch = [&](const train::EpochEvent& e) { post({TrainUpdate::Kind::Epoch, {}, e, {}}); };
            const session::TrainingResult r = session.run(events);
            out.fit = r.fit;
            out.test = r.test;
            out.tested = true;
            for (Variable* v : session.model()->variables()) out.weights[v->path()] = v->value(); // fit pulled them
        } catch (const std::exception& e) {
            out.error = e.what();
        }
        out.backend = session.backendName();
        out.runId = session.runId();
        std::lock_guard lock(mutex_);
        session_ = nullptr;
    }
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    finished_ = true;
    post({TrainUpdate::Kind::Finished, {}, {}, {}});
}

} // namespace strata::gui
