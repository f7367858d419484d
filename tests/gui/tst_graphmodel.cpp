// The graph model and its edits, with no widgets: connections, refusals, live shapes, undo.
#include <QSignalSpy>
#include <QTest>

#include "GuiTestSupport.h"

#include "app/gui/model/GraphEditor.h"

using namespace strata;
using namespace strata::gui;

namespace {
struct Bare {
    GraphModel model;
    QUndoStack undo;
    GraphEditor editor{&model, &undo};
    explicit Bare(const ModelSpec& spec) {
        GraphState s;
        s.spec = spec;
        model.reset(s);
    }
};

std::string snapshot(const GraphModel& m) {
    return m.state().spec.toJson().dump() + "|" + m.state().layoutJson().dump();
}
} // namespace

class TestGraphModel : public QObject {
    Q_OBJECT
private slots:
    void nodesPortsAndConnectionsFollowTheSpec() {
        Bare b(test::example("two_branch"));
        QCOMPARE(int(b.model.spec().layers.size()), 10);
        QCOMPARE(b.model.inputPortCount("features"), 0);
        QCOMPARE(b.model.inputPortCount("wide"), 1);
        QCOMPARE(b.model.inputPortCount("merged"), 3); // two wired + one free
        QCOMPARE(int(b.model.connections().size()), 11);
        QCOMPARE(b.model.outputShapeText("merged"), QString("(None, 64)"));
        QCOMPARE(b.model.keyConfigText("wide"), QString("32 relu"));
    }

    void connectingCreatesAnEdgeAndUpdatesShapes() {
        Bare b(test::example("two_branch"));
        std::string added;
        QVERIFY(b.editor.addNode("Dense", {0, 0}, &added).isEmpty());
        QCOMPARE(added, std::string("dense"));
        QVERIFY(!b.model.errorsOf("dense").isEmpty()); // not wired yet: the engine says so
        QCOMPARE(b.model.outputShapeText("dense"), QString());
        QSignalSpy changed(&b.model, &GraphModel::changed);
        QVERIFY(b.editor.connect("deep_2", "dense", 0).isEmpty());
        QCOMPARE(changed.count(), 1);
        QCOMPARE(b.model.outputShapeText("dense"), QString("(None, 32)"));
        QVERIFY(b.model.errorsOf("dense").isEmpty());
        QCOMPARE(b.model.state().spec.layers.back().inbound, std::vector<std::string>{"deep_2"});
        QCOMPARE(b.undo.count(), 2);
        QCOMPARE(b.undo.undoText(), QString("Connect deep_2 → dense"));
    }

    void invalidConnectionsAreRefusedWithAReason() {
        Bare b(test::example("two_branch"));
        int steps = b.undo.count();
        QString cycle = b.editor.connect("probs", "wide", 1);
        QVERIFY(!cycle.isEmpty()); // Dense takes one input
        QVERIFY2(cycle.contains("1 input"), qPrintable(cycle));
        std::string added;
        b.editor.addNode("Concatenate", {0, 0}, &added);
        b.editor.connect("probs", added, 0);
        QString loop = b.editor.connect(added, "wide", 0);
        QVERIFY2(loop.contains("already connected"), qPrintable(loop));
        b.editor.disconnect("wide", 0);
        loop = b.editor.connect(added, "wide", 0);
        QVERIFY2(loop.contains("cycle"), qPrintable(loop));
        QString self = b.editor.connect("wide", "wide", 0);
        QVERIFY2(self.contains("itself"), qPrintable(self));
        QString input = b.editor.connect("wide", "features", 0);
        QVERIFY2(input.contains("takes no inputs"), qPrintable(input));
        QCOMPARE(b.undo.count(), steps + 3); // add, connect, disconnect; nothing for the refusals
    }

