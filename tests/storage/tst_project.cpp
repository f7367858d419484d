// The project file: creation (header, WAL, foreign keys), models and versions with layout and
// note, datasets, runs and metrics, traced graphs; and every way a file can fail to be a usable
// project, each a StorageError naming the file, never a crash.
#include "StorageTestUtil.h"

#include "storage/Schema.h"
#include "storage/Sha256.h"
#include "storage/StorageError.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace strata;
using namespace strata::storage;
namespace fs = std::filesystem;

namespace {
// Expects `f` to throw StorageError whose message contains every fragment.
template <class F>
QString expectStorageError(F&& f, std::initializer_list<const char*> fragments) {
    try {
        f();
    } catch (const StorageError& e) {
        const QString msg = QString::fromUtf8(e.what());
        for (const char* frag : fragments)
            if (!msg.contains(QString::fromUtf8(frag))) return "message lacks '" + QString(frag) + "': " + msg;
        return {};
    } catch (const std::exception& e) {
        return QString("wrong exception type: ") + e.what();
    }
    return "no exception";
}
} // namespace

class TestProject : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    fs::path file(const char* name) const { return fs::path(dir_.path().toStdString()) / name; }

private slots:
    void createsAProjectWithHeaderWalAndForeignKeys() {
        const fs::path f = file("new.strata");
        Project p = Project::open(f, OpenMode::Create);
        QCOMPARE(p.schemaVersion(), kSchemaVersion);
        Database& db = p.database();
        QCOMPARE(db.queryInt("PRAGMA application_id"), int64_t(kApplicationId));
        QCOMPARE(db.queryInt("PRAGMA user_version"), int64_t(kSchemaVersion));
        QCOMPARE(db.queryInt("PRAGMA foreign_keys"), int64_t(1));
        QCOMPARE(db.queryInt("PRAGMA page_size"), int64_t(kPageSize));
        Statement jm(db, "PRAGMA journal_mode");
        QVERIFY(jm.step());
        QCOMPARE(QString::fromStdString(jm.columnText(0)), QString("wal"));
        QCOMPARE(p.integrityCheck(), std::vector<std::string>{"ok"});
        QVERIFY(p.models().empty());
    }

    void reopensWhatWasSaved() {
        const fs::path f = file("models.strata");
        const ModelSpec spec = testutil::example("digits_mlp.json");
        {
            Project p = Project::open(f, OpenMode::Create);
            ModelVersion v1 = p.saveVersion("digits", spec, {{"nodes", {{"dense_1", {{"x", 10}, {"y", 20}}}}}}, "first");
            QCOMPARE(v1.version, 1);
            ModelVersion v2 = p.saveVersion("digits", spec, nlohmann::json::object(), "second");
            QCOMPARE(v2.version, 2);
            p.saveVersion("other", testutil::example("two_branch.json"));
            p.setLayout(v2.id, {{"zoom", 1.5}});
            QCOMPARE(p.version(v2.id).layout["zoom"].get<double>(), 1.5);
        }
        Project p = Project::open(f, OpenMode::ReadOnly);
        const auto models = p.models();
        QCOMPARE(int(models.size()), 2);
        QCOMPARE(QString::fromStdString(models[0].name), QString("digits"));
        QCOMPARE(models[0].versionCount, 2);
        QCOMPARE(models[0].latestVersion, 2);
        const auto versions = p.versions(models[0].id);
        QCOMPARE(int(versions.size()), 2);
        QCOMPARE(versions[0].layout["nodes"]["dense_1"]["x"].get<int>(), 10);
        QCOMPARE(QString::fromStdString(versions[0].note), QString("first"));
        QVERIFY(versions[0].spec.toJson() == spec.toJson());
        QVERIFY(!versions[1].createdAt.empty());
        QCOMPARE(p.version(versions[1].id).version, 2);
        QVERIFY_THROWS_EXCEPTION(StorageError, p.setLayout(versions[1].id, {{"zoom", 2}})); // read-only
        QCOMPARE(QString::fromStdString(p.model("digits").name), QString("digits"));
        QCOMPARE(expectStorageError([&] { p.model(""); }, {"several models", "digits", "other"}), QString());
        QCOMPARE(expectStorageError([&] { p.model("nope"); }, {"no model named 'nope'", "digits"}), QString());
    }

    void ensureVersionReusesAnUnchangedSpec() {
        Project p = Project::open(file("ensure.strata"), OpenMode::Create);
        const ModelSpec spec = testutil::example("digits_mlp.json");
        const auto a = p.ensureVersion("m", spec);
        const auto b = p.ensureVersion("m", spec);
        QCOMPARE(a.id, b.id);
        const auto c = p.ensureVersion("m", testutil::example("fashion_mlp.json"));
        QCOMPARE(c.version, 2);
    }

    void datasetsAreStoredByBytesOrByPathAndHash() {
        Project p = Project::open(file("data.strata"), OpenMode::Create);
        const fs::path small = file("small.csv"), large = file("large.csv");
        testutil::writeText(small, "1,2,3\n");
        testutil::writeText(large, std::string(3000, 'x'));
        const DatasetInfo s = p.addDatasetFile("small", small, 1024);
        const DatasetInfo l = p.addDatasetFile("large", large, 1024);
        QCOMPARE(QString::fromStdString(s.source), QString("bytes"));
        QCOMPARE(QString::fromStdString(l.source), QString("file"));
        QCOMPARE(l.size, int64_t(3000));
        QCOMPARE(QString::fromStdString(l.sha256), QString::fromStdString(Sha256::hexOfFile(large)));
        const auto bytes = p.datasetBytes(s.id);
        QCOMPARE(std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()), std::string("1,2,3\n"));
        QVERIFY(p.datasetBytes(l.id).empty());
        QCOMPARE(p.addDatasetFile("small", small, 1024).id, s.id); // same content: same row
        const DatasetInfo b = p.addBuiltinDataset("digits", "abc", 42);
        QCOMPARE(QString::fromStdString(b.source), QString("builtin"));
        QCOMPARE(int(p.datasets().size()), 3);
    }

    void runsMetricsAndTracedGraphsRoundTrip() {
        Project p = Project::open(file("runs.strata"), OpenMode::Create);
        const auto v = p.saveVersion("m", testutil::example("digits_mlp.json"));
        const int64_t run = p.beginRun({v.id, std::nullopt, {{"epochs", 3}}, 7, "cpu"});
        QCOMPARE(QString::fromStdString(p.run(run).status), QString("running"));
        const std::vector<Metric> ms = {{"step", 1, "loss", 2.5}, {"step", 2, "loss", 2.0},
                                        {"epoch", 1, "val_loss", std::nan("")}};
        p.addMetrics(run, ms);
        QCOMPARE(int(p.metrics(run, "step").size()), 2);
        QVERIFY(std::isnan(p.metrics(run, "epoch")[0].value));
        p.updateRun(run, "completed", {{"test_loss", 0.1}});
        p.updateRun(run, "completed", {{"steps", 2}});
        const RunInfo r = p.run(run);
        QCOMPARE(QString::fromStdString(r.status), QString("completed"));
        QVERIFY(!r.endedAt.empty());
        QCOMPARE(r.result["test_loss"].get<double>(), 0.1); // results merge
        QCOMPARE(r.result["steps"].get<int>(), 2);
        QCOMPARE(r.seed, uint64_t(7));
        QCOMPARE(p.latestRun(v.modelId)->id, run);
        p.saveTracedGraph(v.id, "[(32, 64)] training", {{"nodes", 3}});
        p.saveTracedGraph(v.id, "[(32, 64)] training", {{"nodes", 4}}); // ignored: one per signature
        const auto graphs = p.tracedGraphs(v.id);
        QCOMPARE(int(graphs.size()), 1);
        QCOMPARE(graphs[0].graph["nodes"].get<int>(), 3);
    }

    void aFailedWriteLeavesNothingBehind() {
        Project p = Project::open(file("atomic.strata"), OpenMode::Create);
        const auto v = p.saveVersion("m", testutil::example("digits_mlp.json"));
        const int64_t run = p.beginRun({v.id, std::nullopt, {}, 0, "cpu"});
        // The second metric violates the scope CHECK: the whole batch is rolled back.
        const std::vector<Metric> ms = {{"step", 1, "loss", 1.0}, {"bogus", 2, "loss", 1.0}};
        QVERIFY_THROWS_EXCEPTION(StorageError, p.addMetrics(run, ms));
        QVERIFY(p.metrics(run, "step").empty());
        QCOMPARE(p.database().transactionDepth(), 0);
    }

    // ---- defensive opening

    void missingFileIsNamed() {
        QCOMPARE(expectStorageError([&] { Project::open(file("absent.strata"), OpenMode::ReadOnly); },
                                    {"absent.strata", "no such project file"}), QString());
        QCOMPARE(expectStorageError([&] { Project::open(file("absent.strata"), OpenMode::ReadWrite); },
                                    {"no such project file"}), QString());
        QVERIFY(!fs::exists(file("absent.strata")));
    }

    void aTextFileIsNotAProject() {
        testutil::writeText(file("notes.strata"), "these are my notes, not a database\n");
        QCOMPARE(expectStorageError([&] { Project::open(file("notes.strata"), OpenMode::Create); },
                                    {"notes.strata", "not a Strata project", "not an SQLite database"}), QString());
    }

    void anotherSqliteDatabaseIsNotAProject() {
        const fs::path f = file("other.db");
        {
            Database db(f, false, true);
            db.exec("CREATE TABLE contacts(name TEXT)");
        }
        QCOMPARE(expectStorageError([&] { Project::open(f, OpenMode::Create); }, {"other.db", "not a Strata project"}), QString());
        testutil::sql(f, "PRAGMA application_id = 1234");
        QCOMPARE(expectStorageError([&] { Project::open(f, OpenMode::ReadWrite); }, {"application id 0x000004D2", "another program"}),
                 QString());
    }

    void aNewerSchemaIsRefusedWithAHint() {
        const fs::path f = file("future.strata");
        Project::open(f, OpenMode::Create);
        testutil::sql(f, "PRAGMA user_version = 99");
        QCOMPARE(expectStorageError([&] { Project::open(f, OpenMode::ReadWrite); },
                                    {"future.strata", "newer Strata", "schema version 99", "up to 2"}), QString());
    }

    void anEmptyFileIsCreatedOnlyWhenAsked() {
        const fs::path f = file("empty.strata");
        testutil::writeText(f, "");
        QCOMPARE(expectStorageError([&] { Project::open(f, OpenMode::ReadOnly); }, {"empty.strata", "empty database"}), QString());
        Project p = Project::open(f, OpenMode::Create); // an interrupted creation is finished
        QCOMPARE(p.schemaVersion(), kSchemaVersion);
    }

    void aTruncatedFileIsReportedAsTruncated() {
        const fs::path f = file("cut.strata");
        {
            Project p = Project::open(f, OpenMode::Create);
            for (int i = 0; i < 20; ++i) p.saveVersion("m" + std::to_string(i), testutil::example("two_branch.json"));
        }
        QVERIFY(!fs::exists(f.string() + "-wal") || fs::file_size(f.string() + "-wal") == 0);
        const auto size = fs::file_size(f);
        QVERIFY(size > uintmax_t(2 * kPageSize));
        fs::resize_file(f, size / 2 + 10);
        QCOMPARE(expectStorageError([&] { Project::open(f, OpenMode::ReadWrite); }, {"cut.strata", "truncated"}), QString());
        fs::resize_file(f, 50);
        QCOMPARE(expectStorageError([&] { Project::open(f, OpenMode::ReadWrite); }, {"cut.strata", "truncated"}), QString());
    }

    void corruptedPagesGiveAnErrorNotACrash() {
        const fs::path f = file("garbage.strata");
        {
            Project p = Project::open(f, OpenMode::Create);
            for (int i = 0; i < 20; ++i) p.saveVersion("m" + std::to_string(i), testutil::example("two_branch.json"));
        }
        // Overwrite everything after the first page (the schema's pages included) with noise.
        std::fstream io(f, std::ios::in | std::ios::out | std::ios::binary);
        io.seekp(kPageSize);
        const std::size_t noise = std::size_t(fs::file_size(f)) - std::size_t(kPageSize);
        for (std::size_t i = 0; i < noise; ++i) io.put(char(i * 131 + 7));
        io.close();
        bool reported = false;
        try {
            Project p = Project::open(f, OpenMode::ReadWrite);
            for (const auto& m : p.models()) p.versions(m.id);
            reported = p.integrityCheck() != std::vector<std::string>{"ok"};
        } catch (const StrataError& e) {
            reported = QString(e.what()).contains("garbage.strata");
        }
        QVERIFY(reported);
    }

    void aFolderIsNotAProjectFile() {
        QCOMPARE(expectStorageError([&] { Project::open(dir_.path().toStdString(), OpenMode::Create); }, {"is a folder"}), QString());
    }

    void aMissingTableIsCorruption() {
        const fs::path f = file("dropped.strata");
        Project::open(f, OpenMode::Create);
        testutil::sql(f, "DROP TABLE traced_graphs");
        QCOMPARE(expectStorageError([&] { Project::open(f, OpenMode::ReadOnly); }, {"dropped.strata", "corrupted", "traced_graphs"}),
                 QString());
    }
};

QTEST_GUILESS_MAIN(TestProject)
#include "tst_project.moc"
