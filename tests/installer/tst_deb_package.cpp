// The .deb: cpack builds it from this build folder, and the package alone is enough. Its control
// fields name the shared libraries it needs, it holds both programs, the examples, the datasets,
// the desktop entry, the icon and the project mime type; and the programs unpacked from it (in
// a temporary root, with STRATA_RESOURCES unset) find their data beside themselves: strata-cli
// trains an example, the GUI renders a screenshot.
#include <QDir>
#include <QFile>
#include <QImage>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

namespace {

struct Run {
    int code = -1;
    QString out; // stdout + stderr
};

Run run(const QString& program, const QStringList& args, const QString& dir = {}, const QProcessEnvironment& env = {}) {
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    if (!dir.isEmpty()) p.setWorkingDirectory(dir);
    if (!env.isEmpty()) p.setProcessEnvironment(env);
    p.start(program, args);
    if (!p.waitForStarted(20000)) return {-1, program + ": did not start: " + p.errorString()};
    if (!p.waitForFinished(600000)) {
        p.kill();
        p.waitForFinished();
        return {-1, program + " " + args.join(' ') + ": timed out\n" + QString::fromUtf8(p.readAll())};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAll())};
}

// The environment of a user who only installed the package.
QProcessEnvironment userEnvironment(const QString& home) {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove("STRATA_RESOURCES");
    env.insert("HOME", home);
    env.insert("XDG_CONFIG_HOME", home + "/.config");
    env.insert("XDG_DATA_HOME", home + "/.local/share");
    env.insert("XDG_CACHE_HOME", home + "/.cache");
    env.insert("QT_QPA_PLATFORM", "offscreen");
    return env;
}

} // namespace

class TestDebPackage : public QObject {
    Q_OBJECT

    QTemporaryDir work_;
    QString deb_, root_;

private slots:
    void initTestCase() {
        QVERIFY(work_.isValid());
        for (const char* tool : {"cpack", "dpkg-deb", "dpkg-shlibdeps"})
            if (QStandardPaths::findExecutable(tool).isEmpty())
                QFAIL(qPrintable(QString("%1 is not installed (Debian packages cmake and dpkg-dev; installer/setup.sh test installs them)").arg(tool)));
        const Run r = run("cpack", {"-G", "DEB", "--config", QStringLiteral(STRATA_BUILD_DIR) + "/CPackConfig.cmake", "-B", work_.path()},
                          QStringLiteral(STRATA_BUILD_DIR));
        QVERIFY2(r.code == 0, qPrintable(r.out));
        const QStringList debs = QDir(work_.path()).entryList({"strata_*.deb"}, QDir::Files);
        QVERIFY2(debs.size() == 1, qPrintable("expected one strata_*.deb, cpack said:\n" + r.out));
        deb_ = work_.filePath(debs[0]);
        root_ = work_.filePath("root");
        const Run x = run("dpkg-deb", {"-x", deb_, root_});
        QVERIFY2(x.code == 0, qPrintable(x.out));
    }

    void controlFieldsNameTheLibraries() {
        const Run r = run("dpkg-deb", {"-f", deb_, "Package", "Version", "Architecture", "Depends"});
        QVERIFY2(r.code == 0, qPrintable(r.out));
        QVERIFY2(r.out.contains("Package: strata"), qPrintable(r.out));
        QVERIFY2(r.out.contains("Version: " STRATA_VERSION), qPrintable(r.out));
        for (const char* lib : {"libqt6widgets6", "libqt6core6", "libsqlite3", "libopenblas", "libstdc++6"})
            QVERIFY2(r.out.contains(lib), qPrintable(QString("Depends lacks %1:\n%2").arg(lib, r.out)));
    }

    void holdsProgramsDataAndDesktopIntegration() {
        for (const char* path : {"usr/bin/strata", "usr/bin/strata-cli", "usr/share/strata/examples/digits_mlp.json",
                                 "usr/share/strata/examples/mnist_cnn.json", "usr/share/strata/datasets/digits.csv.gz",
                                 "usr/share/strata/datasets/iris.csv", "usr/share/applications/strata.desktop",
                                 "usr/share/icons/hicolor/scalable/apps/strata.svg", "usr/share/mime/packages/strata.xml"})
            QVERIFY2(QFile::exists(root_ + "/" + path), path);
        QFile desktop(root_ + "/usr/share/applications/strata.desktop");
        QVERIFY(desktop.open(QIODevice::ReadOnly));
        const QByteArray entry = desktop.readAll();
        QVERIFY(entry.contains("Exec=strata"));
        QVERIFY(entry.contains("MimeType=application/x-strata-project"));
        QFile mime(root_ + "/usr/share/mime/packages/strata.xml");
        QVERIFY(mime.open(QIODevice::ReadOnly));
        QVERIFY(mime.readAll().contains("application/x-strata-project"));
    }

    void unpackedCliTrainsFromItsOwnData() {
        QTemporaryDir home;
        const QProcessEnvironment env = userEnvironment(home.path());
        const QString cli = root_ + "/usr/bin/strata-cli";
        const Run version = run(cli, {"--version"}, home.path(), env);
        QVERIFY2(version.code == 0 && version.out.contains(STRATA_VERSION), qPrintable(version.out));
        const Run train = run(cli, {"train", root_ + "/usr/share/strata/examples/digits_mlp.json", "--data", "digits", "--epochs", "3",
                                    "--batch", "32", "--optimizer", "adam", "--lr", "1e-3", "--seed", "0", "--device", "cpu", "--json"},
                              home.path(), env);
        QVERIFY2(train.code == 0, qPrintable(train.out));
        QVERIFY2(train.out.contains("test_accuracy"), qPrintable(train.out));
    }

    void unpackedAppRendersAScreenshot() {
        QTemporaryDir home;
        const QString png = home.filePath("editor.png");
        const Run r = run(root_ + "/usr/bin/strata", {"--screenshot", png}, home.path(), userEnvironment(home.path()));
        QVERIFY2(r.code == 0, qPrintable(r.out));
        const QImage image(png);
        QVERIFY2(!image.isNull() && image.width() > 400 && image.height() > 300, qPrintable(r.out));
    }
};

QTEST_GUILESS_MAIN(TestDebPackage)
#include "tst_deb_package.moc"
