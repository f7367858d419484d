// The model inspector: the tree of variables (paths, trainable flags, totals, values) and the
// traced graph (inference vs training, table vs drawing, selection, trace errors).
#include <QDir>
#include <QTableView>
#include <QTableWidget>
#include <QTabWidget>
#include <QTest>
#include <QTreeWidget>

#include "GuiTestSupport.h"

#include "app/gui/inspect/ModelInspector.h"
#include "app/gui/inspect/TensorValues.h"
#include "app/gui/inspect/TraceScene.h"
#include "app/gui/inspect/TracedGraphView.h"
#include "app/gui/inspect/VariablesView.h"

#include "engine/ShapeInference.h"
#include "engine/Summary.h"

#include <nlohmann/json.hpp>

using namespace strata;
using namespace strata::gui;

namespace {
// Dropout and BatchNormalization at the top level and inside a block: model/encoder/norm/...
ModelSpec regularizedSpec() {
    nlohmann::json encoder = {{"inputs", {"x"}},
                              {"outputs", {"drop"}},
                              {"layers",
                               {{{"name", "x"}, {"type", "Input"}, {"config", {{"shape", {12}}}}},
                                {{"name", "dense_1"}, {"type", "Dense"}, {"config", {{"units", 16}, {"activation", "relu"}}}},
                                {{"name", "norm"}, {"type", "BatchNormalization"}},
                                {{"name", "drop"}, {"type", "Dropout"}, {"config", {{"rate", 0.3}}}}}}};
    nlohmann::json spec = {{"format", "strata.model/1"},
                           {"name", "regularized"},
                           {"layers",
                            {{{"name", "features"}, {"type", "Input"}, {"config", {{"shape", {12}}}}},
                             {{"name", "encoder"}, {"type", "Block"}, {"config", {{"spec", encoder}}}},
                             {{"name", "batch_normalization"}, {"type", "BatchNormalization"}},
                             {{"name", "dropout"}, {"type", "Dropout"}, {"config", {{"rate", 0.2}}}},
                             {{"name", "probs"}, {"type", "Dense"}, {"config", {{"units", 3}, {"activation", "softmax"}}}}}}};
    return ModelSpec::fromJson(spec);
}

std::unique_ptr<Model> built(const ModelSpec& spec) {
    auto m = Model::fromSpec(spec);
    m->build(0);
    return m;
}

QStringList paths(const std::vector<Variable*>& vars) {
    QStringList out;
    for (const Variable* v : vars) out << QString::fromStdString(v->path());
    return out;
}

ParamCounts engineSummaryTotals(const ModelSpec& spec) {
    return SummaryTable::fromSpec(spec, ShapeInference::run(spec)).totals;
}

bool hasOp(const ir::Graph& g, ir::OpKind op) {
    for (int n = 0; n < g.nodeCount(); ++n)
        if (g.node(n).op == op) return true;
    return false;
}

// Every cell of the shown table reads back as the tensor's element at its flat index.
void checkShownValues(const TensorTableModel& m, const Tensor& t, int rows, int cols) {
    QCOMPARE(m.rowCount(), rows);
    QCOMPARE(m.columnCount(), cols);
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) {
            const QModelIndex i = m.index(r, c);
            const qlonglong flat = m.data(i, TensorTableModel::FlatIndexRole).toLongLong();
            bool ok = false;
            const float shown = m.data(i, Qt::DisplayRole).toString().toFloat(&ok);
            QVERIFY(ok);
            // Exact (QCOMPARE on floats is fuzzy): the text is the shortest that reads back the same.
            QVERIFY2(shown == t.f32()[flat], qPrintable(m.data(i, Qt::DisplayRole).toString()));
        }
}
} // namespace

class TestGuiInspect : public QObject {
    Q_OBJECT
private slots:
    void treeListsExactlyTheModelsVariables_data() {
        QTest::addColumn<QString>("name");
        QTest::newRow("digits_mlp") << "digits_mlp";
        QTest::newRow("bn+dropout+block") << "regularized";
        QTest::newRow("mnist_cnn") << "mnist_cnn";
    }
    void treeListsExactlyTheModelsVariables() {
        QFETCH(QString, name);
        const ModelSpec spec = name == "regularized" ? regularizedSpec() : test::example(name);
        auto model = built(spec);
        VariablesView view(*model);
        QCOMPARE(view.variablePaths(), paths(model->variables()));
        // One module row per module: the model and every submodule, blocks' layers included.
        int modules = 0;
        for (QTreeWidgetItemIterator it(view.tree()); *it; ++it)
            if (!(*it)->data(0, VariablesView::IsVariableRole).toBool()) ++modules;
        QCOMPARE(modules, int(model->submodules().size()) + 1);
    }

