// The Train panel with Processes above 1: Train runs `mpirun -np N strata-cli train --distributed`
// (the real binary), follows its epochs, and the run rank 0 recorded shows in the Runs panel as
// `cpu × N`; what cannot run (a missing hostfile, a setting the CLI lacks, a rank that fails)
// says why; Stop ends mpirun and its ranks.
#include "tests/support/RequiredTools.h"
#include <QTest>

#include "GuiTestSupport.h"

#include "app/gui/MainWindow.h"
#include "app/gui/charts/MetricChart.h"
#include "app/gui/project/Document.h"
#include "app/gui/runs/RunsPanel.h"
#include "app/gui/train/TrainPanel.h"

#include "storage/Project.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QTemporaryDir>

using namespace strata;
using namespace strata::gui;

namespace {

constexpr int kTimeoutMs = 240000;

QPushButton* button(TrainPanel& p, const char* name) { return p.findChild<QPushButton*>(name); }

QString cellText(const RunsPanel& panel, int row, const QString& header) {
    QTableWidget* t = panel.table();
    for (int c = 0; c < t->columnCount(); ++c)
        if (t->horizontalHeaderItem(c)->text() == header) return t->item(row, c)->text();
    return "<no column " + header + ">";
}

// Digits, 2 processes on this machine, as a person sets them in the panel.
void configure(TrainPanel& panel, int epochs) {
    panel.setDataset("digits");
    QVERIFY(panel.setDevice("cpu"));
    panel.setEpochs(epochs);
    panel.setOptimizer("adam");
    panel.setLearningRate(0.01);
    panel.setSeed(1);
    QSpinBox* processes = panel.findChild<QSpinBox*>("trainProcesses");
    QVERIFY(processes);
    processes->setValue(2);
    QCOMPARE(panel.processes(), 2);
}

} // namespace

class TestTrainMpi : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    std::unique_ptr<MainWindow> w_;

    QString path(const QString& name) const { return dir_.filePath(name); }
    // A window with digits_mlp saved in its own project, so the Runs panel reads it.
    MainWindow& window(const QString& project) {
        w_ = std::make_unique<MainWindow>();
        w_->setInteractive(false);
        w_->document()->setModel(test::example("digits_mlp"), {}, false);
        w_->resize(1400, 900);
        w_->show();
        if (!w_->saveAsFile(path(project))) qFatal("cannot save %s", qPrintable(path(project)));
        return *w_;
    }
    std::vector<storage::RunInfo> runsIn(const QString& project) {
        return storage::Project::open(path(project).toStdString(), storage::OpenMode::ReadOnly).runs();
    }

