// The canvas: palette drops, wiring by mouse, wire labels, error badges, selection commands.
#include <QMimeData>
#include <QSignalSpy>
#include <QTest>

#include "GuiTestSupport.h"

#include "app/gui/canvas/EdgeItem.h"
#include "app/gui/canvas/NodeItem.h"
#include "app/gui/panels/LayerMime.h"
#include "app/gui/panels/PalettePanel.h"

using namespace strata;
using namespace strata::gui;
using test::dragOnViewport;
using test::viewPos;

class TestCanvas : public QObject {
    Q_OBJECT
private slots:
    void droppingAPaletteItemCreatesANodeAtTheDropPoint() {
        ModelSpec spec = test::example("two_branch");
        test::Editor ed(&spec);
        PalettePanel palette;
        std::unique_ptr<QMimeData> mime(palette.mimeDataFor("Conv2D"));
        QVERIFY(mime);
        QCOMPARE(LayerMime::layerType(mime.get()), QString("Conv2D"));
        QPoint at(500, 350);
        QPointF sceneAt = ed.view.mapToScene(at);
        QWidget* vp = ed.view.viewport();
        QDragEnterEvent enter(at, Qt::CopyAction, mime.get(), Qt::LeftButton, {});
        QApplication::sendEvent(vp, &enter);
        QVERIFY(enter.isAccepted());
        QDragMoveEvent move(at, Qt::CopyAction, mime.get(), Qt::LeftButton, {});
        QApplication::sendEvent(vp, &move);
        QVERIFY(move.isAccepted());
        QDropEvent drop(at, Qt::CopyAction, mime.get(), Qt::LeftButton, {});
        QApplication::sendEvent(vp, &drop);
        QVERIFY(drop.isAccepted());

        NodeItem* n = ed.scene.node("conv2d");
        QVERIFY(n);
        QVERIFY(n->isSelected());
        QCOMPARE(n->look().type, QString("Conv2D"));
        QVERIFY(QLineF(n->sceneBoundingRect().center(), sceneAt).length() < 15);
        QCOMPARE(ed.undo()->count(), 1);
        QCOMPARE(ed.undo()->undoText(), QString("Add conv2d"));
    }

