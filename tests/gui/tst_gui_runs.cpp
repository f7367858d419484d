// The Runs panel: it lists the runs a project holds (recorded here by strata-cli, in-process),
// newest first, with their figures as stored; a selected run draws its epoch metrics; its newest
// checkpoint opens in the model inspector and is exported with exactly the stored values; a run
// without a checkpoint says why it cannot be inspected; the main window follows the project,
// refreshes when a run is recorded and opens the run's model version. The inspector traces a
// run's whole step with the optimizer and loss the run recorded. While the main window trains a
// run into the project, the panel lists it at once ("running") and re-reads it every epoch, its
// curves growing, without taking the person's selection, scroll or column widths.
#include <QAction>
#include <QCheckBox>
#include <QFile>
#include <QHeaderView>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include "GuiTestSupport.h"

#include "app/cli/Cli.h"
#include "app/gui/MainWindow.h"
#include "app/gui/export/ExportModelDialog.h"
#include "app/gui/inspect/ModelInspector.h"
#include "app/gui/inspect/TracedGraphView.h"
#include "app/gui/runs/RunHistory.h"
#include "app/gui/runs/RunsPanel.h"
#include "app/gui/charts/MetricChart.h"
#include "app/gui/runs/RunCurves.h"
#include "app/gui/train/TrainPanel.h"

#include "storage/CheckpointStore.h"
#include "storage/Project.h"
#include "storage/SavedModel.h"

#include <cmath>
#include <sstream>

using namespace strata;
using namespace strata::gui;

namespace {

// `strata-cli train EXAMPLE --data digits --project FILE ARGS...`, in this process.
void trainInto(const QString& project, const QString& example, std::vector<std::string> extra) {
    std::vector<std::string> args = {"train", (test::resources() + "/examples/" + example + ".json").toStdString(), "--data",
                                     "digits", "--project", project.toStdString()};
    args.insert(args.end(), extra.begin(), extra.end());
    std::ostringstream out, err;
    const int rc = cli::runCli(args, out, err);
    QVERIFY2(rc == 0, err.str().c_str());
}

QString cellText(const RunsPanel& panel, int row, const QString& header) {
    QTableWidget* t = panel.table();
    for (int c = 0; c < t->columnCount(); ++c)
        if (t->horizontalHeaderItem(c)->text() == header) return t->item(row, c)->text();
    return "<no column " + header + ">";
}

// The series of `metric` of the run `runId` in the panel's charts ("12/loss").
QString key(int64_t runId, const char* metric) { return RunCurves::seriesKey(runId, metric); }
QString key(const RunsPanel& panel, const char* metric) { return key(panel.selectedRun().value().id, metric); }

QPushButton* button(const RunsPanel& panel, const char* name) { return panel.findChild<QPushButton*>(name); }

int rowOf(const RunsPanel& panel, int64_t runId) {
    for (int row = 0; row < panel.runCount(); ++row)
        if (panel.runs()[std::size_t(row)].id == runId) return row;
    return -1;
}

constexpr int kTimeoutMs = 180000;

} // namespace

class TestGuiRuns : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    QString project_;

