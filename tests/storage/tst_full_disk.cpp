// Writes that fail (issue 19): a full disk, simulated for the real strata-cli with a file-size
// limit (RLIMIT_FSIZE, SIGXFSZ ignored: every write past it fails as on a full disk), and
// projects this user cannot write. Nothing is half written, nothing claims success, a run whose
// writes failed ends "failed", and a read-only project can still be inspected and predicted from.
#include "StorageTestUtil.h"

#include "storage/AtomicFolder.h"
#include "storage/Project.h"
#include "storage/StorageError.h"

#include "tests/support/RequiredTools.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <sys/resource.h>
#include <unistd.h>

using namespace strata;
using namespace strata::storage;
namespace fs = std::filesystem;

namespace {

struct Result {
    int code = -1;
    QString out, err;
};

// strata-cli with `args`; `fileLimit` > 0: no file it writes may grow past that many bytes.
Result cliProcess(const QString& bin, const QStringList& args, rlim_t fileLimit = 0) {
    QProcess p;
    if (fileLimit)
        p.setChildProcessModifier([fileLimit] {
            ::signal(SIGXFSZ, SIG_IGN);
            const rlimit l{fileLimit, fileLimit};
            ::setrlimit(RLIMIT_FSIZE, &l);
        });
    p.start(bin, args);
    if (!p.waitForFinished(180000)) return {};
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

} // namespace

class TestFullDisk : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    QString bin_, project_;

