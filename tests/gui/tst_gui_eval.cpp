// The Evaluation panel, opened from the Runs panel's "Evaluate…" button on a trained digits_mlp
// run: its confusion matrix sums to the test split; a real mouse click on a cell of the heat map
// lists exactly the samples of that (true, predicted) pair, as the model's own outputs (run here
// independently) say; the counts/normalised toggle, the per-class table, the misclassified list
// and one sample's prediction. A regression run shows its scatter and residual histogram.
#include <QCheckBox>
#include <QListWidget>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QLabel>

#include "GuiTestSupport.h"

#include "app/cli/Cli.h"
#include "app/gui/eval/ConfusionMatrixView.h"
#include "app/gui/eval/EvaluationPanel.h"
#include "app/gui/runs/RunsPanel.h"
#include "app/session/ModelLoading.h"

#include "engine/data/BuiltinDatasets.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/train/Inference.h"

#include <qcustomplot.h>

#include <fstream>
#include <numeric>
#include <sstream>

using namespace strata;
using namespace strata::gui;

namespace {

void runCli(std::vector<std::string> args) {
    std::ostringstream out, err;
    const int rc = cli::runCli(args, out, err);
    QVERIFY2(rc == 0, err.str().c_str());
}

// Opens the panel with the Runs panel's button on `project`'s newest run and waits for the report.
EvaluationPanel* evaluateNewestRun(RunsPanel& runs, const QString& project, const QString& model) {
    runs.setProject(project, model);
    runs.show();
    auto* button = runs.findChild<QPushButton*>("evaluateRun");
    if (!button || !button->isEnabled()) return nullptr;
    QTest::mouseClick(button, Qt::LeftButton);
    auto* panel = runs.findChild<EvaluationPanel*>();
    if (!panel) return nullptr;
    if (!QTest::qWaitFor([panel] { return !panel->isRunning(); }, 120000)) return nullptr;
    QTest::qWait(50);
    return panel;
}

} // namespace

class TestGuiEval : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    QString digits_, line_;

