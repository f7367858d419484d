#include "app/gui/project/Document.h"

#include "app/gui/model/AutoLayout.h"

#include "engine/Error.h"

#include <QFileInfo>

#include <fstream>

namespace strata::gui {

Document::Document(QObject* parent)
    : QObject(parent), model_(new GraphModel(this)), undo_(new QUndoStack(this)), editor_(new GraphEditor(model_, undo_, this)) {
    connect(undo_, &QUndoStack::cleanChanged, this, &Document::titleChanged);
    newModel();
}

Document::~Document() = default;

QString Document::title() const {
    QString file = store_ ? QFileInfo(store_->filePath()).fileName() : tr("unsaved");
    return QStringLiteral("%1 — %2%3").arg(QString::fromStdString(modelName_), file, isDirty() ? "*" : "");
}

void Document::setModel(const ModelSpec& spec, const nlohmann::json& layout, bool dirty) {
    GraphState s;
    s.spec = spec;
    s.positions = GraphState::positionsFromLayout(layout);
    // A spec that was never laid out gets dot's layout rather than a column.
    bool missing = false;
    for (const auto& l : spec.layers) missing |= !s.positions.count(l.name);
    if (missing)
        for (const auto& [name, p] : AutoLayout::dot(spec))
            if (!s.positions.count(name)) s.positions[name] = p;
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
    load(m);
}

void Document::openModel(const std::string& model, std::optional<int64_t> versionId) {
    if (!store_) throw StrataError("no project is open");
    load(store_->load(model, versionId));
}

VersionInfo Document::save(const std::string& note) {
    if (!store_) throw StrataError("the model is not in a project yet; use Save As");
    VersionInfo v = store_->save(modelName_, model_->state().spec, layout(), note);
    version_ = v;
    undo_->setClean();
    dirty_ = false;
    emit titleChanged();
    emit versionsChanged();
    return v;
}

VersionInfo Document::saveAs(const QString& path, const std::string& note) {
    // Bring everything of the current project along (models, versions, runs, metrics,
    // checkpoints): the new file starts as a copy of it.
    // (An unsaved model saved into an existing project joins its models, as before.)
    if (store_ && QFileInfo(store_->filePath()).absoluteFilePath() != QFileInfo(path).absoluteFilePath()) store_->copyTo(path);
    store_ = ProjectStore::open(path, true);
    return save(note);
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
