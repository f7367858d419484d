// Model ▸ Compare Versions… with real events: the dialog's combos pick v1 and v2 of three saved
// versions, and the comparison canvas marks exactly the added (green) and changed (amber) layers,
// draws the removed one as a red ghost at its old position, is read-only, and is left by its button.
#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QLabel>
#include <QPushButton>
#include <QTabWidget>
#include <QTest>
#include <QTimer>

#include "GuiTestSupport.h"

#include "app/gui/MainWindow.h"
#include "app/gui/canvas/NodeItem.h"
#include "app/gui/compare/VersionCompare.h"

using namespace strata;
using namespace strata::gui;
using nlohmann::json;
using Diff = NodeItem::Look::Diff;

namespace {
json& layerNamed(json& spec, const std::string& name) {
    for (auto& l : spec["layers"])
        if (l["name"] == name) return l;
    qFatal("no layer %s", name.c_str());
}

// Whether some pixel of `image` within `radius` of `at` is close to `colour`.
bool colourNear(const QImage& image, QPoint at, const QColor& colour, int radius = 4) {
    for (int dy = -radius; dy <= radius; ++dy)
        for (int dx = -radius; dx <= radius; ++dx) {
            const QPoint p = at + QPoint(dx, dy);
            if (!image.rect().contains(p)) continue;
            const QColor c = image.pixelColor(p);
            if (std::abs(c.red() - colour.red()) + std::abs(c.green() - colour.green()) + std::abs(c.blue() - colour.blue()) < 60)
                return true;
        }
    return false;
}
} // namespace

class TestGuiCompare : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    QString path_;
    QPointF dropoutAt_;

