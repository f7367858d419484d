#include "app/gui/eval/EvaluationJob.h"

#include "app/session/Evaluation.h"
#include "app/session/ModelLoading.h"

#include <QMetaObject>
#include <QThread>

#include <exception>

namespace strata::gui {

EvaluationJob::EvaluationJob(EvaluationRequest request, QObject* parent) : QObject(parent), request_(std::move(request)) {}

EvaluationJob::~EvaluationJob() {
    cancel();
    if (thread_) thread_->wait();
}

void EvaluationJob::start() {
    if (thread_) return;
    thread_ = QThread::create([this] { work(); });
    thread_->setParent(this);
    connect(thread_, &QThread::finished, this, [this] { emit finished(result_ != nullptr); });
    thread_->start();
}

void EvaluationJob::cancel() { cancel_ = true; }

bool EvaluationJob::isRunning() const { return thread_ && thread_->isRunning(); }

std::shared_ptr<EvaluationResult> EvaluationJob::takeResult() { return std::move(result_); }

void EvaluationJob::work() {
    auto say = [this](const QString& text) { QMetaObject::invokeMethod(this, [this, text] { emit status(text); }, Qt::QueuedConnection); };
    try {
        auto r = std::make_shared<EvaluationResult>();
        say(tr("Loading the checkpoint…"));
        session::LoadedModel loaded = session::loadModel(request_.project.toStdString(), "", std::to_string(request_.checkpointId));
        const train::TrainOptions opts = session::evaluationOptions(loaded.training);
        const data::DataSource source = session::runDataSource(loaded.training, "", {});
        say(tr("Loading the %1 split of %2…").arg(request_.split, QString::fromStdString(source.name)));
        r->split = session::loadEvaluationSplit(*loaded.model, source, request_.split.toStdString());
        session::EvaluationDevice device = session::evaluationDevice("", request_.device.toStdString(), 1);
        r->backend = std::move(device.backend);
        r->device = device.device;
        r->deviceNote = device.note;
        say(tr("Evaluating %n sample(s) on %1…", nullptr, int(r->split.size())).arg(QString::fromStdString(r->device)));
        train::EvalReportOptions ro;
        ro.loss = opts.loss;
        ro.fromLogits = opts.fromLogits;
        ro.reconstruct = source.reconstruct;
        ro.batchSize = opts.batchSize;
        ro.dataWorkers = source.dataThreads;
        for (std::size_t k = 0; k < loaded.model->outputIndices().size(); ++k) ro.outputLosses.push_back(opts.lossFor(k));
        ro.cancel = &cancel_;
        ro.progress = [this](int64_t done, int64_t total) {
            QMetaObject::invokeMethod(this, [this, done, total] { emit progress(done, total); }, Qt::QueuedConnection);
        };
        r->reports = train::evaluationReports(*loaded.model, *r->backend, r->split, ro);
        r->model = std::move(loaded.model);
        r->source = loaded.source;
        r->dataName = source.name;
        result_ = std::move(r);
    } catch (const std::exception& e) {
        error_ = QString::fromStdString(e.what());
    }
}

} // namespace strata::gui