    QString path(const char* name) const { return dir_.filePath(name); }

private slots:
    void initTestCase() {
        bin_ = testutil::cliBinary();
        if (bin_.isEmpty()) STRATA_SKIP_UNLESS_REQUIRED("strata-cli binary not found next to the tests (set STRATA_CLI)");
        project_ = path("trained.strata");
        const Result r = cliProcess(bin_, {"train", QString::fromStdString(testutil::examplePath("digits_mlp.json")), "--data", "digits",
                                    "--epochs", "1", "--project", project_, "--quiet"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
    }

    // predict --output on a full disk: the old file stays as it was, no temporary is left, and the
    // message names the file and the system's reason.
    void predictOutputIsWholeOrUntouched() {
        std::string rows;
        for (int i = 0; i < 2000; ++i) {
            rows += "0";
            for (int c = 1; c < 64; ++c) rows += ",0.25";
            rows += "\n";
        }
        testutil::writeText(path("in.csv").toStdString(), rows);
        const QString out = dir_.filePath("out/predicted.csv");
        QVERIFY(QDir().mkpath(dir_.filePath("out")));
        testutil::writeText(out.toStdString(), "old\n");
        const Result r = cliProcess(bin_, {"predict", project_, "--input", path("in.csv"), "--output", out}, 16 << 10);
        QVERIFY2(r.code != 0, qPrintable(r.out));
        QVERIFY2(r.err.contains("write failed (File too large); " + out + " was left as it was"), qPrintable(r.err));
        QCOMPARE(QString::fromStdString(testutil::readText(out.toStdString())), QString("old\n"));
        QCOMPARE(QDir(dir_.filePath("out")).entryList(QDir::Files | QDir::Hidden), QStringList{"predicted.csv"});
        // With room, the same command writes it whole.
        const Result ok = cliProcess(bin_, {"predict", project_, "--input", path("in.csv"), "--output", out});
        QVERIFY2(ok.code == 0, qPrintable(ok.err));
        QCOMPARE(QString::fromStdString(testutil::readText(out.toStdString())).count('\n'), 2000);
    }

    // import --project that cannot commit: no "imported" line, and the project keeps what it had.
    void importThatCannotCommitSaysNothingWasImported() {
        const QString onnx = path("m.onnx");
        const Result e = cliProcess(bin_, {"export", project_, "--format", "onnx", "--out", onnx});
        QVERIFY2(e.code == 0, qPrintable(e.err));
        QVERIFY(QFile::copy(project_, path("target.strata")));
        // The write-ahead log cannot grow past its first page: the transaction cannot commit.
        const Result r = cliProcess(bin_, {"import", onnx, "--project", path("target.strata"), "--name", "again"}, 32 << 10);
        QVERIFY(r.code != 0);
        QVERIFY2(!r.out.contains("imported"), qPrintable(r.out));
        QVERIFY2(r.err.contains("target.strata"), qPrintable(r.err));
        const Project p = Project::open(path("target.strata").toStdString(), OpenMode::ReadOnly);
        QCOMPARE(int(p.models().size()), 1);
        QVERIFY(!p.findModel("again"));
    }

    // Training whose writes start failing: the command fails, and the run is not left "running"
    // (its process is gone: the next reader shows it failed and says why).
    void aRunWhoseWritesFailEndsFailed() {
        const QString P = path("limited.strata");
        const Result r = cliProcess(bin_, {"train", QString::fromStdString(testutil::examplePath("digits_mlp.json")), "--data", "digits",
                                    "--epochs", "300", "--project", P, "--quiet"},
                             3 << 20);
        QVERIFY2(r.code != 0, qPrintable(r.out));
        const Project p = Project::open(P.toStdString(), OpenMode::ReadWrite);
        const auto runs = p.runs();
        QCOMPARE(int(runs.size()), 1);
        QCOMPARE(QString::fromStdString(runs[0].status), QString("failed"));
        QVERIFY2(QString::fromStdString(runs[0].result.dump()).contains("interrupted") ||
                     QString::fromStdString(runs[0].result.dump()).contains("disk"),
                 runs[0].result.dump().c_str());
    }

    // A run left "running" by a process that is gone is failed; one of a live process is not.
    void interruptedRunsAreMarkedOnlyWhenTheirProcessIsGone() {
        QVERIFY(QFile::copy(project_, path("owners.strata")));
        const fs::path file = path("owners.strata").toStdString();
        testutil::sql(file, "UPDATE runs SET status = 'running', result = json_object('owner', json_object('pid', 999999999, 'host', '" +
                                std::string(QSysInfo::machineHostName().toStdString()) + "', 'start', 1))");
        {
            const Project p = Project::open(file, OpenMode::ReadOnly); // readers see it failed...
            QCOMPARE(QString::fromStdString(p.runs()[0].status), QString("failed"));
        }
        testutil::sql(file, "SELECT 1"); // ...and the file still says running until a writer opens it
        {
            const Project p = Project::open(file, OpenMode::ReadWrite);
        }
        {
            Database raw(file, true, false);
            QCOMPARE(raw.queryInt("SELECT count(*) FROM runs WHERE status = 'failed' AND result LIKE '%interrupted%'"), int64_t(1));
        }
        testutil::sql(file, "UPDATE runs SET status = 'running', result = json_object('owner', json_object('pid', " +
                                std::to_string(::getpid()) + ", 'host', '" + QSysInfo::machineHostName().toStdString() + "'))");
        const Project p = Project::open(file, OpenMode::ReadWrite);
        QCOMPARE(QString::fromStdString(p.runs()[0].status), QString("running")); // this test process is alive
    }

    // A project in a folder this user cannot write opens read-only for inspect. As root (CI),
    // whom no permission stops, strata-cli runs as the user nobody.
    void aProjectThatCannotBeWrittenOpensReadOnly() {
        const QString folder = dir_.filePath("locked");
        QVERIFY(QDir().mkpath(folder));
        QVERIFY(QFile::copy(project_, folder + "/p.strata"));
        const auto readable = QFileDevice::ReadOwner | QFileDevice::ReadGroup | QFileDevice::ReadOther;
        const auto enterable = QFileDevice::ExeOwner | QFileDevice::ExeGroup | QFileDevice::ExeOther;
        QFile::setPermissions(dir_.path(), readable | enterable | QFileDevice::WriteOwner);
        QFile::setPermissions(folder + "/p.strata", readable | QFileDevice::WriteOwner);
        QFile::setPermissions(folder, readable | enterable);
        QProcess p;
        if (::geteuid() == 0)
            p.setChildProcessModifier([] {
                if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(99);
            });
        p.start(bin_, {"inspect", folder + "/p.strata"});
        QVERIFY(p.waitForFinished(60000));
        QFile::setPermissions(folder, readable | enterable | QFileDevice::WriteOwner);
        const QString out = QString::fromUtf8(p.readAllStandardOutput()), err = QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(p.exitCode() == 0, qPrintable(err));
        QVERIFY2(err.contains(folder + "/p.strata is opened read-only without locks: ") && err.contains("not writable by this user"),
                 qPrintable(err));
        QVERIFY(out.contains("digits_mlp"));
    }

    // Project::writable and the read-only open, through a file this process cannot write: the
    // file's own write permission off (root ignores it, so this uses the read-only open directly).
    void theImmutableOpenReadsEverything() {
        const fs::path file = path("copy.strata").toStdString();
        QVERIFY(QFile::copy(project_, QString::fromStdString(file.string())));
        Database raw(file, true, false, true);
        QCOMPARE(raw.queryInt("SELECT count(*) FROM models"), int64_t(1));
        QVERIFY(raw.readOnly());
        QVERIFY_THROWS_EXCEPTION(StorageError, raw.exec("DELETE FROM runs"));
    }

    // A full file system leaves no room for SQLite's shared-memory file: inspect still works.
    void aReadOnlyOpenFallsBackWhenSqliteCannotOpenNormally() {
        QVERIFY(QFile::copy(project_, path("fallback.strata")));
        const fs::path file = path("fallback.strata").toStdString();
        // A -shm that links into a folder that does not exist cannot be made: the normal open fails.
        QVERIFY(QFile::link(path("no/such/folder/shm"), path("fallback.strata-shm")));
        const Project p = Project::open(file, OpenMode::ReadOnly);
        QVERIFY2(QString::fromStdString(p.openNote()).contains("SQLite could not open it normally"), p.openNote().c_str());
        QCOMPARE(int(p.models().size()), 1);
    }

    // A run refuses to start on a disk with too little room, before recording anything.
    void aRunNeedsRoomToStart() {
        const Project p = Project::open(project_.toStdString(), OpenMode::ReadOnly);
        try {
            p.checkFreeSpace(int64_t(1) << 50, "a test");
            QFAIL("enough room for 2^50 bytes");
        } catch (const StorageError& e) {
            QVERIFY2(QString(e.what()).contains("free; a test needs about 1.00 PiB. Free some space"), e.what());
        }
        p.checkFreeSpace(1, "a test");
    }
};

QTEST_GUILESS_MAIN(TestFullDisk)
#include "tst_full_disk.moc"
