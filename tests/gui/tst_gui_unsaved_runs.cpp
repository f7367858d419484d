// Nothing trained is lost (issue 17): a run of a model that was never saved is recorded from its
// first step in a project made for it in the user's data folder, and Save (a click on the toolbar's
// Save button, the real file dialog) adopts it: the saved project holds the run, its metrics and checkpoints, and the
// made file is gone. Discarding the model keeps the made project, listed under Open Recent.
#include <QApplication>
#include <QFileDialog>
#include <QFileInfo>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QToolBar>

#include "GuiTestSupport.h"

#include "app/gui/MainWindow.h"
#include "app/gui/project/Document.h"
#include "app/gui/runs/RunsPanel.h"
#include "app/gui/train/TrainPanel.h"

#include "storage/Project.h"

using namespace strata;
using namespace strata::gui;

namespace {

// Trains the window's model for one epoch of digits by clicking Train.
bool clickTrain(MainWindow& w) {
    TrainPanel* t = w.trainPanel();
    t->setDataset("digits");
    t->setEpochs(1);
    QSignalSpy done(t, &TrainPanel::trainingFinished);
    auto* button = t->findChild<QPushButton*>("trainButton");
    if (!button) return false;
    QTest::mouseClick(button, Qt::LeftButton);
    return done.wait(180000) && done.takeFirst().at(0).toBool();
}

// Answers the next file dialog with `path` (its name field set, then accepted, as its Save button does).
void answerFileDialog(const QString& path) {
    QTimer::singleShot(50, [path] {
        auto* dialog = qobject_cast<QFileDialog*>(QApplication::activeModalWidget());
        if (!dialog) {
            answerFileDialog(path); // not open yet
            return;
        }
        // The name typed as a person would (the dialog reads its name field when accepted).
        auto* name = dialog->findChild<QLineEdit*>("fileNameEdit");
        name->setText(path);
        QMetaObject::invokeMethod(dialog, "accept", Qt::QueuedConnection);
    });
}

} // namespace

class TestGuiUnsavedRuns : public QObject {
    Q_OBJECT
private slots:
    void aRunOfANeverSavedModelIsInTheProjectAfterSave() {
        QTemporaryDir dir;
        MainWindow w;
        w.setInteractive(false);
        w.resize(1200, 800);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.document()->importModelSpec(test::example("digits_mlp"));
        QVERIFY(!w.document()->store());
        QVERIFY(clickTrain(w));

        // Recorded from its first step, in a project of its own that the Runs panel shows.
        Document* doc = w.document();
        QVERIFY(doc->holdsUnsavedRuns());
        const QString made = doc->filePath();
        QVERIFY2(made.contains("/unsaved-runs/digits_mlp-") && QFileInfo::exists(made), qPrintable(made));
        QVERIFY(w.windowTitle().contains("its runs kept until Save"));
        QCOMPARE(w.runsPanel()->runCount(), 1);
        QVERIFY(doc->isDirty());

        // Save asks where (the model is in no project of the person's yet) and adopts the runs.
        const QString saved = dir.filePath("digits.strata");
        answerFileDialog(saved);
        QWidget* saveButton = nullptr; // the toolbar's Save button
        for (QToolBar* bar : w.findChildren<QToolBar*>())
            if (QWidget* b = bar->widgetForAction(w.findChild<QAction*>("save"))) saveButton = b;
        QVERIFY(saveButton);
        QTest::mouseClick(saveButton, Qt::LeftButton);
        QTRY_VERIFY2_WITH_TIMEOUT(QFileInfo::exists(saved), qPrintable(w.statusBar()->currentMessage()), 20000);
        QTRY_VERIFY(!doc->holdsUnsavedRuns());
        QCOMPARE(doc->filePath(), saved);
        QVERIFY(!doc->isDirty());
        QVERIFY2(!QFileInfo::exists(made), "the made project is gone once its runs are saved");

        const storage::Project p = storage::Project::open(saved.toStdString(), storage::OpenMode::ReadOnly);
        const auto runs = p.runs();
        QCOMPARE(runs.size(), std::size_t(1));
        QCOMPARE(QString::fromStdString(runs[0].status), QString("completed"));
        QVERIFY(!p.metrics(runs[0].id, "epoch").empty());
        QCOMPARE(QString::fromStdString(runs[0].modelName), QString("digits_mlp"));
        QCOMPARE(w.runsPanel()->runCount(), 1);
    }

    // Discarding a never-saved model keeps its runs: the made project stays and Open Recent lists it.
    void discardingANeverSavedModelKeepsItsRuns() {
        QString made;
        {
            MainWindow w;
            w.setInteractive(false);
            w.document()->importModelSpec(test::example("digits_mlp"));
            QVERIFY(clickTrain(w));
            made = w.document()->filePath();
            w.newModel(); // not interactive: discards without asking
            QVERIFY(!w.document()->store());
            bool listed = false;
            for (QAction* a : w.findChildren<QAction*>())
                listed = listed || a->toolTip() == made;
            QVERIFY2(listed, "Open Recent lists the made project");
        }
        QVERIFY(QFileInfo::exists(made));
        const storage::Project p = storage::Project::open(made.toStdString(), storage::OpenMode::ReadOnly);
        QCOMPARE(p.runs().size(), std::size_t(1));
    }
};

int main(int argc, char** argv) {
    test::isolateUserFolders();
    QApplication app(argc, argv);
    TestGuiUnsavedRuns t;
    return QTest::qExec(&t, argc, argv);
}
#include "tst_gui_unsaved_runs.moc"
