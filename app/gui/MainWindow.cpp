#include "app/gui/MainWindow.h"

#include "app/gui/canvas/CanvasStyle.h"
#include "app/gui/canvas/GraphScene.h"
#include "app/gui/canvas/GraphView.h"
#include "app/gui/canvas/NodeItem.h"
#include "app/gui/compare/VersionCompare.h"
#include "app/gui/data/DatasetView.h"
#include "app/gui/panels/Breadcrumb.h"
#include "app/gui/panels/InspectorPanel.h"
#include "app/gui/panels/IssuesPanel.h"
#include "app/gui/panels/LayerListPanel.h"
#include "app/gui/panels/PalettePanel.h"
#include "app/gui/panels/SummaryPanel.h"
#include "app/gui/project/Document.h"
#include "app/gui/project/RecoveryFile.h"
#include "app/gui/export/ExportModelDialog.h"
#include "app/gui/inspect/ModelInspector.h"
#include "app/gui/runs/LiveRuns.h"
#include "app/gui/runs/RunsPanel.h"
#include "app/gui/train/WeightsKeeper.h"
#include "app/gui/train/TrainPanel.h"

#include "engine/Summary.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QComboBox>
#include <QDockWidget>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QToolBar>
#include <QFileInfo>
#include <QToolButton>
#include <QUndoStack>
#include <QVBoxLayout>

namespace strata::gui {

namespace {
constexpr int kAutosaveMs = 3 * 60 * 1000;
QString q(const std::string& s) { return QString::fromStdString(s); }
} // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent), doc_(new Document(this)) {
    setObjectName("MainWindow");
    // The installed theme icon (resources/icons/strata.svg) when there is one, else a painted one.
    setWindowIcon(QIcon::fromTheme("strata", CanvasStyle::typeIcon("Block", "Core")));
    theme_ = Theme::fromString(QSettings().value("theme", "system").toString());
    recovery_ = new RecoveryFile();
    scene_ = new GraphScene(doc_->model(), doc_->editor(), this);
    view_ = new GraphView(scene_);
    buildPanels();
    buildActions();
    buildMenus();
    restoreLayout();

    connect(doc_, &Document::titleChanged, this, &MainWindow::updateTitle);
    // A never-saved model's first run made it a project (Document::attachUnsavedRunsProject): the
    // Runs panel lists its runs, and Open Recent finds the file if the model is discarded.
    connect(doc_, &Document::projectChanged, this, [this] {
        if (doc_->holdsUnsavedRuns()) addRecent(doc_->filePath());
        refreshRuns();
    });
    connect(doc_, &Document::versionsChanged, this, [this] {
        refreshVersions();
        refreshModels();
        refreshRuns();
        updateTitle();
        try { // the opened version's trained weights, for Inspect and Export
            const QString weights = adoptVersionWeights(*doc_, *train_);
            if (!weights.isEmpty()) statusBar()->showMessage(tr("%1 v%2 %3").arg(q(doc_->modelName())).arg(doc_->version()->number).arg(weights), 8000);
        } catch (const std::exception& e) {
            statusBar()->showMessage(tr("The version's weights could not be read: %1").arg(q(e.what())), 10000);
        }
    });
    connect(doc_->model(), &GraphModel::changed, this, &MainWindow::updateStatus);
    connect(doc_->model(), &GraphModel::levelChanged, this, [this] { QTimer::singleShot(0, view_, &GraphView::showReadable); });
    connect(scene_, &GraphScene::statusMessage, this, [this](const QString& m) { statusBar()->showMessage(m, 8000); });
    connect(scene_, &GraphScene::openBlockRequested, this, [this](const std::string& b) { doc_->model()->openBlock(b); });
    connect(scene_, &QGraphicsScene::selectionChanged, this, [this] {
        auto sel = scene_->selectedLayers();
        inspector_->setLayer(sel.size() == 1 ? sel.front() : std::string());
        list_->selectLayers(sel);
        updateStatus();
    });
    autosave_ = new QTimer(this);
    autosave_->setInterval(kAutosaveMs);
    connect(autosave_, &QTimer::timeout, this, &MainWindow::autosaveNow);
    autosave_->start();
    updateTitle();
    updateStatus();
    refreshVersions();
    refreshRuns();
    refreshModels();
}

