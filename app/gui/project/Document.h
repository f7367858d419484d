// The open document: one model of one project (or of no project yet), its graph model, its undo
// stack and where it came from. Saving stores a new version of the model (spec + canvas layout)
// in the project; the undo stack's clean state is the dirty mark.
#pragma once

#include "app/gui/model/GraphEditor.h"
#include "app/gui/project/ProjectStore.h"

#include <QObject>
#include <QUndoStack>

#include <memory>
#include <optional>

namespace strata::gui {

class Document : public QObject {
    Q_OBJECT
public:
    explicit Document(QObject* parent = nullptr);
    ~Document() override;

    GraphModel* model() const { return model_; }
    GraphEditor* editor() const { return editor_; }
    QUndoStack* undoStack() const { return undo_; }
    ProjectStore* store() const { return store_.get(); }

    QString filePath() const { return store_ ? store_->filePath() : QString(); }
    const std::string& modelName() const { return modelName_; }
    const std::optional<VersionInfo>& version() const { return version_; }
    bool isDirty() const { return dirty_ || !undo_->isClean() || unsavedRuns_; }
    // Whether the open project is one made to hold the runs of a model that was never saved
    // (attachUnsavedRunsProject): Save then asks where to save, and the project saved there
    // starts as a copy of it, runs and all; the made one is deleted once that is written.
    bool holdsUnsavedRuns() const { return unsavedRuns_; }
    // Where a never-saved model's runs are recorded: the folder `unsaved-runs` of the user's data
    // folder, one project per model and time ("<model>-20261205-153012.strata").
    static QString unsavedRunsPath(const std::string& model);
    // A new project at `path` (unsavedRunsPath) becomes the document's, holding its runs until
    // Save. The model stays unsaved (dirty). Throws StrataError naming the file; without a
    // project only: one open already is kept.
    void attachUnsavedRunsProject(const QString& path);
    QString title() const; // "two_branch — examples.strata*"

    // Each throws StrataError (a message naming the file) and leaves the document as it was.
    void newModel(const std::string& name = "model");
    void openProject(const QString& path, const std::string& model = {});
    void openModel(const std::string& model, std::optional<int64_t> versionId = std::nullopt);
    VersionInfo save(const std::string& note = {});
    // Save As onto a file that exists (other than the open project's own, which is a plain save).
    enum class OntoExisting {
        Replace, // the file is replaced: by a copy of the open project, or by a new project of this model alone
        AddTo,   // an unsaved model joins that project's models (a project open here: StrataError)
    };
    // Saves the model as a new version in the file at `path`: the open project, if any, is copied
    // there first (runs, checkpoints and all). A file written anew is written beside `path` and
    // renamed over it, so a failure leaves it as it was.
    VersionInfo saveAs(const QString& path, const std::string& note = {}, OntoExisting onto = OntoExisting::Replace);
    void importSpec(const QString& path);
    // Opens `spec` as a new, unsaved model (what importSpec does after reading the file).
    void importModelSpec(const ModelSpec& spec);
    void exportSpec(const QString& path) const;

    // Replaces the edited model (the undo history goes); used by import and recovery.
    void setModel(const ModelSpec& spec, const nlohmann::json& layout, bool dirty);
    // The spec and layout exactly as saving would store them.
    nlohmann::json layout() const { return model_->state().layoutJson(); }

signals:
    void titleChanged();
    void versionsChanged();
    void projectChanged(); // the open project file is another one (attachUnsavedRunsProject)

private:
    void load(const StoredModel& m);
    // After `v` was stored: the document is clean and on that version.
    void markSaved(const VersionInfo& v);
    // A new project at `path` holding only this model's new version, written beside it and
    // renamed over it. Returns the version; `store` gets the project at `path`.
    VersionInfo saveAsNewProject(const QString& path, const std::string& note, std::unique_ptr<ProjectStore>& store) const;

    GraphModel* model_;
    QUndoStack* undo_;
    GraphEditor* editor_;
    std::unique_ptr<ProjectStore> store_;
    std::string modelName_;
    std::optional<VersionInfo> version_;
    bool dirty_ = false;
    bool unsavedRuns_ = false;
};

} // namespace strata::gui