    void blockVariablesNestUnderTheirModules() {
        auto model = built(regularizedSpec());
        VariablesView view(*model);
        QTreeWidgetItem* kernel = view.itemForPath("model/encoder/dense_1/kernel");
        QVERIFY(kernel);
        QCOMPARE(kernel->parent()->data(0, VariablesView::PathRole).toString(), QString("model/encoder/dense_1"));
        QCOMPARE(kernel->parent()->parent()->data(0, VariablesView::PathRole).toString(), QString("model/encoder"));
        QCOMPARE(kernel->text(VariablesView::ShapeColumn), QString("(12, 16)"));
        QCOMPARE(kernel->text(VariablesView::DTypeColumn), QString("float32"));
        // A module's parameter count is its subtree's: 12*16+16 + 4*16 (the block's BN).
        QCOMPARE(view.itemForPath("model/encoder")->text(VariablesView::ParamsColumn), QString("272"));
        QVERIFY(view.itemForPath("model/encoder")->text(VariablesView::TrainableColumn).startsWith("partly frozen"));
    }

    void movingStatisticsAreFrozen() {
        auto model = built(regularizedSpec());
        VariablesView view(*model);
        int frozen = 0;
        for (const Variable* v : model->variables()) {
            QTreeWidgetItem* row = view.itemForPath(QString::fromStdString(v->path()));
            QVERIFY(row);
            const bool moving = v->name() == "moving_mean" || v->name() == "moving_variance";
            QCOMPARE(row->text(VariablesView::TrainableColumn), moving ? QString("frozen") : QString("trainable"));
            frozen += moving;
        }
        QCOMPARE(frozen, 4); // two BatchNormalization layers, one inside the block
    }

    void totalsAgreeWithTheEngineSummary_data() {
        QTest::addColumn<QString>("name");
        QTest::newRow("digits_mlp") << "digits_mlp";
        QTest::newRow("bn+dropout+block") << "regularized";
        QTest::newRow("two_branch") << "two_branch";
    }
    void totalsAgreeWithTheEngineSummary() {
        QFETCH(QString, name);
        const ModelSpec spec = name == "regularized" ? regularizedSpec() : test::example(name);
        auto model = built(spec);
        VariablesView view(*model);
        const ParamCounts summary = engineSummaryTotals(spec);
        QVERIFY(summary.nonTrainable > 0 || name == "digits_mlp");
        QCOMPARE(view.totals().trainable, summary.trainable);
        QCOMPARE(view.totals().nonTrainable, summary.nonTrainable);
        QCOMPARE(view.totals().total(), model->paramCounts().total());
        const QString text = view.totalsText();
        QVERIFY2(text.contains(QString::fromStdString(withThousands(summary.total()))), qPrintable(text));
        QVERIFY2(text.contains("Non-trainable:</b> " + QString::fromStdString(withThousands(summary.nonTrainable))), qPrintable(text));
        QCOMPARE(view.tree()->topLevelItem(0)->text(VariablesView::ParamsColumn), QString::fromStdString(withThousands(summary.total())));
    }

    void selectedVariableShowsItsValues() {
        auto model = built(test::example("digits_mlp"));
        VariablesView view(*model);
        QVERIFY(view.selectPath("model/dense_1/kernel"));
        checkShownValues(*view.valuesModel(), model->findVariable("dense_1/kernel")->value(), 64, 32);
        QVERIFY(view.valuesNote().contains("(64, 32) float32, 2,048 values"));
        QVERIFY(view.selectPath("model/probs/bias")); // a vector: one column
        checkShownValues(*view.valuesModel(), model->findVariable("probs/bias")->value(), 10, 1);
        QVERIFY(view.selectPath("model/dense_1")); // a module: no values
        QCOMPARE(view.valuesModel()->rowCount(), 0);
        QVERIFY(!view.selectPath("model/nowhere"));
    }

    void givenWeightsAreShownAndMismatchesNamed() {
        const ModelSpec spec = test::example("digits_mlp");
        std::vector<float> ramp(64 * 32);
        for (std::size_t i = 0; i < ramp.size(); ++i) ramp[i] = float(i) * 0.001f - 1.0f;
        Weights weights;
        weights.emplace("model/dense_1/kernel/.ATTRIBUTES/VARIABLE_VALUE", Tensor::fromVector(Shape{64, 32}, ramp));
        weights.emplace("model/probs/bias", Tensor::fromVector(Shape{3}, std::vector<float>{1, 2, 3})); // wrong shape
        ModelInspector inspector(spec, &weights);
        QVERIFY(inspector.model());
        QVERIFY(inspector.valuesNote().contains("given values</b> for 1 of 4"));
        QVERIFY(inspector.valuesNote().contains("model/probs/bias"));
        QVERIFY(inspector.valuesNote().contains("not given: model/dense_1/bias, model/probs/kernel"));
        VariablesView* view = inspector.variablesView();
        QVERIFY(view->selectPath("model/dense_1/kernel"));
        checkShownValues(*view->valuesModel(), weights.begin()->second, 64, 32);
        QVERIFY(view->itemForPath("model/dense_1/kernel")->text(VariablesView::ValuesColumn).startsWith("min -1 · mean"));

        ModelInspector initial(spec, nullptr);
        QVERIFY(initial.valuesNote().contains("initial values"));
        QCOMPARE(initial.tabs()->count(), 2);
    }

