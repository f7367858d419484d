// A real QDrag from the palette onto the canvas. Offscreen refuses drags, so this suite runs on
// the `minimal` platform (QT_QPA_PLATFORM=minimal, set by CTest), whose QSimpleDrag follows the
// mouse events the test sends while QDrag::exec() runs its own event loop.
#include <QTest>

#include "GuiTestSupport.h"

#include "app/gui/canvas/NodeItem.h"
#include "app/gui/panels/PalettePanel.h"

#include <QDrag>
#include <QHBoxLayout>
#include <QTimer>
#include <QTreeWidget>

using namespace strata;
using namespace strata::gui;

class TestDragPalette : public QObject {
    Q_OBJECT
private slots:
    void aRealDragFromThePaletteCreatesANode() {
        if (QGuiApplication::platformName() == "offscreen") QSKIP("offscreen has no drag support; run with QT_QPA_PLATFORM=minimal");
        // The window first, so that it outlives (and never deletes) the widgets placed in it.
        QWidget window;
        auto* layout = new QHBoxLayout(&window);
        PalettePanel palette;
        ModelSpec spec = test::example("digits_mlp");
        test::Editor ed(&spec);
        layout->addWidget(&palette);
        ed.view.setParent(&window);
        layout->addWidget(&ed.view);
        window.resize(1000, 600);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));

        QWidget* vp = ed.view.viewport();
        const QPoint target = vp->rect().center() + QPoint(120, 60);
        const QPointF sceneTarget = ed.view.mapToScene(target);
        // While exec() runs, move the mouse over the canvas and release it there.
        QTimer::singleShot(50, [&] {
            QPoint global = vp->mapToGlobal(target);
            QWindow* w = window.windowHandle();
            QPoint local = w->mapFromGlobal(global);
            QTest::mouseMove(w, local - QPoint(40, 0));
            QTest::mouseMove(w, local);
            QTimer::singleShot(50, [w, local] { QTest::mouseRelease(w, Qt::LeftButton, {}, local); });
        });
        auto* drag = new QDrag(palette.tree());
        drag->setMimeData(palette.mimeDataFor("BatchNormalization"));
        Qt::DropAction result = drag->exec(Qt::CopyAction, Qt::CopyAction);
        QCOMPARE(result, Qt::CopyAction);
        NodeItem* n = ed.scene.node("batch_normalization");
        QVERIFY(n);
        QVERIFY(QLineF(n->sceneBoundingRect().center(), sceneTarget).length() < 20);
        QCOMPARE(ed.undo()->count(), 1);
    }
};

QTEST_MAIN(TestDragPalette)
#include "tst_drag_palette.moc"
