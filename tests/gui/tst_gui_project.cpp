// Projects: saving versions through storage/, reopening, import/export, recovery, the example
// project, and Save As onto a file that exists (add to it, replace it, cancel, not a project).
#include <QTest>

#include "GuiTestSupport.h"

#include "app/gui/MainWindow.h"
#include "app/gui/project/Document.h"
#include "app/gui/project/ExampleProject.h"
#include "app/gui/project/RecoveryFile.h"
#include "app/gui/project/SaveAsQuestion.h"
#include "app/gui/project/VersionWeights.h"

#include "engine/Error.h"
#include "storage/CheckpointStore.h"
#include "storage/Project.h"

#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>

#include <optional>

using namespace strata;
using namespace strata::gui;

namespace {

// A closed project at `path` holding `example` (saved `versions` times) and `runs` runs of it.
void makeProject(const QString& path, const QString& example, int versions, int runs) {
    int64_t versionId = 0;
    {
        Document doc;
        doc.setModel(test::example(example), {}, false);
        versionId = doc.saveAs(path, "v1").id;
        for (int v = 2; v <= versions; ++v) {
            QVERIFY(doc.editor()->setConfig(example == "two_branch" ? "wide" : "dense_1", "units", 5 + v).isEmpty());
            versionId = doc.save("v" + std::to_string(v)).id;
        }
    }
    storage::Project p = storage::Project::open(path.toStdString(), storage::OpenMode::ReadWrite);
    for (int r = 0; r < runs; ++r) {
        storage::NewRun run;
        run.modelVersionId = versionId;
        p.updateRun(p.beginRun(run), "completed", {{"test_accuracy", 0.5}});
    }
}

QByteArray bytes(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// Model name -> number of versions, and the number of runs, of the project at `path`.
struct Contents {
    std::map<std::string, std::size_t> versions;
    std::size_t runs = 0;
};
Contents contents(const QString& path) {
    const storage::Project p = storage::Project::open(path.toStdString(), storage::OpenMode::ReadOnly);
    Contents c;
    for (const auto& m : p.models()) c.versions[m.name] = p.versions(m.id).size();
    c.runs = p.runs().size();
    return c;
}

// Files in `dir` other than the project files themselves and SQLite's logs of open ones.
QStringList strayFiles(const QString& dir) {
    QStringList out;
    for (const QString& f : QDir(dir).entryList(QDir::Files | QDir::Hidden))
        if (!f.endsWith(".strata") && !f.endsWith(".strata-wal") && !f.endsWith(".strata-shm")) out << f;
    return out;
}

// A main window on an unsaved digits_mlp that answers Save As's question with `answer`,
// keeping the question asked.
struct Window {
    MainWindow w;
    std::optional<SaveAsQuestion> asked;
    explicit Window(SaveAsAnswer answer) {
        w.setInteractive(false);
        w.document()->setModel(test::example("digits_mlp"), {}, true);
        w.setSaveAsAnswer([this, answer](const SaveAsQuestion& q) {
            asked = q;
            return answer;
        });
    }
};

} // namespace

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

    // An unsaved model saved onto a project, answered "Add to it", joins its models; its runs stay.
    void saveAsAddsAnUnsavedModelToAProjectWhenAskedTo() {
        QTemporaryDir dir;
        const QString path = dir.filePath("shared.strata");
        makeProject(path, "two_branch", 1, 1);
        Window win(SaveAsAnswer::AddTo);
        QVERIFY(win.w.saveAsFile(path));
        QVERIFY(win.asked.has_value());
        QCOMPARE(win.asked->file, path);
        QVERIFY2(win.asked->text == "shared.strata already exists (a Strata project with 1 model, 1 run).", qPrintable(win.asked->text));
        QVERIFY(win.asked->canAddTo);
        QVERIFY2(win.asked->details.contains("Add to it: 'digits_mlp' becomes one more model") &&
                     win.asked->details.contains("Replace: the file then holds 'digits_mlp' alone; its 1 model and 1 run are deleted"),
                 qPrintable(win.asked->details));
        const Contents c = contents(path);
        QCOMPARE(c.versions, (std::map<std::string, std::size_t>{{"two_branch", 1}, {"digits_mlp", 1}}));
        QCOMPARE(c.runs, std::size_t(1));
        QCOMPARE(win.w.document()->filePath(), path);
        QVERIFY(!win.w.document()->isDirty());
        QCOMPARE(win.w.document()->modelName(), std::string("digits_mlp"));
    }

    // "Replace": the file then holds only the new model's version; the old models and runs are gone,
    // and no temporary file is left beside it.
    void saveAsReplacesAProjectWithTheUnsavedModelWhenAskedTo() {
        QTemporaryDir dir;
        const QString path = dir.filePath("old.strata");
        makeProject(path, "two_branch", 2, 2);
        QCOMPARE(contents(path).runs, std::size_t(2));
        Window win(SaveAsAnswer::Replace);
        QVERIFY(win.w.saveAsFile(dir.filePath("old"))); // ".strata" added
        QVERIFY(win.asked.has_value());
        QVERIFY2(win.asked->text.contains("(a Strata project with 1 model, 2 runs)"), qPrintable(win.asked->text));
        const Contents c = contents(path);
        QCOMPARE(c.versions, (std::map<std::string, std::size_t>{{"digits_mlp", 1}}));
        QCOMPARE(c.runs, std::size_t(0));
        QCOMPARE(win.w.document()->filePath(), path);
        QCOMPARE(win.w.document()->version()->number, 1);
        QVERIFY(!win.w.document()->isDirty());
        QVERIFY2(strayFiles(dir.path()).isEmpty(), qPrintable(strayFiles(dir.path()).join(", ")));
        // The replaced file is an ordinary project: saving again adds version 2 there.
        win.w.document()->editor()->setConfig("dense_1", "units", 20);
        QVERIFY(win.w.save());
        QCOMPARE(contents(path).versions.at("digits_mlp"), std::size_t(2));
    }

