// Comparing runs in the Runs panel, with real mouse and keyboard events: ctrl+click on a second
// run overlays both runs' curves (as many points as the project holds); the comparison table
// lists only the settings that differ (here the learning rate) and sorts numbers as numbers; the
// person's note and tags are stored in the project and read back after reopening it, and the
// filter box finds runs by tag; the charts' log toggle, wheel zoom and Fit act on the axes;
// markers go when the points are dense.
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QHeaderView>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QWheelEvent>

#include <qcustomplot.h>

#include "GuiTestSupport.h"

#include "app/cli/Cli.h"
#include "app/gui/charts/MetricChart.h"
#include "app/gui/runs/RunCurves.h"
#include "app/gui/runs/RunNotes.h"
#include "app/gui/runs/RunsPanel.h"

#include "storage/Project.h"

#include <sstream>
#include <unistd.h>

using namespace strata;
using namespace strata::gui;

namespace {

void trainInto(const QString& project, std::vector<std::string> extra) {
    std::vector<std::string> args = {"train", (test::resources() + "/examples/digits_mlp.json").toStdString(), "--data", "digits",
                                     "--project", project.toStdString(), "--seed", "7", "--from-scratch"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::ostringstream out, err;
    const int rc = cli::runCli(args, out, err);
    QVERIFY2(rc == 0, err.str().c_str());
}

// The number of points the project holds for one metric of one run.
int stored(const QString& file, int64_t runId, const std::string& name, const char* scope = "epoch") {
    const storage::Project p = storage::Project::open(file.toStdString(), storage::OpenMode::ReadOnly);
    int n = 0;
    for (const storage::Metric& m : p.metrics(runId, scope)) n += m.name == name;
    return n;
}

void clickRow(QTableWidget* t, int row, Qt::KeyboardModifiers mods = {}) {
    const QRect r = t->visualRect(t->model()->index(row, 0));
    QTest::mouseClick(t->viewport(), Qt::LeftButton, mods, r.center());
}

void clickHeader(QTableWidget* t, int column) {
    QHeaderView* h = t->horizontalHeader();
    QTest::mouseClick(h->viewport(), Qt::LeftButton, {}, QPoint(h->sectionViewportPosition(column) + h->sectionSize(column) / 2, h->height() / 2));
}

QStringList headers(const QTableWidget* t) {
    QStringList out;
    for (int c = 0; c < t->columnCount(); ++c) out << t->horizontalHeaderItem(c)->text();
    return out;
}

QString key(int64_t run, const char* metric) { return RunCurves::seriesKey(run, metric); }

} // namespace

class TestGuiRunCompare : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    QString project_;
    int64_t fast_ = 0, slow_ = 0; // learning rate 0.01 and 1e-05

private slots:
    void initTestCase() {
        test::isolateUserFolders();
        QVERIFY(dir_.isValid());
        project_ = dir_.filePath("compare.strata");
        trainInto(project_, {"--epochs", "2", "--lr", "0.01"});
        trainInto(project_, {"--epochs", "2", "--lr", "1e-05"});
        const storage::Project p = storage::Project::open(project_.toStdString(), storage::OpenMode::ReadOnly);
        QCOMPARE(p.runs().size(), std::size_t(2));
        fast_ = p.runs()[0].id;
        slow_ = p.runs()[1].id;
    }