MainWindow::~MainWindow() { delete recovery_; }

void MainWindow::buildPanels() {
    breadcrumb_ = new Breadcrumb(doc_->model());
    list_ = new LayerListPanel(doc_->model());
    centralTabs_ = new QTabWidget;
    centralTabs_->setDocumentMode(true);
    centralTabs_->addTab(view_, tr("Graph"));
    centralTabs_->addTab(list_, tr("Layers"));
    auto* central = new QWidget;
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(breadcrumb_);
    layout->addWidget(centralTabs_, 1);
    setCentralWidget(central);

    auto dock = [this](const QString& name, const QString& title, QWidget* w, Qt::DockWidgetArea area) {
        auto* d = new QDockWidget(title, this);
        d->setObjectName(name);
        d->setWidget(w);
        addDockWidget(area, d);
        return d;
    };
    palette_ = new PalettePanel;
    inspector_ = new InspectorPanel(doc_->model(), doc_->editor());
    summary_ = new SummaryPanel(doc_->model());
    issues_ = new IssuesPanel(doc_->model());
    versions_ = new QListWidget;
    versions_->setAlternatingRowColors(true);
    paletteDock_ = dock("palette", tr("Layers"), palette_, Qt::LeftDockWidgetArea);
    inspectorDock_ = dock("inspector", tr("Inspector"), inspector_, Qt::RightDockWidgetArea);
    versionsDock_ = dock("versions", tr("Versions"), versions_, Qt::RightDockWidgetArea);
    summaryDock_ = dock("summary", tr("Summary"), summary_, Qt::BottomDockWidgetArea);
    issuesDock_ = dock("issues", tr("Issues"), issues_, Qt::BottomDockWidgetArea);
    splitDockWidget(summaryDock_, issuesDock_, Qt::Horizontal);
    train_ = new TrainPanel(doc_);
    trainDock_ = dock("train", tr("Train"), train_, Qt::BottomDockWidgetArea);
    tabifyDockWidget(summaryDock_, trainDock_);
    runs_ = new RunsPanel;
    runsDock_ = dock("runs", tr("Runs"), runs_, Qt::BottomDockWidgetArea);
    tabifyDockWidget(trainDock_, runsDock_);
    data_ = new DatasetView(doc_);
    dataDock_ = dock("data", tr("Data"), data_, Qt::BottomDockWidgetArea);
    tabifyDockWidget(runsDock_, dataDock_);
    summaryDock_->raise();
    setCorner(Qt::BottomLeftCorner, Qt::LeftDockWidgetArea);
    setCorner(Qt::BottomRightCorner, Qt::RightDockWidgetArea);

    connect(palette_, &PalettePanel::activated, this, [this](const QString& type) {
        auto sel = scene_->selectedLayers();
        std::string created;
        QString why = doc_->editor()->appendAfter(type.toStdString(), sel.empty() ? std::string() : sel.back(), &created);
        if (!why.isEmpty()) return statusBar()->showMessage(why, 8000);
        scene_->selectLayers({created});
        if (NodeItem* n = scene_->node(created)) view_->ensureVisible(n, 80, 80);
    });
    connect(inspector_, &InspectorPanel::renamed, this, [this](const std::string& n) { scene_->selectLayers({n}); });
    connect(inspector_, &InspectorPanel::statusMessage, this, [this](const QString& m) { statusBar()->showMessage(m, 8000); });
    connect(inspector_, &InspectorPanel::openBlockRequested, this, [this](const std::string& b) { doc_->model()->openBlock(b); });
    connect(issues_, &IssuesPanel::layerActivated, this, &MainWindow::selectLayer);
    connect(summary_, &SummaryPanel::layerActivated, this, [this](const std::string& l) {
        doc_->model()->openPath({});
        selectLayer(l);
    });
    connect(list_, &LayerListPanel::layerSelected, this, [this](const std::string& l) { scene_->selectLayers({l}); });
    connect(issues_, &IssuesPanel::countChanged, this, [this](int n) {
        issuesDock_->setWindowTitle(n ? tr("Issues (%1)").arg(n) : tr("Issues"));
    });

    connect(train_, &TrainPanel::statusMessage, this, [this](const QString& m) { statusBar()->showMessage(m, 10000); });
    followTraining(train_, runs_); // the Runs panel lists a recorded run while it trains
    runs_->setFallbackStepSettings([this] { return trainStepSettings(); }, tr("the Train panel"));
    connect(train_, &TrainPanel::runStarted, this, [this](qint64, const QString& file) {
        if (file == doc_->filePath()) refreshVersions(); // the run may have stored a new version
    });
    connect(train_, &TrainPanel::viewDataRequested, this, [this] { viewData(train_->dataset(), train_->csvLabel()); });
    connect(runs_, &RunsPanel::statusMessage, this, [this](const QString& m) { statusBar()->showMessage(m, 10000); });
    connect(runs_, &RunsPanel::openVersionRequested, this,
            [this](const QString& model, qint64 version) { openVersion(model.toStdString(), version); });
    auto running = [this](bool on) {
        action("train")->setEnabled(!on);
        action("stopTraining")->setEnabled(on);
    };
    connect(train_, &TrainPanel::trainingStarted, this, [running] { running(true); });
    connect(train_, &TrainPanel::trainingFinished, this, [running] { running(false); });

    statusStats_ = new QLabel;
    statusBar()->addPermanentWidget(statusStats_);
}

