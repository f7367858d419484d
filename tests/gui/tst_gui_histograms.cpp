// Weights over time in the model inspector's variables view: a selected variable shows its
// histogram (30 bins counting every element), a 2-D kernel its heat map, a convolution kernel its
// filters; a run's weights opened from the Runs panel show, per variable, the distribution over
// the epochs the run recorded (value and gradient), and nothing over time for a run recorded
// with --no-histograms.
#include <QComboBox>
#include <QLabel>
#include <QTemporaryDir>
#include <QTest>

#include "GuiTestSupport.h"

#include "app/cli/Cli.h"
#include "app/gui/inspect/ModelInspector.h"
#include "app/gui/inspect/VariablePlots.h"
#include "app/gui/inspect/VariablesView.h"
#include "app/gui/runs/RunsPanel.h"

#include "engine/train/Histogram.h"
#include "storage/Project.h"
#include "storage/VariableSource.h"

#include <nlohmann/json.hpp>
#include <qcustomplot.h>

#include <sstream>

using namespace strata;
using namespace strata::gui;

namespace {

void trainInto(const QString& project, std::vector<std::string> extra) {
    std::vector<std::string> args = {"train", (test::resources() + "/examples/digits_mlp.json").toStdString(), "--data",
                                     "digits", "--project", project.toStdString(), "--epochs", "3", "--seed", "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::ostringstream out, err;
    const int rc = cli::runCli(args, out, err);
    QVERIFY2(rc == 0, err.str().c_str());
}

double barsTotal(const QCPBars* bars) {
    double total = 0;
    for (auto it = bars->data()->constBegin(); it != bars->data()->constEnd(); ++it) total += it->value;
    return total;
}

bool tabShown(const VariablePlots* plots, QWidget* tab) { return plots->isTabVisible(plots->indexOf(tab)); }

} // namespace

class TestGuiHistograms : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    QString project_;

private slots:
    void initTestCase() {
        test::isolateUserFolders();
        QVERIFY(dir_.isValid());
        project_ = dir_.filePath("hist.strata");
        trainInto(project_, {});
        trainInto(project_, {"--no-histograms"});
    }

    void aSelectedKernelShowsItsHistogramAndHeatMap() {
        auto model = Model::fromSpec(test::example("digits_mlp"));
        model->build(0);
        VariablesView view(*model);
        VariablePlots* plots = view.plots();
        QVERIFY(view.selectPath("model/dense_1/kernel"));
        const Tensor& kernel = model->findVariable("dense_1/kernel")->value();
        QVERIFY(tabShown(plots, plots->histogramTab()));
        QCOMPARE(int(plots->histogramBars()->data()->size()), train::kHistogramBins);
        QCOMPARE(barsTotal(plots->histogramBars()), double(kernel.size()));
        // The bars are the engine's histogram of the values.
        const train::Histogram h = train::histogramOf(kernel);
        int i = 0;
        for (auto it = plots->histogramBars()->data()->constBegin(); it != plots->histogramBars()->data()->constEnd(); ++it, ++i)
            QCOMPARE(it->value, double(h.bins[std::size_t(i)]));
        // The heat map: units across, inputs down, every value in its cell.
        QVERIFY(tabShown(plots, plots->heatMapTab()));
        QVERIFY(!tabShown(plots, plots->filtersTab()));
        QCOMPARE(plots->heatMap()->data()->keySize(), int(kernel.shape()[1]));
        QCOMPARE(plots->heatMap()->data()->valueSize(), int(kernel.shape()[0]));
        QCOMPARE(plots->heatMap()->data()->cell(5, 7), double(kernel.f32()[7 * kernel.shape()[1] + 5]));
        QVERIFY(!tabShown(plots, plots->overTimeTab())); // no run

        QVERIFY(view.selectPath("model/dense_1/bias"));
        QVERIFY(!tabShown(plots, plots->heatMapTab()));
        QCOMPARE(barsTotal(plots->histogramBars()), double(model->findVariable("dense_1/bias")->value().size()));
        QVERIFY(view.selectPath("model/dense_1")); // a module: no plots
        QVERIFY(!tabShown(plots, plots->histogramTab()));
    }

    void aLargeKernelsHeatMapShowsEveryKthRow() {
        const nlohmann::json spec = {{"format", "strata.model/1"},
                                     {"name", "wide"},
                                     {"layers",
                                      {{{"name", "x"}, {"type", "Input"}, {"config", {{"shape", {2100}}}}},
                                       {{"name", "dense"}, {"type", "Dense"}, {"config", {{"units", 3}}}}}}};
        auto model = Model::fromSpec(ModelSpec::fromJson(spec));
        model->build(0);
        VariablesView view(*model);
        QVERIFY(view.selectPath("model/dense/kernel"));
        const Tensor& kernel = model->findVariable("dense/kernel")->value();
        QCPColorMap* map = view.plots()->heatMap();
        QCOMPARE(map->data()->keySize(), 3);
        QCOMPARE(map->data()->valueSize(), 700); // every 3rd of 2100 rows
        QCOMPARE(map->data()->cell(1, 10), double(kernel.f32()[30 * 3 + 1]));
    }

