// The traced graph by layer: the node table's Layer column names the layer that emitted each op;
// the drawing shows each layer (and the loss, gradients, updates) as one box, with one wire per
// pair of boxes, until a click on the box expands it into a labelled frame around exactly its ops
// (a block one level at a time) and a click on the frame's title collapses it; Expand all draws
// every op, each layer's in its cluster, with or without Graphviz; selecting a row selects its
// box, expanding the layer that hid it. Clicks are real mouse events on the view.
#include <QLineEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QTableWidget>
#include <QTest>

#include "GuiTestSupport.h"

#include "app/gui/inspect/TraceClusterItem.h"
#include "app/gui/inspect/TraceItems.h"
#include "app/gui/inspect/TraceLayout.h"
#include "app/gui/inspect/TraceScene.h"
#include "app/gui/inspect/TracedGraphView.h"

#include <map>
#include <set>

using namespace strata;
using namespace strata::gui;

namespace {
std::unique_ptr<Model> built(const ModelSpec& spec) {
    auto m = Model::fromSpec(spec);
    m->build(0);
    return m;
}

int firstNode(const ir::Graph& g, ir::OpKind op, const std::string& scope) {
    for (int n = 0; n < g.nodeCount(); ++n)
        if (g.node(n).op == op && g.node(n).scope == scope) return n;
    return -1;
}

// Every node of `scope` is drawn inside that scope's cluster.
void checkEnclosed(const TraceScene& scene, const ir::Graph& g, const std::string& scope) {
    TraceClusterItem* c = scene.clusterItem(QString::fromStdString(scope));
    QVERIFY2(c, scope.c_str());
    for (int n = 0; n < g.nodeCount(); ++n)
        if (g.node(n).scope == scope)
            QVERIFY2(c->rect().contains(scene.nodeItem(n)->sceneBoundingRect()), qPrintable(QString::number(n)));
}

bool within(const std::string& scope, const std::string& cluster) {
    return scope == cluster || scope.rfind(cluster + "/", 0) == 0;
}

// The scene's items of one type.
template <class Item>
std::vector<Item*> itemsOf(const QGraphicsScene& scene) {
    std::vector<Item*> out;
    for (QGraphicsItem* item : scene.items())
        if (item->type() == Item::Type) out.push_back(static_cast<Item*>(item));
    return out;
}

// The nodes drawn as op boxes.
std::set<int> drawnOps(const QGraphicsScene& scene) {
    std::set<int> out;
    for (TraceNodeItem* n : itemsOf<TraceNodeItem>(scene)) out.insert(n->node());
    return out;
}

// A click where `scenePoint` is in the view, as a person does it.
void clickAt(TraceGraphicsView* view, QPointF scenePoint) {
    view->centerOn(scenePoint);
    const QPoint at = view->mapFromScene(scenePoint);
    QVERIFY(view->viewport()->rect().contains(at));
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, at);
}

// The digits MLP's whole training step, drawn in a shown view.
struct WholeStep {
    std::unique_ptr<Model> model = built(test::example("digits_mlp"));
    TracedGraphView view{*model};
    WholeStep() {
        view.resize(1400, 900);
        view.show();
        view.setTraining(true);
        view.setWholeStep(true);
    }
    const ir::Graph& graph() const { return view.trace()->graph; }
    TraceScene* scene() const { return view.scene(); }
};
} // namespace

class TestGuiTraceLayers : public QObject {
    Q_OBJECT
private slots:
    void layerColumnNamesTheLayer() {
        auto model = built(test::example("digits_mlp"));
        TracedGraphView view(*model);
        QVERIFY(view.trace());
        const ir::Graph& g = view.trace()->graph;
        QTableWidget* table = view.nodeTable();
        QCOMPARE(table->horizontalHeaderItem(TracedGraphView::LayerColumn)->text(), QString("Layer"));
        const int matmul = firstNode(g, ir::OpKind::MatMul, "model/dense_1");
        QVERIFY(matmul >= 0);
        QCOMPARE(table->item(matmul, TracedGraphView::OpColumn)->text(), QString("matmul"));
        QCOMPARE(table->item(matmul, TracedGraphView::LayerColumn)->text(), QString("dense_1"));
        QCOMPARE(table->item(matmul, TracedGraphView::LayerColumn)->toolTip(), QString("model/dense_1"));
        QCOMPARE(table->item(0, TracedGraphView::LayerColumn)->text(), QString("pixels"));
        for (int n = 0; n < g.nodeCount(); ++n)
            QVERIFY2(!table->item(n, TracedGraphView::LayerColumn)->text().isEmpty(), qPrintable(QString::number(n)));
    }