QAction* MainWindow::makeAction(const QString& name, const QString& text, const QKeySequence& key, const char*) {
    auto* a = new QAction(text, this);
    a->setObjectName(name);
    if (!key.isEmpty()) a->setShortcut(key);
    return a;
}

QAction* MainWindow::action(const QString& name) const { return findChild<QAction*>(name); }

void MainWindow::buildActions() {
    auto icon = [this](QStyle::StandardPixmap p) { return style()->standardIcon(p); };
    auto add = [this](const QString& name, const QString& text, const QKeySequence& key, auto slot) {
        QAction* a = makeAction(name, text, key);
        connect(a, &QAction::triggered, this, slot);
        return a;
    };
    add("new", tr("&New Model"), QKeySequence::New, &MainWindow::newModel)->setIcon(icon(QStyle::SP_FileIcon));
    add("open", tr("&Open Project…"), QKeySequence::Open, &MainWindow::open)->setIcon(icon(QStyle::SP_DialogOpenButton));
    add("save", tr("&Save Version"), QKeySequence::Save, &MainWindow::save)->setIcon(icon(QStyle::SP_DialogSaveButton));
    add("saveAs", tr("Save Project &As…"), QKeySequence::SaveAs, &MainWindow::saveAs);
    add("import", tr("&Import Spec JSON…"), QKeySequence(tr("Ctrl+I")), &MainWindow::importSpec);
    add("importOnnx", tr("Import &ONNX…"), QKeySequence(tr("Ctrl+Shift+O")), &MainWindow::importOnnx);
    action("importOnnx")->setToolTip(tr("Open an ONNX model (e.g. from torch.onnx.export) as a new model, with its weights (Ctrl+Shift+O)"));
    add("export", tr("&Export Spec JSON…"), QKeySequence(tr("Ctrl+E")), &MainWindow::exportSpec);
    add("exportModel", tr("Export &Model…"), QKeySequence(tr("Ctrl+Shift+E")), &MainWindow::exportModel);
    action("exportModel")->setToolTip(tr("Save the model with its trained weights as a saved-model folder, an ONNX file or PyTorch code (Ctrl+Shift+E)"));
    add("quit", tr("&Quit"), QKeySequence::Quit, &MainWindow::close);

    QAction* undo = doc_->undoStack()->createUndoAction(this, tr("&Undo"));
    undo->setObjectName("undo");
    undo->setShortcut(QKeySequence::Undo);
    undo->setIcon(icon(QStyle::SP_ArrowBack));
    QAction* redo = doc_->undoStack()->createRedoAction(this, tr("&Redo"));
    redo->setObjectName("redo");
    redo->setShortcuts({QKeySequence(tr("Ctrl+Shift+Z")), QKeySequence(tr("Ctrl+Y"))});
    redo->setIcon(icon(QStyle::SP_ArrowForward));

    // Canvas commands act where the canvas has focus, so typing in a field is never hijacked.
    auto canvas = [this](QAction* a) {
        a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        view_->addAction(a);
        return a;
    };
    canvas(add("delete", tr("&Delete"), QKeySequence::Delete, &MainWindow::deleteSelection))
        ->setShortcuts({QKeySequence::Delete, QKeySequence(Qt::Key_Backspace)});
    canvas(add("cut", tr("Cu&t"), QKeySequence::Cut, &MainWindow::cutSelection));
    canvas(add("copy", tr("&Copy"), QKeySequence::Copy, &MainWindow::copySelection));
    canvas(add("paste", tr("&Paste"), QKeySequence::Paste, &MainWindow::paste));
    canvas(add("duplicate", tr("D&uplicate"), QKeySequence(tr("Ctrl+D")), &MainWindow::duplicateSelection));
    canvas(add("selectAll", tr("Select &All"), QKeySequence::SelectAll, [this] {
        for (const auto& [n, item] : scene_->nodes()) item->setSelected(true);
    }));
    canvas(add("focus", tr("&Focus Selection"), QKeySequence(Qt::Key_F), [this] { view_->focusSelection(); }));
    add("fit", tr("&Fit to View"), QKeySequence(tr("Ctrl+0")), [this] { view_->fitAll(); })->setIcon(Theme::icon(Theme::Glyph::Fit));
    add("zoomIn", tr("Zoom &In"), QKeySequence::ZoomIn, [this] { view_->zoomIn(); });
    add("zoomOut", tr("Zoom &Out"), QKeySequence::ZoomOut, [this] { view_->zoomOut(); });
    add("showGraph", tr("&Graph"), QKeySequence(tr("Ctrl+1")), [this] { showView("editor"); });
    add("showList", tr("Layer &List"), QKeySequence(tr("Ctrl+2")), [this] { showView("list"); });
    add("showRuns", tr("&Runs"), QKeySequence(tr("Ctrl+3")), [this] { showView("runs"); });
    action("showRuns")->setToolTip(tr("The training runs stored in the project, with their curves and checkpoints (Ctrl+3)"));
    add("autoLayout", tr("&Auto-layout"), QKeySequence(tr("Ctrl+L")), [this] { autoLayout(std::nullopt); });
    action("autoLayout")->setToolTip(tr("Lay the graph out top to bottom, or left to right when that shows it larger (Ctrl+L)"));
    add("layoutDown", tr("Lay Out &Top to Bottom"), QKeySequence(), [this] { autoLayout(Flow::TopToBottom); });
    add("layoutRight", tr("Lay Out &Left to Right"), QKeySequence(), [this] { autoLayout(Flow::LeftToRight); });
    add("group", tr("&Group into Block"), QKeySequence(tr("Ctrl+G")), &MainWindow::groupSelection);
    add("ungroup", tr("&Ungroup Block"), QKeySequence(tr("Ctrl+Shift+G")), &MainWindow::ungroupSelection);
    add("openBlock", tr("&Open Block"), QKeySequence(tr("Ctrl+Return")), &MainWindow::openSelectedBlock);
    add("closeBlock", tr("&Back Out of Block"), QKeySequence(tr("Ctrl+Backspace")), [this] {
        LevelPath p = doc_->model()->path();
        if (!p.empty()) p.pop_back();
        doc_->model()->openPath(p);
    });
    add("train", tr("&Train"), QKeySequence(tr("Ctrl+T")), &MainWindow::startTraining)->setIcon(Theme::icon(Theme::Glyph::Train));
    add("stopTraining", tr("&Stop Training"), QKeySequence(tr("Ctrl+Shift+T")), &MainWindow::stopTraining)
        ->setIcon(Theme::icon(Theme::Glyph::Stop));
    add("inspect", tr("&Inspect Variables and Graph..."), QKeySequence(tr("Ctrl+Shift+I")), &MainWindow::inspectModel);
    add("compareVersions", tr("&Compare Versions…"), QKeySequence(), [this] { compareVersions(this, *doc_, centralTabs_); });
    add("viewData", tr("&View Data…"), QKeySequence(tr("Ctrl+Shift+D")), [this] { viewData(); });
    action("viewData")->setToolTip(tr("The dataset view: samples, class counts, image sizes and the model's augmentations (Ctrl+Shift+D)"));
    action("inspect")->setToolTip(tr("The tree of variables with their values, and the op graph the engine traces (Ctrl+Shift+I)"));
    action("train")->setToolTip(tr("Train the model with the settings of the Train panel (Ctrl+T)"));
    action("stopTraining")->setEnabled(false);
    add("about", tr("&About Strata"), QKeySequence(), [this] {
        QMessageBox::about(this, tr("About Strata"),
                           tr("<h3>Strata %1</h3><p>Author neural networks visually: every edit is checked and "
                              "shape-inferred by the engine as you make it.</p>")
                               .arg(STRATA_VERSION));
    });
    add("shortcuts", tr("&Keyboard Shortcuts"), QKeySequence::HelpContents, [this] {
        QMessageBox::information(this, tr("Keyboard shortcuts"),
                                 tr("<table>"
                                    "<tr><td><b>Delete</b></td><td>delete the selection</td></tr>"
                                    "<tr><td><b>Ctrl+C / Ctrl+V / Ctrl+D</b></td><td>copy, paste, duplicate</td></tr>"
                                    "<tr><td><b>Ctrl+Z / Ctrl+Shift+Z</b></td><td>undo, redo</td></tr>"
                                    "<tr><td><b>Ctrl+N / Ctrl+O / Ctrl+S</b></td><td>new model, open, save a version</td></tr>"
                                    "<tr><td><b>Ctrl+1 / Ctrl+2 / Ctrl+3</b></td><td>the graph, the layer list, the runs of the project</td></tr>"
                                    "<tr><td><b>Ctrl+0 / F</b></td><td>fit to view, focus the selection</td></tr>"
                                    "<tr><td><b>Ctrl+L</b></td><td>auto-layout</td></tr>"
                                    "<tr><td><b>Ctrl+G / Ctrl+Shift+G</b></td><td>group into a block, ungroup</td></tr>"
                                    "<tr><td><b>Ctrl+T / Ctrl+Shift+T</b></td><td>train, stop training</td></tr>"
                                    "<tr><td><b>Ctrl+Shift+D</b></td><td>view the dataset</td></tr>"
                                    "<tr><td><b>Ctrl+Shift+I</b></td><td>inspect variables and the traced graph</td></tr>"
                                    "<tr><td><b>Ctrl+Shift+E</b></td><td>export the model (saved model, ONNX, PyTorch)</td></tr>"
                                    "<tr><td><b>Ctrl+Shift+O</b></td><td>import an ONNX model with its weights</td></tr>"
                                    "<tr><td><b>Wheel / middle drag / Space+drag</b></td><td>zoom, pan</td></tr>"
                                    "</table>"));
    });
    action("autoLayout")->setIcon(icon(QStyle::SP_BrowserReload));
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addActions({action("new"), action("open")});
    recentMenu_ = file->addMenu(tr("Open &Recent"));
    rebuildRecentMenu();
    file->addSeparator();
    file->addActions({action("save"), action("saveAs")});
    file->addSeparator();
    file->addActions({action("import"), action("importOnnx"), action("export"), action("exportModel")});
    file->addSeparator();
    file->addAction(action("quit"));

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    edit->addActions({action("undo"), action("redo")});
    edit->addSeparator();
    edit->addActions({action("cut"), action("copy"), action("paste"), action("duplicate"), action("delete")});
    edit->addSeparator();
    edit->addAction(action("selectAll"));

    QMenu* view = menuBar()->addMenu(tr("&View"));
    view->addActions({action("showGraph"), action("showList")});
    view->addSeparator();
    view->addActions({action("fit"), action("focus"), action("zoomIn"), action("zoomOut")});
    view->addSeparator();
    view->addAction(action("showRuns"));
    view->addSeparator();
    // The Runs dock is shown by showRuns above (Ctrl+3), not by a second "Runs" entry.
    for (QDockWidget* d : {paletteDock_, inspectorDock_, versionsDock_, summaryDock_, trainDock_, dataDock_, issuesDock_})
        view->addAction(d->toggleViewAction());
    view->addSeparator();
    QMenu* theme = view->addMenu(tr("&Theme"));
    auto* group = new QActionGroup(this);
    for (auto [mode, label] : {std::pair{Theme::Mode::System, tr("Follow the &System")},
                               std::pair{Theme::Mode::Light, tr("&Light")}, std::pair{Theme::Mode::Dark, tr("&Dark")}}) {
        QAction* a = theme->addAction(label);
        a->setCheckable(true);
        a->setChecked(mode == theme_);
        group->addAction(a);
        connect(a, &QAction::triggered, this, [this, mode = mode] { setTheme(mode); });
    }

    QMenu* model = menuBar()->addMenu(tr("&Model"));
    model->addActions({action("autoLayout"), action("layoutDown"), action("layoutRight")});
    model->addSeparator();
    model->addActions({action("group"), action("ungroup"), action("openBlock"), action("closeBlock")});
    model->addSeparator();
    model->addActions({action("train"), action("stopTraining")});
    model->addSeparator();
    model->addAction(action("inspect"));
    model->addAction(action("compareVersions"));

    QMenu* data = menuBar()->addMenu(tr("&Data"));
    data->setObjectName("dataMenu");
    data->addAction(action("viewData"));

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addActions({action("shortcuts"), action("about")});

    QToolBar* tb = addToolBar(tr("Main"));
    tb->setObjectName("mainToolbar");
    tb->setMovable(false);
    tb->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    tb->setIconSize(QSize(18, 18));
    tb->addActions({action("new"), action("open"), action("save")});
    tb->addSeparator();
    tb->addActions({action("undo"), action("redo")});
    // Undo and Redo name what they undo ("Undo Add Dense"): as icons only, with that text in their
    // tooltips, the buttons after them keep their place.
    for (const char* name : {"undo", "redo"})
        if (auto* button = qobject_cast<QToolButton*>(tb->widgetForAction(action(name))))
            button->setToolButtonStyle(Qt::ToolButtonIconOnly);
    tb->addSeparator();
    tb->addActions({action("autoLayout"), action("fit")});
    tb->addSeparator();
    QAction* groupAct = action("group");
    tb->addAction(groupAct);
    tb->addSeparator();
    tb->addActions({action("train"), action("stopTraining")});
    tb->addSeparator();
    auto* label = new QLabel(tr("  Model "));
    tb->addWidget(label);
    models_ = new QComboBox;
    models_->setMinimumContentsLength(16);
    models_->setToolTip(tr("The models in this project"));
    tb->addWidget(models_);
    connect(models_, &QComboBox::activated, this, [this](int i) {
        std::string name = models_->itemText(i).toStdString();
        if (switchingModel_ || name == doc_->modelName() || !doc_->store()) return;
        if (!maybeSave()) return refreshModels();
        try {
            doc_->openModel(name);
            view_->showReadable();
        } catch (const std::exception& e) {
            showError(tr("Could not open the model"), e);
        }
    });
    connect(versions_, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) {
        if (item->flags() & Qt::ItemIsEnabled) openVersion(doc_->modelName(), item->data(Qt::UserRole).toLongLong());
    });
}

