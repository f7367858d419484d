// Projects: saving versions through storage/, reopening, import/export, recovery, the example project.
#include <QTest>

#include "GuiTestSupport.h"

#include "app/gui/project/Document.h"
#include "app/gui/project/ExampleProject.h"
#include "app/gui/project/RecoveryFile.h"
#include "app/gui/project/VersionWeights.h"

#include "engine/Error.h"
#include "storage/CheckpointStore.h"
#include "storage/Project.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>

using namespace strata;
using namespace strata::gui;

class TestProject : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { test::isolateUserFolders(); }

    void saveThenReopenGivesTheSameSpecAndLayout() {
        QTemporaryDir dir;
        QString path = dir.filePath("work.strata");
        Document doc;
        doc.setModel(test::example("two_branch"), {}, false);
        std::string added;
        doc.editor()->addNode("Dense", {300, 500}, &added);
        doc.editor()->connect("probs", added, 0);
        doc.editor()->setConfig(added, "units", 3);
        doc.editor()->moveNodes({{"wide", QPointF(-123.5, 77.25)}});
        std::string blk;
        QVERIFY(doc.editor()->groupIntoBlock({"deep_1", "deep_2"}, &blk).isEmpty());
        QVERIFY(doc.isDirty());
        QVERIFY(doc.title().endsWith("*"));
        VersionInfo v1 = doc.saveAs(path, "first");
        QCOMPARE(v1.number, 1);
        QVERIFY(!doc.isDirty());
        QVERIFY(!doc.title().endsWith("*"));
        const std::string spec = doc.model()->state().spec.toJson().dump();
        const std::string layout = doc.layout().dump();

        Document reopened;
        reopened.openProject(path);
        QCOMPARE(reopened.modelName(), std::string("two_branch"));
        QCOMPARE(reopened.model()->state().spec.toJson().dump(), spec);
        QCOMPARE(reopened.layout().dump(), layout);
        QVERIFY(sameSpec(reopened.model()->state().spec, doc.model()->state().spec));
        QCOMPARE(reopened.model()->position("wide"), QPointF(-123.5, 77.25));
        QVERIFY(!reopened.isDirty());
    }

    void everySaveIsANewVersionAndOldOnesOpen() {
        QTemporaryDir dir;
        Document doc;
        doc.setModel(test::example("digits_mlp"), {}, false);
        doc.saveAs(dir.filePath("v.strata"), "v1");
        QSignalSpy versions(&doc, &Document::versionsChanged);
        doc.editor()->setConfig("dense_1", "units", 64);
        VersionInfo v2 = doc.save("wider");
        QCOMPARE(v2.number, 2);
        QCOMPARE(versions.count(), 1);
        auto list = doc.store()->versions("digits_mlp");
        QCOMPARE(int(list.size()), 2);
        QCOMPARE(list[1].note, QString("wider"));
        doc.openModel("digits_mlp", list[0].id);
        QVERIFY(doc.model()->layer("dense_1")->config["units"] == nlohmann::json(32));
        QCOMPARE(doc.version()->number, 1);
    }

    // Save As writes the whole project to the new file: runs and checkpoints come along (the old
    // file is untouched), and the new file gets the new version.
    void saveAsCopiesRunsAndCheckpoints() {
        QTemporaryDir dir;
        Document doc;
        doc.setModel(test::example("digits_mlp"), {}, false);
        const VersionInfo v1 = doc.saveAs(dir.filePath("first.strata"), "v1");
        int64_t runId = 0;
        {
            storage::Project p = storage::Project::open(dir.filePath("first.strata").toStdString(), storage::OpenMode::ReadWrite);
            storage::NewRun run;
            run.modelVersionId = v1.id;
            runId = p.beginRun(run);
            p.updateRun(runId, "completed", {{"test_accuracy", 0.97}});
        }
        const int64_t checkpoint = storeVersionWeights(dir.filePath("first.strata"), v1.id, {{"model/dense_1/bias", Tensor(Shape{32})}});
        doc.editor()->setConfig("dense_1", "units", 48);
        const VersionInfo v2 = doc.saveAs(dir.filePath("second.strata"), "wider");
        QCOMPARE(doc.filePath(), dir.filePath("second.strata"));
        QCOMPARE(v2.number, 2);
        const storage::Project copy = storage::Project::open(dir.filePath("second.strata").toStdString(), storage::OpenMode::ReadOnly);
        QCOMPARE(copy.runs().size(), std::size_t(1));
        QCOMPARE(copy.run(runId).status, std::string("completed"));
        QCOMPARE(storage::CheckpointStore(copy).get(checkpoint).modelVersionId, v1.id);
        QVERIFY(latestVersionWeights(dir.filePath("second.strata"), v1.id));
        const storage::Project first = storage::Project::open(dir.filePath("first.strata").toStdString(), storage::OpenMode::ReadOnly);
        QCOMPARE(first.versions(first.model("digits_mlp").id).size(), std::size_t(1)); // untouched
        QVERIFY_THROWS_EXCEPTION(std::exception, copy.copyTo(dir.filePath("second.strata").toStdString())); // onto itself
    }

    void importAndExportSpecJson() {
        QTemporaryDir dir;
        Document doc;
        doc.importSpec(test::resources() + "/examples/mnist_cnn.json");
        QCOMPARE(doc.modelName(), std::string("mnist_cnn"));
        QVERIFY(doc.isDirty()); // imported, not saved anywhere yet
        for (const auto& l : doc.model()->spec().layers) QVERIFY(doc.model()->state().positions.count(l.name)); // laid out
        QString out = dir.filePath("out.json");
        doc.exportSpec(out);
        ModelSpec back = ModelSpec::load(out.toStdString());
        QCOMPARE(back.toJson().dump(), test::example("mnist_cnn").toJson().dump());
        QVERIFY_THROWS_EXCEPTION(StrataError, doc.importSpec(dir.filePath("missing.json")));
        QCOMPARE(doc.modelName(), std::string("mnist_cnn")); // unchanged by the failure
    }

    void notAProjectIsAClearError() {
        QTemporaryDir dir;
        QString bogus = dir.filePath("bogus.strata");
        QFile f(bogus);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("this is not sqlite at all, just some text that is long enough to have a header........");
        f.close();
        Document doc;
        try {
            doc.openProject(bogus);
            QFAIL("opened a file that is not a project");
        } catch (const StrataError& e) {
            QVERIFY2(QString(e.what()).contains("bogus.strata"), e.what());
        }
    }

    void recoveryFileRoundTrips() {
        QTemporaryDir dir;
        RecoveryFile file(dir.filePath("recovery.json"));
        QVERIFY(!file.read());
        Document doc;
        doc.setModel(test::example("two_branch"), {}, false);
        doc.editor()->setConfig("wide", "units", 7);
        QVERIFY(file.write({"/some/project.strata", doc.modelName(), doc.model()->state().spec, doc.layout(), {}}));
        auto r = file.read();
        QVERIFY(r);
        QCOMPARE(r->projectPath, QString("/some/project.strata"));
        QCOMPARE(r->spec.toJson().dump(), doc.model()->state().spec.toJson().dump());
        QCOMPARE(r->layout.dump(), doc.layout().dump());
        file.remove();
        QVERIFY(!file.read());
    }

    void exampleProjectHoldsEveryExampleAndOpensOnTwoBranch() {
        QTemporaryDir dir;
        QString path = dir.filePath("examples.strata");
        ExampleProject::build(test::resources() + "/examples", path);
        Document doc;
        doc.openProject(path);
        QCOMPARE(doc.modelName(), std::string("two_branch"));
        auto names = doc.store()->modelNames();
        QVERIFY(names.size() >= 5);
        QVERIFY(doc.model()->rootInference().ok());
        QCOMPARE(doc.model()->state().spec.toJson().dump(), test::example("two_branch").toJson().dump());
        // The user's copy is made once and then reused.
        QString copy = ExampleProject::ensureUserCopy();
        QVERIFY(QFile::exists(copy));
        QCOMPARE(ExampleProject::ensureUserCopy(), copy);
    }
};

QTEST_MAIN(TestProject)
#include "tst_gui_project.moc"