    void eachLayerIsAClusterAroundItsNodes() {
        auto model = built(test::example("digits_mlp"));
        TracedGraphView view(*model);
        view.resize(1200, 700);
        QVERIFY(view.trace());
        const ir::Graph& g = view.trace()->graph;
        TraceScene* scene = view.scene();
        QVERIFY(scene->laidOutByGraphviz());
        QCOMPARE(scene->clusterCount(), 0); // all collapsed
        scene->expandAll();
        QCOMPARE(scene->clusterCount(), 3); // pixels (the input), dense_1, probs
        for (const char* layer : {"pixels", "dense_1", "probs"}) {
            checkEnclosed(*scene, g, std::string("model/") + layer);
            QCOMPARE(scene->clusterItem(QString("model/") + layer)->label(), QString(layer));
        }
        QVERIFY(!scene->clusterItem("model/dense_1")->rect().intersects(scene->clusterItem("model/probs")->rect()));
        // Clusters lie under the boxes and do not take the selection: a row still selects its box.
        const int matmul = firstNode(g, ir::OpKind::MatMul, "model/dense_1");
        QVERIFY(scene->clusterItem(0)->zValue() < scene->nodeItem(matmul)->zValue());
        QVERIFY(!(scene->clusterItem(0)->flags() & QGraphicsItem::ItemIsSelectable));
        view.selectNode(matmul);
        QCOMPARE(view.drawnSelectedNode(), matmul);
        QCOMPARE(view.tableSelectedNode(), matmul);
        QCOMPARE(scene->selectedItems().size(), qsizetype(1));
    }

    void blockLayersNestInTheBlocksCluster() {
        auto model = built(test::example("autoencoder"));
        TracedGraphView view(*model);
        view.setTraining(true);
        QVERIFY(view.trace());
        const ir::Graph& g = view.trace()->graph;
        TraceScene* scene = view.scene();
        scene->expandAll();
        const int matmul = firstNode(g, ir::OpKind::MatMul, "model/encoder/dense");
        QVERIFY(matmul >= 0);
        QCOMPARE(view.nodeTable()->item(matmul, TracedGraphView::LayerColumn)->text(), QString("encoder/dense"));
        TraceClusterItem* block = scene->clusterItem("model/encoder");
        TraceClusterItem* inner = scene->clusterItem("model/encoder/dense");
        QVERIFY(block && inner);
        QCOMPARE(block->label(), QString("encoder"));
        QCOMPARE(inner->label(), QString("dense"));
        QVERIFY(block->rect().contains(inner->rect()));
        QVERIFY(block->zValue() < inner->zValue());
        for (const char* s : {"model/encoder/dense", "model/encoder/code", "model/decoder/dense", "model/decoder/reconstruction"})
            checkEnclosed(*scene, g, s);
        QVERIFY(!block->rect().intersects(scene->clusterItem("model/decoder")->rect()));
    }

