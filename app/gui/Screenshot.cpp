#include "app/gui/Screenshot.h"

#include "app/gui/MainWindow.h"
#include "app/gui/canvas/GraphScene.h"
#include "app/gui/data/DatasetView.h"
#include "app/gui/eval/ConfusionMatrixView.h"
#include "app/gui/eval/EvaluationPanel.h"
#include "app/gui/runs/RunsPanel.h"
#include "app/gui/export/ExportModelDialog.h"
#include "app/gui/inspect/ModelInspector.h"
#include "app/gui/inspect/TracedGraphView.h"
#include "app/gui/inspect/VariablePlots.h"
#include "app/gui/inspect/VariablesView.h"
#include "app/gui/runs/RunsPanel.h"
#include "app/gui/canvas/GraphView.h"
#include "app/gui/compare/VersionCompare.h"
#include "app/gui/project/Document.h"
#include "app/gui/runs/RunsPanel.h"
#include "app/gui/train/TrainPanel.h"

#include <QApplication>
#include <QDockWidget>
#include <QPainter>
#include <QElapsedTimer>
#include <QPixmap>
#include <QRegularExpression>
#include <QTabWidget>

#include <cstdio>

namespace strata::gui {

namespace {

// Trains the open model with the panel's settings (not recorded in the project), so the curves
// and the test accuracy show; false when the run fails or takes more than ten minutes.
bool trainBriefly(MainWindow& window) {
    TrainPanel* panel = window.trainPanel();
    panel->setRecordInProject(false);
    bool finished = false;
    QObject scope; // the connection ends with this function
    QObject::connect(panel, &TrainPanel::trainingFinished, &scope, [&finished] { finished = true; });
    panel->train();
    QElapsedTimer t;
    t.start();
    while (!finished && t.elapsed() < 600000) QApplication::processEvents(QEventLoop::AllEvents, 50);
    if (!finished) panel->stopAndWait();
    QApplication::processEvents();
    if (panel->lastRunFailed()) std::fprintf(stderr, "strata: %s\n", qPrintable(panel->statusText()));
    return finished && !panel->lastRunFailed();
}

void settle(int ms) {
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < ms) QApplication::processEvents(QEventLoop::AllEvents, 50);
}

// The model inspector's Traced graph tab for the open model: the training trace (or the whole step,
// with the Train panel's loss and optimizer), with the first matmul selected in the table and the drawing.
bool renderTracedGraph(MainWindow& window, const QString& out, int width, int height, bool wholeStep) {
    ModelInspector inspector(window.document()->model()->state().spec, nullptr);
    if (!inspector.tabs() || !inspector.tracedGraphView()) return false;
    inspector.resize(width, height);
    inspector.tabs()->setCurrentWidget(inspector.tracedGraphView());
    TracedGraphView* view = inspector.tracedGraphView();
    view->setStepSettings(window.trainStepSettings());
    view->setTraining(true);
    view->setWholeStep(wholeStep);
    inspector.show();
    settle(200);
    if (const train::TracedModel* trace = view->trace())
        for (int n = 0; n < trace->graph.nodeCount(); ++n)
            if (trace->graph.node(n).op == ir::OpKind::MatMul) {
                view->selectNode(n);
                break;
            }
    settle(100);
    const QPixmap pm = inspector.grab();
    return !pm.isNull() && pm.save(out, "PNG");
}

// The dataset view on `data` (the Train panel's dataset when empty), once read; false when it
// cannot be read in two minutes.
bool viewDataset(MainWindow& window, const QString& data) {
    DatasetView* view = window.dataView();
    window.viewData(data.isEmpty() ? QString() : data);
    QElapsedTimer t;
    t.start();
    while (view->isScanning() && t.elapsed() < 120000) QApplication::processEvents(QEventLoop::AllEvents, 50);
    if (view->isScanning() || view->source().isEmpty()) {
        std::fprintf(stderr, "strata: %s\n", qPrintable(view->statusText()));
        return false;
    }
    settle(300);
    return true;
}

// The Runs panel comparing the project's two newest runs (one run alone when it has one).
void compareNewestRuns(MainWindow& window) {
    RunsPanel* runs = window.runsPanel();
    if (runs->runCount() >= 2) runs->selectRuns({runs->runs()[0].id, runs->runs()[1].id});
    if (auto* dock = qobject_cast<QDockWidget*>(runs->parentWidget())) { // most of the window
        window.resizeDocks({dock}, {window.height() * 3 / 4}, Qt::Vertical);
        window.resizeDocks({dock}, {window.width() * 7 / 8}, Qt::Horizontal);
    }
    settle(300);
}

// The comparison of two versions of the open model ("1,3"; the two newest when empty) in the
// central tabs; false (after saying why) when the model lacks them.
bool compareVersionsShown(MainWindow& window, const QString& versions) {
    Document& doc = *window.document();
    auto* tabs = qobject_cast<QTabWidget*>(window.view()->parentWidget() ? window.view()->parentWidget()->parentWidget() : nullptr);
    const auto list = doc.store() ? doc.store()->versions(doc.modelName()) : std::vector<VersionInfo>{};
    if (!tabs || list.size() < 2) {
        std::fprintf(stderr, "strata: --show diff needs a project whose model has two saved versions\n");
        return false;
    }
    QStringList numbers = versions.split(QRegularExpression("[ ,]+"), Qt::SkipEmptyParts);
    if (numbers.isEmpty()) numbers = {QString::number(list[list.size() - 2].number), QString::number(list.back().number)};
    std::vector<int64_t> ids;
    for (const QString& n : numbers)
        for (const auto& v : list)
            if (QString::number(v.number) == n || "v" + QString::number(v.number) == n) ids.push_back(v.id);
    if (numbers.size() != 2 || ids.size() != 2) {
        std::fprintf(stderr, "strata: --versions '%s': give two version numbers of model '%s', e.g. 1,2\n", qPrintable(versions),
                     doc.modelName().c_str());
        return false;
    }
    VersionCompareView* view = showComparison(doc, tabs, ids[0], ids[1]);
    for (auto* dock : window.findChildren<QDockWidget*>()) // the canvas gets the height of the bottom docks
        if (window.dockWidgetArea(dock) == Qt::BottomDockWidgetArea) dock->hide();
    settle(200);
    view->view()->fitAll();
    settle(100);
    return true;
}

// The Evaluation panel on the newest run of the open project, computed, with the confusion
// matrix's largest off-diagonal cell clicked; false without such a run or when it fails.
bool renderEvaluation(MainWindow& window, const QString& out, int width, int height) {
    RunsPanel* runs = window.runsPanel();
    runs->refresh();
    EvaluationPanel* panel = runs->evaluateSelected();
    if (!panel) {
        std::fprintf(stderr, "strata: --show evaluate needs a project with a run that kept a checkpoint (%s)\n",
                     qPrintable(runs->lastError().isEmpty() ? runs->messageText() : runs->lastError()));
        return false;
    }
    panel->resize(width * 3 / 4, height);
    QElapsedTimer t;
    t.start();
    while (panel->isRunning() && t.elapsed() < 600000) QApplication::processEvents(QEventLoop::AllEvents, 50);
    settle(300);
    const train::EvalReport* r = panel->report();
    if (!r) {
        std::fprintf(stderr, "strata: %s\n", qPrintable(panel->statusText()));
        return false;
    }
    int bestT = -1, bestP = -1;
    for (int i = 0; i < r->classCount(); ++i)
        for (int j = 0; j < r->classCount(); ++j)
            if (i != j && (bestT < 0 || r->confusion[std::size_t(i)][std::size_t(j)] > r->confusion[std::size_t(bestT)][std::size_t(bestP)]))
                bestT = i, bestP = j;
    if (bestT >= 0) panel->showCell(bestT, bestP);
    settle(300);
    const QPixmap pm = panel->grab();
    return !pm.isNull() && pm.save(out, "PNG");
}

// The model inspector on the Runs panel's selected run (the newest), its Variables tab with the
// first layer's kernel selected: above, the distribution of its values over the recorded epochs;
// below, the histogram of its final values. False when the run recorded no histograms.
bool renderHistograms(MainWindow& window, const QString& out, int width, int height) {
    ModelInspector* inspector = window.runsPanel()->inspectSelected();
    if (!inspector || !inspector->variablesView()) {
        std::fprintf(stderr, "strata: no run with weights to inspect in the project\n");
        return false;
    }
    VariablesView* view = inspector->variablesView();
    VariablePlots* plots = view->plots();
    if (!plots->hasRunHistograms()) {
        std::fprintf(stderr, "strata: the newest run recorded no histograms (trained with --no-histograms?)\n");
        return false;
    }
    inspector->resize(width, height);
    for (const QString& path : view->variablePaths())
        if (path.endsWith(QStringLiteral("/kernel"))) {
            view->selectPath(path);
            break;
        }
    plots->setCurrentWidget(plots->overTimeTab());
    settle(300);
    const QPixmap top = inspector->grab();
    plots->setCurrentWidget(plots->histogramTab());
    settle(200);
    const QPixmap bottom = plots->grab();
    QPixmap pm(top.width(), top.height() + bottom.height());
    pm.fill(inspector->palette().color(QPalette::Window));
    {
        QPainter painter(&pm);
        painter.drawPixmap(0, 0, top);
        painter.drawPixmap(top.width() - bottom.width(), top.height(), bottom);
    }
    inspector->close();
    return !pm.isNull() && pm.save(out, "PNG");
}

} // namespace

