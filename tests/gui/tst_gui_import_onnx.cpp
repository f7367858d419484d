// File ▸ Import ONNX: the menu has the action; an ONNX file opens as a new unsaved model on the
// canvas, its weights kept for Export Model and the inspector (trainedWeights); a file that is
// not an ONNX model leaves the open model as it was and says why in the status bar.
#include <QAction>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>

#include "GuiTestSupport.h"

#include "app/gui/MainWindow.h"
#include "app/gui/project/Document.h"
#include "app/gui/train/TrainPanel.h"

#include "storage/onnx/OnnxExport.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

using namespace strata;
using namespace strata::gui;

class TestGuiImportOnnx : public QObject {
    Q_OBJECT

private slots:
    void importOpensTheModelWithItsWeights() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const auto original = Model::fromSpec(ModelSpec::load(std::string(STRATA_TEST_RESOURCES) + "/examples/two_branch.json"));
        original->build(5);
        const std::string file = dir.filePath("two_branch.onnx").toStdString();
        storage::writeOnnxModel(*original, file);

        MainWindow w;
        w.setInteractive(false);
        QAction* action = w.findChild<QAction*>("importOnnx");
        QVERIFY(action);
        QCOMPARE(action->shortcut(), QKeySequence("Ctrl+Shift+O"));
        for (QAction* other : w.findChildren<QAction*>()) // no other action has the shortcut
            if (other != action && !other->shortcut().isEmpty()) QVERIFY2(other->shortcut() != action->shortcut(), qPrintable(other->objectName()));
        QVERIFY(w.importOnnxFile(QString::fromStdString(file)));
        const ModelSpec& spec = w.document()->model()->state().spec;
        QCOMPARE(spec.name, std::string("two_branch"));
        QCOMPARE(spec.layers.size(), original->spec().layers.size());
        QVERIFY(w.document()->isDirty());
        const auto* weights = w.trainPanel()->trainedWeights(spec);
        QVERIFY(weights);
        for (const Variable* v : original->variables()) {
            QVERIFY2(weights->count(v->path()), v->path().c_str());
            QCOMPARE(weights->at(v->path()).shape(), v->value().shape());
            QCOMPARE(weights->at(v->path()).f32()[0], v->value().f32()[0]);
        }

        std::ofstream(dir.filePath("junk.onnx").toStdString()) << "not a model";
        QVERIFY(!w.importOnnxFile(dir.filePath("junk.onnx")));
        QVERIFY(w.statusBar()->currentMessage().contains("junk.onnx"));
        QCOMPARE(w.document()->model()->state().spec.name, std::string("two_branch"));
    }
};

QTEST_MAIN(TestGuiImportOnnx)
#include "tst_gui_import_onnx.moc"
