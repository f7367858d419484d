#include "app/gui/project/Document.h"

#include "app/gui/model/AutoLayout.h"

#include "engine/Error.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>

#include <filesystem>
#include <fstream>

namespace strata::gui {

namespace {

// SQLite's files beside a project file. Those of a file that was just replaced belong to the old
// file: left there, SQLite would replay the old log into the new file.
void removeLogFiles(const QString& path) {
    for (const char* suffix : {"-wal", "-shm", "-journal"}) QFile::remove(path + suffix);
}

std::string str(const QString& s) { return s.toStdString(); }

} // namespace

Document::Document(QObject* parent)
    : QObject(parent), model_(new GraphModel(this)), undo_(new QUndoStack(this)), editor_(new GraphEditor(model_, undo_, this)) {
    connect(undo_, &QUndoStack::cleanChanged, this, &Document::titleChanged);
    newModel();
}

Document::~Document() = default;

QString Document::title() const {
    QString file = store_ && !unsavedRuns_ ? QFileInfo(store_->filePath()).fileName()
                   : unsavedRuns_          ? tr("unsaved, its runs kept until Save")
                                           : tr("unsaved");
    const QString readOnly = store_ && store_->readOnly() ? tr(" [read-only]") : QString();
    return QStringLiteral("%1 — %2%3%4").arg(QString::fromStdString(modelName_), file, readOnly, isDirty() ? "*" : "");
}

void Document::setModel(const ModelSpec& spec, const nlohmann::json& layout, bool dirty) {
    GraphState s;
    s.spec = spec;
    s.positions = GraphState::positionsFromLayout(layout);
    // A spec that was never laid out gets dot's layout rather than a column.
    AutoLayout::fillMissing(spec, s.positions);
    modelName_ = spec.name;
    undo_->clear();
    model_->reset(std::move(s));
    undo_->setClean();
    dirty_ = dirty;
    emit titleChanged();
}

void Document::newModel(const std::string& name) {
    ModelSpec spec;
    spec.name = name;
    spec.layers.push_back(layerEntry("input_layer", "Input", {{"shape", {784}}}));
    normalizeInputsOutputs(spec);
    store_.reset();
    unsavedRuns_ = false; // a made project stays where it is (File > Open Recent lists it)
    modelName_ = name;
    version_.reset();
    setModel(spec, {{"nodes", {{"input_layer", {0, 0}}}}}, false);
    emit versionsChanged();
}

void Document::load(const StoredModel& m) {
    version_ = m.version;
    setModel(m.spec, m.layout, false);
    modelName_ = m.model; // the project's name for it, which the spec's own name may differ from
    emit versionsChanged();
}

void Document::openProject(const QString& path, const std::string& model) {
    if (!QFileInfo::exists(path)) throw StrataError(path.toStdString() + ": no such file");
    auto store = ProjectStore::open(path, false);
    std::string chosen = model;
    if (chosen.empty()) chosen = store->lastSavedModel();
    if (chosen.empty()) {
        store_ = std::move(store);
        modelName_ = "model";
        version_.reset();
        ModelSpec spec;
        spec.layers.push_back(layerEntry("input_layer", "Input", {{"shape", {784}}}));
        normalizeInputsOutputs(spec);
        setModel(spec, {}, false);
        emit versionsChanged();
        return;
    }
    StoredModel m = store->load(chosen);
    store_ = std::move(store);
    unsavedRuns_ = false;
    load(m);
}

QString Document::unsavedRunsPath(const std::string& model) {
    QString name = QString::fromStdString(model);
    for (QChar& c : name)
        if (!c.isLetterOrNumber() && c != '_' && c != '-') c = '_';
    if (name.isEmpty()) name = "model";
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + "/unsaved-runs";
    const QString stem = dir + "/" + name + "-" + QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss");
    QString path = stem + ".strata";
    for (int n = 2; QFileInfo::exists(path); ++n) path = stem + "-" + QString::number(n) + ".strata"; // never another's
    return path;
}

void Document::attachUnsavedRunsProject(const QString& path) {
    if (store_) return;
    if (!QDir().mkpath(QFileInfo(path).absolutePath()))
        throw StrataError(str(path) + ": cannot create the folder " + str(QFileInfo(path).absolutePath()));
    store_ = ProjectStore::open(path, true);
    unsavedRuns_ = true;
    emit titleChanged();
    emit projectChanged();
}

void Document::openModel(const std::string& model, std::optional<int64_t> versionId) {
    if (!store_) throw StrataError("no project is open");
    load(store_->load(model, versionId));
}

VersionInfo Document::save(const std::string& note) {
    if (!store_ || unsavedRuns_) throw StrataError("the model is not in a project yet; use Save As");
    VersionInfo v = store_->save(modelName_, model_->state().spec, layout(), note);
    markSaved(v);
    return v;
}

void Document::markSaved(const VersionInfo& v) {
    version_ = v;
    undo_->setClean();
    dirty_ = false;
    emit titleChanged();
    emit versionsChanged();
}

VersionInfo Document::saveAs(const QString& path, const std::string& note, OntoExisting onto) {
    const QFileInfo target(path);
    if (store_ && !unsavedRuns_ && QFileInfo(store_->filePath()) == target) return save(note); // the open project's own file
    if (unsavedRuns_ && QFileInfo(store_->filePath()) == target)
        throw StrataError(str(path) + ": that is where the unsaved model's runs are kept until Save; choose another file");
    const bool addTo = target.exists() && onto == OntoExisting::AddTo;
    std::unique_ptr<ProjectStore> store;
    VersionInfo v;
    if (store_) {
        if (addTo && unsavedRuns_)
            throw StrataError(str(path) + ": the runs of the unsaved model cannot be added to another project; Save As "
                                          "a new file keeps them (they are in " + str(store_->filePath()) + ")");
        if (addTo)
            throw StrataError(str(path) + ": a model of an open project cannot be added to another project (Save As "
                                          "replaces the file with a copy of " +
                              str(QFileInfo(store_->filePath()).fileName()) + ")");
        // Bring everything of the current project along (models, versions, runs, metrics,
        // checkpoints): the new file starts as a copy of it.
        store_->copyTo(path);
        removeLogFiles(path);
        store = ProjectStore::open(path, false);
        v = store->save(modelName_, model_->state().spec, layout(), note);
    } else if (addTo) { // the unsaved model joins that project
        store = ProjectStore::open(path, false);
        v = store->save(modelName_, model_->state().spec, layout(), note);
    } else {
        v = saveAsNewProject(path, note, store);
    }
    const QString made = unsavedRuns_ ? store_->filePath() : QString();
    store_ = std::move(store); // closes the made project: its runs are in the saved one now
    if (unsavedRuns_) {
        unsavedRuns_ = false;
        QFile::remove(made);
        removeLogFiles(made);
        emit projectChanged();
    }
    markSaved(v);
    return v;
}

VersionInfo Document::saveAsNewProject(const QString& path, const std::string& note, std::unique_ptr<ProjectStore>& store) const {
    const QFileInfo target(path);
    const QString tmp = target.absolutePath() + "/." + target.fileName() + ".saving-" +
                        QString::number(QCoreApplication::applicationPid());
    auto discard = [&tmp] {
        QFile::remove(tmp);
        removeLogFiles(tmp);
    };
    discard(); // one left by a save that was killed
    VersionInfo v;
    try {
        auto written = ProjectStore::open(tmp, true);
        v = written->save(modelName_, model_->state().spec, layout(), note);
    } catch (...) { // closed by now, its log copied in
        discard();
        throw;
    }
    // Closing the project copied its log into the file; a log left over would be lost in the rename.
    if (QFileInfo(tmp + "-wal").size() > 0) {
        discard();
        throw StrataError(str(path) + ": the new project could not be completed (its write-ahead log was not copied in)");
    }
    std::error_code ec;
    std::filesystem::rename(std::filesystem::path(str(tmp)), std::filesystem::path(str(path)), ec);
    if (ec) {
        discard();
        throw StrataError("cannot write " + str(path) + ": " + ec.message());
    }
    removeLogFiles(tmp);
    removeLogFiles(path);
    store = ProjectStore::open(path, false);
    return v;
}

void Document::importSpec(const QString& path) { importModelSpec(ModelSpec::load(path.toStdString())); }

void Document::importModelSpec(const ModelSpec& spec) {
    modelName_ = spec.name;
    version_.reset();
    setModel(spec, {}, true);
    emit versionsChanged();
}

void Document::exportSpec(const QString& path) const {
    std::ofstream f(path.toStdString(), std::ios::binary | std::ios::trunc);
    if (!f) throw StrataError(path.toStdString() + ": cannot write the file");
    f << model_->state().spec.toJson().dump(2) << "\n";
    if (!f) throw StrataError(path.toStdString() + ": write failed");
}

} // namespace strata::gui