const QStringList& screenshotViews() {
    static const QStringList views = {"editor", "summary", "list", "train", "runs", "export", "graph", "step", "data", "diff", "evaluate", "histograms"};
    return views;
}

bool renderScreenshot(MainWindow& window, const QString& out, const QString& show, int width, int height, const QString& data,
                      const QString& versions) {
    window.setInteractive(false);
    window.resize(width, height);
    window.show();
    // Let the layout settle (docks size themselves over a few event-loop turns).
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 300) QApplication::processEvents(QEventLoop::AllEvents, 50);
    window.showView(show.isEmpty() ? "editor" : show);
    // Show the inspector at work: select the layer with the most parameters.
    const auto& inf = window.document()->model()->rootInference();
    const auto& spec = window.document()->model()->spec();
    std::size_t best = 0;
    for (std::size_t i = 0; i < inf.layers.size(); ++i)
        if (inf.layers[i].params.total() > inf.layers[best].params.total()) best = i;
    if (!spec.layers.empty()) window.scene()->selectLayers({spec.layers[best].name});
    QApplication::processEvents();
    window.view()->showReadable(); // as a model opens: readable, on its start when it does not fit
    QApplication::processEvents();
    if (show == "graph" || show == "step") return renderTracedGraph(window, out, width, height, show == "step");
    if (show == "evaluate") return renderEvaluation(window, out, width, height);
    if (show == "histograms") return renderHistograms(window, out, width, height);
    if ((show == "train" || show == "export") && !trainBriefly(window)) return false;
    if (show == "data" && !viewDataset(window, data)) return false;
    if (show == "runs") compareNewestRuns(window);
    if (show == "diff" && !compareVersionsShown(window, versions)) return false;
    if (show == "export") { // the Export Model dialog alone, holding the weights just trained
        const ModelSpec& trained = window.document()->model()->state().spec;
        ExportModelDialog dialog(trained, window.trainPanel()->trainedWeights(trained), &window);
        dialog.setFormat(ExportModelDialog::Format::Onnx);
        dialog.show();
        QApplication::processEvents();
        const QPixmap pm = dialog.grab();
        return !pm.isNull() && pm.save(out, "PNG");
    }
    QPixmap pm = window.grab();
    return !pm.isNull() && pm.save(out, "PNG");
}

} // namespace strata::gui
