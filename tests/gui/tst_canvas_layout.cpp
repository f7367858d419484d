// The canvas' layout: a graph wider than tall flows left to right (ports on the sides, wires
// running rightwards), the flow is saved and undone with the positions, and wire labels never
// overlap each other or a node (a label with no room shows while the pointer is over its wire).
#include <QTest>

#include <tuple>

#include "GuiTestSupport.h"

#include "app/gui/canvas/EdgeItem.h"
#include "app/gui/canvas/NodeItem.h"
#include "app/gui/model/AutoLayout.h"

using namespace strata;
using namespace strata::gui;

namespace {
LayerSpec layer(const std::string& name, const std::string& type, nlohmann::json config, std::vector<std::string> in = {}) {
    LayerSpec l;
    l.name = name;
    l.type = type;
    l.config = std::move(config);
    l.inbound = std::move(in);
    l.inboundGiven = type != "Input";
    return l;
}

// An input feeding `branches` Dense layers side by side, concatenated: wide when drawn top to bottom.
ModelSpec wideSpec(int branches) {
    ModelSpec s;
    s.name = "wide";
    s.layers.push_back(layer("x", "Input", {{"shape", {4}}}));
    std::vector<std::string> names;
    for (int i = 0; i < branches; ++i) {
        names.push_back("branch_" + std::to_string(i));
        s.layers.push_back(layer(names.back(), "Dense", {{"units", 8 + i}}, {"x"}));
    }
    s.layers.push_back(layer("merge", "Concatenate", nlohmann::json::object(), names));
    s.layers.push_back(layer("out", "Dense", {{"units", 3}}, {"merge"}));
    s.inputs = {"x"};
    s.outputs = {"out"};
    return s;
}

// Every wire's ends: from its producer's output port to its consumer's input port.
std::vector<std::pair<QPointF, QPointF>> wireEnds(test::Editor& ed) {
    std::vector<std::pair<QPointF, QPointF>> out;
    for (const auto& c : ed.model()->connections())
        out.emplace_back(ed.scene.node(c.from)->outputPortPos(), ed.scene.node(c.to)->inputPortPos(c.port));
    return out;
}

QRectF bodyOf(NodeItem* n) { return QRectF(n->pos(), QSizeF(NodeGeometry::width, NodeGeometry::height)); }

// Fails naming the two things that overlap; returns how many labels are shown.
int checkLabelsApart(test::Editor& ed) {
    std::vector<EdgeItem*> shown;
    for (const auto& c : ed.model()->connections())
        if (EdgeItem* e = ed.scene.edge(c.to, c.port); e && e->labelShown()) shown.push_back(e);
    for (std::size_t i = 0; i < shown.size(); ++i) {
        for (std::size_t j = i + 1; j < shown.size(); ++j)
            if (shown[i]->labelRect().intersects(shown[j]->labelRect())) {
                qWarning("labels of the wires into %s and %s overlap", shown[i]->to().c_str(), shown[j]->to().c_str());
                return -1;
            }
        for (const auto& [name, n] : ed.scene.nodes())
            if (shown[i]->labelRect().intersects(bodyOf(n)) ||
                shown[i]->labelRect().intersects(n->outputLabelRect().translated(n->pos()))) {
                qWarning("the label of the wire into %s covers node %s", shown[i]->to().c_str(), name.c_str());
                return -1;
            }
    }
    return int(shown.size());
}
} // namespace