    void ctrlClickingASecondRunOverlaysBothRunsCurves() {
        RunsPanel panel;
        panel.resize(1400, 800);
        panel.setProject(project_, "digits_mlp");
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        QTableWidget* t = panel.table();
        clickRow(t, 0); // the newest: slow_
        QCOMPARE(panel.selectedRuns().size(), std::size_t(1));
        QCOMPARE(panel.lossChart()->seriesCount(), 2); // train and validation of one run
        clickRow(t, 1, Qt::ControlModifier);
        QCOMPARE(panel.selectedRuns().size(), std::size_t(2));

        for (MetricChart* chart : {panel.lossChart(), panel.metricChart()}) QCOMPARE(chart->seriesCount(), 4);
        for (const int64_t run : {fast_, slow_}) {
            for (const char* m : {"loss", "val_loss"}) QCOMPARE(panel.lossChart()->pointCount(key(run, m)), stored(project_, run, m));
            for (const char* m : {"accuracy", "val_accuracy"})
                QCOMPARE(panel.metricChart()->pointCount(key(run, m)), stored(project_, run, m));
            QCOMPARE(stored(project_, run, "loss"), 2);
        }
        QVERIFY(panel.lossChart()->seriesColor(key(fast_, "loss")) != panel.lossChart()->seriesColor(key(slow_, "loss")));
        QCOMPARE(panel.metricChart()->xRange().second, 2.0); // two epochs, fitted

        // Validation off: the training curves stay. Another metric: seconds per epoch (no validation).
        RunCurves* curves = panel.curves();
        QTest::mouseClick(curves->validationToggle(), Qt::LeftButton);
        QVERIFY(!curves->validationToggle()->isChecked());
        QCOMPARE(panel.lossChart()->seriesCount(), 2);
        QVERIFY(panel.lossChart()->hasSeries(key(fast_, "loss")) && !panel.lossChart()->hasSeries(key(fast_, "val_loss")));
        QVERIFY(curves->metricChooser()->findData("seconds") >= 0);
        curves->metricChooser()->setFocus();
        curves->metricChooser()->setCurrentIndex(curves->metricChooser()->findData("seconds"));
        QCOMPARE(panel.metricChart()->seriesCount(), 2);
        QCOMPARE(panel.metricChart()->pointCount(key(slow_, "seconds")), 2);

        // By step: each run's training loss of every step, as stored.
        curves->xChooser()->setCurrentIndex(curves->xChooser()->findData("step"));
        QCOMPARE(panel.lossChart()->seriesCount(), 2);
        for (const int64_t run : {fast_, slow_}) {
            const int steps = stored(project_, run, "loss", "step");
            QVERIFY(steps > 2);
            QCOMPARE(panel.lossChart()->pointCount(key(run, "loss")), steps);
        }
        QVERIFY(panel.lossChart()->xRange().second >= stored(project_, fast_, "loss", "step"));

        // Back to one run: a plain click.
        clickRow(t, 1);
        QCOMPARE(panel.selectedRuns().size(), std::size_t(1));
        QCOMPARE(panel.selectedRun()->id, fast_);
        QCOMPARE(panel.lossChart()->seriesCount(), 1);
        // Shift+Up from there: both again (by step, training only).
        t->setFocus();
        QTest::keyClick(t, Qt::Key_Up, Qt::ShiftModifier);
        QCOMPARE(panel.selectedRuns().size(), std::size_t(2));
        QCOMPARE(panel.lossChart()->seriesCount(), 2);
    }

    void theComparisonTableShowsOnlyTheSettingsThatDiffer() {
        RunsPanel panel;
        panel.resize(1400, 800);
        panel.setProject(project_, "digits_mlp");
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        clickRow(panel.table(), 0);
        clickRow(panel.table(), 1, Qt::ControlModifier);
        QTableWidget* c = panel.comparisonTable();
        QVERIFY(c->isVisible());
        QCOMPARE(c->rowCount(), 2);
        const QStringList h = headers(c);
        QCOMPARE(h.mid(0, 2), (QStringList{"Run", "optimizer.learning_rate"})); // not epochs, seed, dataset, optimizer...
        QCOMPARE(h.mid(2), (QStringList{"Train loss (last epoch)", "Val. loss (last epoch)", "Train acc. (last epoch)",
                                        "Val. acc. (last epoch)", "Test loss", "Test accuracy"}));

        // Sorted by the learning rate, as numbers: 1e-05 < 0.01 (as text "0.01" < "1e-05").
        clickHeader(c, 1);
        const bool ascending = c->horizontalHeader()->sortIndicatorOrder() == Qt::AscendingOrder;
        QCOMPARE(c->horizontalHeader()->sortIndicatorSection(), 1);
        QCOMPARE(c->item(0, 0)->text().toLongLong(), ascending ? slow_ : fast_);
        QCOMPARE(c->item(0, 1)->text(), ascending ? QString("1e-05") : QString("0.01"));
        clickHeader(c, 1);
        QCOMPARE(c->item(0, 0)->text().toLongLong(), ascending ? fast_ : slow_);

        // The final figures are the stored ones.
        const storage::Project p = storage::Project::open(project_.toStdString(), storage::OpenMode::ReadOnly);
        for (int row = 0; row < 2; ++row) {
            const storage::RunInfo r = p.run(c->item(row, 0)->text().toLongLong());
            QCOMPARE(c->item(row, h.indexOf("Test accuracy"))->text(),
                     QString::number(100.0 * r.result.at("test_accuracy").get<double>(), 'f', 1) + "%");
            QCOMPARE(c->item(row, h.indexOf("Test loss"))->text(), QString::number(r.result.at("test_loss").get<double>(), 'f', 4));
        }
    }