void MainWindow::restoreLayout() {
    resize(1440, 900);
    resizeDocks({paletteDock_, inspectorDock_}, {220, 300}, Qt::Horizontal);
    resizeDocks({summaryDock_}, {210}, Qt::Vertical);
    resizeDocks({summaryDock_, issuesDock_}, {700, 400}, Qt::Horizontal);
    resizeDocks({inspectorDock_, versionsDock_}, {520, 180}, Qt::Vertical);
    QSettings s;
    if (s.contains("window/geometry")) restoreGeometry(s.value("window/geometry").toByteArray());
    if (s.contains("window/state")) restoreState(s.value("window/state").toByteArray());
}

void MainWindow::updateTitle() {
    setWindowTitle(doc_->title() + " — Strata");
    setWindowModified(doc_->isDirty());
}

void MainWindow::updateStatus() {
    const auto& inf = doc_->model()->rootInference();
    const auto& spec = doc_->model()->state().spec;
    QString issues = inf.issues.empty() ? tr("✓ no issues") : tr("%n issue(s)", nullptr, int(inf.issues.size()));
    auto sel = scene_->selectedLayers();
    QString selected = sel.empty() ? QString() : tr("%n selected · ", nullptr, int(sel.size()));
    statusStats_->setText(QStringLiteral("%1%2 · %3 · %4 params · %5")
                              .arg(selected, tr("%n layer(s)", nullptr, int(spec.layers.size())),
                                   spec.isSequential() ? tr("Sequential") : tr("functional"),
                                   q(withThousands(inf.totals.total())), issues));
}

