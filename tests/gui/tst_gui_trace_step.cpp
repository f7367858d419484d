// The traced-graph view's "Whole step": with Training on, it shows the graph one fit() step
// runs — the training trace, the loss (labels placeholder), the gradients and Adam's updates,
// each in its scope — numbered forward, gradients, updates as the header says; the step assigns
// every trainable variable, Adam's slots and optimizer/iter. Off again, the forward trace returns.
#include <QCheckBox>
#include <QTableWidget>
#include <QTest>

#include "GuiTestSupport.h"

#include "app/gui/inspect/TracedGraphView.h"

#include <set>

using namespace strata;
using namespace strata::gui;

class TestGuiTraceStep : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { test::isolateUserFolders(); }

    void wholeStepShowsLossGradientsAndUpdates() {
        auto model = Model::fromSpec(test::example("digits_mlp"));
        model->build(0);
        TracedGraphView view(*model);
        QVERIFY(!view.wholeStepCheck()->isEnabled()); // inference: no step
        view.setTraining(true);
        QVERIFY(view.wholeStepCheck()->isEnabled());
        QVERIFY(view.trace());
        const int forward = view.trace()->graph.nodeCount();
        view.setWholeStep(true);
        QVERIFY2(view.trace(), qPrintable(view.errorText()));
        const ir::Graph& g = view.trace()->graph;
        QVERIFY(g.nodeCount() > 2 * forward);
        QVERIFY2(view.countsText().contains("sparse_categorical_crossentropy") && view.countsText().contains("adam"),
                 qPrintable(view.countsText()));
        QVERIFY(g.findPlaceholder("labels") != ir::kNoValue);

        // Every scope is a layer, the loss, a gradient or an update, shown in the Layer column.
        std::set<std::string> kinds;
        QTableWidget* t = view.nodeTable();
        QCOMPARE(t->rowCount(), g.nodeCount());
        for (int n = 0; n < g.nodeCount(); ++n) {
            const std::string& scope = g.node(n).scope;
            const std::string kind = scope.substr(0, scope.find('/'));
            kinds.insert(kind);
            QVERIFY2(kind == "model" || kind == "loss" || kind == "gradients" || kind == "optimizer", scope.c_str());
            QVERIFY(!t->item(n, TracedGraphView::LayerColumn)->text().isEmpty());
        }
        QCOMPARE(kinds, (std::set<std::string>{"model", "loss", "gradients", "optimizer"}));

        // The update assigns every trainable variable, its two Adam slots, and the step counter.
        std::set<std::string> assigned;
        for (const ir::Assignment& a : g.assignments()) assigned.insert(a.path);
        int trainable = 0;
        for (Variable* v : model->trainableVariables()) {
            ++trainable;
            QVERIFY2(assigned.count(v->path()), v->path().c_str());
        }
        QCOMPARE(trainable, 4);
        QVERIFY(assigned.size() >= std::size_t(3 * trainable + 1));

        view.setWholeStep(false);
        QCOMPARE(view.trace()->graph.nodeCount(), forward);
        QVERIFY(!view.countsText().contains("adam"));
    }

    void theLossFollowsTheOutput() { // the autoencoder's decoder ends in a sigmoid
        auto model = Model::fromSpec(test::example("autoencoder"));
        model->build(0);
        TracedGraphView view(*model);
        view.setTraining(true);
        view.setWholeStep(true);
        QVERIFY2(view.trace(), qPrintable(view.errorText()));
        QVERIFY2(view.countsText().contains("binary_crossentropy"), qPrintable(view.countsText()));
    }
};

QTEST_MAIN(TestGuiTraceStep)
#include "tst_gui_trace_step.moc"