    void theWholeStepShowsOneBoxPerLayer() {
        WholeStep s;
        QVERIFY2(s.view.trace(), qPrintable(s.view.errorText()));
        QVERIFY(QTest::qWaitForWindowExposed(&s.view));
        const ir::Graph& g = s.graph();
        const TraceClusterTree& tree = s.scene()->clusterTree();
        const auto groups = itemsOf<TraceGroupItem>(*s.scene());
        // Exactly one box per layer, none of the layer's ops drawn on their own.
        for (const Layer* layer : s.model->layers()) {
            const std::string scope = "model/" + layer->name();
            int boxes = 0, ops = 0;
            for (TraceGroupItem* group : groups) boxes += group->scope().toStdString() == scope;
            for (int n = 0; n < g.nodeCount(); ++n) ops += within(g.node(n).scope, scope);
            QVERIFY2(boxes == 1, scope.c_str());
            QVERIFY(ops > 0);
            QCOMPARE(s.scene()->groupItem(QString::fromStdString(scope))->countText(), QString("%1 op%2").arg(ops).arg(ops == 1 ? "" : "s"));
            for (int n : drawnOps(*s.scene())) QVERIFY2(!within(g.node(n).scope, scope), qPrintable(QString::number(n)));
        }
        QCOMPARE(s.model->layers().size(), std::size_t(3));
        // Every box is a top-level cluster (the loss, gradients and updates too); the ops in no
        // cluster are drawn, and only they.
        std::set<std::string> topLevel, boxed;
        for (const TraceCluster& c : tree.clusters)
            if (c.parent < 0) topLevel.insert(c.scope);
        for (TraceGroupItem* group : groups) boxed.insert(group->scope().toStdString());
        QCOMPARE(boxed, topLevel);
        QVERIFY(topLevel.count("gradients") && topLevel.count("optimizer"));
        std::set<int> unclustered;
        for (int n = 0; n < g.nodeCount(); ++n)
            if (tree.nodeCluster[std::size_t(n)] < 0) unclustered.insert(n);
        QCOMPARE(drawnOps(*s.scene()), unclustered);
        QCOMPARE(s.scene()->clusterCount(), 0);
        QCOMPARE(int(itemsOf<TraceClusterItem>(*s.scene()).size()), 0);
        const int boxes = int(groups.size() + unclustered.size());
        QVERIFY2(boxes * 4 < g.nodeCount() && s.scene()->items().size() * 2 < g.nodeCount(),
                 qPrintable(QString("%1 boxes, %2 items for %3 nodes").arg(boxes).arg(s.scene()->items().size()).arg(g.nodeCount())));
        // dense_1's output, one tensor, is its wire to probs: labelled with its shape.
        TraceGroupItem* dense = s.scene()->groupItem("model/dense_1");
        TraceGroupItem* probs = s.scene()->groupItem("model/probs");
        QCOMPARE(dense->outputsText(), QString("(32, 32)"));
        bool labelled = false;
        for (TraceEdgeItem* e : s.scene()->edgeItems())
            if (e->from() == dense && e->to() == probs) labelled = e->label() == "(32, 32)";
        QVERIFY(labelled);
    }

    // The wires between boxes are the op edges that cross them: one per pair, never a loop.
    void wiresJoinBoxesOncePerPair() {
        WholeStep s;
        const ir::Graph& g = s.graph();
        const TraceClusterTree& tree = s.scene()->clusterTree();
        for (bool expandDense : {false, true}) {
            if (expandDense) s.scene()->setExpanded("model/dense_1", true);
            // Which box draws each node: its top-level cluster's (or dense_1's layer when open), else its own.
            auto box = [&](int n) -> const QGraphicsItem* {
                int top = -1;
                for (int c = tree.nodeCluster[std::size_t(n)]; c >= 0; c = tree.clusters[std::size_t(c)].parent) top = c;
                if (top < 0 || (expandDense && tree.clusters[std::size_t(top)].scope == "model/dense_1")) return s.scene()->nodeItem(n);
                return s.scene()->groupItem(QString::fromStdString(tree.clusters[std::size_t(top)].scope));
            };
            std::set<std::pair<const QGraphicsItem*, const QGraphicsItem*>> expected, drawn;
            for (int n = 0; n < g.nodeCount(); ++n)
                for (ir::ValueId v : g.node(n).inputs) {
                    const QGraphicsItem *from = box(g.value(v).node), *to = box(n);
                    QVERIFY(from && to);
                    if (from != to) expected.insert({from, to});
                }
            for (TraceEdgeItem* e : s.scene()->edgeItems()) {
                QVERIFY(e->from() != e->to());
                QVERIFY2(drawn.insert({e->from(), e->to()}).second, "two wires for one pair");
            }
            QCOMPARE(drawn, expected);
            QCOMPARE(int(itemsOf<TraceEdgeItem>(*s.scene()).size()), s.scene()->edgeCount());
        }
    }