    // Cancel (and a window that is not interactive and has no answer) leaves the file byte for byte
    // and the model unsaved.
    void cancellingSaveAsLeavesTheFileUntouched() {
        QTemporaryDir dir;
        const QString path = dir.filePath("keep.strata");
        makeProject(path, "two_branch", 2, 1);
        const QByteArray before = bytes(path);
        QVERIFY(!before.isEmpty());
        {
            MainWindow w;
            w.setInteractive(false);
            w.document()->setModel(test::example("digits_mlp"), {}, true);
            QVERIFY(!w.saveAsFile(path)); // no answer given: Cancel
            QVERIFY(w.document()->filePath().isEmpty());
        }
        Window win(SaveAsAnswer::Cancel);
        QVERIFY(!win.w.saveAsFile(path));
        QVERIFY(win.asked.has_value());
        QVERIFY(win.w.document()->filePath().isEmpty());
        QVERIFY(win.w.document()->isDirty());
        QVERIFY(bytes(path) == before);
        const Contents c = contents(path);
        QCOMPARE(c.versions, (std::map<std::string, std::size_t>{{"two_branch", 2}}));
        QCOMPARE(c.runs, std::size_t(1));
    }

    // An open project saved onto another one is offered Replace only: it becomes a copy of the open
    // project (its runs included) with the new version; the file's own models and runs are gone.
    void anOpenProjectIsOfferedReplaceOnly() {
        QTemporaryDir dir;
        const QString mine = dir.filePath("mine.strata"), theirs = dir.filePath("theirs.strata");
        makeProject(mine, "digits_mlp", 1, 1);
        makeProject(theirs, "two_branch", 1, 2);
        const QByteArray before = bytes(theirs);
        Window win(SaveAsAnswer::AddTo); // not offered: read as Cancel
        QVERIFY(win.w.openProject(mine));
        QVERIFY(!win.w.saveAsFile(theirs));
        QVERIFY(win.asked.has_value());
        QVERIFY(!win.asked->canAddTo);
        QVERIFY2(!win.asked->details.contains("Add to it"), qPrintable(win.asked->details));
        QVERIFY2(win.asked->details.contains("Replace: the file becomes a copy of mine.strata"), qPrintable(win.asked->details));
        QVERIFY(bytes(theirs) == before);
        QCOMPARE(win.w.document()->filePath(), mine);

        win.w.setSaveAsAnswer([](const SaveAsQuestion&) { return SaveAsAnswer::Replace; });
        QVERIFY(win.w.saveAsFile(theirs));
        const Contents c = contents(theirs);
        QCOMPARE(c.versions, (std::map<std::string, std::size_t>{{"digits_mlp", 2}}));
        QCOMPARE(c.runs, std::size_t(1));
        QCOMPARE(win.w.document()->filePath(), theirs);
        QCOMPARE(contents(mine).versions.at("digits_mlp"), std::size_t(1)); // the open project's file is untouched
        // Saving onto the open project's own file is a plain save: nothing to ask.
        win.asked.reset();
        QVERIFY(win.w.saveAsFile(theirs));
        QVERIFY(!win.asked.has_value());
        QCOMPARE(contents(theirs).versions.at("digits_mlp"), std::size_t(3));
    }

    // A file that is not a project is named as such and offered Replace and Cancel; a replacement
    // that cannot be made keeps the model unsaved and the file as it was.
    void saveAsOntoAFileThatIsNotAProjectSaysSo() {
        QTemporaryDir dir;
        const QString path = dir.filePath("notes.strata");
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("shopping list: eggs, flour\n");
        f.close();
        const QByteArray before = bytes(path);
        Window win(SaveAsAnswer::AddTo); // not offered: read as Cancel
        QVERIFY(!win.w.saveAsFile(path));
        QVERIFY(win.asked.has_value());
        QVERIFY(!win.asked->canAddTo);
        QVERIFY2(win.asked->text.startsWith("notes.strata already exists and is not a readable Strata project: ") &&
                     win.asked->text.contains("not an SQLite database"),
                 qPrintable(win.asked->text));
        QVERIFY2(!win.asked->details.contains("Add to it") && win.asked->details.contains("Replace"), qPrintable(win.asked->details));
        QVERIFY(bytes(path) == before);

        // A folder by that name cannot be replaced by a file: the model stays unsaved, the folder as it was.
        const QString folder = dir.filePath("folder.strata");
        QVERIFY(QDir().mkpath(folder + "/inside"));
        win.w.setSaveAsAnswer([&win](const SaveAsQuestion& q) {
            win.asked = q;
            return SaveAsAnswer::Replace;
        });
        QVERIFY(!win.w.saveAsFile(folder));
        QVERIFY2(win.asked->text.contains("folder"), qPrintable(win.asked->text));
        QVERIFY(QFileInfo(folder + "/inside").isDir());
        QVERIFY(win.w.document()->filePath().isEmpty());
        QVERIFY(win.w.document()->isDirty());
        QVERIFY2(strayFiles(dir.path()).isEmpty(), qPrintable(strayFiles(dir.path()).join(", ")));

        QVERIFY(win.w.saveAsFile(path));
        const Contents c = contents(path);
        QCOMPARE(c.versions, (std::map<std::string, std::size_t>{{"digits_mlp", 1}}));
        QCOMPARE(win.w.document()->filePath(), path);
        QVERIFY(!win.w.document()->isDirty());
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