void MainWindow::refreshVersions() {
    versions_->clear();
    if (!doc_->store()) {
        auto* item = new QListWidgetItem(tr("Not saved in a project yet"), versions_);
        item->setFlags(Qt::NoItemFlags);
        return;
    }
    auto list = doc_->store()->versions(doc_->modelName());
    for (auto it = list.rbegin(); it != list.rend(); ++it) {
        QString when = it->createdAt.left(16).replace('T', ' ');
        QString text = tr("v%1  ·  %2").arg(it->number).arg(when);
        if (!it->note.isEmpty()) text += "\n" + it->note;
        auto* item = new QListWidgetItem(text, versions_);
        item->setData(Qt::UserRole, qlonglong(it->id));
        item->setToolTip(tr("Double-click to open this version"));
        if (doc_->version() && doc_->version()->id == it->id) {
            QFont f = item->font();
            f.setBold(true);
            item->setFont(f);
        }
    }
    if (list.empty()) {
        auto* item = new QListWidgetItem(tr("No saved versions of this model"), versions_);
        item->setFlags(Qt::NoItemFlags);
    }
}

void MainWindow::refreshModels() {
    switchingModel_ = true;
    models_->clear();
    std::vector<std::string> names = doc_->store() ? doc_->store()->modelNames() : std::vector<std::string>{};
    if (std::find(names.begin(), names.end(), doc_->modelName()) == names.end()) names.push_back(doc_->modelName());
    for (const auto& n : names) models_->addItem(q(n));
    models_->setCurrentText(q(doc_->modelName()));
    switchingModel_ = false;
}