    void clickingALayerShowsItsOpsAndItsTitleCollapsesIt() {
        WholeStep s;
        QVERIFY(QTest::qWaitForWindowExposed(&s.view));
        const ir::Graph& g = s.graph();
        TraceGraphicsView* gv = s.view.graphicsView();
        const std::set<int> before = drawnOps(*s.scene());
        const int groupsBefore = int(s.scene()->groupItems().size());
        std::set<int> dense;
        for (int n = 0; n < g.nodeCount(); ++n)
            if (g.node(n).scope == "model/dense_1") dense.insert(n);
        QVERIFY(dense.size() > 3);

        TraceGroupItem* box = s.scene()->groupItem("model/dense_1");
        QVERIFY(box);
        clickAt(gv, box->sceneBoundingRect().center());
        QVERIFY(!s.scene()->groupItem("model/dense_1"));
        TraceClusterItem* frame = s.scene()->clusterItem("model/dense_1");
        QVERIFY(frame);
        QCOMPARE(s.scene()->clusterCount(), 1);
        QCOMPARE(int(s.scene()->groupItems().size()), groupsBefore - 1);
        // Exactly that layer's ops are new, each inside its frame.
        std::set<int> added;
        for (int n : drawnOps(*s.scene()))
            if (!before.count(n)) added.insert(n);
        QCOMPARE(added, dense);
        checkEnclosed(*s.scene(), g, "model/dense_1");

        // A click inside the frame, off its title, does not collapse it; on the title it does.
        const QRectF title = frame->titleRect();
        const QPointF inside(frame->rect().left() + 3, frame->rect().bottom() - 3);
        clickAt(gv, inside);
        QVERIFY(s.scene()->clusterItem("model/dense_1"));
        const int matmul = firstNode(g, ir::OpKind::MatMul, "model/dense_1");
        clickAt(gv, s.scene()->nodeItem(matmul)->sceneBoundingRect().center()); // selects the op
        QCOMPARE(s.view.tableSelectedNode(), matmul);
        clickAt(gv, QPointF(title.left() + 12, title.center().y()));
        QVERIFY(!s.scene()->clusterItem("model/dense_1"));
        QCOMPARE(s.view.tableSelectedNode(), -1); // its op is out of sight: no row stays selected
        QVERIFY(s.scene()->groupItem("model/dense_1"));
        QCOMPARE(drawnOps(*s.scene()), before);
    }

    // Zoomed in, a cluster expanded or collapsed stays where it was clicked (its top centre), as
    // far as the scroll bars allow.
    void anExpandedLayerStaysWhereItWasClicked() {
        WholeStep s;
        QVERIFY(QTest::qWaitForWindowExposed(&s.view));
        TraceGraphicsView* gv = s.view.graphicsView();
        gv->setTransform(QTransform::fromScale(2, 2));
        auto topCentre = [](const QRectF& r) { return QPointF(r.center().x(), r.top()); };
        const QRectF box = s.scene()->groupItem("gradients")->sceneBoundingRect();
        gv->centerOn(box.center());
        const QPoint before = gv->mapFromScene(topCentre(box));
        clickAt(gv, box.center());
        TraceClusterItem* frame = s.scene()->clusterItem("gradients");
        QVERIFY(frame);
        const QPoint after = gv->mapFromScene(topCentre(frame->rect()));
        const auto atEnd = [](const QScrollBar* b) { return b->value() == b->minimum() || b->value() == b->maximum(); };
        const QString moved = QString("(%1, %2) -> (%3, %4)").arg(before.x()).arg(before.y()).arg(after.x()).arg(after.y());
        // The gradients sit low enough that the view can scroll to keep them in place.
        QVERIFY2((after - before).manhattanLength() < 8, qPrintable(moved));
        // Collapsing from the title puts the box back under the pointer.
        const QRectF title = frame->titleRect();
        const QPoint click = gv->mapFromScene(title.center());
        QTest::mouseClick(gv->viewport(), Qt::LeftButton, {}, click);
        QVERIFY(s.scene()->groupItem("gradients"));
        const QPoint back = gv->mapFromScene(topCentre(s.scene()->groupItem("gradients")->sceneBoundingRect()));
        QVERIFY2(std::abs(back.y() - after.y()) < 8 || atEnd(gv->verticalScrollBar()), qPrintable(QString("%1 -> %2").arg(after.y()).arg(back.y())));
    }

