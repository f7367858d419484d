// The Evaluation panel, opened from the Runs panel's "Evaluate…" button on a trained digits_mlp
// run: its confusion matrix sums to the test split; a real mouse click on a cell of the heat map
// lists exactly the samples of that (true, predicted) pair, as the model's own outputs (run here
// independently) say; the counts/normalised toggle, the per-class table, the misclassified list
// and one sample's prediction. A regression run shows its scatter and residual histogram. An
// autoencoder's Sample tab shows the original beside its reconstruction (pictures, or two columns
// of values); the run's device computes (Vulkan on lavapipe matching the CPU), and a device this
// machine lacks gives the CPU with a visible note; a model with two outputs has an output selector.
#include <QCheckBox>
#include <QComboBox>
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
#include "app/gui/eval/EvalWidgets.h"
#include "app/gui/eval/EvaluationPanel.h"
#include "app/gui/eval/SampleView.h"
#include "app/gui/runs/RunsPanel.h"
#include "app/session/Devices.h"
#include "app/session/ModelLoading.h"
#include "storage/CheckpointStore.h"
#include "storage/Project.h"
#include "storage/Sqlite.h"
#include "tests/support/AnimalsTable.h"
#include "tests/support/RequiredTools.h"

#include "engine/data/BuiltinDatasets.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/train/Inference.h"

#include <qcustomplot.h>