void MainWindow::refreshRuns() { runs_->setProject(doc_->store() ? doc_->filePath() : QString(), q(doc_->modelName())); }

void MainWindow::openVersion(const std::string& model, int64_t versionId) {
    if (!doc_->store() || !maybeSave()) return;
    try {
        doc_->openModel(model, versionId);
        view_->showReadable();
        const VersionInfo& v = *doc_->version();
        statusBar()->showMessage(tr("Opened %1 v%2").arg(q(model)).arg(v.number), 5000);
    } catch (const std::exception& e) {
        showError(tr("Could not open the version"), e);
    }
}

void MainWindow::showView(const QString& what) {
    if (what == "summary") {
        summaryDock_->show();
        summaryDock_->raise();
        resizeDocks({summaryDock_}, {height() / 2}, Qt::Vertical);
        centralTabs_->setCurrentWidget(view_);
    } else if (what == "train") {
        trainDock_->show();
        trainDock_->raise();
        resizeDocks({trainDock_}, {std::max(trainDock_->height(), 390)}, Qt::Vertical);
        resizeDocks({trainDock_, issuesDock_}, {width() * 4 / 5, width() / 5}, Qt::Horizontal);
        centralTabs_->setCurrentWidget(view_);
    } else if (what == "runs") {
        runsDock_->show();
        runsDock_->raise();
        resizeDocks({runsDock_}, {std::max(runsDock_->height(), 400)}, Qt::Vertical);
        resizeDocks({runsDock_, issuesDock_}, {width() * 5 / 6, width() / 6}, Qt::Horizontal);
        centralTabs_->setCurrentWidget(view_);
    } else if (what == "data") {
        dataDock_->show();
        dataDock_->raise();
        resizeDocks({dataDock_}, {std::max(dataDock_->height(), height() * 11 / 20)}, Qt::Vertical);
        resizeDocks({dataDock_, issuesDock_}, {width() * 5 / 6, width() / 6}, Qt::Horizontal);
        centralTabs_->setCurrentWidget(view_);
    } else if (what == "list") {
        centralTabs_->setCurrentWidget(list_);
    } else {
        centralTabs_->setCurrentWidget(view_);
        resizeDocks({summaryDock_}, {std::min(summaryDock_->height(), 240)}, Qt::Vertical);
        view_->setFocus();
    }
}