    void bigTensorsAreCappedAndSaySo() {
        nlohmann::json j = {{"format", "strata.model/1"},
                            {"layers", {{{"name", "x"}, {"type", "Input"}, {"config", {{"shape", {3000}}}}},
                                        {{"name", "wide"}, {"type", "Dense"}, {"config", {{"units", 300}}}}}}};
        auto model = built(ModelSpec::fromJson(j));
        VariablesView view(*model);
        QVERIFY(view.selectPath("model/wide/kernel"));
        QCOMPARE(view.valuesModel()->rowCount(), TensorTableModel::kMaxRows);
        QCOMPARE(view.valuesModel()->columnCount(), TensorTableModel::kMaxColumns);
        QVERIFY2(view.valuesNote().contains("showing the first 2000 of 3000 rows and 256 of 300 columns"), qPrintable(view.valuesNote()));
    }

    void higherRankTensorsAreViewedByTheirLastDimension() {
        auto model = built(test::example("mnist_cnn"));
        VariablesView view(*model);
        const Variable* kernel = nullptr;
        for (const Variable* v : model->variables())
            if (v->shape().rank() == 4) { kernel = v; break; }
        QVERIFY(kernel);
        QVERIFY(view.selectPath(QString::fromStdString(kernel->path())));
        const Shape& s = kernel->shape();
        checkShownValues(*view.valuesModel(), kernel->value(), int(s[0] * s[1] * s[2]), int(s[3]));
        const int last = view.valuesModel()->rowCount() - 1;
        QCOMPARE(view.valuesModel()->headerData(last, Qt::Vertical).toString(),
                 QString("[%1, %2, %3, :]").arg(s[0] - 1).arg(s[1] - 1).arg(s[2] - 1));
        QCOMPARE(view.valuesModel()->headerData(int(s[2]), Qt::Vertical).toString(), QString("[0, 1, 0, :]"));
        QVERIFY(view.valuesNote().contains("viewed as"));
    }

    void inferenceTraceIsSmallerAndHasNoDropout() {
        auto model = built(regularizedSpec());
        TracedGraphView view(*model);
        view.setBatchSize(8);
        view.setTraining(false);
        QVERIFY2(view.trace(), qPrintable(view.errorText()));
        const int inference = view.trace()->graph.nodeCount();
        QVERIFY(!hasOp(view.trace()->graph, ir::OpKind::Dropout));
        QVERIFY(view.trace()->graph.assignments().empty());
        QCOMPARE(view.trace()->signature.inputs[0], (Shape{8, 12}));
        view.setTraining(true);
        QVERIFY2(view.trace(), qPrintable(view.errorText()));
        QVERIFY(view.trace()->signature.training);
        QVERIFY(view.trace()->graph.nodeCount() > inference);
        QVERIFY(hasOp(view.trace()->graph, ir::OpKind::Dropout));
        QCOMPARE(view.trace()->graph.assignments().size(), std::size_t(4)); // moving mean and variance, twice
        QVERIFY(view.countsText().contains("4 assignments"));
    }

