// Writing an ONNX file fails cleanly and never leaves a torn file: a layer ONNX cannot express is
// a StorageError naming the file, the layer and its type; wrong and unwritable output paths name
// the path; a writer killed at any point leaves no file, the older file or the complete new one.
// Needs no external tool (tst_onnx_export checks the files' contents with onnx and onnxruntime).
#include "OnnxTestSupport.h"

#include "storage/onnx/OnnxExport.h"
#include "storage/StorageError.h"

#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace strata;
using namespace strata::storage;
using namespace strata::onnxtest;
namespace fs = std::filesystem;

namespace {

// Sorted names in a folder: no temporary ".NAME.partial-*" file may stay behind.
std::vector<std::string> folderEntries(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

} // namespace

class TestOnnxFiles : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    fs::path path(const std::string& name) const { return fs::path(dir_.path().toStdString()) / name; }

private slots:
    void layerOnnxCannotExpressIsNamed();
    void wrongAndUnwritableOutputPaths();
    void fileIsCompleteOrAbsent();
};

void TestOnnxFiles::layerOnnxCannotExpressIsNamed() {
    const fs::path folder = path("unsupported");
    fs::create_directory(folder);
    auto model = builtModel(ModelSpec::parse(R"({"format": "strata.model/1", "name": "m", "layers": [
      {"name": "img", "type": "Input", "config": {"shape": [4, 4, 2]}},
      {"name": "blk", "type": "Block", "config": {"spec": {"name": "blk", "inputs": ["i"], "outputs": ["bn_h"], "layers": [
        {"name": "i", "type": "Input", "config": {"shape": [4, 4, 2]}},
        {"name": "bn_h", "type": "BatchNormalization", "config": {"axis": 1}}]}}}]})"), 100);
    try {
        writeOnnxModel(*model, folder / "m.onnx");
        QFAIL("no error for a BatchNormalization over axis 1");
    } catch (const StorageError& e) {
        const std::string msg = e.what();
        QVERIFY2(msg.find("m.onnx") != std::string::npos && msg.find("layer 'blk/bn_h' (BatchNormalization)") != std::string::npos &&
                     msg.find("axis 1") != std::string::npos, msg.c_str());
    }
    QVERIFY(folderEntries(folder).empty());
}

void TestOnnxFiles::wrongAndUnwritableOutputPaths() {
    auto model = builtModel(testutil::example("digits_mlp.json"), 110);
    auto errorOf = [&](const fs::path& f) -> std::string {
        try {
            writeOnnxModel(*model, f);
        } catch (const StorageError& e) {
            return e.what();
        }
        return "no error";
    };
    std::string e = errorOf(path("missing_folder") / "m.onnx");
    QVERIFY2(e.find("missing_folder") != std::string::npos && e.find("does not exist") != std::string::npos, e.c_str());
    fs::create_directory(path("a_folder"));
    e = errorOf(path("a_folder"));
    QVERIFY2(e.find("is a folder") != std::string::npos, e.c_str());
    e = errorOf(path("a_folder") / "");
    QVERIFY2(e.find("a_folder") != std::string::npos, e.c_str());
    testutil::writeText(path("plain_file"), "x");
    e = errorOf(path("plain_file") / "m.onnx");
    QVERIFY2(e.find("plain_file") != std::string::npos, e.c_str());

    // A folder the process may not write to (as root, where permissions do not stop it: /proc).
    fs::path locked = path("locked");
    fs::create_directory(locked);
    fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec);
    if (::geteuid() == 0) locked = "/proc";
    e = errorOf(locked / "m.onnx");
    fs::permissions(path("locked"), fs::perms::owner_all);
    QVERIFY2(e.find((locked / "m.onnx").string()) == 0 && e.find("cannot be written") != std::string::npos, e.c_str());
    QVERIFY(folderEntries(path("locked")).empty());
}

// A writer killed at any point leaves the old file or the complete new one, never a torn file;
// temporary files of killed writers are removed by the next write. The child reports each
// completed write on a pipe, so that some kills land before the first write completes and others
// in the middle of a later one.
void TestOnnxFiles::fileIsCompleteOrAbsent() {
    auto model = builtModel(ModelSpec::parse(R"({"format": "strata.model/1", "name": "big", "layers": [
      {"name": "x", "type": "Input", "config": {"shape": [1024]}},
      {"name": "h", "type": "Dense", "config": {"units": 2048}},
      {"name": "y", "type": "Dense", "config": {"units": 512}}]})"), 120);
    const std::string expected = onnxModelBytes(*model);
    const fs::path folder = path("killed"), file = folder / "big.onnx";
    fs::create_directory(folder);
    const std::string old = "an older export";
    int sawAbsent = 0, sawOld = 0, sawNew = 0;
    for (int round = 0; round < 12; ++round) {
        if (round >= 6) testutil::writeText(file, old); // an older file is in place
        else fs::remove(file);
        int done[2];
        QVERIFY(::pipe(done) == 0);
        const pid_t child = ::fork();
        QVERIFY(child >= 0);
        if (child == 0) {
            ::close(done[0]);
            try {
                for (;;) {
                    writeOnnxModel(*model, file);
                    if (::write(done[1], "w", 1) != 1) break;
                }
            } catch (...) {
            }
            ::_exit(1);
        }
        ::close(done[1]);
        const bool afterAWrite = round % 2 == 1;
        if (afterAWrite) { // the first write completed; kill during the next one
            char c = 0;
            QCOMPARE(::read(done[0], &c, 1), ssize_t(1));
            ::usleep(useconds_t(2000 * round));
        } else {
            ::usleep(useconds_t(500 * round));
        }
        ::kill(child, SIGKILL);
        int status = 0;
        ::waitpid(child, &status, 0);
        ::close(done[0]);
        if (!fs::exists(file)) {
            QVERIFY2(!afterAWrite && round < 6, ("round " + std::to_string(round) + ": the file vanished").c_str());
            ++sawAbsent;
            continue;
        }
        const std::string bytes = testutil::readText(file);
        if (bytes == old) {
            QVERIFY2(!afterAWrite, ("round " + std::to_string(round) + ": a completed write was lost").c_str());
            ++sawOld;
        } else if (bytes == expected) {
            ++sawNew;
        } else {
            QFAIL(("round " + std::to_string(round) + ": a torn file of " + std::to_string(bytes.size()) + " bytes").c_str());
        }
    }
    qInfo("absent %d, old file %d, complete new file %d", sawAbsent, sawOld, sawNew);
    QVERIFY(sawNew >= 6);
    writeOnnxModel(*model, file);
    QVERIFY(testutil::readText(file) == expected);
    QCOMPARE(folderEntries(folder), std::vector<std::string>{"big.onnx"});
}

QTEST_GUILESS_MAIN(TestOnnxFiles)
#include "tst_onnx_files.moc"