    // The zoom the view had is kept when an expanded cluster no longer fits and a scroll bar
    // appears (which resizes the viewport, not the view).
    void expandingKeepsTheZoom() {
        WholeStep s;
        QVERIFY(QTest::qWaitForWindowExposed(&s.view));
        TraceGraphicsView* gv = s.view.graphicsView();
        QTest::qWait(20);
        const double scale = gv->transform().m11();
        QVERIFY(!gv->verticalScrollBar()->isVisible()); // the collapsed step fits
        clickAt(gv, s.scene()->groupItem("gradients")->sceneBoundingRect().center());
        QVERIFY(s.scene()->clusterItem("gradients"));
        QTest::qWait(20); // scroll bars come and go on a later event
        QVERIFY(s.scene()->sceneRect().width() * scale > gv->viewport()->width()); // fitting would zoom out
        QVERIFY(gv->horizontalScrollBar()->isVisible());
        QCOMPARE(gv->transform().m11(), scale);
    }

    void expandAllShowsEveryOpAndCollapseAllOneBoxPerLayer() {
        WholeStep s;
        QVERIFY(QTest::qWaitForWindowExposed(&s.view));
        const ir::Graph& g = s.graph();
        const int defaultItems = int(s.scene()->items().size());
        QTest::mouseClick(s.view.expandAllButton(), Qt::LeftButton);
        QCOMPARE(s.scene()->nodeCount(), g.nodeCount());
        QCOMPARE(int(drawnOps(*s.scene()).size()), g.nodeCount());
        QVERIFY(s.scene()->groupItems().empty());
        QCOMPARE(s.scene()->clusterCount(), int(s.scene()->clusterTree().clusters.size()));
        QVERIFY(s.scene()->clusterItem("gradients/model/dense_1")); // nested in "gradients"
        for (const Layer* layer : s.model->layers()) checkEnclosed(*s.scene(), g, "model/" + layer->name());
        QTest::mouseClick(s.view.collapseAllButton(), Qt::LeftButton);
        QCOMPARE(int(s.scene()->items().size()), defaultItems);
        QCOMPARE(s.scene()->clusterCount(), 0);
        QVERIFY(s.scene()->groupItem("model/probs"));
    }

    void aBlockExpandsOneLevelAtATime() {
        auto model = built(test::example("autoencoder"));
        TracedGraphView view(*model);
        view.resize(1200, 800);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        TraceScene* scene = view.scene();
        QVERIFY(scene->groupItem("model/encoder"));
        QVERIFY(!scene->groupItem("model/encoder/dense"));
        clickAt(view.graphicsView(), scene->groupItem("model/encoder")->sceneBoundingRect().center());
        TraceClusterItem* block = scene->clusterItem("model/encoder");
        QVERIFY(block);
        for (const char* inner : {"model/encoder/dense", "model/encoder/code"}) {
            QVERIFY2(scene->groupItem(inner), inner);
            QVERIFY(block->rect().contains(scene->groupItem(inner)->sceneBoundingRect()));
        }
        for (int n : drawnOps(*scene)) QVERIFY(!within(view.trace()->graph.node(n).scope, "model/encoder"));
        clickAt(view.graphicsView(), scene->groupItem("model/encoder/code")->sceneBoundingRect().center());
        QVERIFY(scene->clusterItem("model/encoder/code"));
        QVERIFY(scene->groupItem("model/encoder/dense"));
        checkEnclosed(*scene, view.trace()->graph, "model/encoder/code");
    }

