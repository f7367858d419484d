// The canvas as pixels (issue 17): at 1024x700 a model opens at a zoom where node text is
// readable (the ink of a layer's name at least 8 px high, measured in the grabbed viewport, not
// computed), also for a model too long to fit; the canvas is not blank; and the dark theme is
// applied to it (a dark background, light text).
#include <QAction>
#include <QApplication>
#include <QImage>
#include <QTest>

#include "GuiTestSupport.h"

#include "app/gui/MainWindow.h"
#include "app/gui/canvas/CanvasStyle.h"
#include "app/gui/canvas/GraphScene.h"
#include "app/gui/canvas/GraphView.h"
#include "app/gui/canvas/NodeItem.h"
#include "app/gui/model/GraphModel.h"
#include "app/gui/project/Document.h"

#include <set>

using namespace strata;
using namespace strata::gui;

namespace {

int luminance(QRgb c) { return (qRed(c) * 299 + qGreen(c) * 587 + qBlue(c) * 114) / 1000; }

// A Sequential model of `n` Dense layers (too long to fit 700 px at a readable zoom when n is large).
ModelSpec longModel(int n) {
    nlohmann::json layers = nlohmann::json::array();
    layers.push_back({{"name", "input_layer"}, {"type", "Input"}, {"config", {{"shape", {16}}}}});
    std::string previous = "input_layer";
    for (int i = 0; i < n; ++i) {
        const std::string name = "dense_" + std::to_string(i);
        layers.push_back({{"name", name}, {"type", "Dense"}, {"config", {{"units", 16}}}, {"inbound", {previous}}});
        previous = name;
    }
    return ModelSpec::fromJson({{"format", "strata.model/1"}, {"name", "long"}, {"inputs", {"input_layer"}}, {"outputs", {previous}},
                                {"layers", layers}});
}

struct Shot {
    QImage image;
    double zoom = 0;
    QRect nameBox; // where the first layer's name is drawn, in the image
};

// Opens `spec` in a 1024x700 window (as a person would: New, then import), and grabs the canvas.
Shot open(MainWindow& w, const ModelSpec& spec) {
    w.resize(1024, 700);
    w.show();
    if (!QTest::qWaitForWindowExposed(&w)) return {};
    w.document()->importModelSpec(spec);
    w.view()->showReadable();
    QTest::qWait(100);
    Shot s;
    s.image = w.view()->viewport()->grab().toImage().convertToFormat(QImage::Format_RGB32);
    s.zoom = w.view()->zoom();
    const NodeItem* first = w.view()->graphScene()->node(spec.layers.front().name);
    if (!first) return s;
    const QRectF body = first->mapRectToScene(QRectF(10, 22, NodeGeometry::width - 20, NodeGeometry::height - 22 - 4));
    s.nameBox = w.view()->mapFromScene(body).boundingRect().intersected(s.image.rect());
    return s;
}

// Height in pixels of the ink (pixels far from the node body's colour) in `box`.
int inkHeight(const QImage& img, const QRect& box, QColor body) {
    int top = -1, bottom = -1;
    for (int y = box.top(); y <= box.bottom(); ++y)
        for (int x = box.left(); x <= box.right(); ++x)
            if (std::abs(luminance(img.pixel(x, y)) - luminance(body.rgb())) > 80) {
                if (top < 0) top = y;
                bottom = y;
                break;
            }
    return top < 0 ? 0 : bottom - top + 1;
}

void checkReadableAndNotBlank(const Shot& s) {
    QVERIFY(!s.image.isNull());
    std::set<QRgb> colours;
    for (int y = 0; y < s.image.height(); y += 3)
        for (int x = 0; x < s.image.width(); x += 3) colours.insert(s.image.pixel(x, y));
    QVERIFY2(colours.size() > 30, qPrintable(QString("only %1 colours: blank?").arg(colours.size())));
    QVERIFY2(!s.nameBox.isEmpty(), "the first layer is not in view");
    const int ink = inkHeight(s.image, s.nameBox, CanvasStyle::current().nodeBody);
    QVERIFY2(ink >= 8, qPrintable(QString("the first layer's name is %1 px high at zoom %2").arg(ink).arg(s.zoom)));
}

} // namespace

class TestCanvasPixels : public QObject {
    Q_OBJECT
private slots:
    void anExampleOpensReadable() {
        MainWindow w;
        w.setInteractive(false);
        checkReadableAndNotBlank(open(w, test::example("fashion_augmented")));
        // At 1024 wide the palette keeps room for its names (it was squeezed to its 2-letter badges).
        QVERIFY2(w.findChild<QWidget*>("palette")->width() >= 140,
                 qPrintable(QString("palette %1 px wide").arg(w.findChild<QWidget*>("palette")->width())));
        QCOMPARE(w.width(), 1024);
    }

    // 60 layers do not fit 700 px at a readable zoom: the model opens readable at its start.
    void aLongModelOpensReadableAtItsStart() {
        MainWindow w;
        w.setInteractive(false);
        const Shot s = open(w, longModel(60));
        checkReadableAndNotBlank(s);
        QVERIFY(s.zoom >= w.view()->readableZoom() - 1e-9);
    }

    void theDarkThemeIsApplied() {
        MainWindow w;
        w.setInteractive(false);
        for (QAction* a : w.findChildren<QAction*>())
            if (a->text().remove('&') == "Dark") a->trigger();
        const Shot s = open(w, test::example("digits_mlp"));
        checkReadableAndNotBlank(s);
        const QRgb corner = s.image.pixel(2, 2); // canvas background, away from nodes
        QVERIFY2(luminance(corner) < 80, qPrintable(QString("background luminance %1").arg(luminance(corner))));
        QVERIFY(luminance(CanvasStyle::current().text.rgb()) > 150);      // light text
        QVERIFY(luminance(QApplication::palette().window().color().rgb()) < 100); // the widgets too

        // Every toolbar icon stands out from the dark toolbar: its strongest pixel differs from the
        // background by a third of the range (the style's black play and maximise icons did not).
        const int background = luminance(QApplication::palette().window().color().rgb());
        int icons = 0;
        for (QAction* a : w.findChildren<QAction*>()) {
            if (a->icon().isNull() || a->text().remove('&').isEmpty()) continue;
            const QImage icon = a->icon().pixmap(QSize(24, 24)).toImage().convertToFormat(QImage::Format_ARGB32);
            int contrast = 0;
            for (int y = 0; y < icon.height(); ++y)
                for (int x = 0; x < icon.width(); ++x) {
                    const QRgb px = icon.pixel(x, y);
                    if (qAlpha(px) > 160) contrast = std::max(contrast, std::abs(luminance(px) - background));
                }
            QVERIFY2(contrast >= 85, qPrintable(QString("the icon of '%1' is hard to see on the dark toolbar (contrast %2)")
                                                     .arg(a->text().remove('&'))
                                                     .arg(contrast)));
            ++icons;
        }
        QVERIFY(icons >= 8);
    }
};

int main(int argc, char** argv) {
    test::isolateUserFolders();
    QApplication app(argc, argv);
    TestCanvasPixels t;
    return QTest::qExec(&t, argc, argv);
}
#include "tst_canvas_pixels.moc"