    void notesAndTagsPersistAfterReopeningTheProject() {
        QTemporaryDir dir;
        const QString file = dir.filePath("notes.strata");
        QVERIFY(QFile::copy(project_, file));
        {
            RunsPanel panel;
            panel.resize(1400, 800);
            panel.setProject(file, "digits_mlp");
            panel.show();
            QVERIFY(QTest::qWaitForWindowExposed(&panel));
            clickRow(panel.table(), 1); // fast_
            QCOMPARE(panel.selectedRun()->id, fast_);
            RunNotes* notes = panel.notes();
            QVERIFY(notes->editable());
            QVERIFY(!notes->saveButton()->isEnabled());
            notes->noteEdit()->setFocus();
            QTest::keyClicks(notes->noteEdit(), "learns fast");
            QTest::keyClick(notes->noteEdit(), Qt::Key_Return);
            QTest::keyClicks(notes->noteEdit(), "keep it");
            QTest::keyClicks(notes->tagsEdit(), "baseline,  lr-sweep ,baseline");
            QVERIFY(notes->saveButton()->isEnabled());
            QTest::mouseClick(notes->saveButton(), Qt::LeftButton);
            QVERIFY2(notes->statusText().contains("Saved"), qPrintable(notes->statusText()));
            QCOMPARE(notes->tagsEdit()->text(), QString("baseline, lr-sweep"));
            QCOMPARE(panel.selectedRun()->id, fast_); // the refresh kept the selection
        }
        const storage::Project p = storage::Project::open(file.toStdString(), storage::OpenMode::ReadOnly);
        QCOMPARE(p.run(fast_).note, std::string("learns fast\nkeep it"));
        QCOMPARE(p.run(fast_).tags, (std::vector<std::string>{"baseline", "lr-sweep"}));
        QVERIFY(p.run(slow_).tags.empty());

        RunsPanel panel;
        panel.setProject(file, "digits_mlp");
        QVERIFY(panel.selectRun(fast_));
        QCOMPARE(panel.notes()->noteEdit()->toPlainText(), QString("learns fast\nkeep it"));
        QCOMPARE(panel.notes()->tagsEdit()->text(), QString("baseline, lr-sweep"));
        const QStringList h = headers(panel.table());
        QCOMPARE(panel.table()->item(1, int(h.indexOf("Tags")))->text(), QString("baseline, lr-sweep"));

        // The filter keeps the tagged run; a word no run has hides both.
        auto visible = [&] {
            int n = 0;
            for (int row = 0; row < panel.table()->rowCount(); ++row) n += !panel.table()->isRowHidden(row);
            return n;
        };
        QLineEdit* filter = panel.findChild<QLineEdit*>("runsFilter");
        QVERIFY(filter);
        QTest::keyClicks(filter, "LR-SWEEP");
        QCOMPARE(visible(), 1);
        QVERIFY(!panel.table()->isRowHidden(1));
        filter->clear();
        QTest::keyClicks(filter, "keep");
        QCOMPARE(visible(), 1); // the note's words too
        QTest::keyClicks(filter, " nothing");
        QCOMPARE(visible(), 0);
        QVERIFY(panel.selectedRuns().empty());
    }