private slots:
    void initTestCase() {
        test::isolateUserFolders();
        if (QString(STRATA_MPIRUN).isEmpty() || !QFileInfo(STRATA_MPIRUN).isExecutable())
            STRATA_SKIP_UNLESS_REQUIRED("mpirun (openmpi-bin) was not found when this build was configured, or STRATA_MPI is off");
        qputenv("STRATA_CLI", STRATA_CLI_EXE);
        qputenv("STRATA_MPIRUN", STRATA_MPIRUN);
    }
    void cleanup() { w_.reset(); }

    void twoProcessesTrainAndTheRunShowsInTheRunsPanel() {
        MainWindow& w = window("mpi.strata");
        TrainPanel& panel = *w.trainPanel();
        configure(panel, 1);
        QCOMPARE(w.runsPanel()->runCount(), 0);
        QSignalSpy finished(&panel, &TrainPanel::trainingFinished);
        QSignalSpy recorded(&panel, &TrainPanel::runRecorded);
        QSignalSpy epochs(&panel, &TrainPanel::epochFinished);
        QSignalSpy started(&panel, &TrainPanel::runStarted);
        QTest::mouseClick(button(panel, "trainButton"), Qt::LeftButton);
        QVERIFY2(panel.isTraining(), qPrintable(panel.statusText()));
        QVERIFY(!button(panel, "trainButton")->isEnabled());
        const QString command = panel.commandText();
        QVERIFY2(command.contains("-np 2") && command.contains("strata-cli train") && command.contains("--distributed") &&
                     command.contains("--data digits") && command.contains("--epochs 1") && command.contains("--project"),
                 qPrintable(command));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
        QVERIFY2(finished.front().front().toBool(), qPrintable(panel.statusText()));
        QVERIFY(!panel.isTraining());
        QCOMPARE(epochs.count(), 1);
        QCOMPARE(panel.lossChart()->pointCount("loss"), 1);
        QVERIFY2(panel.testAccuracy() && *panel.testAccuracy() > 0.5, qPrintable(panel.resultText()));
        QCOMPARE(recorded.count(), 1);
        const qint64 runId = recorded.front().front().toLongLong();
        QCOMPARE(started.count(), 1); // from rank 0's "recording run N" line, while it trained
        QCOMPARE(started.front().front().toLongLong(), runId);
        QVERIFY2(panel.statusText().contains(QString("Recorded as run %1").arg(runId)), qPrintable(panel.statusText()));

        // In the project, as rank 0 recorded it: 2 ranks, completed.
        const auto runs = runsIn("mpi.strata");
        QCOMPARE(runs.size(), std::size_t(1));
        QCOMPARE(runs[0].id, runId);
        QCOMPARE(runs[0].status, std::string("completed"));
        QCOMPARE(runs[0].hyperparameters.at("distributed").at("ranks").get<int>(), 2);
        // In the Runs panel, like any run.
        RunsPanel* r = w.runsPanel();
        QTRY_COMPARE(r->runCount(), 1);
        QCOMPARE(r->runs()[0].id, runId);
        QCOMPARE(QString::fromStdString(r->runs()[0].device), QString("cpu × 2"));
        QCOMPARE(cellText(*r, 0, "Device"), QString("cpu × 2"));
    }

    // A CSV table (its label column chosen) on the hosts of a hostfile: here, this machine's 2 slots.
    void aCsvTableOnTheHostsOfAHostfile() {
        QFile iris(test::resources() + "/datasets/iris.csv"), csv(path("iris_named.csv")), hosts(path("hosts"));
        QVERIFY(iris.open(QIODevice::ReadOnly) && csv.open(QIODevice::WriteOnly) && hosts.open(QIODevice::WriteOnly));
        iris.readLine(); // sklearn's first line: samples, features, class names
        csv.write("sepal_length,sepal_width,petal_length,petal_width,species\n" + iris.readAll());
        csv.close();
        hosts.write("# this machine, 2 ranks\nlocalhost slots=2\n");
        hosts.close();

        MainWindow& w = window("csv.strata");
        TrainPanel& panel = *w.trainPanel();
        configure(panel, 3);
        panel.setCsvFile(csv.fileName());
        QVERIFY(panel.setCsvLabel("species"));
        QVERIFY(panel.fitModelToData()); // digits_mlp to 4 features and 3 classes
        panel.setHostfile(hosts.fileName());
        QSignalSpy finished(&panel, &TrainPanel::trainingFinished);
        QTest::mouseClick(button(panel, "trainButton"), Qt::LeftButton);
        QVERIFY2(panel.isTraining(), qPrintable(panel.statusText()));
        const QString command = panel.commandText();
        QVERIFY2(command.contains("--hostfile " + hosts.fileName()) && !command.contains("--oversubscribe") &&
                     command.contains("--data csv:" + QFileInfo(csv.fileName()).absoluteFilePath()) &&
                     command.contains("--label species") && command.contains("--epochs 3"),
                 qPrintable(command));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
        QVERIFY2(finished.front().front().toBool(), qPrintable(panel.statusText()));
        QCOMPARE(panel.lossChart()->pointCount("loss"), 3);
        // The spec file went beside the project, for every host, and is gone.
        QVERIFY(QDir(dir_.path()).entryList({".strata-mpi-*"}, QDir::AllEntries | QDir::Hidden).isEmpty());
        const auto runs = runsIn("csv.strata");
        QCOMPARE(runs.size(), std::size_t(1));
        QCOMPARE(runs[0].status, std::string("completed"));
        QCOMPARE(runs[0].hyperparameters.at("distributed").at("ranks").get<int>(), 2);
        QTRY_COMPARE(w.runsPanel()->runCount(), 1);
        QCOMPARE(cellText(*w.runsPanel(), 0, "Device"), QString("cpu × 2"));
        QVERIFY2(cellText(*w.runsPanel(), 0, "Dataset").contains("iris_named"), qPrintable(cellText(*w.runsPanel(), 0, "Dataset")));
    }

    void aHostfileThatDoesNotExistIsRefused() {
        MainWindow& w = window("nohost.strata");
        TrainPanel& panel = *w.trainPanel();
        configure(panel, 1);
        panel.setHostfile(path("no-such-hosts"));
        QTest::mouseClick(button(panel, "trainButton"), Qt::LeftButton);
        QVERIFY(!panel.isTraining());
        QVERIFY(panel.lastRunFailed());
        QVERIFY2(panel.statusText().contains("Cannot train") && panel.statusText().contains("no-such-hosts") &&
                     panel.statusText().contains("does not exist"),
                 qPrintable(panel.statusText()));
        QVERIFY(runsIn("nohost.strata").empty());
    }

    void noMpirunNamesOpenmpiBin() {
        MainWindow& w = window("nompirun.strata");
        TrainPanel& panel = *w.trainPanel();
        configure(panel, 1);
        qputenv("STRATA_MPIRUN", path("no-such-mpirun").toUtf8());
        QTest::mouseClick(button(panel, "trainButton"), Qt::LeftButton);
        qputenv("STRATA_MPIRUN", STRATA_MPIRUN);
        QVERIFY(!panel.isTraining());
        QVERIFY2(panel.statusText().contains("mpirun was not found") && panel.statusText().contains("openmpi-bin"),
                 qPrintable(panel.statusText()));
    }

    void aSettingTheCliCannotTakeIsRefused() {
        MainWindow& w = window("momentum.strata");
        TrainPanel& panel = *w.trainPanel();
        configure(panel, 1);
        panel.setOptimizer("sgd");
        panel.setMomentum(0.9);
        QTest::mouseClick(button(panel, "trainButton"), Qt::LeftButton);
        QVERIFY(!panel.isTraining());
        QVERIFY2(panel.statusText().contains("momentum"), qPrintable(panel.statusText()));
        QVERIFY(runsIn("momentum.strata").empty());
    }

    void aRunThatFailsSaysWhatTheCliSaid() {
        MainWindow& w = window("fails.strata");
        TrainPanel& panel = *w.trainPanel();
        configure(panel, 1);
        panel.setDataset("iris"); // 4 features for a 64-input model: every rank refuses it
        QSignalSpy finished(&panel, &TrainPanel::trainingFinished);
        QTest::mouseClick(button(panel, "trainButton"), Qt::LeftButton);
        QVERIFY2(panel.isTraining(), qPrintable(panel.statusText()));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
        QVERIFY(!finished.front().front().toBool());
        QVERIFY(panel.lastRunFailed());
        // The rank's own message, as the CLI printed it.
        QVERIFY2(panel.statusText().startsWith("Cannot train: strata-cli: rank ") && panel.statusText().contains("dataset 'iris'") &&
                     panel.statusText().contains("expects (64,)") && !panel.statusText().contains("ORTE_ERROR_LOG"),
                 qPrintable(panel.statusText()));
    }

    void stopEndsMpirunAndItsRanks() {
        MainWindow& w = window("stop.strata");
        TrainPanel& panel = *w.trainPanel();
        configure(panel, 1000);
        QSignalSpy finished(&panel, &TrainPanel::trainingFinished);
        QSignalSpy epochs(&panel, &TrainPanel::epochFinished);
        QTest::mouseClick(button(panel, "trainButton"), Qt::LeftButton);
        QVERIFY2(panel.isTraining(), qPrintable(panel.statusText()));
        QTRY_VERIFY_WITH_TIMEOUT(epochs.count() >= 1, kTimeoutMs);
        QSignalSpy recorded(&panel, &TrainPanel::runRecorded);
        QTest::mouseClick(button(panel, "stopButton"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 15000); // before the 20 s SIGKILL: the ranks stopped themselves
        QVERIFY(!panel.isTraining());
        QVERIFY2(panel.statusText().startsWith("Stopped on request") && panel.statusText().contains("Recorded as run"),
                 qPrintable(panel.statusText()));
        QVERIFY(panel.lossChart()->pointCount("loss") < 1000);
        QVERIFY(button(panel, "trainButton")->isEnabled());
        // Rank 0 recorded it as stopped, and the Runs panel shows it.
        QCOMPARE(recorded.count(), 1);
        const auto runs = runsIn("stop.strata");
        QCOMPARE(runs.size(), std::size_t(1));
        QCOMPARE(runs[0].status, std::string("stopped"));
        QTRY_COMPARE(w.runsPanel()->runCount(), 1);
        QCOMPARE(cellText(*w.runsPanel(), 0, "Device"), QString("cpu × 2"));
    }
};

QTEST_MAIN(TestTrainMpi)
#include "tst_gui_train_mpi.moc"
