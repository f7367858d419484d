// The main window: palette (left), canvas or ordered list (centre, under the block breadcrumb),
// inspector and versions (right), summary, training and issues (bottom); File/Edit/View/Model/
// Help menus, a toolbar and a status bar. Window layout, theme and recent files persist in QSettings.
#pragma once

#include "app/gui/Theme.h"
#include "app/gui/model/GraphState.h"

#include <QMainWindow>

#include <functional>
#include <optional>

class QAction;
class QComboBox;
class QDockWidget;
class QLabel;
class QListWidget;
class QMenu;
class QTabWidget;
class QTimer;

namespace strata::gui {

class Breadcrumb;
class DatasetView;
class Document;
class GraphScene;
class GraphView;
class InspectorPanel;
class IssuesPanel;
class LayerListPanel;
class PalettePanel;
class RecoveryFile;
class RunsPanel;
enum class SaveAsAnswer;  // app/gui/project/SaveAsQuestion.h
struct SaveAsQuestion;
struct StepSettings;
class SummaryPanel;
class TrainPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    Document* document() const { return doc_; }
    GraphScene* scene() const { return scene_; }
    GraphView* view() const { return view_; }
    PalettePanel* palette() const { return palette_; }
    InspectorPanel* inspector() const { return inspector_; }
    SummaryPanel* summary() const { return summary_; }
    IssuesPanel* issues() const { return issues_; }
    LayerListPanel* layerList() const { return list_; }
    TrainPanel* trainPanel() const { return train_; }
    QListWidget* versionsList() const { return versions_; }
    RunsPanel* runsPanel() const { return runs_; }
    DatasetView* dataView() const { return data_; }
    QAction* action(const QString& name) const; // by objectName, e.g. "undo", "fit"
    // The loss and optimizer the Train panel would train with, for the inspector's whole step.
    StepSettings trainStepSettings() const;

    // Opens a project (or shows why not); returns whether it did.
    bool openProject(const QString& path);
    // Shows a panel for screenshots and tests: "editor", "summary", "list", "train", "runs" or "data".
    void showView(const QString& what);
    // Offers the autosaved model of a session that did not end cleanly.
    void offerRecovery();
    void setAutosaveInterval(int ms);
    void autosaveNow();
    RecoveryFile* recovery() const { return recovery_; }
    // When false, close and switch ask nothing (tests, screenshots).
    void setInteractive(bool on) { interactive_ = on; }
    // Answers Save As's question about a file that exists instead of a message box (tests); without
    // one, a window that is not interactive answers Cancel.
    void setSaveAsAnswer(std::function<SaveAsAnswer(const SaveAsQuestion&)> answer) { saveAsAnswer_ = std::move(answer); }
    // Save As to `path` (".strata" added when missing) without the file dialog: a file that exists,
    // other than the open project's, is added to or replaced as the answer says. False when
    // cancelled or failed (after showing why).
    bool saveAsFile(QString path);

public slots:
    void newModel();
    void open();
    bool save();
    bool saveAs();
    void importSpec();
    void importOnnx(); // File > Import ONNX: asks for the file, then importOnnxFile
    // Opens an ONNX model on the canvas, its weights kept for Export Model and the inspector.
    // Returns false (after showing why) when the file cannot be imported.
    bool importOnnxFile(const QString& path);
    void exportSpec();
    void exportModel(); // File > Export Model: saved model, ONNX or PyTorch code, with the trained weights
    void deleteSelection();
    void copySelection();
    void cutSelection();
    void paste();
    void duplicateSelection();
    void groupSelection();
    void ungroupSelection();
    void openSelectedBlock();
    void autoLayout(std::optional<Flow> flow);
    void selectLayer(const std::string& layer);
    // Shows the Train panel and starts a run with its settings; stops the run in progress.
    void startTraining();
    void stopTraining();
    // The model inspector on the current spec (trained weights after a run); its whole step is
    // traced with the Train panel's loss and optimizer (trainStepSettings).
    void inspectModel();
    // Data > View Data: the dataset view, opened on `source` ("images:DIR", "csv:PATH", a built-in
    // name); with none, on the Train panel's dataset when the view shows nothing yet.
    void viewData(const QString& source = {}, const QString& csvLabel = {});

protected:
    void closeEvent(QCloseEvent* e) override;
    void changeEvent(QEvent* e) override;
    void resizeEvent(QResizeEvent* e) override;

private:
    void buildPanels();
    void buildActions();
    void buildMenus();
    void restoreLayout();
    void updateTitle();
    void updateStatus();
    void refreshVersions();
    void refreshModels();
    void refreshRuns(); // the Runs panel follows the document's project and model
    void openVersion(const std::string& model, int64_t versionId);
    void addRecent(const QString& path);
    void rebuildRecentMenu();
    bool maybeSave(); // false: the person cancelled
    void showError(const QString& what, const std::exception& e);
    void setTheme(Theme::Mode mode);
    QAction* makeAction(const QString& name, const QString& text, const QKeySequence& key, const char* slotOrNull = nullptr);

    Document* doc_;
    GraphScene* scene_;
    GraphView* view_;
    QTabWidget* centralTabs_;
    Breadcrumb* breadcrumb_;
    PalettePanel* palette_;
    InspectorPanel* inspector_;
    SummaryPanel* summary_;
    IssuesPanel* issues_;
    LayerListPanel* list_;
    TrainPanel* train_;
    RunsPanel* runs_;
    DatasetView* data_;
    QListWidget* versions_;
    QComboBox* models_;
    QDockWidget *paletteDock_, *inspectorDock_, *summaryDock_, *issuesDock_, *versionsDock_, *trainDock_, *runsDock_, *dataDock_;
    QLabel* statusStats_;
    QMenu* recentMenu_ = nullptr;
    QTimer* autosave_;
    RecoveryFile* recovery_;
    Theme::Mode theme_ = Theme::Mode::System;
    bool interactive_ = true;
    std::function<SaveAsAnswer(const SaveAsQuestion&)> saveAsAnswer_;
    bool switchingModel_ = false;
};

} // namespace strata::gui