private slots:
    void initTestCase() {
        test::isolateUserFolders();
        QVERIFY(dir_.isValid());
        digits_ = dir_.filePath("digits.strata");
        runCli({"train", (test::resources() + "/examples/digits_mlp.json").toStdString(), "--data", "digits", "--epochs", "3", "--seed", "2",
             "--project", digits_.toStdString()});
    }

    void clickingACellListsExactlyThatPairsSamples() {
        RunsPanel runs;
        EvaluationPanel* panel = evaluateNewestRun(runs, digits_, "digits_mlp");
        QVERIFY(panel);
        QVERIFY2(panel->report(), qPrintable(panel->statusText()));
        const train::EvalReport& r = *panel->report();
        const data::DatasetSplits splits = data::loadBuiltinDataset("digits");
        const int64_t testSize = splits.test.size();
        QCOMPARE(r.samples, testSize);
        QCOMPARE(r.classCount(), 10);
        int64_t sum = 0;
        for (const auto& row : r.confusion) sum += std::accumulate(row.begin(), row.end(), int64_t(0));
        QCOMPARE(sum, testSize);

        // The model's outputs on the test split, computed here: (true, argmax) per sample.
        const session::LoadedModel loaded = session::loadModel(digits_.toStdString(), "", "latest");
        cpu::CpuBackend backend;
        const Tensor x = splits.test.x.reshaped(Shape{testSize, 64});
        const Tensor out = train::runModel(*loaded.model, backend, {x}, 64).at(0);
        std::vector<int> argmax(static_cast<std::size_t>(testSize));
        for (int64_t i = 0; i < testSize; ++i) {
            const float* row = out.f32() + i * 10;
            argmax[std::size_t(i)] = int(std::max_element(row, row + 10) - row);
        }

        ConfusionMatrixView* view = panel->confusionView();
        QCOMPARE(panel->tabs()->currentIndex(), panel->tabs()->indexOf(view->parentWidget()->parentWidget()));
        QVERIFY(view->isVisible());
        view->plot()->replot();
        // A diagonal cell, every non-empty off-diagonal one, and an empty one.
        std::vector<std::pair<int, int>> cells = {{0, 0}};
        std::pair<int, int> empty{-1, -1};
        for (int t = 0; t < 10; ++t)
            for (int p = 0; p < 10; ++p) {
                if (t != p && r.confusion[std::size_t(t)][std::size_t(p)] > 0) cells.push_back({t, p});
                if (r.confusion[std::size_t(t)][std::size_t(p)] == 0 && empty.first < 0) empty = {t, p};
            }
        QVERIFY(cells.size() > 1); // three epochs leave mistakes
        if (empty.first >= 0) cells.push_back(empty);
        for (const auto& [t, p] : cells) {
            QTest::mouseClick(view->plot(), Qt::LeftButton, Qt::NoModifier, view->cellCenter(t, p));
            std::vector<int64_t> listed;
            for (int i = 0; i < panel->cellSamples()->count(); ++i)
                listed.push_back(panel->cellSamples()->item(i)->data(Qt::UserRole).toLongLong());
            std::vector<int64_t> expected;
            for (int64_t i = 0; i < testSize; ++i)
                if (splits.test.y.i32()[i] == t && argmax[std::size_t(i)] == p) expected.push_back(i);
            QVERIFY2(listed == expected, qPrintable(QString("cell (%1, %2): %3 listed, %4 expected").arg(t).arg(p).arg(listed.size()).arg(expected.size())));
            QVERIFY(listed == r.samplesOf(t, p));
            QCOMPARE(int64_t(listed.size()), r.confusion[std::size_t(t)][std::size_t(p)]);
        }
        // Digits are 8×8 images: the list shows thumbnails.
        QTest::mouseClick(view->plot(), Qt::LeftButton, Qt::NoModifier, view->cellCenter(0, 0));
        QVERIFY(panel->cellSamples()->count() > 0);
        QVERIFY(!panel->cellSamples()->item(0)->icon().isNull());
        // A click outside the matrix lists nothing new.
        QTest::mouseClick(view->plot(), Qt::LeftButton, Qt::NoModifier, QPoint(2, 2));
        QCOMPARE(int64_t(panel->cellSamples()->count()), r.confusion[0][0]);

        // Counts, then shares of the true class.
        QCOMPARE(view->cellText(0, 0), QString::number(r.confusion[0][0]));
        QTest::mouseClick(panel->normaliseToggle(), Qt::LeftButton, Qt::NoModifier, QPoint(8, panel->normaliseToggle()->height() / 2));
        QVERIFY(view->isNormalised());
        QCOMPARE(view->cellText(0, 0), QString::number(r.normalisedConfusion()[0][0], 'f', 2));

        QCOMPARE(panel->perClassTable()->rowCount(), 13); // ten classes, macro, weighted, accuracy
        QCOMPARE(panel->perClassTable()->item(3, 4)->text(), QString::number(r.perClass[3].support));
        int64_t diagonal = 0;
        for (int k = 0; k < 10; ++k) diagonal += r.confusion[std::size_t(k)][std::size_t(k)];
        QCOMPARE(int64_t(panel->misclassifiedTable()->rowCount()), testSize - diagonal);
        QCOMPARE(panel->misclassifiedTable()->item(0, 0)->data(Qt::UserRole).toLongLong(), r.misclassified.front().index);

        panel->sampleSpin()->setValue(5);
        const QString text = panel->samplePrediction()->text();
        QVERIFY2(text.contains("Sample 5") && text.contains(QString("predicted <b>%1</b>").arg(argmax[5])), qPrintable(text));
    }

    void regressionRunShowsScatterAndResiduals() {
        const QString csv = dir_.filePath("line.csv"), spec = dir_.filePath("line.json");
        line_ = dir_.filePath("line.strata");
        {
            std::ofstream out(csv.toStdString());
            out << "a,b,y\n";
            for (int i = 0; i < 100; ++i) out << (i % 11) / 11.0 << "," << (i % 7) / 7.0 << "," << (i % 11) / 11.0 - 0.5 * (i % 7) / 7.0 << "\n";
            std::ofstream s(spec.toStdString());
            s << R"({"format": "strata.model/1", "name": "line", "inputs": ["x"], "outputs": ["y"], "layers": [
                   {"name": "x", "type": "Input", "config": {"shape": [2]}}, {"name": "y", "type": "Dense", "config": {"units": 1}}]})";
        }
        runCli({"train", spec.toStdString(), "--data", csv.toStdString(), "--label", "y", "--regression", "--epochs", "2", "--project",
             line_.toStdString()});
        RunsPanel runs;
        EvaluationPanel* panel = evaluateNewestRun(runs, line_, "line");
        QVERIFY(panel);
        QVERIFY2(panel->report(), qPrintable(panel->statusText()));
        const train::EvalReport& r = *panel->report();
        QCOMPARE(int(r.kind), int(train::ReportKind::Regression));
        QCOMPARE(r.samples, int64_t(20));
        auto* scatter = panel->findChild<QCustomPlot*>("regressionScatter");
        auto* histogram = panel->findChild<QCustomPlot*>("residualHistogram");
        QVERIFY(scatter && histogram);
        QCOMPARE(scatter->graph(0)->dataCount(), 20);
        std::vector<std::pair<double, double>> drawn, reported;
        for (int i = 0; i < 20; ++i) {
            drawn.push_back({scatter->graph(0)->data()->at(i)->key, scatter->graph(0)->data()->at(i)->value});
            reported.push_back({double(r.trueValues[std::size_t(i)]), double(r.predictedValues[std::size_t(i)])});
        }
        std::sort(drawn.begin(), drawn.end());
        std::sort(reported.begin(), reported.end());
        QVERIFY(drawn == reported);
        auto* bars = qobject_cast<QCPBars*>(histogram->plottable(0));
        QVERIFY(bars);
        double counted = 0;
        for (int i = 0; i < bars->dataCount(); ++i) counted += bars->data()->at(i)->value;
        QCOMPARE(counted, 20.0);
        QCOMPARE(panel->tabs()->count(), 3); // scatter, residuals, sample
    }
};

QTEST_MAIN(TestGuiEval)
#include "tst_gui_eval.moc"
