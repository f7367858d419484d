// Schema version 2 (issue 17): notes and tags on runs, and per-epoch variable histograms. A
// version-1 file is migrated when opened read-write and read as it is (notes, tags and histograms
// empty) when opened read-only; writing them there says why it cannot.
#include "StorageTestUtil.h"

#include "storage/Schema.h"
#include "storage/StorageError.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace strata;
using namespace strata::storage;
namespace fs = std::filesystem;

class TestProjectRunExtras : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    fs::path file(const char* name) const { return fs::path(dir_.path().toStdString()) / name; }

    // A project with one model version and one run, brought back to schema version 1 as a
    // Strata of that version wrote it (no run notes or tags, no histogram table).
    fs::path versionOneProject(const char* name) {
        const fs::path f = file(name);
        {
            Project p = Project::open(f, OpenMode::Create);
            const auto v = p.saveVersion("m", testutil::example("digits_mlp.json"));
            p.beginRun({v.id, std::nullopt, {{"epochs", 3}}, 7, "cpu"});
        }
        testutil::sql(f, "DROP TABLE variable_histograms");
        testutil::sql(f, "ALTER TABLE runs DROP COLUMN note");
        testutil::sql(f, "ALTER TABLE runs DROP COLUMN tags");
        testutil::sql(f, "PRAGMA user_version = 1");
        return f;
    }

private slots:
    void notesAndTagsRoundTrip() {
        Project p = Project::open(file("notes.strata"), OpenMode::Create);
        const auto v = p.saveVersion("m", testutil::example("digits_mlp.json"));
        const int64_t run = p.beginRun({v.id, std::nullopt, {}, 1, "cpu"});
        QCOMPARE(QString::fromStdString(p.run(run).note), QString());
        QVERIFY(p.run(run).tags.empty());
        p.setRunNote(run, "lr too high? loss jumps at epoch 40");
        p.setRunTags(run, {"baseline", "", "adam"}); // empty tags are dropped
        const RunInfo r = Project::open(file("notes.strata"), OpenMode::ReadOnly).run(run);
        QCOMPARE(QString::fromStdString(r.note), QString("lr too high? loss jumps at epoch 40"));
        QCOMPARE(r.tags, (std::vector<std::string>{"baseline", "adam"}));
        QVERIFY_THROWS_EXCEPTION(StorageError, p.setRunNote(run + 100, "x"));
    }

    void histogramsRoundTrip() {
        Project p = Project::open(file("hist.strata"), OpenMode::Create);
        const auto v = p.saveVersion("m", testutil::example("digits_mlp.json"));
        const int64_t run = p.beginRun({v.id, std::nullopt, {}, 1, "cpu"});
        std::vector<VariableHistogram> hs;
        for (int64_t epoch : {1, 2})
            for (const char* kind : {"value", "gradient"})
                hs.push_back({epoch, "dense/kernel", kind, 10, 1, -0.5, 0.5 * double(epoch), 0.1, 0.2, {1, 2, 3, 4}});
        hs.push_back({1, "dense/bias", "value", 4, 0, 0, 0, 0, 0, {4, 0, 0, 0}});
        p.addHistograms(run, hs);
        const auto all = p.histograms(run);
        QCOMPARE(int(all.size()), 5);
        const auto kernel = p.histograms(run, std::string("dense/kernel"));
        QCOMPARE(int(kernel.size()), 4);
        QCOMPARE(QString::fromStdString(kernel[0].kind), QString("gradient")); // by key, kind, epoch
        QCOMPARE(kernel[3].epoch, int64_t(2));
        QCOMPARE(kernel[3].max, 1.0);
        QCOMPARE(kernel[3].bins, (std::vector<uint32_t>{1, 2, 3, 4}));
        QCOMPARE(kernel[3].nonFinite, int64_t(1));
        QCOMPARE(p.histogramKeys(run), (std::vector<std::string>{"dense/bias", "dense/kernel"}));
        QVERIFY_THROWS_EXCEPTION(StorageError, p.addHistograms(run, std::vector<VariableHistogram>{{1, "k", "weights", 0, 0, 0, 0, 0, 0, {}}}));
    }

    // A damaged histogram row (bytes that are no whole number of counts) is named, not a crash.
    void aDamagedHistogramIsNamed() {
        Project p = Project::open(file("damaged.strata"), OpenMode::Create);
        const auto v = p.saveVersion("m", testutil::example("digits_mlp.json"));
        const int64_t run = p.beginRun({v.id, std::nullopt, {}, 1, "cpu"});
        p.addHistograms(run, std::vector<VariableHistogram>{{3, "dense/kernel", "value", 1, 0, 1, 1, 1, 0, {1}}});
        testutil::sql(file("damaged.strata"), "UPDATE variable_histograms SET bins = x'010203'");
        try {
            p.histograms(run);
            QFAIL("read");
        } catch (const StorageError& e) {
            QVERIFY2(QString(e.what()).contains("the histogram of 'dense/kernel' at epoch 3 of run 1 has 3 bytes"), e.what());
        }
    }

    void aVersionOneFileReadsReadOnlyAndMigratesReadWrite() {
        const fs::path f = versionOneProject("v1.strata");
        {
            Project p = Project::open(f, OpenMode::ReadOnly);
            QCOMPARE(p.schemaVersion(), 1);
            QCOMPARE(int(p.runs().size()), 1);
            QVERIFY(p.runs()[0].note.empty());
            QVERIFY(p.histograms(p.runs()[0].id).empty());
        }
        {
            Project p = Project::open(f, OpenMode::ReadWrite);
            QCOMPARE(p.schemaVersion(), kSchemaVersion);
            const int64_t run = p.runs()[0].id;
            p.setRunNote(run, "migrated");
            p.addHistograms(run, std::vector<VariableHistogram>{{1, "k", "value", 1, 0, 1, 1, 1, 0, {1}}});
            QCOMPARE(QString::fromStdString(p.run(run).note), QString("migrated"));
            QCOMPARE(int(p.histograms(run).size()), 1);
        }
    }

    void writingNotesIntoAReadOnlyVersionOneFileSaysWhy() {
        const fs::path f = versionOneProject("v1ro.strata");
        Project p = Project::open(f, OpenMode::ReadOnly);
        try {
            p.setRunNote(p.runs()[0].id, "x");
            QFAIL("written");
        } catch (const StorageError& e) {
            QVERIFY2(QString(e.what()).contains("has project schema version 1 (opened read-only, so not migrated)"), e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestProjectRunExtras)
#include "tst_project_run_extras.moc"
