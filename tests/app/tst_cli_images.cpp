// strata-cli train/evaluate --data images:DIR: a generated folder of PNG and JPEG images in class
// folders (bright vs dark, an easy task) trains a small conv model from the CLI; bad files are
// named or skipped; unknown option values exit 2 naming them; a project records the folder.
#include "CliTestSupport.h"

#include "storage/Project.h"
#include "tests/support/ImageTestFiles.h"

#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <sstream>

using namespace strata::cli::test;
namespace fs = std::filesystem;

namespace {

const char* kSmallCnn = R"({
  "format": "strata.model/1", "name": "small_cnn", "inputs": ["image"], "outputs": ["probs"],
  "layers": [
    {"name": "image", "type": "Input", "config": {"shape": [8, 8, 3]}},
    {"name": "conv", "type": "Conv2D", "config": {"filters": 4, "kernel_size": [3, 3], "activation": "relu"}},
    {"name": "flatten", "type": "Flatten"},
    {"name": "probs", "type": "Dense", "config": {"units": 2, "activation": "softmax"}}
  ]
})";

std::vector<nlohmann::json> jsonLines(const std::string& text) {
    std::vector<nlohmann::json> rows;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) rows.push_back(nlohmann::json::parse(line));
    return rows;
}

} // namespace

class TestCliImages : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    fs::path root_, spec_;

