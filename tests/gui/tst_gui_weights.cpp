// Trained and imported weights live in the project with their model version: Save stores the
// weights the Train panel holds when the project lacks them (an imported ONNX model, a run not
// recorded in the project) as a kept checkpoint of the saved version, and opening a version
// takes the weights of its newest checkpoint, so Inspect and Export Model show them in a new
// window as they did before it closed. A version with no checkpoint brings no weights.
#include <QSignalSpy>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>

#include "GuiTestSupport.h"

#include "app/gui/MainWindow.h"
#include "app/gui/project/Document.h"
#include "app/gui/train/TrainPanel.h"

#include "engine/Model.h"
#include "storage/CheckpointStore.h"
#include "storage/onnx/OnnxExport.h"
#include "storage/Project.h"

#include <cstring>

using namespace strata;
using namespace strata::gui;

namespace {

// A project holding digits_mlp version 1 (no runs, no checkpoints).
QString makeProject(const QTemporaryDir& dir) {
    const QString file = dir.filePath("weights.strata");
    Document doc;
    const ModelSpec spec = test::example("digits_mlp");
    doc.setModel(spec, {}, false);
    doc.saveAs(file, "first");
    return file;
}

std::vector<storage::CheckpointInfo> checkpointsOf(const QString& file, const std::string& model) {
    const storage::Project p = storage::Project::open(file.toStdString(), storage::OpenMode::ReadOnly);
    return storage::CheckpointStore(p).list({p.model(model).id, std::nullopt, std::nullopt});
}

// Bit-for-bit equality of two weight maps, or the first difference.
QString diff(const std::map<std::string, Tensor>& got, const std::map<std::string, Tensor>& want) {
    if (got.size() != want.size()) return QString("%1 variables instead of %2").arg(got.size()).arg(want.size());
    for (const auto& [path, t] : want) {
        const auto it = got.find(path);
        if (it == got.end()) return QString("%1 is missing").arg(path.c_str());
        if (it->second.shape() != t.shape() || std::memcmp(it->second.bytes(), t.bytes(), t.byteSize()) != 0)
            return QString("%1 differs").arg(path.c_str());
    }
    return {};
}

} // namespace

class TestGuiWeights : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { test::isolateUserFolders(); }

    void importedWeightsAreSavedWithTheVersionAndComeBack() {
        QTemporaryDir dir;
        const QString file = makeProject(dir);
        const auto original = Model::fromSpec(test::example("two_branch"));
        original->build(5);
        const std::string onnx = dir.filePath("two_branch.onnx").toStdString();
        storage::writeOnnxModel(*original, onnx);

        std::map<std::string, Tensor> imported;
        {
            MainWindow w;
            w.setInteractive(false);
            QVERIFY(w.openProject(file));
            QVERIFY(w.importOnnxFile(QString::fromStdString(onnx)));
            const ModelSpec spec = w.document()->model()->state().spec;
            imported = *w.trainPanel()->trainedWeights(spec);
            QVERIFY(checkpointsOf(file, "digits_mlp").empty());
            QVERIFY(w.save());
            QVERIFY2(w.statusBar()->currentMessage().contains("with its weights"), qPrintable(w.statusBar()->currentMessage()));
            const auto stored = checkpointsOf(file, "two_branch");
            QCOMPARE(stored.size(), std::size_t(1));
            QVERIFY(stored[0].keep);
            QVERIFY(!stored[0].runId);
            QCOMPARE(stored[0].modelVersionId, w.document()->version()->id);
            QVERIFY(w.save()); // a second version: the weights go with it too, once
            QCOMPARE(checkpointsOf(file, "two_branch").size(), std::size_t(2));
        }
        MainWindow reopened; // a new window, as after a restart
        reopened.setInteractive(false);
        QVERIFY(reopened.openProject(file));
        QCOMPARE(reopened.document()->modelName(), std::string("two_branch"));
        const auto* weights = reopened.trainPanel()->trainedWeights(reopened.document()->model()->state().spec);
        QVERIFY2(weights, "the reopened version has no weights");
        const QString d = diff(*weights, imported);
        QVERIFY2(d.isEmpty(), qPrintable(d));
        for (const Variable* v : original->variables()) QVERIFY(weights->count(v->path()));
    }

    void unrecordedRunIsSavedAndARecordedRunIsFound() {
        QTemporaryDir dir;
        const QString file = makeProject(dir);
        std::map<std::string, Tensor> trained;
        {
            MainWindow w;
            w.setInteractive(false);
            QVERIFY(w.openProject(file));
            TrainPanel* t = w.trainPanel();
            const ModelSpec spec = w.document()->model()->state().spec;
            QVERIFY(!t->trainedWeights(spec)); // version 1 has no checkpoint
            t->setDataset("digits");
            t->setEpochs(1);
            t->setRecordInProject(false);
            QSignalSpy done(t, &TrainPanel::trainingFinished);
            t->train();
            QVERIFY(done.wait(120000));
            QVERIFY(done.takeFirst().at(0).toBool());
            trained = *t->trainedWeights(spec);
            QVERIFY(checkpointsOf(file, "digits_mlp").empty()); // not recorded
            QVERIFY(w.save());
            QCOMPARE(checkpointsOf(file, "digits_mlp").size(), std::size_t(1));

            // A recorded run: its own checkpoints hold the weights, and reopening the version it
            // trained finds them (nothing is stored besides).
            t->setRecordInProject(true);
            t->train();
            QVERIFY(done.wait(120000));
            QVERIFY(done.takeFirst().at(0).toBool());
            trained = *t->trainedWeights(spec);
        }
        const std::size_t afterRun = checkpointsOf(file, "digits_mlp").size();
        QVERIFY(afterRun >= 2);
        MainWindow reopened;
        reopened.setInteractive(false);
        QVERIFY(reopened.openProject(file));
        const auto* weights = reopened.trainPanel()->trainedWeights(reopened.document()->model()->state().spec);
        QVERIFY2(weights, "the reopened version has no weights");
        const QString d = diff(*weights, trained); // the newest checkpoint: the recorded run's last
        QVERIFY2(d.isEmpty(), qPrintable(d));
        QCOMPARE(checkpointsOf(file, "digits_mlp").size(), afterRun);
    }
};

QTEST_MAIN(TestGuiWeights)
#include "tst_gui_weights.moc"
