// The traced-graph view's "Whole step": with Training on, it shows the graph one fit() step
// runs — the training trace, the loss (labels placeholder), the gradients and Adam's updates,
// each in its scope — numbered forward, gradients, updates as the header says; the step assigns
// every trainable variable, Adam's slots and optimizer/iter. Off again, the forward trace returns.
// Opened from the main window, the step is traced with the Train panel's optimizer (learning rate,
// momentum and Nesterov included), loss and batch size, and the note names them.
#include <QAction>
#include <QCheckBox>
#include <QTableWidget>
#include <QTest>

#include "GuiTestSupport.h"

#include "app/gui/MainWindow.h"
#include "app/gui/inspect/ModelInspector.h"
#include "app/gui/inspect/TracedGraphView.h"
#include "app/gui/train/TrainPanel.h"

#include "engine/Model.h"
#include "engine/train/Trainer.h"

#include <set>

using namespace strata;
using namespace strata::gui;

namespace {

// What a whole step is made of, as the inspector the main window opens (Model ▸ Inspect) traces it.
struct StepParts {
    QString note;
    std::set<std::string> optimizerSlots;     // optimizer slots the step assigns ("m", "v", "rms", "momentum"...)
    int assignments = 0;
    std::set<std::string> lossOps;    // op names in the "loss" scope
    std::set<std::string> updateOps;  // op names in the "optimizer/..." scopes
    double learningRate = 0;          // of the learning_rate op
    DType labelType = DType::F32;
    Shape labelShape;
};

StepParts inspectWholeStep(MainWindow& w) {
    StepParts parts;
    for (ModelInspector* old : w.findChildren<ModelInspector*>()) delete old;
    w.action("inspect")->trigger();
    const auto inspectors = w.findChildren<ModelInspector*>();
    if (inspectors.size() != 1 || !inspectors.front()->tracedGraphView()) return parts;
    TracedGraphView* view = inspectors.front()->tracedGraphView();
    view->setTraining(true);
    view->setWholeStep(true);
    parts.note = view->trace() ? view->countsText() : view->errorText();
    if (!view->trace()) return parts;
    const ir::Graph& g = view->trace()->graph;
    for (const ir::Assignment& a : g.assignments()) {
        ++parts.assignments;
        const auto slot = a.path.find("/.OPTIMIZER_SLOT/optimizer/");
        if (slot != std::string::npos) parts.optimizerSlots.insert(a.path.substr(slot + 27));
    }
    for (int n = 0; n < g.nodeCount(); ++n) {
        const ir::Node& node = g.node(n);
        const std::string op(ir::opName(node.op));
        if (node.scope == "loss") parts.lossOps.insert(op);
        if (node.scope.rfind("optimizer", 0) == 0) parts.updateOps.insert(op);
        if (node.op == ir::OpKind::LearningRate) parts.learningRate = node.attrs.real("learning_rate");
    }
    const ir::ValueId labels = g.findPlaceholder("labels");
    if (labels != ir::kNoValue) parts.labelType = g.dtype(labels), parts.labelShape = g.shape(labels);
    return parts;
}

} // namespace

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

    void theWholeStepIsTracedWithTheTrainPanelsOptimizerAndLoss() {
        MainWindow w;
        w.setInteractive(false);
        w.document()->setModel(test::example("digits_mlp"), {}, false);
        TrainPanel* panel = w.trainPanel();

        // The panel's defaults: Adam, sparse categorical cross-entropy on class labels.
        const StepParts adam = inspectWholeStep(w);
        QVERIFY2(adam.note.contains("Whole step"), qPrintable(adam.note));
        QVERIFY2(adam.note.contains("adam (learning rate 0.001)") && adam.note.contains("sparse_categorical_crossentropy") &&
                     adam.note.contains("As the Train panel sets them"),
                 qPrintable(adam.note));
        QCOMPARE(adam.optimizerSlots, (std::set<std::string>{"m", "v"}));
        QCOMPARE(adam.labelType, DType::I32);
        QCOMPARE(adam.labelShape, Shape({32}));
        QCOMPARE(adam.learningRate, 0.001);

        // SGD at 0.05 with categorical cross-entropy (one-hot labels) and batches of 16.
        panel->setOptimizer("sgd");
        panel->setLearningRate(0.05);
        QVERIFY(panel->setLoss("categorical_crossentropy"));
        panel->setBatchSize(16);
        const StepParts sgd = inspectWholeStep(w);
        QVERIFY2(sgd.note.contains("sgd (learning rate 0.05)") && sgd.note.contains("<b>categorical_crossentropy</b>"),
                 qPrintable(sgd.note));
        QVERIFY2(!sgd.note.contains("adam") && !sgd.note.contains("sparse_"), qPrintable(sgd.note));
        QVERIFY(sgd.optimizerSlots.empty()); // plain SGD keeps no slots
        QCOMPARE(sgd.assignments, 4 + 1); // the four trainable variables and optimizer/iter
        QCOMPARE(sgd.learningRate, 0.05);
        QCOMPARE(sgd.labelType, DType::F32);
        QCOMPARE(sgd.labelShape, Shape({16, 10}));
        QVERIFY(sgd.updateOps != adam.updateOps);
        QVERIFY(adam.updateOps.count("adam_update") && !sgd.updateOps.count("adam_update"));
        QVERIFY(sgd.lossOps != adam.lossOps);

        // RMSprop with mean squared error.
        panel->setOptimizer("rmsprop"); // its default learning rate, 0.001
        QVERIFY(panel->setLoss("mean_squared_error"));
        const StepParts rms = inspectWholeStep(w);
        QVERIFY2(rms.note.contains("rmsprop (learning rate 0.001, rho 0.9)") && rms.note.contains("mean_squared_error"),
                 qPrintable(rms.note));
        QCOMPARE(rms.optimizerSlots, (std::set<std::string>{"rms"}));
        QCOMPARE(rms.labelShape, Shape({16, 10}));
        QVERIFY(rms.lossOps != sgd.lossOps && rms.lossOps != adam.lossOps);
        QVERIFY(rms.updateOps.count("sqrt") && !rms.updateOps.count("adam_update") && !sgd.updateOps.count("sqrt"));

        // SGD with Nesterov momentum: named in the note, and the step keeps a momentum slot per variable.
        panel->setOptimizer("sgd"); // its default learning rate, 0.01
        panel->setMomentum(0.9);
        panel->setNesterov(true);
        const StepParts nesterov = inspectWholeStep(w);
        QVERIFY2(nesterov.note.contains("sgd (learning rate 0.01, momentum 0.9, nesterov)"), qPrintable(nesterov.note));
        QCOMPARE(nesterov.optimizerSlots, (std::set<std::string>{"momentum"}));
        QCOMPARE(nesterov.assignments, 2 * 4 + 1);
        // RMSprop reads the momentum too (not Nesterov); Adam neither, whatever the fields hold.
        panel->setOptimizer("rmsprop");
        const StepParts rmsMomentum = inspectWholeStep(w);
        QVERIFY2(rmsMomentum.note.contains("rmsprop (learning rate 0.001, rho 0.9, momentum 0.9)") &&
                     !rmsMomentum.note.contains("nesterov"),
                 qPrintable(rmsMomentum.note));
        QCOMPARE(rmsMomentum.optimizerSlots, (std::set<std::string>{"rms", "momentum"}));
        panel->setOptimizer("adam");
        const StepParts adamAgain = inspectWholeStep(w);
        QVERIFY2(adamAgain.note.contains("adam (learning rate 0.001)") && !adamAgain.note.contains("momentum"),
                 qPrintable(adamAgain.note));
        QCOMPARE(adamAgain.optimizerSlots, (std::set<std::string>{"m", "v"}));
    }

    // The whole step's dropout masks are the run's: traced with the Train panel's seed, as fit()
    // traces it, so a different seed draws other masks (the seed attribute of the dropout ops).
    void theWholeStepDrawsDropoutWithTheTrainPanelsSeed() {
        MainWindow w;
        w.setInteractive(false);
        w.document()->setModel(test::example("two_branch"), {}, false); // has a Dropout layer
        auto dropoutSeeds = [&] {
            std::set<int64_t> seeds;
            for (ModelInspector* old : w.findChildren<ModelInspector*>()) delete old;
            w.action("inspect")->trigger();
            TracedGraphView* view = w.findChildren<ModelInspector*>().front()->tracedGraphView();
            view->setTraining(true);
            view->setWholeStep(true);
            if (!view->trace()) return seeds;
            const ir::Graph& g = view->trace()->graph;
            for (int n = 0; n < g.nodeCount(); ++n)
                if (g.node(n).op == ir::OpKind::Dropout) seeds.insert(g.node(n).attrs.integer("seed"));
            return seeds;
        };
        auto expected = [&](int seed) { // what fit() traces for that seed
            auto model = Model::fromSpec(test::example("two_branch"));
            model->build(0);
            train::TrainOptions o = w.trainPanel()->settings().options;
            const train::TracedStep step = train::traceTrainingStep(*model, Shape{o.batchSize, 64}, o, uint64_t(seed));
            std::set<int64_t> seeds;
            for (int n = 0; n < step.trace.graph.nodeCount(); ++n)
                if (step.trace.graph.node(n).op == ir::OpKind::Dropout) seeds.insert(step.trace.graph.node(n).attrs.integer("seed"));
            return seeds;
        };
        w.trainPanel()->setSeed(7);
        const std::set<int64_t> seven = dropoutSeeds();
        QVERIFY(!seven.empty());
        QCOMPARE(seven, expected(7));
        w.trainPanel()->setSeed(8);
        const std::set<int64_t> eight = dropoutSeeds();
        QCOMPARE(eight, expected(8));
        QVERIFY(seven != eight);
    }

    void aStepThatCannotBeTracedSaysWithWhichLossAndOptimizer() {
        auto model = Model::fromSpec(test::example("digits_mlp"));
        model->build(0);
        TracedGraphView view(*model);
        view.setTraining(true);
        view.setWholeStep(true);
        StepSettings settings;
        settings.options.loss = "no_such_loss";
        settings.options.optimizer = ir::OptimizerConfig::defaults("sgd");
        settings.source = "As a test sets them.";
        view.setStepSettings(settings);
        QVERIFY(!view.trace());
        QVERIFY2(view.errorText().contains("whole step") && view.errorText().contains("no_such_loss") &&
                     view.errorText().contains("sgd (learning rate 0.01)"),
                 qPrintable(view.errorText()));
    }
};

QTEST_MAIN(TestGuiTraceStep)
#include "tst_gui_trace_step.moc"