private slots:
    void initTestCase() {
        root_ = fs::path(tmp_.path().toStdString()) / "brightness";
        for (int i = 0; i < 40; ++i)
            for (bool bright : {true, false}) {
                const fs::path file = root_ / (bright ? "bright" : "dark") / ("img" + std::to_string(i));
                const auto pixels = imagetest::noisy(12, bright, uint32_t(i * 2 + bright)); // resized to 8x8
                if (i % 2) imagetest::writeJpeg(file.string() + ".jpg", pixels);
                else imagetest::writePng(file.string() + ".png", pixels);
            }
        spec_ = fs::path(tmp_.path().toStdString()) / "small_cnn.json";
        imagetest::writeText(spec_, kSmallCnn);
    }

    void trainsASmallConvModelOnAnImageFolder() {
        const fs::path project = fs::path(tmp_.path().toStdString()) / "p.strata";
        auto r = run({"train", spec_.string(), "--data", "images:" + root_.string(), "--epochs", "6", "--lr", "0.01",
                      "--batch", "8", "--json", "--project", project.string()});
        QVERIFY2(r.code == 0, r.err.c_str());
        const auto rows = jsonLines(r.out);
        QCOMPARE(int(rows.size()), 7);
        QVERIFY(rows[5]["loss"].get<double>() < rows[0]["loss"].get<double>());
        const double acc = rows.back()["test_accuracy"];
        QVERIFY2(acc >= 0.9, qPrintable(QString::number(acc))); // chance is 0.5
        // Recorded by the folder's path and a hash of its listing.
        const auto datasets = strata::storage::Project::open(project).datasets();
        QCOMPARE(int(datasets.size()), 1);
        QCOMPARE(datasets[0].path, root_.string());
        QCOMPARE(datasets[0].sha256.size(), std::size_t(64));
        // Evaluate reads the folder with the run's settings.
        auto e = run({"evaluate", project.string(), "--data", "images:" + root_.string()});
        QVERIFY2(e.code == 0, e.err.c_str());
        QVERIFY(nlohmann::json::parse(e.out)["accuracy"].get<double>() >= 0.9);
    }

    // --cache-images: the same run with the decoded images kept after the first epoch, as 8-bit
    // values at the sample size (these 12x12 images are resized to 8x8, so rounded to 1/255).
    void decodedCacheTrainsTheSame() {
        std::vector<std::string> args = {"train", spec_.string(), "--data", "images:" + root_.string(), "--epochs", "3",
                                         "--lr", "0.01", "--batch", "8", "--json"};
        const auto plain = run(args);
        args.push_back("--cache-images");
        const auto cached = run(args);
        QVERIFY2(plain.code == 0 && cached.code == 0, cached.err.c_str());
        QVERIFY2(QString::fromStdString(cached.err).contains("decoded cache: "), cached.err.c_str());
        const auto a = jsonLines(plain.out), b = jsonLines(cached.out);
        QCOMPARE(a.size(), b.size());
        // The first epoch differs by the rounding only; later ones drift apart as any two runs do.
        const double x = a[0]["loss"], y = b[0]["loss"];
        QVERIFY2(std::fabs(x - y) < 1e-2 * std::fabs(x), qPrintable(QString("%1 vs %2").arg(x).arg(y)));
        QVERIFY(b[b.size() - 2]["loss"].get<double>() < y);
    }

    void resumeReadsTheRunsImageFolderAgain() {
        const fs::path project = fs::path(tmp_.path().toStdString()) / "resume.strata";
        auto r = run({"train", spec_.string(), "--data", "images:" + root_.string(), "--epochs", "1", "--batch", "8",
                      "--validation-split", "0.25", "--project", project.string(), "--quiet"});
        QVERIFY2(r.code == 0, r.err.c_str());
        r = run({"train", "--project", project.string(), "--resume", "--epochs", "2", "--json"});
        QVERIFY2(r.code == 0, r.err.c_str());
        QVERIFY2(r.err.find("resuming run 1") != std::string::npos, r.err.c_str());
        const auto rows = jsonLines(r.out);
        QCOMPARE(rows.front()["epoch"].get<int>(), 2);
        const auto run1 = strata::storage::Project::open(project).run(1);
        QCOMPARE(run1.hyperparameters["validation_split"].get<double>(), 0.25);
        QCOMPARE(run1.hyperparameters["color"].get<std::string>(), std::string("rgb"));
    }

    void grayscaleAndImageSizeFollowTheOptions() {
        auto r = run({"train", spec_.string(), "--data", "images:" + root_.string(), "--image-size", "4", "4", "--steps", "1"});
        QCOMPARE(r.code, 1); // (4, 4, 3) does not fit the model's (8, 8, 3): named
        QVERIFY2(r.err.find("samples of shape (4, 4, 3)") != std::string::npos, r.err.c_str());
        r = run({"train", spec_.string(), "--data", "images:" + root_.string(), "--color", "grayscale", "--steps", "1"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.find("(8, 8, 1)") != std::string::npos, r.err.c_str());
    }

    void unknownValuesExitTwoNamingThem() {
        auto r = run({"train", spec_.string(), "--data", "images:" + root_.string(), "--color", "cmyk"});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.find("'cmyk'") != std::string::npos, r.err.c_str());
        r = run({"train", spec_.string(), "--data", "images:" + root_.string(), "--validation-split", "1.5"});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.find("'1.5'") != std::string::npos, r.err.c_str());
        r = run({"train", spec_.string(), "--data", "digits", "--image-size", "8", "8"});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.find("--image-size applies to image folders") != std::string::npos, r.err.c_str());
    }

    void badFilesAreNamedOrSkipped() {
        const fs::path bad = fs::path(tmp_.path().toStdString()) / "withbad";
        fs::copy(root_, bad, fs::copy_options::recursive);
        imagetest::writeText(bad / "dark" / "003.png", "garbage, not a png");
        imagetest::writePng(bad / "bright" / "cut.png", imagetest::noisy(40, true, 9));
        imagetest::truncate(bad / "bright" / "cut.png", 0.4);
        auto r = run({"train", spec_.string(), "--data", "images:" + bad.string(), "--steps", "1"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.find("bright/cut.png: damaged or truncated PNG image (its IDAT chunk") != std::string::npos, r.err.c_str());
        r = run({"train", spec_.string(), "--data", "images:" + bad.string(), "--steps", "1", "--skip-bad-files"});
        QVERIFY2(r.code == 0, r.err.c_str());
        QVERIFY2(r.err.find("skipped 2 bad image files") != std::string::npos, r.err.c_str());
        QVERIFY2(r.err.find("dark/003.png: not a PNG/JPEG/BMP image") != std::string::npos, r.err.c_str());
    }
};

QTEST_GUILESS_MAIN(TestCliImages)
#include "tst_cli_images.moc"