    void aReadOnlyProjectShowsNotesWithoutEditing() {
        QTemporaryDir dir;
        const QString folder = dir.filePath("ro");
        QVERIFY(QDir().mkpath(folder));
        const QString file = folder + "/ro.strata";
        QVERIFY(QFile::copy(project_, file));
        storage::Project::open(file.toStdString(), storage::OpenMode::ReadWrite).setRunTags(fast_, {"kept"});
        QFile::setPermissions(file, QFile::ReadOwner | QFile::ReadGroup | QFile::ReadOther);
        QFile::setPermissions(folder, QFile::ReadOwner | QFile::ExeOwner | QFile::ReadGroup | QFile::ExeGroup);
        if (storage::Project::writable(file.toStdString())) {
            QFile::setPermissions(folder, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
            QSKIP("this user (root) can write a read-only file");
        }
        RunsPanel panel;
        panel.setProject(file, "digits_mlp");
        QVERIFY(panel.selectRun(fast_));
        RunNotes* notes = panel.notes();
        QVERIFY(!notes->editable());
        QVERIFY(notes->noteEdit()->isReadOnly() && notes->tagsEdit()->isReadOnly());
        QCOMPARE(notes->tagsEdit()->text(), QString("kept"));
        QVERIFY2(notes->statusText().contains("Read-only") && notes->noteEdit()->toolTip().contains("not writable"),
                 qPrintable(notes->statusText()));
        QVERIFY(!notes->saveButton()->isEnabled());
        QFile::setPermissions(folder, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    }

    void theLogToggleWheelAndFitActOnTheAxes() {
        RunsPanel panel;
        panel.resize(1400, 800);
        panel.setProject(project_, "digits_mlp");
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        MetricChart* chart = panel.lossChart();
        QCustomPlot* plot = chart->plot();
        QCOMPARE(plot->yAxis->scaleType(), QCPAxis::stLinear);
        auto* log = chart->findChild<QCheckBox*>("chartLogY");
        QVERIFY(log);
        QTest::mouseClick(log, Qt::LeftButton);
        QVERIFY(chart->logY());
        QCOMPARE(plot->yAxis->scaleType(), QCPAxis::stLogarithmic);
        QVERIFY(chart->yRange().first > 0);
        QTest::mouseClick(log, Qt::LeftButton);
        QCOMPARE(plot->yAxis->scaleType(), QCPAxis::stLinear);

        const auto fitted = chart->xRange();
        QVERIFY(chart->following());
        const QPoint middle = plot->axisRect()->rect().center();
        QWheelEvent wheel(middle, plot->mapToGlobal(middle), QPoint(), QPoint(0, 240), Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
        QApplication::sendEvent(plot, &wheel);
        const auto zoomed = chart->xRange();
        QVERIFY2(zoomed.second - zoomed.first < fitted.second - fitted.first, "the wheel zooms in");
        QVERIFY(!chart->following());
        QTest::mouseClick(chart->findChild<QToolButton*>("chartFit"), Qt::LeftButton);
        QCOMPARE(chart->xRange(), fitted);
        QVERIFY(chart->following());
    }

    void markersGoWhenThePointsAreDense() {
        MetricChart chart("Loss", "epoch", "loss");
        chart.resize(500, 300);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        chart.addSeries("sparse", "sparse", Qt::blue, MetricChart::Style::Markers);
        chart.addSeries("dense", "dense", Qt::red, MetricChart::Style::Markers, true);
        for (int e = 1; e <= 10; ++e) chart.append("sparse", QPointF(e, 1.0 / e));
        QVERIFY(chart.markersShown("sparse"));
        std::vector<QPointF> many;
        for (int e = 1; e <= 5000; ++e) many.emplace_back(e, 2.0 / e);
        chart.setPoints("dense", many);
        QCOMPARE(chart.pointCount("dense"), 5000);
        QVERIFY(!chart.markersShown("dense"));
        QVERIFY(chart.markersShown("sparse")); // by each series' own density
        QCOMPARE(chart.xRange().second, 5000.0);
        // Zoomed onto the first ten epochs, the dense series gets its markers too.
        chart.plot()->xAxis->setRange(0, 10);
        QVERIFY(chart.markersShown("sparse") && chart.markersShown("dense"));
        chart.append("sparse", QPointF(11, qQNaN())); // skipped
        QCOMPARE(chart.pointCount("sparse"), 10);
    }
};

QTEST_MAIN(TestGuiRunCompare)
#include "tst_gui_run_compare.moc"
