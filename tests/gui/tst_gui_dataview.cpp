// The dataset view: an image folder's class counts, grid and image sizes; a CSV table's rows and
// the class counts of the label column chosen; a corrupt image named without a crash; a cancelled
// scan that leaves the view usable; the model's preprocessing run on a sample (or a hint when it
// has none); and the view opened from Data ▸ View Data and from the Train panel.
#include <QTest>

#include "GuiTestSupport.h"

#include "app/gui/MainWindow.h"
#include "app/gui/Screenshot.h"
#include "app/gui/data/AugmentPreview.h"
#include "app/gui/data/BarChart.h"
#include "app/gui/data/DatasetView.h"
#include "app/gui/project/Document.h"
#include "app/gui/train/TrainPanel.h"

#include "engine/ModelSpec.h"

#include <QAction>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>

using namespace strata;
using namespace strata::gui;

namespace {

constexpr int kTimeoutMs = 60000;

// DIR/CLASS/NNN.png: `count` images of `size` per class, each class its own color.
void writeClass(const QString& dir, const QString& cls, int count, QSize size, QColor color) {
    QVERIFY(QDir().mkpath(dir + "/" + cls));
    for (int i = 0; i < count; ++i) {
        QImage image(size, QImage::Format_RGB888);
        image.fill(color.lighter(100 + 10 * i));
        QVERIFY(image.save(QString("%1/%2/%3.png").arg(dir, cls).arg(i, 3, 10, QChar('0'))));
    }
}

// cats 5, dogs 3, owls 2: 10 PNGs, all 12x16 but the owls (20x20).
void writeAnimals(const QString& dir) {
    writeClass(dir, "cats", 5, QSize(16, 12), QColor(200, 80, 40));
    writeClass(dir, "dogs", 3, QSize(16, 12), QColor(40, 120, 200));
    writeClass(dir, "owls", 2, QSize(20, 20), QColor(90, 160, 60));
}

bool waitForScan(DatasetView& view) {
    QElapsedTimer t;
    t.start();
    while (view.isScanning() && t.elapsed() < kTimeoutMs) QTest::qWait(20);
    return !view.isScanning();
}

void writeFile(const QString& path, const QByteArray& text) {
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(text);
}

using Counts = std::vector<std::pair<QString, int64_t>>;

// Input (8, 8, 3) -> [Rescaling] -> Flatten -> Dense(3, softmax)
ModelSpec smallModel(bool rescaling) {
    nlohmann::json layers = nlohmann::json::array();
    layers.push_back({{"name", "pixels"}, {"type", "Input"}, {"config", {{"shape", {8, 8, 3}}}}});
    if (rescaling) layers.push_back({{"name", "halve"}, {"type", "Rescaling"}, {"config", {{"scale", 0.5}}}});
    layers.push_back({{"name", "flat"}, {"type", "Flatten"}});
    layers.push_back({{"name", "probs"}, {"type", "Dense"}, {"config", {{"units", 3}, {"activation", "softmax"}}}});
    return ModelSpec::fromJson({{"format", "strata.model/1"}, {"name", "small"}, {"layers", layers}});
}

} // namespace