void MainWindow::startTraining() {
    if (!trainDock_->isVisible() || trainDock_->visibleRegion().isEmpty() || trainDock_->height() < 300) showView("train");
    train_->train();
}

void MainWindow::stopTraining() { train_->stop(); }

void MainWindow::viewData(const QString& source, const QString& csvLabel) {
    if (!dataDock_->isVisible() || dataDock_->visibleRegion().isEmpty() || dataDock_->height() < 300) showView("data");
    dataDock_->raise();
    if (!source.isEmpty()) data_->openSource(source, csvLabel);
    else if (data_->source().isEmpty() && !data_->isScanning()) data_->openSource(train_->dataset(), train_->csvLabel());
}

void MainWindow::inspectModel() {
    const ModelSpec& spec = doc_->model()->state().spec;
    const StepSettings step = trainStepSettings(); // the whole step as Train would run it
    openModelInspector(this, spec, train_->trainedWeights(spec), &step); // trained values after a run of this spec
}

StepSettings MainWindow::trainStepSettings() const { return {train_->settings().options, tr("As the Train panel sets them.")}; }

void MainWindow::exportModel() {
    const ModelSpec& spec = doc_->model()->state().spec;
    const auto* weights = train_->trainedWeights(spec);
    ExportModelDialog dialog(spec, weights, this);
    // Next to the project it came from, not in the home folder; and whose weights these are.
    if (doc_->store() && !doc_->holdsUnsavedRuns()) dialog.setFolder(QFileInfo(doc_->filePath()).absolutePath());
    if (weights && !weights->empty() && train_->lastRecordedRun() != 0)
        dialog.setWeightsNote(tr("Weights: <b>trained</b>, from run %1 (the last training in this window, recorded in %2).")
                                  .arg(train_->lastRecordedRun())
                                  .arg(QFileInfo(doc_->filePath()).fileName().toHtmlEscaped()));
    if (dialog.exec() == QDialog::Accepted) statusBar()->showMessage(dialog.message(), 8000);
}