class TestCanvasLayout : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { test::isolateUserFolders(); }

    void aGraphWiderThanTallFlowsLeftToRight() {
        const ModelSpec spec = wideSpec(6);
        test::Editor ed(&spec); // never laid out: opened with AutoLayout's choice
        QCOMPARE(int(ed.model()->flow()), int(Flow::LeftToRight));
        for (const auto& [from, to] : wireEnds(ed)) QVERIFY2(to.x() > from.x() + 40, "a wire runs leftwards");
        // Ports on the sides: the output in the middle of the right edge, inputs on the left edge.
        NodeItem* merge = ed.scene.node("merge");
        QCOMPARE(merge->outputPortPos(), merge->pos() + QPointF(NodeGeometry::width, NodeGeometry::height / 2));
        for (int i = 0; i < merge->look().inputPorts; ++i) {
            QCOMPARE(merge->inputPortPos(i).x(), merge->pos().x());
            QVERIFY(bodyOf(merge).adjusted(0, -1, 0, 1).contains(merge->inputPortPos(i)));
        }
        // Seven ports on a short side stay apart, and a click finds the nearest one.
        QVERIFY(merge->inputPortPos(1).y() - merge->inputPortPos(0).y() >= 8);
        auto hit = merge->portAt(merge->inputPortPos(4) + QPointF(0, 3));
        QVERIFY(hit && !hit->output);
        QCOMPARE(hit->index, 4);
        // Top to bottom it would be six nodes wide; left to right it is four ranks wide.
        QRectF all;
        for (const auto& [name, n] : ed.scene.nodes()) all |= bodyOf(n);
        QVERIFY2(all.width() < 5 * NodeGeometry::width, qPrintable(QString("%1 wide").arg(all.width())));
    }

    void aChainStaysTopToBottom() {
        const ModelSpec spec = test::example("digits_mlp");
        test::Editor ed(&spec);
        QCOMPARE(int(ed.model()->flow()), int(Flow::TopToBottom));
        for (const auto& [from, to] : wireEnds(ed)) QVERIFY2(to.y() > from.y() + 20, "a wire runs upwards");
        NodeItem* any = ed.scene.nodes().begin()->second;
        QCOMPARE(any->outputPortPos(), any->pos() + QPointF(NodeGeometry::width / 2, NodeGeometry::height));
    }

    void theFlowIsChosenUndoneAndSaved() {
        const ModelSpec spec = wideSpec(6);
        test::Editor ed(&spec);
        QVERIFY(ed.editor()->autoLayout(Flow::TopToBottom).isEmpty());
        QCOMPARE(int(ed.model()->flow()), int(Flow::TopToBottom));
        QCOMPARE(ed.undo()->undoText(), QString("Auto-layout top to bottom"));
        for (const auto& [from, to] : wireEnds(ed)) QVERIFY(to.y() > from.y() + 20);
        ed.undo()->undo();
        QCOMPARE(int(ed.model()->flow()), int(Flow::LeftToRight));
        for (const auto& [from, to] : wireEnds(ed)) QVERIFY(to.x() > from.x() + 40);

        // Saved beside the positions, and read back.
        const nlohmann::json layout = ed.model()->state().layoutJson();
        QCOMPARE(layout.at("flow").at("").get<std::string>(), std::string("left-to-right"));
        QVERIFY(!layout.at("nodes").contains(flowKey({})));
        QCOMPARE(int(flowOf(GraphState::positionsFromLayout(layout), {})), int(Flow::LeftToRight));
        test::Editor reopened;
        reopened.doc.setModel(spec, layout, false);
        QCOMPARE(int(reopened.model()->flow()), int(Flow::LeftToRight));
        QCOMPARE(reopened.model()->position("merge"), ed.model()->position("merge"));

        // A new layer after another goes one rank to the right.
        QVERIFY(ed.editor()->appendAfter("Dense", "out").isEmpty());
        QCOMPARE(ed.model()->position("dense").y(), ed.model()->position("out").y());
        QVERIFY(ed.model()->position("dense").x() > ed.model()->position("out").x() + NodeGeometry::width);
        // Auto-layout fits the window: a very wide and low one shows it larger top to bottom.
        QVERIFY(ed.editor()->autoLayout(std::nullopt, QSizeF(3000, 600)).isEmpty());
        QCOMPARE(int(ed.model()->flow()), int(Flow::TopToBottom));
        QVERIFY(ed.editor()->autoLayout(std::nullopt, QSizeF(1000, 700)).isEmpty());
        QCOMPARE(int(ed.model()->flow()), int(Flow::LeftToRight));
    }

    void wireLabelsNeverOverlap() {
        for (const ModelSpec& spec : {test::example("two_branch"), wideSpec(6), wideSpec(12)}) {
            test::Editor ed(&spec);
            const int shown = checkLabelsApart(ed);
            QVERIFY2(shown > 0, spec.name.c_str());
        }
    }

    void aModelsOutputsShowTheirShape() {
        // A Block's output (the autoencoder's decoder) and a Dense output, top to bottom and left to right.
        for (const auto& [name, output, inner] : {std::tuple{"autoencoder", "decoder", "encoder"},
                                                  std::tuple{"digits_mlp", "probs", "dense_1"}}) {
            const ModelSpec spec = test::example(name);
            test::Editor ed(&spec);
            NodeItem* out = ed.scene.node(output);
            QVERIFY2(out, output);
            QCOMPARE(out->look().outputLabel, ed.model()->outputShapeText(output));
            QVERIFY(out->look().outputLabel.startsWith("(None, "));
            const QRectF r = out->outputLabelRect().translated(out->pos());
            QVERIFY(r.top() > bodyOf(out).bottom()); // below the node, past its output port
            QVERIFY(out->sceneBoundingRect().contains(r));
            if (NodeItem* mid = ed.scene.node(inner)) QVERIFY(mid->look().outputLabel.isEmpty()); // its wire says it
            QVERIFY(ed.editor()->autoLayout(Flow::LeftToRight).isEmpty());
            QApplication::processEvents();
            const QRectF right = out->outputLabelRect().translated(out->pos());
            QVERIFY(right.left() > bodyOf(out).right());
        }
    }

    void aLabelWithNoRoomShowsOnHover() {
        // Two wires that cross at their middles: both labels cannot sit there.
        ModelSpec s;
        s.name = "crossed";
        s.layers = {layer("a", "Input", {{"shape", {4}}}), layer("b", "Input", {{"shape", {4}}}),
                    layer("c", "Dense", {{"units", 2}}, {"b"}), layer("d", "Dense", {{"units", 2}}, {"a"})};
        s.inputs = {"a", "b"};
        s.outputs = {"c", "d"};
        test::Editor ed(&s);
        QVERIFY(ed.editor()->autoLayout(Flow::TopToBottom).isEmpty());
        QVERIFY(ed.editor()
                    ->moveNodes({{"a", {0, 0}}, {"b", {60, 0}}, {"c", {0, 150}}, {"d", {60, 150}}})
                    .isEmpty());
        QCOMPARE(checkLabelsApart(ed) >= 0, true);
        EdgeItem* ac = ed.scene.edge("d", 0);
        EdgeItem* bd = ed.scene.edge("c", 0);
        QVERIFY(ac && bd);
        // Both would be at the middle, where the wires cross: one of them moved along or hid.
        QVERIFY(!ac->labelShown() || !bd->labelShown() || ac->labelRect() != ac->labelRectAt(0.5) ||
                bd->labelRect() != bd->labelRectAt(0.5));

        // Crowd them until one label has no room at all, then hover over its wire.
        QVERIFY(ed.editor()->moveNodes({{"b", {20, 0}}, {"d", {20, 100}}, {"c", {0, 100}}}).isEmpty());
        QCOMPARE(checkLabelsApart(ed) >= 0, true);
        EdgeItem* hidden = !ac->labelShown() ? ac : !bd->labelShown() ? bd : nullptr;
        QVERIFY2(hidden, "expected one label without room");
        ed.view.centerOn(hidden->labelRectAt(0.5).center());
        QApplication::processEvents();
        // A point of the wire where it is the topmost item that takes hover events.
        const QPainterPath wire = EdgeItem::wirePath(ed.scene.node(hidden->from())->outputPortPos(),
                                                     ed.scene.node(hidden->to())->inputPortPos(0));
        std::optional<QPointF> onWire;
        for (double t = 0.02; t < 1 && !onWire; t += 0.02) {
            const QPointF at = wire.pointAtPercent(t);
            for (QGraphicsItem* item : ed.scene.items(at))
                if (item->acceptHoverEvents()) {
                    if (item == hidden) onWire = at;
                    break;
                }
        }
        QVERIFY2(onWire, "no point of the wire is free to hover");
        QTest::mouseMove(ed.view.viewport(), ed.view.mapFromScene(*onWire));
        QTRY_VERIFY(hidden->labelShown());
        QVERIFY(hidden->zValue() > ed.scene.node("c")->zValue()); // drawn above the nodes
        QTest::mouseMove(ed.view.viewport(), ed.view.mapFromScene(*onWire + QPointF(400, 400)));
        QTRY_VERIFY(!hidden->labelShown());
    }
};

QTEST_MAIN(TestCanvasLayout)
#include "tst_canvas_layout.moc"
