// A recurrent layer's states on the canvas: return_state gives the node a port per state, wired by
// mouse as "NAME:K"; the wire's label is the state's shape; its initial-state ports appear once the
// sequence is wired; renaming, deleting, copying and grouping keep the references right.
#include <QTest>

#include "GuiTestSupport.h"

#include "app/gui/canvas/EdgeItem.h"
#include "app/gui/canvas/NodeItem.h"

using namespace strata;
using namespace strata::gui;
using test::dragOnViewport;
using test::viewPos;

namespace {

// x (6 steps, 3 features) -> encoder LSTM 8 with return_state; x -> decoder LSTM 8, unwired states;
// decoder -> dense.
ModelSpec encoderDecoder() {
    return ModelSpec::parse(R"({"format": "strata.model/1", "name": "seq2seq", "layers": [
        {"name": "x", "type": "Input", "config": {"shape": [6, 3]}},
        {"name": "encoder", "type": "LSTM", "config": {"units": 8, "return_state": true}, "inbound": ["x"]},
        {"name": "decoder", "type": "LSTM", "config": {"units": 8}, "inbound": ["x"]},
        {"name": "dense", "type": "Dense", "config": {"units": 2}, "inbound": ["decoder"]}]})");
}
} // namespace

class TestCanvasStates : public QObject {
    Q_OBJECT
private slots:
    void statesArePortsWiredByMouse() {
        ModelSpec spec = encoderDecoder();
        test::Editor ed(&spec);
        ed.view.fitAll();
        QApplication::processEvents();
        NodeItem* enc = ed.scene.node("encoder");
        NodeItem* dec = ed.scene.node("decoder");
        QCOMPARE(enc->outputPorts(), 3);
        QCOMPARE(enc->look().extraOutputs, QStringList({"state_h", "state_c"}));
        QCOMPARE(dec->outputPorts(), 1);
        QCOMPARE(dec->look().inputPorts, 2); // the sequence is wired: initial state h is offered
        QCOMPARE(enc->portAt(enc->outputPortPos(2))->index, 2);
        QVERIFY(enc->portAt(enc->outputPortPos(2))->output);

        dragOnViewport(ed.view, viewPos(ed.view, enc->outputPortPos(1)), viewPos(ed.view, dec->inputPortPos(1)));
        QCOMPARE(ed.model()->layer("decoder")->inbound, (std::vector<std::string>{"x", "encoder:1"}));
        QCOMPARE(ed.scene.node("decoder")->look().inputPorts, 3);
        QVERIFY(ed.scene.node("decoder")->hasErrorBadge()); // an LSTM takes both states or neither
        QVERIFY2(ed.model()->errorsOf("decoder").join(" ").contains("initial states h and c"),
                 qPrintable(ed.model()->errorsOf("decoder").join(" ")));
        dragOnViewport(ed.view, viewPos(ed.view, enc->outputPortPos(2)), viewPos(ed.view, dec->inputPortPos(2)));
        QCOMPARE(ed.model()->layer("decoder")->inbound, (std::vector<std::string>{"x", "encoder:1", "encoder:2"}));
        QVERIFY(!ed.scene.node("decoder")->hasErrorBadge());
        EdgeItem* c = ed.scene.edge("decoder", 2);
        QVERIFY(c);
        QCOMPARE(c->output(), 2);
        QCOMPARE(c->label(), QString("(None, 8)"));
        QVERIFY(QLineF(c->pointAt(0), enc->outputPortPos(2)).length() < 1); // the wire leaves the c port
        // The encoder feeds the decoder through its states only: it is no model output.
        QCOMPARE(ed.model()->state().spec.outputs, std::vector<std::string>{"dense"});
        QVERIFY(ed.scene.node("encoder")->look().outputLabel.isEmpty());
        QCOMPARE(ed.undo()->count(), 2);
        ed.undo()->undo();
        QCOMPARE(ed.model()->layer("decoder")->inbound, (std::vector<std::string>{"x", "encoder:1"}));
    }

    void pickingUpAStateWireMovesIt() {
        ModelSpec spec = encoderDecoder();
        spec.layers[2].inbound = {"x", "encoder:1", "encoder:2"};
        test::Editor ed(&spec);
        ed.view.fitAll();
        QApplication::processEvents();
        NodeItem* dec = ed.scene.node("decoder");
        // Drop the c wire on empty canvas: it is disconnected.
        for (QGraphicsItem* item : ed.scene.items(ed.view.mapToScene(QPoint(3, 3)))) QVERIFY(item->type() != NodeItem::Type);
        dragOnViewport(ed.view, viewPos(ed.view, dec->inputPortPos(2)), QPoint(3, 3));
        QCOMPARE(ed.model()->layer("decoder")->inbound, (std::vector<std::string>{"x", "encoder:1"}));
    }

    void editsKeepStateReferences() {
        ModelSpec spec = encoderDecoder();
        spec.layers[2].inbound = {"x", "encoder:1", "encoder:2"};
        test::Editor ed(&spec);
        QVERIFY(ed.editor()->rename("encoder", "enc").isEmpty());
        QCOMPARE(ed.model()->layer("decoder")->inbound, (std::vector<std::string>{"x", "enc:1", "enc:2"}));
        const QString refused = ed.editor()->rename("dense", "enc:1");
        QVERIFY2(refused.contains("names an output of layer 'enc'"), qPrintable(refused));
        // Copying both keeps the state wires among the copies.
        std::vector<std::string> made;
        QVERIFY(ed.editor()->duplicate({"enc", "decoder"}, &made).isEmpty());
        QCOMPARE(int(made.size()), 2);
        const LayerSpec* copy = ed.model()->layer(made[1]);
        QVERIFY(copy);
        QCOMPARE(copy->inbound, (std::vector<std::string>{made[0] + ":1", made[0] + ":2"}));
        // A block's output is one tensor: a selection whose state leaves it is refused.
        const QString group = ed.editor()->groupIntoBlock({"enc"});
        QVERIFY2(group.contains("'enc:1' (a state of 'enc') is used by 'decoder'"), qPrintable(group));
        // Grouping the decoder takes the states in as block inputs named after them.
        std::string block;
        QVERIFY(ed.editor()->groupIntoBlock({"decoder"}, &block).isEmpty());
        QCOMPARE(ed.model()->layer(block)->inbound, (std::vector<std::string>{"x", "enc:1", "enc:2"}));
        QVERIFY(ed.model()->errorsOf(block).isEmpty());
        QVERIFY(ed.editor()->ungroup(block).isEmpty());
        QCOMPARE(ed.model()->layer("decoder")->inbound, (std::vector<std::string>{"x", "enc:1", "enc:2"}));
        // Deleting the encoder takes its state wires with it.
        QVERIFY(ed.editor()->deleteItems({"enc"}, {}).isEmpty());
        QCOMPARE(ed.model()->layer("decoder")->inbound, std::vector<std::string>{"x"});
    }

    void turningReturnStateOffShowsTheBrokenWire() {
        ModelSpec spec = encoderDecoder();
        spec.layers[2].inbound = {"x", "encoder:1", "encoder:2"};
        test::Editor ed(&spec);
        QVERIFY(ed.editor()->setConfig("encoder", "return_state", false).isEmpty());
        QCOMPARE(ed.scene.node("encoder")->outputPorts(), 1);
        const QString why = ed.model()->errorsOf("decoder").join(" ");
        QVERIFY2(why.contains("has one output; set its return_state"), qPrintable(why));
        QVERIFY(ed.scene.node("decoder")->hasErrorBadge());
    }
};

QTEST_MAIN(TestCanvasStates)
#include "tst_canvas_states.moc"