    void aConvolutionKernelShowsItsFilters() {
        auto model = Model::fromSpec(test::example("mnist_cnn"));
        model->build(0);
        VariablesView view(*model);
        QString conv;
        for (const Variable* v : model->variables())
            if (v->shape().rank() == 4 && conv.isEmpty()) conv = QString::fromStdString(v->path());
        QVERIFY(!conv.isEmpty());
        QVERIFY(view.selectPath(conv));
        VariablePlots* plots = view.plots();
        QVERIFY(tabShown(plots, plots->filtersTab()));
        QVERIFY(!tabShown(plots, plots->heatMapTab()));
        const auto& d = model->findVariable(conv.mid(6).toStdString())->shape().dims(); // HWIO
        const QPixmap pm = plots->filtersImage()->pixmap();
        QVERIFY(!pm.isNull());
        // One tile of W + 1 by H + 1 pixels per (filter, input channel), plus the border, scaled.
        const int64_t w = std::min<int64_t>(d[3], 64) * (d[1] + 1) + 1, hgt = std::min<int64_t>(d[2], 16) * (d[0] + 1) + 1;
        QCOMPARE(pm.width() * hgt, pm.height() * w);
        QCOMPARE(pm.width() % w, int64_t(0));
    }

    void aRunsWeightsShowTheirDistributionOverTheEpochs() {
        RunsPanel panel;
        panel.setProject(project_, "digits_mlp");
        storage::Project p = storage::Project::open(project_.toStdString(), storage::OpenMode::ReadOnly);
        const int64_t recorded = p.runs().front().id, off = p.runs().back().id;
        QVERIFY(panel.selectRun(recorded));
        ModelInspector* inspector = panel.inspectSelected();
        QVERIFY2(inspector, qPrintable(panel.lastError()));
        VariablesView* view = inspector->variablesView();
        VariablePlots* plots = view->plots();
        QVERIFY(plots->hasRunHistograms());
        QVERIFY(view->selectPath("model/probs/kernel"));
        QVERIFY(tabShown(plots, plots->overTimeTab()));
        QCOMPARE(plots->overTimeEpochs(), (std::vector<int64_t>{1, 2, 3}));
        QCOMPARE(plots->overTimePlot()->graphCount(), 9); // the percentiles 0 .. 100
        // The median line at epoch 3 is the stored histogram's median.
        const auto stored = p.histograms(recorded, storage::keyOfPath("model/probs/kernel"));
        const storage::VariableHistogram* last = nullptr;
        for (const auto& h : stored)
            if (h.kind == "value" && h.epoch == 3) last = &h;
        QVERIFY(last);
        const QCPGraph* median = plots->overTimePlot()->graph(4);
        QCOMPARE(median->data()->size(), 3);
        QCOMPARE((median->data()->constEnd() - 1)->value, train::histogramQuantile(last->bins, last->min, last->max, 0.5));
        QCOMPARE(plots->overTimePlot()->graph(8)->data()->at(2)->value, last->max);
        // The gradient: as many epochs, other numbers.
        plots->kindBox()->setCurrentIndex(plots->kindBox()->findData("gradient"));
        QCOMPARE(plots->overTimeEpochs(), (std::vector<int64_t>{1, 2, 3}));
        QVERIFY(plots->overTimePlot()->graph(8)->data()->at(2)->value != last->max);
        QCOMPARE(plots->overTimePlot()->yAxis->label(), QString("gradient"));
        // Every trainable variable has its view.
        for (const QString& path : view->variablePaths()) {
            QVERIFY(view->selectPath(path));
            QCOMPARE(int(plots->overTimeEpochs().size()), 3);
        }
        inspector->close();

        QVERIFY(panel.selectRun(off));
        ModelInspector* plain = panel.inspectSelected();
        QVERIFY(plain);
        QVERIFY(!plain->variablesView()->plots()->hasRunHistograms());
        QVERIFY(plain->variablesView()->selectPath("model/probs/kernel"));
        QVERIFY(!tabShown(plain->variablesView()->plots(), plain->variablesView()->plots()->overTimeTab()));
        QVERIFY(tabShown(plain->variablesView()->plots(), plain->variablesView()->plots()->histogramTab()));
        plain->close();
    }
};

QTEST_MAIN(TestGuiHistograms)
#include "tst_gui_histograms.moc"