    void selectingAnOpInACollapsedLayerExpandsIt() {
        WholeStep s;
        const ir::Graph& g = s.graph();
        const int matmul = firstNode(g, ir::OpKind::MatMul, "model/probs");
        QVERIFY(matmul >= 0);
        QVERIFY(!s.scene()->nodeItem(matmul));
        s.view.nodeTable()->selectRow(matmul); // as a click on its row does
        QVERIFY(s.scene()->nodeItem(matmul));
        QVERIFY(s.scene()->nodeItem(matmul)->isSelected());
        QCOMPARE(s.view.drawnSelectedNode(), matmul);
        QVERIFY(s.scene()->clusterItem("model/probs"));
        QVERIFY(s.scene()->groupItem("model/dense_1")); // the others stay collapsed
        // An op in a nested cluster opens both levels.
        int grad = -1;
        for (int n = 0; n < g.nodeCount() && grad < 0; ++n)
            if (g.node(n).scope == "gradients/model/dense_1") grad = n;
        QVERIFY(grad >= 0);
        s.view.selectNode(grad);
        QCOMPARE(s.view.drawnSelectedNode(), grad);
        QVERIFY(s.scene()->clusterItem("gradients") && s.scene()->clusterItem("gradients/model/dense_1"));
        QVERIFY(s.scene()->nodeItem(matmul)); // still open
    }

    void findingAnOpInACollapsedLayerExpandsIt() {
        WholeStep s;
        QVERIFY(QTest::qWaitForWindowExposed(&s.view));
        const ir::Graph& g = s.graph();
        int inOptimizer = -1;
        for (int n = 0; n < g.nodeCount() && inOptimizer < 0; ++n)
            if (g.node(n).scope.rfind("optimizer/", 0) == 0 && !s.scene()->nodeItem(n)) inOptimizer = n;
        QVERIFY(inOptimizer >= 0);
        QVERIFY(s.scene()->groupItem("optimizer"));
        QTest::keyClicks(s.view.findField(), QString("#%1").arg(inOptimizer));
        QTest::keyClick(s.view.findField(), Qt::Key_Return);
        QCOMPARE(s.view.drawnSelectedNode(), inOptimizer);
        QCOMPARE(s.view.tableSelectedNode(), inOptimizer);
        QVERIFY(!s.scene()->groupItem("optimizer") && s.scene()->clusterItem("optimizer"));
        // By op name: the next matmul after the selected node, round the end.
        const int matmul = firstNode(g, ir::OpKind::MatMul, "model/dense_1");
        QCOMPARE(s.view.findNode("matmul"), matmul);
        QVERIFY(s.scene()->nodeItem(matmul) && s.scene()->nodeItem(matmul)->isSelected());
        QCOMPARE(s.view.findNode("no such op"), -1);
        QCOMPARE(s.view.drawnSelectedNode(), matmul);
    }

    void clustersWithoutGraphviz() {
        auto model = built(test::example("autoencoder"));
        TracedGraphView view(*model);
        QVERIFY(view.trace());
        const ir::Graph& g = view.trace()->graph;
        const std::vector<QSizeF> sizes(std::size_t(g.nodeCount()), QSizeF(120, 40));
        const TraceLayoutResult rows = TraceLayout::byDepth(g, sizes);
        QVERIFY(!rows.byGraphviz);
        QCOMPARE(int(rows.clusters.size()), int(view.scene()->clusterTree().clusters.size()));
        view.scene()->expandAll();
        QCOMPARE(int(rows.clusters.size()), view.scene()->clusterCount());
        for (const TraceCluster& c : rows.clusters) {
            for (int n : c.nodes) QVERIFY(c.rect.contains(rows.nodes[std::size_t(n)]));
            if (c.parent >= 0) QVERIFY(rows.clusters[std::size_t(c.parent)].rect.contains(c.rect));
        }
    }
};

QTEST_MAIN(TestGuiTraceLayers)
#include "tst_gui_trace_layers.moc"