private slots:
    void initTestCase() {
        test::isolateUserFolders();
        path_ = dir_.filePath("work.strata");
        // v1: two_branch; v2: wide 32 -> 48 units, dropout replaced by "noise" (so probs is rewired);
        // v3: probs 10 -> 12 units. The comparison of v1 and v2 is asked for.
        Document doc;
        doc.setModel(test::example("two_branch"), {}, false);
        doc.saveAs(path_, "first");
        dropoutAt_ = doc.model()->position("dropout");
        const nlohmann::json layout = doc.layout();
        json v2 = doc.model()->state().spec.toJson();
        layerNamed(v2, "wide")["config"]["units"] = 48;
        layerNamed(v2, "dropout") = json{{"name", "noise"}, {"type", "Dropout"}, {"config", {{"rate", 0.3}}}, {"inbound", {"batch_normalization"}}};
        layerNamed(v2, "probs")["inbound"] = {"noise"};
        doc.setModel(ModelSpec::fromJson(v2), layout, true);
        doc.save("wider, noise");
        json v3 = v2;
        layerNamed(v3, "probs")["config"]["units"] = 12;
        doc.setModel(ModelSpec::fromJson(v3), layout, true);
        doc.save("twelve classes");
        QCOMPARE(doc.store()->versions("two_branch").size(), std::size_t(3));
        if (!qEnvironmentVariableIsEmpty("STRATA_TEST_SAVE_IMAGES")) // the project of docs/version_diff.png
            doc.store()->copyTo(qEnvironmentVariable("STRATA_TEST_SAVE_IMAGES") + "/compare.strata");
    }

    void dialogPicksTwoVersionsAndTheCanvasMarksTheDiff() {
        MainWindow w;
        w.setInteractive(false);
        QVERIFY(w.openProject(path_));
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));

        bool answered = false;
        QTimer::singleShot(0, this, [&] {
            auto* dialog = qobject_cast<CompareVersionsDialog*>(QApplication::activeModalWidget());
            QVERIFY(dialog);
            QCOMPARE(dialog->beforeBox()->currentIndex(), 1); // the two newest by default
            QCOMPARE(dialog->afterBox()->currentIndex(), 2);
            dialog->beforeBox()->setFocus();
            QTest::keyClick(dialog->beforeBox(), Qt::Key_Home); // v1
            dialog->afterBox()->setFocus();
            QTest::keyClick(dialog->afterBox(), Qt::Key_Up); // v3 -> v2
            QVERIFY(dialog->beforeBox()->currentText().startsWith("v1"));
            QVERIFY(dialog->afterBox()->currentText().startsWith("v2"));
            answered = true;
            QTest::mouseClick(dialog->compareButton(), Qt::LeftButton);
        });
        w.action("compareVersions")->trigger(); // Model ▸ Compare Versions… (runs the dialog)
        QVERIFY(answered);

        auto* compare = w.findChild<VersionCompareView*>();
        QVERIFY(compare);
        QVERIFY(compare->isVisible());
        QVERIFY2(compare->banner()->text().contains("Comparing two_branch v1 → v2"), qPrintable(compare->banner()->text()));
        GraphScene* scene = compare->scene();
        QStringList added, changed, resized, unmarked;
        for (const auto& [name, node] : scene->nodes()) {
            const Diff d = node->look().diff;
            (d == Diff::Added ? added : d == Diff::Changed ? changed : d == Diff::Resized ? resized : unmarked)
                << QString::fromStdString(name);
            QVERIFY(!(node->flags() & QGraphicsItem::ItemIsMovable)); // read-only
        }
        QCOMPARE(added, QStringList{"noise"});
        changed.sort();
        QCOMPARE(changed, (QStringList{"probs", "wide"}));
        // wide's 32 -> 48 units widen merged's output, so project (same settings) gets more weights.
        QCOMPARE(resized, QStringList{"project"});
        QVERIFY2(scene->node("project")->look().diffNote.contains("input changed · 4,160 → 5,184"),
                 qPrintable(scene->node("project")->look().diffNote));
        QCOMPARE(unmarked.size(), 6);
        QVERIFY(!scene->node("dropout"));
        QCOMPARE(scene->ghosts().size(), std::size_t(1));
        NodeItem* ghost = scene->ghosts().front();
        QCOMPARE(ghost->layer(), std::string("dropout"));
        QCOMPARE(ghost->look().diff, Diff::Removed);
        // where v1's layout had it, or to its right when a layer of v2 stands there
        QCOMPARE(ghost->pos().y(), dropoutAt_.y());
        QVERIFY(ghost->pos().x() >= dropoutAt_.x());
        for (const auto& [name, node] : scene->nodes())
            QVERIFY2(!node->sceneBoundingRect().adjusted(12, 12, -12, -12).intersects(ghost->sceneBoundingRect().adjusted(12, 12, -12, -12)), name.c_str());

        NodeItem* wide = scene->node("wide");
        QVERIFY2(wide->look().diffNote.contains("units · 2,080 → 3,120"), qPrintable(wide->look().diffNote));
        QVERIFY2(wide->toolTip().contains("units: 32 → 48"), qPrintable(wide->toolTip()));
        QVERIFY2(scene->node("probs")->toolTip().contains("inbound"), qPrintable(scene->node("probs")->toolTip()));
        QVERIFY(scene->node("noise")->look().diffNote.startsWith("added"));

        // The colours as drawn: each marked node's outline, left of its body.
        compare->view()->fitAll();
        QApplication::processEvents();
        const QImage image = compare->view()->viewport()->grab().toImage();
        if (!qEnvironmentVariableIsEmpty("STRATA_TEST_SAVE_IMAGES")) image.save(qEnvironmentVariable("STRATA_TEST_SAVE_IMAGES") + "/compare.png");
        auto outline = [&](NodeItem* n) {
            return compare->view()->mapFromScene(n->mapToScene(QPointF(-3, NodeGeometry::height / 2)));
        };
        QVERIFY(colourNear(image, outline(scene->node("noise")), NodeItem::diffColor(Diff::Added)));
        QVERIFY(colourNear(image, outline(scene->node("wide")), NodeItem::diffColor(Diff::Changed)));
        QVERIFY(!colourNear(image, outline(scene->node("deep_1")), NodeItem::diffColor(Diff::Changed)));

        // A drag moves nothing while comparing.
        const QPointF before = wide->pos();
        const QPoint at = compare->view()->mapFromScene(wide->mapToScene(QPointF(40, 40)));
        QTest::mousePress(compare->view()->viewport(), Qt::LeftButton, {}, at);
        QTest::mouseMove(compare->view()->viewport(), at + QPoint(80, 60));
        QTest::mouseRelease(compare->view()->viewport(), Qt::LeftButton, {}, at + QPoint(80, 60));
        QCOMPARE(wide->pos(), before);

        // The editor's own model is untouched: still v3.
        QCOMPARE(w.document()->version()->number, 3);
        QTest::mouseClick(compare->leaveButton(), Qt::LeftButton);
        QApplication::processEvents();
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        QVERIFY(!w.findChild<VersionCompareView*>());
    }

    void fewerThanTwoVersionsIsRefusedWithTheReason() {
        Document doc;
        doc.setModel(test::example("digits_mlp"), {}, false);
        QTabWidget tabs;
        QString shown;
        QTimer::singleShot(0, this, [&] {
            if (auto* box = QApplication::activeModalWidget()) {
                shown = box->findChild<QLabel*>("qt_msgbox_label") ? box->findChild<QLabel*>("qt_msgbox_label")->text() : QString();
                box->close();
            }
        });
        QVERIFY(!compareVersions(nullptr, doc, &tabs));
        QVERIFY2(shown.contains("comparing needs two"), qPrintable(shown));
        QCOMPARE(tabs.count(), 0);
    }
};

QTEST_MAIN(TestGuiCompare)
#include "tst_gui_compare.moc"
