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
    bool isDirty() const { return dirty_ || !undo_->isClean(); }
    QString title() const; // "two_branch — examples.strata*"

    // Each throws StrataError (a message naming the file) and leaves the document as it was.
    void newModel(const std::string& name = "model");
    void openProject(const QString& path, const std::string& model = {});
    void openModel(const std::string& model, std::optional<int64_t> versionId = std::nullopt);
    VersionInfo save(const std::string& note = {});
    VersionInfo saveAs(const QString& path, const std::string& note = {});
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

private:
    void load(const StoredModel& m);

    GraphModel* model_;
    QUndoStack* undo_;
    GraphEditor* editor_;
    std::unique_ptr<ProjectStore> store_;
    std::string modelName_;
    std::optional<VersionInfo> version_;
    bool dirty_ = false;
};

} // namespace strata::gui