private slots:
    void deviceColumnShowsDataParallelRanks() { // strata-cli train --distributed records "distributed": {"ranks": N}
        QCOMPARE(QString::fromStdString(gui::runDeviceLabel("cpu", {{"distributed", {{"ranks", 4}}}})), QString("cpu \u00d7 4"));
        QCOMPARE(QString::fromStdString(gui::runDeviceLabel("vulkan:0", {{"distributed", {{"ranks", 2}}}})), QString("vulkan \u00d7 2"));
        QCOMPARE(QString::fromStdString(gui::runDeviceLabel("vulkan:1", {{"seed", 0}})), QString("vulkan:1"));
        QCOMPARE(QString::fromStdString(gui::runDeviceLabel("cpu", {{"distributed", {{"ranks", 1}}}})), QString("cpu"));
    }

    void initTestCase() {
        test::isolateUserFolders();
        QVERIFY(dir_.isValid());
        project_ = dir_.filePath("runs.strata");
        trainInto(project_, "digits_mlp", {"--epochs", "3"});
        trainInto(project_, "digits_mlp", {"--epochs", "2", "--optimizer", "sgd", "--lr", "0.05"});
        trainInto(project_, "two_branch", {"--epochs", "1"});
    }

    void withoutAProjectItSaysHowRunsGetThere() {
        RunsPanel panel;
        QCOMPARE(panel.runCount(), 0);
        QVERIFY(panel.messageText().contains("No runs yet"));
        QVERIFY(panel.messageText().contains("Ctrl+T")); // how a run gets there; no check box to look for
        QVERIFY(!panel.messageText().contains("Record in project"));

        const QString empty = dir_.filePath("empty.strata");
        storage::Project::open(empty.toStdString(), storage::OpenMode::Create).saveVersion("m", test::example("digits_mlp"));
        panel.setProject(empty, "m");
        QCOMPARE(panel.runCount(), 0);
        QVERIFY2(panel.messageText().contains("No runs in empty.strata"), qPrintable(panel.messageText()));

        panel.setProject(dir_.filePath("absent.strata"), "m");
        QVERIFY2(panel.messageText().contains("could not be read") && panel.messageText().contains("absent.strata"),
                 qPrintable(panel.messageText()));
    }

    void listsEveryRunNewestFirstWithItsStoredFigures() {
        RunsPanel panel;
        panel.setProject(project_, "digits_mlp");
        QCOMPARE(panel.runCount(), 3);
        QCOMPARE(panel.table()->rowCount(), 3);
        storage::Project p = storage::Project::open(project_.toStdString(), storage::OpenMode::ReadOnly);
        const auto stored = p.runs();
        for (int row = 0; row < 3; ++row) {
            const storage::RunInfo& r = stored[std::size_t(2 - row)]; // newest first
            QCOMPARE(cellText(panel, row, "Run"), QString::number(r.id));
            QCOMPARE(cellText(panel, row, "Model"), QString("%1 v%2").arg(QString::fromStdString(r.modelName)).arg(r.modelVersion));
            QCOMPARE(cellText(panel, row, "Dataset"), QString("digits"));
            QCOMPARE(cellText(panel, row, "Status"), QString("completed"));
            QCOMPARE(cellText(panel, row, "Epochs"), QString::number(r.hyperparameters.at("epochs").get<int>()));
            QCOMPARE(cellText(panel, row, "Test accuracy"),
                     QString::number(100.0 * r.result.at("test_accuracy").get<double>(), 'f', 1) + "%");
            double lastLoss = NAN;
            for (const auto& m : p.metrics(r.id, "epoch"))
                if (m.name == "loss") lastLoss = m.value;
            QCOMPARE(cellText(panel, row, "Train loss (last epoch)"), QString::number(lastLoss, 'f', 4));
            QCOMPARE(cellText(panel, row, "Test loss"), QString::number(r.result.at("test_loss").get<double>(), 'f', 4));
        }
        QCOMPARE(panel.selectedRun()->id, stored.back().id); // the newest is selected

        // The first run: three epochs of train and validation curves, as stored.
        QVERIFY(panel.selectRun(stored.front().id));
        QCOMPARE(panel.selectedRun()->id, stored.front().id);
        QCOMPARE(panel.lossChart()->seriesCount(), 2);
        QCOMPARE(panel.lossChart()->pointCount(key(panel, "loss")), 3);
        QCOMPARE(panel.lossChart()->pointCount(key(panel, "val_loss")), 3);
        QCOMPARE(panel.metricChart()->pointCount(key(panel, "val_accuracy")), 3);
        std::vector<double> losses;
        for (const auto& m : p.metrics(stored.front().id, "epoch"))
            if (m.name == "loss") losses.push_back(m.value);
        const auto points = panel.lossChart()->points(key(panel, "loss"));
        for (std::size_t i = 0; i < 3; ++i) {
            QCOMPARE(points[i].x(), double(i + 1));
            QCOMPARE(points[i].y(), losses[i]);
        }
        QVERIFY(panel.detailsText().contains(QString("Run %1").arg(stored.front().id)));
        QStringList settings; // the settings, a key/value table
        for (int row = 0; row < panel.settingsTable()->rowCount(); ++row)
            settings << panel.settingsTable()->item(row, 0)->text() + "=" + panel.settingsTable()->item(row, 1)->text();
        QVERIFY2(settings.contains("optimizer=adam") && settings.contains("epochs=3") && settings.contains("dataset=digits"),
                 qPrintable(settings.join(", ")));
        QVERIFY(button(panel, "inspectRun")->isEnabled());

        // Only this model: the two_branch run goes.
        panel.setOnlyCurrentModel(true);
        QCOMPARE(panel.runCount(), 2);
        QVERIFY(panel.selectedRun().has_value());
        QCOMPARE(panel.selectedRun()->id, stored.front().id); // the selection survives the refresh
        panel.setCurrentModel("two_branch");
        QCOMPARE(panel.runCount(), 1);
        QCOMPARE(cellText(panel, 0, "Model"), QString("two_branch v1"));
    }

    void inspectAndExportUseTheNewestCheckpoint() {
        RunsPanel panel;
        panel.setProject(project_, "digits_mlp");
        storage::Project p = storage::Project::open(project_.toStdString(), storage::OpenMode::ReadOnly);
        const int64_t runId = p.runs().front().id;
        QVERIFY(panel.selectRun(runId));
        storage::CheckpointFilter filter;
        filter.runId = runId;
        const auto latest = storage::CheckpointStore(p).latest(filter);
        QVERIFY(latest.has_value());
        QCOMPARE(latest->epochsDone, 3);
        const storage::CheckpointReader reader(p, latest->id);
        auto stored = [&](const std::string& path) {
            for (const auto& e : reader.entries())
                if (e.key == path + "/.ATTRIBUTES/VARIABLE_VALUE") return reader.read(e);
            return Tensor();
        };

        ModelInspector* inspector = panel.inspectSelected();
        QVERIFY2(inspector, qPrintable(panel.lastError()));
        QVERIFY(inspector->windowTitle().contains(QString("Run %1").arg(runId)));
        QVERIFY2(inspector->valuesNote().contains("given values"), qPrintable(inspector->valuesNote()));
        int compared = 0;
        for (Variable* v : inspector->model()->variables()) {
            const Tensor want = stored(v->path());
            QCOMPARE(want.size(), v->value().size());
            for (int64_t i = 0; i < want.size(); ++i) QCOMPARE(v->value().f32()[i], want.f32()[i]);
            ++compared;
        }
        QCOMPARE(compared, 4);
        inspector->close();

        std::unique_ptr<ExportModelDialog> dialog = panel.exportDialogForSelected();
        QVERIFY(dialog);
        QVERIFY(dialog->usesTrainedWeights());
        QVERIFY2(dialog->weightsNote().contains(QString("run %1").arg(runId)), qPrintable(dialog->weightsNote()));
        dialog->setFormat(ExportModelDialog::Format::SavedModel);
        dialog->setTarget(dir_.filePath("run_saved"));
        QVERIFY2(dialog->exportModel(), qPrintable(dialog->message()));
        auto model = storage::SavedModel::load(dir_.filePath("run_saved").toStdString()).instantiate();
        compared = 0;
        for (Variable* v : model->variables()) {
            const Tensor want = stored(v->path());
            for (int64_t i = 0; i < want.size(); ++i) QCOMPARE(v->value().f32()[i], want.f32()[i]);
            ++compared;
        }
        QCOMPARE(compared, 4);
    }

    void aRunWithoutACheckpointSaysSo() {
        QTemporaryDir dir;
        const QString file = dir.filePath("bare.strata");
        int64_t runId = 0;
        {
            storage::Project p = storage::Project::open(file.toStdString(), storage::OpenMode::Create);
            const auto version = p.saveVersion("digits_mlp", test::example("digits_mlp"));
            storage::NewRun run;
            run.modelVersionId = version.id;
            runId = p.beginRun(run);
            p.updateRun(runId, "failed", {{"message", "the data did not load"}});
        }
        RunsPanel panel;
        panel.setProject(file, "digits_mlp");
        QCOMPARE(panel.runCount(), 1);
        QCOMPARE(cellText(panel, 0, "Status"), QString("failed"));
        QVERIFY(!button(panel, "inspectRun")->isEnabled());
        QVERIFY(!button(panel, "exportRun")->isEnabled());
        QVERIFY(button(panel, "openRunVersion")->isEnabled());
        QVERIFY(panel.detailsText().contains("No checkpoint"));
        QVERIFY(panel.detailsText().contains("the data did not load"));
        QVERIFY(!panel.inspectSelected());
        QVERIFY2(panel.lastError().contains(QString("run %1").arg(runId)) && panel.lastError().contains("no checkpoint"),
                 qPrintable(panel.lastError()));
    }

    void theMainWindowFollowsTheProjectAndItsRuns() {
        QTemporaryDir dir;
        const QString file = dir.filePath("window.strata");
        QVERIFY(QFile::copy(project_, file));
        MainWindow w;
        w.setInteractive(false);
        QCOMPARE(w.runsPanel()->runCount(), 0);
        QVERIFY(w.action("showRuns"));
        QCOMPARE(w.action("showRuns")->shortcut(), QKeySequence(QObject::tr("Ctrl+3")));
        QVERIFY(w.openProject(file));
        QCOMPARE(w.runsPanel()->runCount(), 3);

        // A run recorded while the window is open (here by strata-cli) shows when the train panel says so.
        trainInto(file, "digits_mlp", {"--epochs", "1"});
        storage::Project p = storage::Project::open(file.toStdString(), storage::OpenMode::ReadOnly);
        const int64_t newest = p.runs().back().id;
        emit w.trainPanel()->runRecorded(newest, file);
        QCOMPARE(w.runsPanel()->runCount(), 4);
        QCOMPARE(w.runsPanel()->selectedRun()->id, newest);

        // Open Model Version: the two_branch run's version opens on the canvas.
        int row = -1;
        for (int r = 0; r < w.runsPanel()->runCount(); ++r)
            if (w.runsPanel()->runs()[std::size_t(r)].model == "two_branch") row = r;
        QVERIFY(row >= 0);
        const RunSummary run = w.runsPanel()->runs()[std::size_t(row)];
        QVERIFY(w.runsPanel()->selectRun(run.id));
        QTest::mouseClick(button(*w.runsPanel(), "openRunVersion"), Qt::LeftButton);
        QCOMPARE(w.document()->modelName(), std::string("two_branch"));
        QVERIFY(w.document()->version().has_value());
        QCOMPARE(w.document()->version()->id, run.modelVersionId);
    }

    void inspectingARunTracesItsRecordedOptimizerAndLoss() {
        RunsPanel panel;
        panel.setProject(project_, "digits_mlp");
        storage::Project p = storage::Project::open(project_.toStdString(), storage::OpenMode::ReadOnly);
        const int64_t sgdRun = p.runs()[1].id; // --optimizer sgd --lr 0.05, the default loss
        // What the Train panel would say: another optimizer and loss, which the run's must override.
        panel.setFallbackStepSettings(
            [] {
                StepSettings s;
                s.options.optimizer = ir::OptimizerConfig::defaults("rmsprop");
                s.options.loss = "mean_squared_error";
                s.source = "As the Train panel sets them.";
                return s;
            },
            "the Train panel");
        QVERIFY(panel.selectRun(sgdRun));
        ModelInspector* inspector = panel.inspectSelected();
        QVERIFY2(inspector, qPrintable(panel.lastError()));
        TracedGraphView* view = inspector->tracedGraphView();
        view->setTraining(true);
        view->setWholeStep(true);
        QVERIFY2(view->trace(), qPrintable(view->errorText()));
        const QString note = view->countsText();
        QVERIFY2(note.contains("sgd (learning rate 0.05)") && note.contains("sparse_categorical_crossentropy") &&
                     note.contains(QString("As run %1 recorded them").arg(sgdRun)),
                 qPrintable(note));
        QVERIFY2(!note.contains("rmsprop") && !note.contains("mean_squared_error"), qPrintable(note));
        for (const ir::Assignment& a : view->trace()->graph.assignments())
            QVERIFY2(a.path.find(".OPTIMIZER_SLOT") == std::string::npos, a.path.c_str()); // plain SGD: no slots
        inspector->close();
    }

    void whatARunDidNotRecordComesFromTheFallback() {
        StepSettings panel;
        panel.options.optimizer = ir::OptimizerConfig::defaults("rmsprop");
        panel.options.loss = "categorical_crossentropy";
        RunSummary run;
        run.id = 7;
        run.hyperparameters = {{"loss", "mean_squared_error"}, {"batch_size", 8}, {"optimizer", {{"name", "adam"}, {"bogus", 1}}}};
        StepSettings s = stepSettingsOf(run, panel, "the Train panel");
        QCOMPARE(s.options.loss, std::string("mean_squared_error"));
        QCOMPARE(s.options.batchSize, int64_t(8));
        QCOMPARE(s.options.optimizer.name, std::string("rmsprop"));
        QVERIFY2(s.source.contains("Run 7 recorded no readable optimizer") && s.source.contains("bogus") &&
                     s.source.contains("it is taken from the Train panel"),
                 qPrintable(s.source));

        run.hyperparameters = nlohmann::json::object(); // e.g. a run recorded by hand
        s = stepSettingsOf(run, panel, "the Train panel");
        QCOMPARE(s.options.loss, std::string("categorical_crossentropy"));
        QCOMPARE(s.options.optimizer.name, std::string("rmsprop"));
        QVERIFY2(s.source.contains("no readable loss and optimizer; they are taken from the Train panel"), qPrintable(s.source));
    }

    void aRefreshKeepsTheSelectionScrollAndColumnWidths() {
        QTemporaryDir dir;
        const QString file = dir.filePath("keep.strata");
        QVERIFY(QFile::copy(project_, file));
        RunsPanel panel;
        panel.resize(900, 400);
        panel.setProject(file, "digits_mlp");
        QTableWidget* t = panel.table();
        t->setFixedHeight(t->horizontalHeader()->sizeHint().height() + 2 * t->rowHeight(0)); // it scrolls
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        QCOMPARE(panel.selectedRun().value().id, panel.runs().front().id); // the newest, until the person picks one
        const int64_t picked = panel.runs()[1].id;
        QVERIFY(panel.selectRun(picked));
        QVERIFY2(t->verticalScrollBar()->maximum() > 0, "the table should scroll");
        t->verticalScrollBar()->setValue(t->verticalScrollBar()->maximum());
        const int scrolled = t->verticalScrollBar()->value();
        t->horizontalHeader()->resizeSection(2, 300); // the person widens Dataset

        panel.refresh();
        QCOMPARE(panel.selectedRun().value().id, picked);
        QCOMPARE(t->verticalScrollBar()->value(), scrolled);
        QCOMPARE(t->columnWidth(2), 300);

        trainInto(file, "digits_mlp", {"--epochs", "1"}); // a new run, listed first
        panel.refresh();
        QCOMPARE(panel.runCount(), 4);
        QCOMPARE(panel.selectedRun().value().id, picked); // not taken by the new run
        QCOMPARE(panel.lossChart()->pointCount(key(panel, "loss")), panel.selectedRun().value().epochsDone);
        QCOMPARE(t->columnWidth(2), 300);
    }

    void theRunsPanelFollowsARunWhileItTrains() {
        QTemporaryDir dir;
        const QString file = dir.filePath("live.strata");
        QVERIFY(QFile::copy(project_, file));
        MainWindow w;
        w.setInteractive(false);
        QVERIFY(w.openProject(file));
        w.document()->openModel("digits_mlp");
        RunsPanel* runs = w.runsPanel();
        QCOMPARE(runs->runCount(), 3);
        const int64_t oldest = runs->runs().back().id; // three epochs
        QVERIFY(runs->selectRun(oldest));              // the person looks at an old run
        QCOMPARE(runs->lossChart()->pointCount(key(oldest, "loss")), 3);

        TrainPanel* panel = w.trainPanel();
        panel->setDataset("digits");
        QVERIFY(panel->setDevice("cpu"));
        panel->setEpochs(200); // stopped after the third epoch: it is still running while checked
        panel->setOptimizer("adam");
        panel->setLearningRate(0.01);
        panel->setSeed(1);
        panel->setRecordInProject(true);

        // Checked as the events arrive (after the main window's own handlers), reported at the end.
        QStringList problems;
        auto status = [&](int64_t run) { return rowOf(*runs, run) < 0 ? QString("<not listed>") : cellText(*runs, rowOf(*runs, run), "Status"); };
        auto selected = [&] { return runs->selectedRun() ? runs->selectedRun()->id : int64_t(-1); };
        int64_t live = 0;
        QObject::connect(panel, &TrainPanel::runStarted, runs, [&](qint64 run, const QString& project) {
            live = run;
            if (project != file) problems << "runStarted names " + project;
            if (runs->runCount() != 4 || rowOf(*runs, run) != 0) problems << "the new run is not listed first when it starts";
            if (status(run) != "running") problems << "status at start: " + status(run);
            if (selected() != oldest) problems << "the new run took the selection";
        });
        QObject::connect(panel, &TrainPanel::epochFinished, runs, [&](int epoch) {
            if (epoch > 3) return; // after the stop
            const int row = rowOf(*runs, live);
            if (row < 0) {
                problems << QString("epoch %1: the run is not listed").arg(epoch);
                return;
            }
            const int recorded = cellText(*runs, row, "Epochs").toInt();
            if (recorded < epoch) problems << QString("epoch %1: the Epochs column says %2").arg(epoch).arg(recorded);
            if (status(live) != "running") problems << QString("epoch %1: status %2").arg(epoch).arg(status(live));
            if (epoch == 1) {
                if (selected() != oldest) problems << "epoch 1: the running run took the selection";
                if (runs->lossChart()->pointCount(key(oldest, "loss")) != 3) problems << "epoch 1: the old run's curve changed";
                runs->selectRun(live); // the person picks the running run: its curves grow from here
            }
            const int points = runs->lossChart()->pointCount(key(live, "loss"));
            if (points != recorded || runs->metricChart()->pointCount(key(live, "val_accuracy")) != recorded)
                problems << QString("epoch %1: %2 points for %3 epochs recorded").arg(epoch).arg(points).arg(recorded);
            if (epoch == 3) panel->stop();
        });
        QSignalSpy epochs(panel, &TrainPanel::epochFinished);
        QSignalSpy finished(panel, &TrainPanel::trainingFinished);
        panel->train();
        QVERIFY(panel->isTraining());
        QVERIFY(finished.wait(kTimeoutMs));
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join("\n")));
        QVERIFY(live != 0);
        QVERIFY(epochs.count() >= 3);

        // The final state: stopped, every epoch drawn, the test split's accuracy, still selected.
        storage::Project p = storage::Project::open(file.toStdString(), storage::OpenMode::ReadOnly);
        const storage::RunInfo run = p.run(live);
        QCOMPARE(run.status, std::string("stopped"));
        QCOMPARE(runs->runCount(), 4);
        QCOMPARE(runs->selectedRun().value().id, live);
        QCOMPARE(status(live), QString("stopped"));
        // Every epoch event has its point (the one the stop cut short included); the Epochs column
        // counts the epochs completed, as recorded.
        int stored = 0;
        for (const auto& m : p.metrics(live, "epoch")) stored += m.name == "loss";
        QCOMPARE(stored, epochs.count());
        QCOMPARE(runs->lossChart()->pointCount(key(live, "loss")), epochs.count());
        QCOMPARE(runs->metricChart()->pointCount(key(live, "accuracy")), epochs.count());
        QCOMPARE(cellText(*runs, 0, "Epochs"), QString::number(run.result.at("epochs_done").get<int>()));
        QCOMPARE(cellText(*runs, 0, "Test accuracy"), QString::number(100.0 * run.result.at("test_accuracy").get<double>(), 'f', 1) + "%");
    }
};

QTEST_MAIN(TestGuiRuns)
#include "tst_gui_runs.moc"