    void otherDragsAreNotAccepted() {
        test::Editor ed;
        QMimeData text;
        text.setText("Dense");
        QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &text, Qt::LeftButton, {});
        QApplication::sendEvent(ed.view.viewport(), &enter);
        QVERIFY(!enter.isAccepted());
    }

    void draggingFromAnOutputPortToAnInputPortConnectsAndLabelsTheWire() {
        ModelSpec spec = test::example("two_branch");
        test::Editor ed(&spec);
        std::string added;
        QVERIFY(ed.editor()->addNode("Dense", {700, 200}, &added).isEmpty());
        ed.view.fitAll();
        QApplication::processEvents();
        NodeItem* from = ed.scene.node("deep_2");
        NodeItem* to = ed.scene.node(added);
        QVERIFY(to->hasErrorBadge()); // no input yet
        dragOnViewport(ed.view, viewPos(ed.view, from->outputPortPos()), viewPos(ed.view, to->inputPortPos(0)));
        EdgeItem* e = ed.scene.edge(added, 0);
        QVERIFY(e);
        QCOMPARE(e->label(), QString("(None, 32)"));
        QVERIFY(!to->hasErrorBadge());
        QCOMPARE(ed.undo()->count(), 2);
        // The labels on the example's wires are the engine's shapes.
        QCOMPARE(ed.scene.edge("merged", 0)->label(), QString("(None, 32)"));
        QCOMPARE(ed.scene.edge("residual", 0)->label(), QString("(None, 64)"));
    }

    void anInvalidConnectionIsRefusedWithAStatusMessage() {
        ModelSpec spec = test::example("two_branch");
        test::Editor ed(&spec);
        ed.view.fitAll();
        QApplication::processEvents();
        QSignalSpy status(&ed.scene, &GraphScene::statusMessage);
        NodeItem* from = ed.scene.node("probs");
        NodeItem* to = ed.scene.node("deep_1");
        // deep_1's only input is taken, and probs is downstream of it.
        dragOnViewport(ed.view, viewPos(ed.view, from->outputPortPos()), viewPos(ed.view, to->inputPortPos(0)));
        QCOMPARE(status.count(), 1);
        QVERIFY2(status.front().front().toString().contains("already connected"), qPrintable(status.front().front().toString()));
        QCOMPARE(ed.undo()->count(), 0);
        QCOMPARE(ed.model()->layer("deep_1")->inbound, std::vector<std::string>{"features"});
    }

    void aBrokenModelShowsTheBadgeOnTheRightNode() {
        ModelSpec spec = test::example("two_branch");
        spec.layers[spec.indexOf("project")].config["units"] = 48; // residual adds (None, 48) and (None, 64)
        test::Editor ed(&spec);
        for (const auto& [name, node] : ed.scene.nodes())
            QCOMPARE(node->hasErrorBadge(), name == "residual");
        NodeItem* bad = ed.scene.node("residual");
        QVERIFY(bad->toolTip().contains("48"));
        // Fixing it removes the badge.
        QVERIFY(ed.editor()->setConfig("project", "units", 64).isEmpty());
        QVERIFY(!ed.scene.node("residual")->hasErrorBadge()); // node() brings the scene up to date
    }

    void movingNodesIsOneUndoStep() {
        ModelSpec spec = test::example("two_branch");
        test::Editor ed(&spec);
        ed.view.fitAll();
        QApplication::processEvents();
        NodeItem* n = ed.scene.node("wide");
        QPointF before = n->pos();
        QPoint start = viewPos(ed.view, n->sceneBoundingRect().center() + QPointF(0, 8));
        dragOnViewport(ed.view, start, start + QPoint(60, 40));
        QVERIFY(n->pos() != before);
        QCOMPARE(ed.undo()->count(), 1);
        QCOMPARE(ed.model()->position("wide"), ed.scene.node("wide")->pos());
        ed.undo()->undo();
        QCOMPARE(ed.scene.node("wide")->pos(), before);
    }

    void zoomFitAndFocus() {
        ModelSpec spec = test::example("two_branch");
        test::Editor ed(&spec);
        ed.view.setZoom(1.0);
        QWheelEvent wheel(QPointF(200, 200), ed.view.viewport()->mapToGlobal(QPoint(200, 200)), {}, QPoint(0, 120),
                          Qt::NoButton, {}, Qt::NoScrollPhase, false);
        QApplication::sendEvent(ed.view.viewport(), &wheel);
        QVERIFY(ed.view.zoom() > 1.1);
        ed.view.fitAll();
        for (const auto& [name, node] : ed.scene.nodes())
            QVERIFY(ed.view.mapToScene(ed.view.viewport()->rect()).boundingRect().contains(node->sceneBoundingRect()));
        ed.scene.selectLayers({"probs"});
        ed.view.focusSelection();
        QVERIFY(ed.view.mapToScene(ed.view.viewport()->rect()).boundingRect().contains(ed.scene.node("probs")->sceneBoundingRect()));
    }

    void sceneFollowsUndoOfDeletes() {
        ModelSpec spec = test::example("two_branch");
        test::Editor ed(&spec);
        ed.scene.selectLayers({"wide", "deep_1"});
        QVERIFY(ed.editor()->deleteItems(ed.scene.selectedLayers()).isEmpty());
        QVERIFY(!ed.scene.node("wide"));
        QVERIFY(!ed.scene.edge("merged", 0) || ed.scene.edge("merged", 0)->from() != "wide");
        QVERIFY(ed.scene.node("merged")->hasErrorBadge());
        ed.undo()->undo();
        QVERIFY(ed.scene.node("wide"));
        QCOMPARE(ed.scene.edge("merged", 0)->from(), std::string("wide"));
        QCOMPARE(int(ed.scene.nodes().size()), 10);
    }
};

QTEST_MAIN(TestCanvas)
#include "tst_canvas.moc"