class TestDataView : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { test::isolateUserFolders(); }

    void imageFolderShowsClassCountsGridAndSizes() {
        QTemporaryDir dir;
        writeAnimals(dir.path());
        Document doc;
        DatasetView view(&doc);
        view.resize(1200, 600);
        view.show();
        QSignalSpy done(&view, &DatasetView::scanFinished);
        view.openFolder(dir.path());
        QVERIFY(view.isScanning());
        QVERIFY(waitForScan(view));
        QCOMPARE(done.size(), 1);
        QCOMPARE(done.front().front().toBool(), true);
        const Counts expected{{"cats", 5}, {"dogs", 3}, {"owls", 2}};
        QCOMPARE(view.classCounts(), expected);
        QCOMPARE(view.classChart()->bars(), expected);
        QCOMPARE(view.gridCount(), 10);
        QCOMPARE(view.overview().samples, 10);
        // Classes in turn: the first three samples are one of each.
        QCOMPARE(view.grid()->item(0)->text(), QString("cats"));
        QCOMPARE(view.grid()->item(1)->text(), QString("dogs"));
        QCOMPARE(view.grid()->item(2)->text(), QString("owls"));
        const QString sizes = view.findChild<QLabel*>("dataSizes")->text();
        QVERIFY2(sizes.contains("12×16") && sizes.contains("20×20") && sizes.contains("8 of 10"), qPrintable(sizes));
        QVERIFY(view.problemsText().isEmpty());
        QVERIFY(view.source().startsWith("images:"));
    }

    void corruptImageIsNamedWithoutCrash() {
        QTemporaryDir dir;
        writeAnimals(dir.path());
        QFile bad(dir.path() + "/dogs/broken.png");
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write("\x89PNG\r\n\x1a\nthis is not a png at all");
        bad.close();
        Document doc;
        DatasetView view(&doc);
        view.openFolder(dir.path());
        QVERIFY(waitForScan(view));
        QVERIFY2(view.problemsText().contains("broken.png"), qPrintable(view.problemsText()));
        QCOMPARE(view.overview().badFiles.size(), 1);
        const Counts expected{{"cats", 5}, {"dogs", 3}, {"owls", 2}}; // the bad file is not counted
        QCOMPARE(view.classCounts(), expected);
        QCOMPARE(view.gridCount(), 10);
    }

    void missingFolderIsAnErrorLine() {
        Document doc;
        DatasetView view(&doc);
        QSignalSpy done(&view, &DatasetView::scanFinished);
        view.openFolder("/nonexistent/strata-data");
        QVERIFY(waitForScan(view));
        QCOMPARE(done.size(), 1);
        QCOMPARE(done.front().front().toBool(), false);
        QVERIFY2(view.statusText().contains("no such folder"), qPrintable(view.statusText()));
    }

    void csvLabelColumnGivesClassCounts() {
        QTemporaryDir dir;
        const QString path = dir.path() + "/flowers.csv";
        writeFile(path, "petal,sepal,kind,size\n0.5,0,rose,0\n1.5,2,tulip,1\n2.5,4,rose,0\n3.5,6,iris,1\n4.5,8,rose,0\n5.5,10,tulip,1\n");
        Document doc;
        DatasetView view(&doc);
        view.openCsv(path, "kind");
        QVERIFY(waitForScan(view));
        QCOMPARE(view.tableRowCount(), 6);
        QCOMPARE(view.table()->model()->columnCount(), 4);
        QCOMPARE(view.table()->model()->headerData(2, Qt::Horizontal).toString(), QString("kind"));
        QCOMPARE(view.table()->model()->index(3, 2).data().toString(), QString("iris"));
        QCOMPARE(view.table()->model()->index(1, 0).data().toString(), QString("1.5"));
        const Counts byKind{{"iris", 1}, {"rose", 3}, {"tulip", 2}};
        QCOMPARE(view.classCounts(), byKind);
        QCOMPARE(view.labelColumnBox()->currentText(), QString("kind"));
        // "size" as the label would make the names a feature: the view says why and keeps "kind".
        QVERIFY(view.setLabelColumn("size"));
        QVERIFY(waitForScan(view));
        QVERIFY2(view.statusText().contains("not a number"), qPrintable(view.statusText()));
        QCOMPARE(view.classCounts(), byKind);
        QCOMPARE(view.labelColumnBox()->currentText(), QString("kind"));
    }

    void csvOtherLabelColumnChosenInTheView() {
        QTemporaryDir dir;
        const QString path = dir.path() + "/numbers.csv";
        writeFile(path, "width,group,size\n0.25,2,0\n1.25,0,1\n2.25,2,0\n3.25,1,1\n4.25,2,1\n");
        Document doc;
        DatasetView view(&doc);
        view.openCsv(path); // the last column by default
        QVERIFY(waitForScan(view));
        QCOMPARE(view.classCounts(), (Counts{{"0", 2}, {"1", 3}}));
        QVERIFY(view.setLabelColumn("group"));
        QVERIFY(waitForScan(view));
        QCOMPARE(view.classCounts(), (Counts{{"0", 1}, {"1", 1}, {"2", 3}}));
        QCOMPARE(view.classChart()->bars(), (Counts{{"0", 1}, {"1", 1}, {"2", 3}}));
        // A column of real values counts nothing and says why; the rows still show.
        QVERIFY(view.setLabelColumn("width"));
        QVERIFY(waitForScan(view));
        QVERIFY(view.classCounts().empty());
        QCOMPARE(view.tableRowCount(), 5);
        QVERIFY2(view.statusText().contains("width"), qPrintable(view.statusText()));
    }

    void cancelledScanLeavesViewUsable() {
        QTemporaryDir dir, bigDir;
        writeAnimals(dir.path());
        for (int c = 0; c < 4; ++c) writeClass(bigDir.path(), QString("c%1").arg(c), 150, QSize(64, 64), QColor(20 * c, 90, 120));
        Document doc;
        DatasetView view(&doc);
        view.show();
        QSignalSpy done(&view, &DatasetView::scanFinished);
        view.openFolder(bigDir.path());
        QVERIFY(view.isScanning());
        QVERIFY(view.cancelButton()->isVisible());
        QTest::mouseClick(view.cancelButton(), Qt::LeftButton);
        QVERIFY(!view.isScanning());
        QCOMPARE(done.size(), 1);
        QCOMPARE(done.front().front().toBool(), false);
        QVERIFY(view.statusText().contains("Cancelled"));
        QVERIFY(view.classCounts().empty()); // nothing of the cancelled scan is shown
        // The view still works: another folder opens and is counted.
        view.openFolder(dir.path());
        QVERIFY(waitForScan(view));
        const Counts expected{{"cats", 5}, {"dogs", 3}, {"owls", 2}};
        QCOMPARE(view.classCounts(), expected);
        QTest::qWait(200); // the cancelled scan ends meanwhile and changes nothing
        QCOMPARE(view.classCounts(), expected);
    }

    void preprocessingRunsOnTheChosenSample() {
        QTemporaryDir dir;
        writeAnimals(dir.path());
        Document doc;
        doc.setModel(smallModel(false), nlohmann::json::object(), false);
        DatasetView view(&doc);
        view.show();
        view.openFolder(dir.path());
        QVERIFY(waitForScan(view));
        AugmentPreview* preview = view.augmentPreview();
        QVERIFY(!preview->hasPreprocessing());
        QVERIFY(preview->hintText().contains("no preprocessing layers"));
        QCOMPARE(preview->augmentedCount(), 0);
        // A Rescaling layer in the model: the preview follows, run by the engine at the input's 8x8.
        doc.setModel(smallModel(true), nlohmann::json::object(), true);
        QVERIFY(preview->hasPreprocessing());
        QCOMPARE(preview->augmentedCount(), AugmentPreview::kCopies);
        QVERIFY2(preview->hintText().isEmpty(), qPrintable(preview->hintText()));
        const uint64_t seed = preview->seed();
        QTest::mouseClick(view.findChild<QPushButton*>("augmentShuffle"), Qt::LeftButton);
        QVERIFY(preview->seed() != seed);
        QCOMPARE(preview->augmentedCount(), AugmentPreview::kCopies);
        view.grid()->setCurrentRow(2);
        QCOMPARE(preview->augmentedCount(), AugmentPreview::kCopies);
    }

    void openedFromDataMenuAndTrainPanel() {
        QTemporaryDir dir;
        writeAnimals(dir.path());
        MainWindow w;
        w.setInteractive(false);
        w.resize(1400, 900);
        w.show();
        QAction* action = w.action("viewData");
        QVERIFY(action);
        QCOMPARE(action->shortcut(), QKeySequence("Ctrl+Shift+D"));
        QMenu* menu = w.menuBar()->findChild<QMenu*>("dataMenu");
        QVERIFY(menu);
        QVERIFY(menu->actions().contains(action));
        // The Train panel's dataset is an image folder: Data ▸ View Data opens the view on it.
        w.trainPanel()->setImageFolder(dir.path());
        action->trigger();
        DatasetView* view = w.dataView();
        QVERIFY(view->isVisible());
        QVERIFY(waitForScan(*view));
        const Counts expected{{"cats", 5}, {"dogs", 3}, {"owls", 2}};
        QCOMPARE(view->classCounts(), expected);
        // The Train panel's "View data…" opens its dataset there too: a built-in one.
        w.trainPanel()->setDataset("iris");
        QTest::mouseClick(w.trainPanel()->findChild<QPushButton*>("viewDataButton"), Qt::LeftButton);
        QVERIFY(waitForScan(*view));
        QCOMPARE(view->source(), QString("iris"));
        QCOMPARE(view->classCounts().size(), std::size_t(3));
        int64_t total = 0;
        for (const auto& [name, n] : view->classCounts()) total += n;
        QCOMPARE(total, int64_t(150));
        QCOMPARE(view->tableRowCount(), 50);
    }

    void screenshotShowsTheScannedFolder() {
        QTemporaryDir dir;
        writeAnimals(dir.path());
        MainWindow w;
        const QString out = dir.path() + "/data.png";
        QVERIFY(screenshotViews().contains("data"));
        QVERIFY(renderScreenshot(w, out, "data", 1200, 800, "images:" + dir.path()));
        QCOMPARE(QImage(out).size(), QSize(1200, 800));
        QVERIFY(!w.dataView()->isScanning());
        QCOMPARE(w.dataView()->classCounts().size(), std::size_t(3));
        QVERIFY(w.dataView()->isVisible());
        // A folder that cannot be read makes no screenshot.
        MainWindow other;
        QVERIFY(!renderScreenshot(other, dir.path() + "/none.png", "data", 1200, 800, "images:/nonexistent/strata"));
    }
};

QTEST_MAIN(TestDataView)
#include "tst_gui_dataview.moc"
