#include "app/gui/runs/RunHistory.h"

#include "app/gui/project/VersionWeights.h"

#include "storage/CheckpointStore.h"
#include "storage/Project.h"
#include "storage/Sqlite.h"
#include "storage/StorageError.h"
#include "storage/VariableSource.h"

#include "engine/Error.h"

#include <QCoreApplication>
#include <QStringList>

#include <algorithm>
#include <cmath>
#include <limits>

namespace strata::gui {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double number(const nlohmann::json& obj, const char* key) {
    const auto it = obj.find(key);
    return it != obj.end() && it->is_number() ? it->get<double>() : kNaN;
}

storage::Project openReadOnly(const std::string& file) { return storage::Project::open(file, storage::OpenMode::ReadOnly); }

} // namespace

std::string runDeviceLabel(const std::string& backend, const nlohmann::json& hyperparameters) {
    const nlohmann::json d = hyperparameters.value("distributed", nlohmann::json());
    const int ranks = d.is_object() ? d.value("ranks", 1) : 1;
    if (ranks <= 1) return backend;
    return backend.substr(0, backend.find(':')) + " \u00d7 " + std::to_string(ranks);
}

std::vector<RunSummary> RunHistory::runs(const std::string& model) const {
    storage::Project project = openReadOnly(file_);
    std::optional<int64_t> modelId;
    if (!model.empty()) {
        auto m = project.findModel(model);
        if (!m) return {};
        modelId = m->id;
    }
    const storage::CheckpointStore checkpoints(project);
    std::vector<RunSummary> out;
    for (const storage::RunInfo& r : project.runs(modelId)) {
        RunSummary s;
        s.id = r.id;
        s.model = r.modelName;
        s.modelVersion = r.modelVersion;
        s.modelVersionId = r.modelVersionId;
        s.dataset = r.datasetName;
        s.backend = r.backend;
        s.device = runDeviceLabel(r.backend, r.hyperparameters);
        s.status = r.status;
        s.startedAt = r.startedAt;
        s.endedAt = r.endedAt;
        s.hyperparameters = r.hyperparameters;
        s.result = r.result;
        s.seed = r.seed;
        s.note = r.note;
        s.tags = r.tags;
        s.loss = s.accuracy = s.valLoss = s.valAccuracy = kNaN;
        int lastEpoch = 0;
        for (const storage::Metric& m : project.metrics(r.id, "epoch")) {
            if (m.at < lastEpoch) continue;
            if (m.at > lastEpoch) { // a newer epoch: its figures replace the older ones
                lastEpoch = int(m.at);
                s.loss = s.accuracy = s.valLoss = s.valAccuracy = kNaN;
            }
            s.epochMetrics[m.name].emplace_back(double(m.at), m.value);
            if (m.name == "loss") s.loss = m.value;
            else if (m.name == "accuracy") s.accuracy = m.value;
            else if (m.name == "val_loss") s.valLoss = m.value;
            else if (m.name == "val_accuracy") s.valAccuracy = m.value;
        }
        for (auto& [name, points] : s.epochMetrics) std::sort(points.begin(), points.end());
        s.epochsDone = r.result.contains("epochs_done") && r.result["epochs_done"].is_number_integer()
                           ? r.result["epochs_done"].get<int>()
                           : lastEpoch;
        s.testLoss = number(r.result, "test_loss");
        s.testAccuracy = number(r.result, "test_accuracy");
        const auto list = checkpoints.list({std::nullopt, std::nullopt, r.id});
        s.checkpoints = int(list.size());
        if (!list.empty()) s.latestCheckpoint = list.back().id;
        out.push_back(std::move(s));
    }
    std::reverse(out.begin(), out.end());
    return out;
}

namespace {
std::map<std::string, std::vector<std::pair<double, double>>> metricsOf(const std::string& file, int64_t runId, const char* scope) {
    storage::Project project = openReadOnly(file);
    std::map<std::string, std::vector<std::pair<double, double>>> out;
    for (const storage::Metric& m : project.metrics(runId, scope)) out[m.name].emplace_back(double(m.at), m.value);
    for (auto& [name, points] : out) std::sort(points.begin(), points.end());
    return out;
}
} // namespace

std::map<std::string, std::vector<std::pair<double, double>>> RunHistory::epochMetrics(int64_t runId) const {
    return metricsOf(file_, runId, "epoch");
}

std::map<std::string, std::vector<std::pair<double, double>>> RunHistory::stepMetrics(int64_t runId) const {
    return metricsOf(file_, runId, "step");
}

bool RunHistory::writable(std::string* why) const { return storage::Project::writable(file_, why); }

void RunHistory::setNoteAndTags(int64_t runId, const std::string& note, const std::vector<std::string>& tags) const {
    storage::Project project = storage::Project::open(file_, storage::OpenMode::ReadWrite);
    storage::Transaction t(project.database());
    project.setRunNote(runId, note);
    project.setRunTags(runId, tags);
    t.commit();
}

RunWeights RunHistory::weights(int64_t runId) const {
    storage::Project project = openReadOnly(file_);
    const storage::RunInfo run = project.run(runId);
    const auto latest = storage::CheckpointStore(project).latest({std::nullopt, std::nullopt, runId});
    if (!latest)
        throw storage::StorageError(file_ + ": run " + std::to_string(runId) + " of model '" + run.modelName +
                                    "' has no checkpoint (it ended before its first one was written)");
    RunWeights w;
    w.spec = project.version(run.modelVersionId).spec;
    w.checkpointId = latest->id;
    w.step = latest->step;
    w.epochsDone = latest->epochsDone;
    w.values = checkpointModelValues(project, latest->id);
    return w;
}

StepSettings stepSettingsOf(const RunSummary& run, const StepSettings& fallback, const QString& fallbackName) {
    auto tr = [](const char* text) { return QCoreApplication::translate("RunHistory", text); };
    const nlohmann::json& hp = run.hyperparameters;
    StepSettings out = fallback;
    QStringList missing; // "loss", "optimizer (why)"
    const auto loss = hp.find("loss");
    if (loss != hp.end() && loss->is_string() && !loss->get<std::string>().empty()) {
        out.options.loss = loss->get<std::string>();
        const auto logits = hp.find("from_logits");
        out.options.fromLogits = logits != hp.end() && logits->is_boolean() && logits->get<bool>();
    } else {
        missing << tr("loss");
    }
    const auto optimizer = hp.find("optimizer");
    if (optimizer == hp.end()) {
        missing << tr("optimizer");
    } else {
        try {
            out.options.optimizer = ir::OptimizerConfig::fromJson(*optimizer);
        } catch (const StrataError& e) {
            missing << tr("optimizer (%1)").arg(QString::fromStdString(e.what()));
        }
    }
    const auto batch = hp.find("batch_size");
    if (batch != hp.end() && batch->is_number_integer() && batch->get<int64_t>() >= 1) out.options.batchSize = batch->get<int64_t>();
    if (const auto seed = hp.find("seed"); seed != hp.end() && seed->is_number_unsigned()) out.options.seed = seed->get<uint64_t>();
    if (missing.isEmpty()) out.source = tr("As run %1 recorded them.").arg(run.id);
    else
        out.source = (missing.size() == 1 ? tr("Run %1 recorded no readable %2; it is taken from %3.")
                                          : tr("Run %1 recorded no readable %2; they are taken from %3."))
                         .arg(run.id)
                         .arg(missing.join(tr(" and ")), fallbackName);
    return out;
}

} // namespace strata::gui