    void nodeTableAndDrawingShowEveryNode_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<bool>("training");
        QTest::newRow("digits inference") << "digits_mlp" << false;
        QTest::newRow("regularized training") << "regularized" << true;
        QTest::newRow("mnist_cnn training") << "mnist_cnn" << true;
    }
    void nodeTableAndDrawingShowEveryNode() {
        QFETCH(QString, name);
        QFETCH(bool, training);
        auto model = built(name == "regularized" ? regularizedSpec() : test::example(name));
        TracedGraphView view(*model);
        view.setTraining(training);
        QVERIFY2(view.trace(), qPrintable(view.errorText()));
        const ir::Graph& g = view.trace()->graph;
        QCOMPARE(view.nodeTable()->rowCount(), g.nodeCount());
        QVERIFY(view.scene()->nodeCount() < g.nodeCount()); // each layer one box at first
        view.scene()->expandAll();
        QCOMPARE(view.scene()->nodeCount(), g.nodeCount());
        QVERIFY(view.scene()->laidOutByGraphviz());
        int variables = 0;
        for (int n = 0; n < g.nodeCount(); ++n) {
            QCOMPARE(view.nodeTable()->item(n, TracedGraphView::OpColumn)->text(), QString::fromUtf8(ir::opName(g.node(n).op).data()));
            variables += g.node(n).op == ir::OpKind::Variable;
        }
        QVERIFY(view.countsText().contains(QString("%1 variables read").arg(variables)));
        // The model's variables are read by path; the table names them.
        const auto items = view.nodeTable()->findItems("reads model/", Qt::MatchStartsWith);
        QVERIFY(!items.isEmpty());
    }

    void selectingANodeSelectsItInTheOther() {
        auto model = built(test::example("digits_mlp"));
        TracedGraphView view(*model);
        view.resize(1200, 700);
        QVERIFY(view.trace());
        view.selectNode(3);
        QCOMPARE(view.tableSelectedNode(), 3);
        QCOMPARE(view.drawnSelectedNode(), 3);
        view.scene()->selectNode(5); // as a click on the box does
        QCOMPARE(view.tableSelectedNode(), 5);
        QCOMPARE(view.drawnSelectedNode(), 5);
        view.selectNode(-1);
        QCOMPARE(view.tableSelectedNode(), -1);
        QCOMPARE(view.drawnSelectedNode(), -1);
    }

    void closingWithANodeSelectedIsSafe() {
        auto model = built(test::example("digits_mlp"));
        auto view = std::make_unique<TracedGraphView>(*model);
        view->selectNode(2);
        QCOMPARE(view->drawnSelectedNode(), 2);
        view.reset(); // the scene deselects while it deletes its items
        auto again = std::make_unique<TracedGraphView>(*model);
        again->selectNode(2);
        again->setTraining(true); // retracing replaces a scene with a selected node
        QCOMPARE(again->drawnSelectedNode(), -1);
        QCOMPARE(again->tableSelectedNode(), -1);
    }

    void untraceableSignaturesShowAnError() {
        auto model = built(test::example("digits_mlp"));
        TracedGraphView view(*model);
        QVERIFY(view.trace());
        view.setInputShapeText(0, "7"); // the model wants 64 features
        QVERIFY(!view.trace());
        QVERIFY2(view.errorText().contains("pixels") && view.errorText().contains("(None, 64)"), qPrintable(view.errorText()));
        QCOMPARE(view.nodeTable()->rowCount(), 0);
        QCOMPARE(view.scene()->nodeCount(), 0);
        view.setInputShapeText(0, "None");
        QVERIFY(view.errorText().contains("every dimension needs a size"));
        view.setInputShapeText(0, "eight");
        QVERIFY(view.errorText().contains("sizes separated by commas"));
        view.setInputShapeText(0, "(64,)");
        QVERIFY(view.trace());
        QVERIFY(view.errorText().isEmpty());

        // A layer the tracer cannot handle for these shapes: the message names it.
        nlohmann::json j = {{"format", "strata.model/1"},
                            {"layers", {{{"name", "image"}, {"type", "Input"}, {"config", {{"shape", {4, 4, 3}}}}},
                                        {{"name", "rows_norm"}, {"type", "BatchNormalization"}, {"config", {{"axis", 1}}}}}}};
        auto bad = built(ModelSpec::fromJson(j));
        TracedGraphView badView(*bad);
        QVERIFY(!badView.trace());
        QVERIFY2(badView.errorText().contains("layer 'rows_norm'"), qPrintable(badView.errorText()));
    }

    void specThatDoesNotBuildShowsItsIssues() {
        ModelSpec spec = test::example("digits_mlp");
        spec.layers[1].type = "NoSuchLayer";
        ModelInspector inspector(spec, nullptr);
        QVERIFY(!inspector.model());
        QVERIFY(!inspector.tabs());
        QVERIFY2(inspector.valuesNote().contains("NoSuchLayer"), qPrintable(inspector.valuesNote()));
    }

    // Not a check: with STRATA_INSPECT_SCREENSHOTS=<folder>, saves both tabs as PNGs (docs/).
    void screenshotsWhenAsked() {
        const QString dir = qEnvironmentVariable("STRATA_INSPECT_SCREENSHOTS");
        if (dir.isEmpty()) QSKIP("set STRATA_INSPECT_SCREENSHOTS to a folder to save screenshots");
        ModelInspector inspector(test::example("two_branch"), nullptr);
        inspector.resize(1400, 860);
        inspector.show();
        inspector.variablesView()->selectPath("model/batch_normalization/moving_variance");
        inspector.variablesView()->selectPath("model/deep_1/kernel");
        QTest::qWait(50);
        QVERIFY(inspector.grab().save(QDir(dir).filePath("inspector-variables.png")));
        inspector.tabs()->setCurrentIndex(1);
        inspector.tracedGraphView()->setTraining(true); // each layer one box, as the graph opens
        QTest::qWait(50);
        QVERIFY(inspector.grab().save(QDir(dir).filePath("inspector-graph.png")));
    }
};

QTEST_MAIN(TestGuiInspect)
#include "tst_gui_inspect.moc"