void MainWindow::selectLayer(const std::string& layer) {
    if (!scene_->node(layer)) return;
    centralTabs_->setCurrentWidget(view_);
    scene_->selectLayers({layer});
    view_->centerOn(scene_->node(layer));
}

void MainWindow::setTheme(Theme::Mode mode) {
    theme_ = mode;
    QSettings().setValue("theme", Theme::toString(mode));
    Theme::apply(mode);
    scene_->update();
    view_->viewport()->update();
}

void MainWindow::resizeEvent(QResizeEvent* e) {
    QMainWindow::resizeEvent(e);
    // A narrower window squeezes the palette first, down to its badges: once the layout has placed
    // the docks, give it back room for its names, from the canvas and the bottom panels.
    QMetaObject::invokeMethod(this, [this] {
        constexpr int kPalette = 150;
        if (!paletteDock_->isHidden() && !paletteDock_->isFloating() && paletteDock_->width() < kPalette)
            resizeDocks({paletteDock_}, {kPalette}, Qt::Horizontal);
    }, Qt::QueuedConnection);
}

void MainWindow::changeEvent(QEvent* e) {
    if (e->type() == QEvent::ThemeChange && theme_ == Theme::Mode::System) {
        Theme::apply(theme_);
        scene_->update();
    }
    QMainWindow::changeEvent(e);
}

} // namespace strata::gui
