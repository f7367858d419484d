// The traced graph by layer: the node table's Layer column names the layer that emitted each op,
// and the drawing groups a layer's boxes in a labelled cluster (a block's layers inside the
// block's), with or without Graphviz; selecting a row still selects its box.
#include <QTableWidget>
#include <QTest>

#include "GuiTestSupport.h"

#include "app/gui/inspect/TraceClusterItem.h"
#include "app/gui/inspect/TraceLayout.h"
#include "app/gui/inspect/TraceScene.h"
#include "app/gui/inspect/TracedGraphView.h"

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

    void clustersWithoutGraphviz() {
        auto model = built(test::example("autoencoder"));
        TracedGraphView view(*model);
        QVERIFY(view.trace());
        const ir::Graph& g = view.trace()->graph;
        const std::vector<QSizeF> sizes(std::size_t(g.nodeCount()), QSizeF(120, 40));
        const TraceLayoutResult rows = TraceLayout::byDepth(g, sizes);
        QVERIFY(!rows.byGraphviz);
        QCOMPARE(int(rows.clusters.size()), view.scene()->clusterCount());
        for (const TraceCluster& c : rows.clusters) {
            for (int n : c.nodes) QVERIFY(c.rect.contains(rows.nodes[std::size_t(n)]));
            if (c.parent >= 0) QVERIFY(rows.clusters[std::size_t(c.parent)].rect.contains(c.rect));
        }
    }
};

QTEST_MAIN(TestGuiTraceLayers)
#include "tst_gui_trace_layers.moc"