    void undoRedoOfTwentyEditsRestoresEveryStepExactly() {
        Bare b(test::example("two_branch"));
        std::vector<std::string> states{snapshot(b.model)};
        auto step = [&](const QString& why) {
            QVERIFY2(why.isEmpty(), qPrintable(why));
            states.push_back(snapshot(b.model));
        };
        std::string a, c, blk;
        std::vector<std::string> pasted;
        step(b.editor.addNode("Dense", {400, 0}, &a));
        step(b.editor.connect("deep_2", a, 0));
        step(b.editor.setConfig(a, "units", 16));
        step(b.editor.setConfig(a, "activation", "tanh"));
        step(b.editor.rename(a, "head"));
        step(b.editor.moveNodes({{"head", QPointF(420, 80)}, {"wide", QPointF(-300, 100)}}));
        step(b.editor.appendAfter("Dropout", "head", &c));
        step(b.editor.disconnect("residual", 1));
        step(b.editor.connect("wide", "residual", 1));
        step(b.editor.deleteItems({c}));
        step(b.editor.paste(b.editor.copy({"wide", "deep_1"}), QPointF(600, 600), &pasted));
        step(b.editor.duplicate({"project"}));
        step(b.editor.autoLayout());
        step(b.editor.groupIntoBlock({"deep_1", "deep_2"}, &blk));
        step(b.editor.setConfig("dropout", "rate", 0.3));
        step(b.editor.rename(blk, "deep"));
        step(b.editor.ungroup("deep"));
        step(b.editor.deleteItems({}, {{"project", "residual", 0}}));
        step(b.editor.connect("project", "residual", 1));
        step(b.editor.addNode("LayerNormalization", {0, 900}));
        QCOMPARE(b.undo.count(), 20);
        for (int i = 19; i >= 0; --i) {
            b.undo.undo();
            QCOMPARE(snapshot(b.model), states[std::size_t(i)]);
        }
        for (int i = 1; i <= 20; ++i) {
            b.undo.redo();
            QCOMPARE(snapshot(b.model), states[std::size_t(i)]);
        }
    }

    void configChangesTheEngineRefusesChangeNothing() {
        Bare b(test::example("two_branch"));
        int steps = b.undo.count();
        QString why = b.editor.setConfig("wide", "units", 0);
        QVERIFY2(why.contains("units"), qPrintable(why));
        why = b.editor.setConfig("wide", "activation", "sparkle");
        QVERIFY2(why.contains("sparkle"), qPrintable(why));
        why = b.editor.rename("wide", "deep_1");
        QVERIFY2(why.contains("already used"), qPrintable(why));
        QCOMPARE(b.undo.count(), steps);
        QVERIFY(b.model.state().spec.layers[1].config["units"] == nlohmann::json(32));
    }

    void aShapeErrorIsReportedOnTheLayerThatHasIt() {
        Bare b(test::example("two_branch"));
        QVERIFY(b.editor.setConfig("project", "units", 32).isEmpty()); // residual now adds (None, 32) + (None, 64)
        QVERIFY(!b.model.errorsOf("residual").isEmpty());
        QVERIFY(b.model.errorsOf("project").isEmpty());
        QVERIFY(b.model.errorsOf("wide").isEmpty());
        QCOMPARE(QString::fromStdString(b.model.inference().issues.front().layer), QString("residual"));
    }

    void groupingMakesOneBlockWithTheOutsideWiresAsItsPorts() {
        Bare b(test::example("two_branch"));
        const std::string before = snapshot(b.model);
        const auto params = b.model.rootInference().totals.total();
        std::string blk;
        QVERIFY(b.editor.groupIntoBlock({"deep_1", "deep_2"}, &blk).isEmpty());
        QCOMPARE(b.undo.count(), 1);
        const LayerSpec* block = b.model.layer(blk);
        QVERIFY(block);
        QCOMPARE(block->type, std::string("Block"));
        QCOMPARE(block->inbound, std::vector<std::string>{"features"});
        QCOMPARE(b.model.layer("merged")->inbound, (std::vector<std::string>{"wide", blk}));
        QVERIFY(b.model.rootInference().ok());
        QCOMPARE(b.model.rootInference().totals.total(), params);
        // Inside the block: its own level with a breadcrumb path, shapes from the outside.
        QVERIFY(b.model.openBlock(blk));
        QCOMPARE(int(b.model.spec().layers.size()), 3);
        QCOMPARE(b.model.outputShapeText("deep_2"), QString("(None, 32)"));
        QVERIFY(b.editor.setConfig("deep_2", "units", 48).isEmpty()); // edits inside write back into the block
        b.model.openPath({});
        QCOMPARE(b.model.outputShapeText(blk), QString("(None, 48)"));
        b.undo.undo();
        QVERIFY(b.editor.ungroup(blk).isEmpty());
        QCOMPARE(b.model.layer("merged")->inbound, (std::vector<std::string>{"wide", "deep_2"}));
        b.undo.undo();
        b.undo.undo();
        QCOMPARE(snapshot(b.model), before);
        // A selection with two ways out is refused.
        QString why = b.editor.groupIntoBlock({"wide", "deep_1"});
        QVERIFY2(why.contains("exactly one output"), qPrintable(why));
    }

    void undoLeavesABlockThatNoLongerExists() {
        Bare b(test::example("two_branch"));
        std::string blk;
        b.editor.groupIntoBlock({"deep_1", "deep_2"}, &blk);
        b.model.openBlock(blk);
        QSignalSpy level(&b.model, &GraphModel::levelChanged);
        b.undo.undo();
        QVERIFY(b.model.path().empty());
        QCOMPARE(level.count(), 1);
    }
};

QTEST_MAIN(TestGraphModel)
#include "tst_graphmodel.moc"