#include <cmath>
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

    // An autoencoder of 8×8 digits: the Sample tab shows the chosen sample's original beside its
    // reconstruction, both large enough to read, with that sample's reconstruction error, as the
    // model (run here independently) reconstructs it.
    void autoencoderSampleShowsOriginalBesideReconstruction() {
        const QString project = dir_.filePath("ae.strata");
        runCli({"train", (test::resources() + "/examples/autoencoder.json").toStdString(), "--data", "digits", "--reconstruct", "--epochs",
                "2", "--seed", "4", "--project", project.toStdString()});
        RunsPanel runs;
        EvaluationPanel* panel = evaluateNewestRun(runs, project, "autoencoder");
        QVERIFY(panel);
        QVERIFY2(panel->report(), qPrintable(panel->statusText()));
        const train::EvalReport& r = *panel->report();
        QCOMPARE(int(r.kind), int(train::ReportKind::Reconstruction));
        panel->tabs()->setCurrentIndex(panel->tabs()->count() - 1);
        QCOMPARE(panel->tabs()->tabText(panel->tabs()->currentIndex()), QString("Sample"));
        const int index = 11;
        panel->sampleSpin()->setValue(index);
        SampleView* view = panel->sampleView();
        QVERIFY(view->originalImage()->isVisible() && view->reconstructionImage()->isVisible());
        QVERIFY(!view->valueTable()->isVisible());
        const QPixmap before = view->originalImage()->pixmap(), after = view->reconstructionImage()->pixmap();
        QCOMPARE(before.size(), QSize(SampleView::kPictureSide, SampleView::kPictureSide)); // 8×8 drawn at 224 px
        QCOMPARE(after.size(), before.size());
        // Side by side: the reconstruction to the right of the original, level with it.
        const QPoint left = view->originalImage()->mapTo(panel, QPoint(0, 0)), right = view->reconstructionImage()->mapTo(panel, QPoint(0, 0));
        QVERIFY2(right.x() >= left.x() + SampleView::kPictureSide && right.y() == left.y(), qPrintable(QString("%1,%2 %3,%4").arg(left.x()).arg(left.y()).arg(right.x()).arg(right.y())));

        // The model's reconstruction and the original, computed here; drawn on one grey scale.
        const data::DatasetSplits splits = data::loadBuiltinDataset("digits");
        const session::LoadedModel loaded = session::loadModel(project.toStdString(), "", "latest");
        cpu::CpuBackend backend;
        const Tensor x = splits.test.x.reshaped(Shape{splits.test.size(), 64});
        const Tensor one = Tensor::fromVector(Shape{1, 64}, std::vector<float>(x.f32() + index * 64, x.f32() + (index + 1) * 64));
        const Tensor out = train::runModel(*loaded.model, backend, {one}, 1).at(0);
        double mse = 0, lo = 1e300, hi = -1e300;
        for (int i = 0; i < 64; ++i) {
            mse += (out.f32()[i] - one.f32()[i]) * double(out.f32()[i] - one.f32()[i]) / 64;
            lo = std::min({lo, double(out.f32()[i]), double(one.f32()[i])});
            hi = std::max({hi, double(out.f32()[i]), double(one.f32()[i])});
        }
        auto drawn = [](const Tensor& t, double low, double high) {
            return sampleImage(t, 0, std::make_pair(low, high))->scaled(SampleView::kPictureSide, SampleView::kPictureSide, Qt::KeepAspectRatio, Qt::FastTransformation);
        };
        QCOMPARE(after.toImage().convertToFormat(QImage::Format_RGB32), drawn(out, lo, hi));
        QCOMPARE(before.toImage().convertToFormat(QImage::Format_RGB32), drawn(one, lo, hi));
        QVERIFY(after.toImage() != before.toImage());
        const QString text = panel->samplePrediction()->text();
        QVERIFY2(text.contains(QString("Sample %1").arg(index)) && text.contains(QString::number(mse, 'g', 4)), qPrintable(text + " / " + QString::number(mse)));
    }

    // A table's autoencoder: the Sample tab lists the original and reconstructed values in two
    // columns (and their difference), no pictures.
    void tableAutoencoderSampleListsValuesInTwoColumns() {
        const QString csv = dir_.filePath("wave.csv"), spec = dir_.filePath("wave.json"), project = dir_.filePath("wave.strata");
        {
            std::ofstream out(csv.toStdString());
            out << "a,b,c,d,e,k\n";
            for (int i = 0; i < 120; ++i)
                out << std::sin(0.1 * i) << "," << std::cos(0.1 * i) << "," << std::sin(0.2 * i) << "," << std::cos(0.3 * i) << ","
                    << (i % 7) / 7.0 << "," << i % 3 << "\n";
            std::ofstream s(spec.toStdString());
            s << R"({"format": "strata.model/1", "name": "wave", "inputs": ["x"], "outputs": ["back"], "layers": [
                   {"name": "x", "type": "Input", "config": {"shape": [5]}}, {"name": "code", "type": "Dense", "config": {"units": 3, "activation": "tanh"}},
                   {"name": "back", "type": "Dense", "config": {"units": 5}}]})";
        }
        runCli({"train", spec.toStdString(), "--data", csv.toStdString(), "--reconstruct", "--epochs", "2", "--project", project.toStdString()});
        RunsPanel runs;
        EvaluationPanel* panel = evaluateNewestRun(runs, project, "wave");
        QVERIFY(panel);
        QVERIFY2(panel->report(), qPrintable(panel->statusText()));
        panel->tabs()->setCurrentIndex(panel->tabs()->count() - 1);
        panel->sampleSpin()->setValue(3);
        SampleView* view = panel->sampleView();
        QVERIFY(view->valueTable()->isVisible());
        QVERIFY(!view->reconstructionImage()->isVisible());
        QCOMPARE(view->valueTable()->rowCount(), 5);
        // The panel's own split and model give the same values, independently of the view.
        const EvaluationResult& res = *panel->result();
        const data::Batch b = train::gatherSamples(res.split, {3});
        cpu::CpuBackend backend;
        const Tensor out = train::runModel(*res.model, backend, {b.x}, 1).at(0);
        for (int i = 0; i < 5; ++i) {
            QCOMPARE(view->valueTable()->item(i, 0)->text(), QString::number(b.y.f32()[i], 'g', 5));
            QVERIFY(std::fabs(view->valueTable()->item(i, 1)->text().toDouble() - out.f32()[i]) < 1e-4);
        }
        QVERIFY(panel->samplePrediction()->text().contains("Reconstruction error"));
    }

    // A run trained on Vulkan (lavapipe here) is evaluated on Vulkan, with the CPU's confusion
    // matrix and probabilities within float tolerance; a run whose device this machine lacks is
    // evaluated on the CPU, and the panel says so.
    void evaluatesOnTheRunsDeviceOrSaysWhyNot() {
        const QString moved = dir_.filePath("moved.strata");
        QVERIFY(QFile::copy(digits_, moved));
        storage::Database(moved.toStdString(), false, false).exec("UPDATE runs SET backend = 'vulkan:9'");
        {
            RunsPanel runs;
            EvaluationPanel* panel = evaluateNewestRun(runs, moved, "digits_mlp");
            QVERIFY(panel);
            QVERIFY2(panel->report(), qPrintable(panel->statusText()));
            QCOMPARE(panel->result()->device, std::string("cpu"));
            QVERIFY(panel->deviceNote()->isVisible());
            QVERIFY2(panel->deviceNote()->text().contains("vulkan:9") && panel->deviceNote()->text().contains("CPU"),
                     qPrintable(panel->deviceNote()->text()));
            QVERIFY(panel->statusText().contains("computed on cpu"));
        }
        if (strata_testsupport::vulkanOffForSanitizers()) QSKIP("the sanitizer build turns Vulkan off; the plain build runs this on lavapipe");
        const session::BackendChoice choice = session::chooseBackend("vulkan", 1);
        if (!choice.backend || !choice.note.empty())
            STRATA_SKIP_UNLESS_REQUIRED("no Vulkan device (install mesa-vulkan-drivers for lavapipe): " + choice.error + choice.note);
        const QString project = dir_.filePath("vulkan.strata");
        runCli({"train", (test::resources() + "/examples/digits_mlp.json").toStdString(), "--data", "digits", "--epochs", "2", "--seed", "5",
                "--device", "vulkan", "--project", project.toStdString()});
        RunsPanel runs;
        EvaluationPanel* panel = evaluateNewestRun(runs, project, "digits_mlp");
        QVERIFY(panel);
        QVERIFY2(panel->report(), qPrintable(panel->statusText()));
        QCOMPARE(panel->result()->device, std::string("vulkan"));
        QVERIFY(!panel->deviceNote()->isVisible());
        QVERIFY(panel->statusText().contains("computed on vulkan"));
        const storage::Project p = storage::Project::open(project.toStdString(), storage::OpenMode::ReadOnly);
        EvaluationPanel onCpu;
        onCpu.evaluate({project, qint64(session::findCheckpoint(p, "", "latest").id), "test", "cpu"}, "on the CPU");
        QVERIFY(QTest::qWaitFor([&onCpu] { return !onCpu.isRunning(); }, 120000));
        QVERIFY2(onCpu.report(), qPrintable(onCpu.statusText()));
        QCOMPARE(onCpu.result()->device, std::string("cpu"));
        const train::EvalReport &gpu = *panel->report(), &cpu = *onCpu.report();
        QCOMPARE(gpu.confusion, cpu.confusion);
        QCOMPARE(gpu.misclassified.size(), cpu.misclassified.size());
        for (std::size_t i = 0; i < gpu.misclassified.size(); ++i)
            for (std::size_t c = 0; c < 10; ++c)
                QVERIFY(std::fabs(gpu.misclassified[i].probabilities[c] - cpu.misclassified[i].probabilities[c]) < 1e-4);
        for (std::size_t i = 0; i < gpu.losses.size(); ++i) QVERIFY(std::fabs(gpu.losses[i] - cpu.losses[i]) < 1e-3 * (1 + cpu.losses[i]));
    }

    // two_heads.json ("cls" classifies, "reg" regresses): the output selector names both; each
    // shows its own figures.
    void outputSelectorShowsEachOutput() {
        const std::string csv = animals::writeTable(dir_.filePath("animals.csv").toStdString(), 300);
        const QString project = dir_.filePath("heads.strata");
        runCli({"train", (test::resources() + "/examples/two_heads.json").toStdString(), "--data", csv, "--input", "a=a0..a3", "--input",
                "b=b0,b1,b2", "--output", "cls=kind", "--output", "reg=size:regression", "--epochs", "4", "--lr", "0.01", "--project",
                project.toStdString()});
        RunsPanel runs;
        EvaluationPanel* panel = evaluateNewestRun(runs, project, "two_heads");
        QVERIFY(panel);
        QVERIFY2(panel->report(), qPrintable(panel->statusText()));
        QComboBox* outputs = panel->outputSelector();
        QVERIFY(outputs->isVisible());
        QCOMPARE(outputs->count(), 2);
        QCOMPARE(outputs->itemText(0), QString("cls (classification)"));
        QCOMPARE(outputs->itemText(1), QString("reg (regression)"));
        const std::vector<train::EvalReport>& all = panel->result()->reports;
        QCOMPARE(panel->report()->output, std::string("cls"));
        QCOMPARE(panel->tabs()->tabText(0), QString("Confusion matrix"));
        QCOMPARE(panel->confusionView()->cellText(0, 0), QString::number(all[0].confusion[0][0]));
        QVERIFY(panel->statusText().contains(QString("accuracy %1%").arg(100 * all[0].accuracy, 0, 'f', 1)));

        outputs->setFocus();
        QTest::keyClick(outputs, Qt::Key_Down); // a person's choice: emits activated
        QCOMPARE(panel->report()->output, std::string("reg"));
        QCOMPARE(int(panel->report()->kind), int(train::ReportKind::Regression));
        QCOMPARE(panel->tabs()->count(), 3); // scatter, residuals, sample
        auto* scatter = panel->tabs()->widget(0)->findChild<QCustomPlot*>("regressionScatter");
        if (!scatter) scatter = qobject_cast<QCustomPlot*>(panel->tabs()->widget(0));
        QVERIFY(scatter);
        QCOMPARE(scatter->graph(0)->dataCount(), int(all[1].samples));
        QVERIFY(panel->statusText().contains(QString("MAE %1").arg(all[1].mae, 0, 'g', 4)));
        panel->tabs()->setCurrentIndex(2);
        panel->sampleSpin()->setValue(4);
        QVERIFY2(panel->samplePrediction()->text().contains("output <b>reg</b>"), qPrintable(panel->samplePrediction()->text()));
        QTest::keyClick(outputs, Qt::Key_Up);
        QCOMPARE(panel->report()->output, std::string("cls"));
        QCOMPARE(panel->tabs()->tabText(panel->tabs()->currentIndex()), QString("Sample")); // the same view, of the other output
    }
};

QTEST_MAIN(TestGuiEval)
#include "tst_gui_eval.moc"
