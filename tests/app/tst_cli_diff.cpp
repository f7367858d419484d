// strata-cli diff on a project built from resources/examples/digits_mlp.json with the Project
// API: the lines for one added and one changed layer, --json, and the errors (unknown version,
// unknown model, unreadable project) with exit status 2; summary's costs and training memory.
#include "CliTestSupport.h"

#include "storage/Project.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

#include <nlohmann/json.hpp>

using namespace strata;
using namespace strata::cli::test;
using nlohmann::json;

namespace {
json& layerNamed(json& spec, const std::string& name) {
    for (auto& l : spec["layers"])
        if (l["name"] == name) return l;
    qFatal("no layer %s", name.c_str());
}

QStringList lines(const std::string& text) { return QString::fromStdString(text).split('\n', Qt::SkipEmptyParts); }
} // namespace

class TestCliDiff : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    std::string project_;

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        project_ = dir_.filePath("work.strata").toStdString();
        const ModelSpec v1 = ModelSpec::load(example("digits_mlp.json"));
        json v2 = v1.toJson();
        layerNamed(v2, "dense_1")["config"]["activation"] = "tanh";
        v2["layers"].insert(v2["layers"].begin() + 2, json{{"name", "drop"}, {"type", "Dropout"}, {"config", {{"rate", 0.25}}}, {"inbound", {"dense_1"}}});
        layerNamed(v2, "probs")["inbound"] = {"drop"};
        storage::Project p = storage::Project::open(project_, storage::OpenMode::Create);
        p.saveVersion("digits_mlp", v1);
        p.saveVersion("digits_mlp", ModelSpec::fromJson(v2), {}, "tanh and dropout");
        p.saveVersion("two_branch", ModelSpec::load(example("two_branch.json")));
    }

    void oneAddedOneChanged() {
        auto r = run({"diff", project_, "--model", "digits_mlp", "1", "2"});
        QCOMPARE(r.code, 0);
        QCOMPARE(lines(r.out), (QStringList{
            "digits_mlp: Comparing v1 → v2",
            R"(~ dense_1 (Dense): activation "relu" → "tanh"; params 2,080 → 2,080)",
            "+ drop (Dropout); params — → 0",
            "Total params: 2,410 → 2,410 (+0)",
            "1 added, 0 removed, 1 changed, 2 unchanged"}));
        QCOMPARE(QString::fromStdString(r.err), QString());
    }

    void reverseOrderShowsARemoval() {
        auto r = run({"diff", project_, "--model", "digits_mlp", "v2", "v1"});
        QCOMPARE(r.code, 0);
        QVERIFY2(QString::fromStdString(r.out).contains("- drop (Dropout); params 0 → —\n"), r.out.c_str());
    }

    void jsonOutput() {
        auto r = run({"diff", project_, "--model", "digits_mlp", "1", "2", "--json"});
        QCOMPARE(r.code, 0);
        const json j = json::parse(r.out);
        QCOMPARE(j["model"].get<std::string>(), std::string("digits_mlp"));
        QCOMPARE(j["before"]["version"].get<int>(), 1);
        QCOMPARE(j["after"]["version"].get<int>(), 2);
        QCOMPARE(j["after"]["note"].get<std::string>(), std::string("tanh and dropout"));
        QCOMPARE(j["added"].get<int>(), 1);
        QCOMPARE(j["changed"].get<int>(), 1);
        QCOMPARE(j["removed"].get<int>(), 0);
        QStringList statuses;
        for (const auto& l : j["layers"]) statuses << QString::fromStdString(l["path"].get<std::string>() + ":" + l["status"].get<std::string>());
        QCOMPARE(statuses, (QStringList{"pixels:unchanged", "dense_1:changed", "drop:added", "probs:unchanged"}));
        QCOMPARE(j["layers"][1]["changes"][0]["key"].get<std::string>(), std::string("activation"));
        QCOMPARE(j["layers"][1]["changes"][0]["after"].get<std::string>(), std::string("tanh"));
        QCOMPARE(j["layers"][1]["params_before"].get<int>(), 2080);
        QCOMPARE(j["total_params_after"].get<int>(), 2410);
    }

    void unknownVersionNamesTheVersionsThatExist() {
        auto r = run({"diff", project_, "--model", "digits_mlp", "1", "7"});
        QCOMPARE(r.code, 2);
        QCOMPARE(QString::fromStdString(r.err), QString("strata-cli diff: model 'digits_mlp' has no version '7' (its versions: 1, 2)\n"));
        r = run({"diff", project_, "--model", "two_branch", "x", "1"});
        QCOMPARE(r.code, 2);
        QVERIFY2(QString::fromStdString(r.err).contains("has no version 'x' (its versions: 1)"), r.err.c_str());
    }

    void unknownModelListsTheModels() {
        auto r = run({"diff", project_, "--model", "resnet", "1", "2"});
        QCOMPARE(r.code, 2);
        QVERIFY2(QString::fromStdString(r.err).contains("no model named 'resnet' (it holds: digits_mlp, two_branch)"), r.err.c_str());
        r = run({"diff", project_, "1", "2"}); // several models and no --model
        QCOMPARE(r.code, 2);
        QVERIFY2(QString::fromStdString(r.err).contains("name one with --model"), r.err.c_str());
    }

    void unreadableProjectIsExitTwo() {
        const std::string notProject = dir_.filePath("notes.strata").toStdString();
        std::ofstream(notProject) << "these are not the droids\n";
        auto r = run({"diff", notProject, "1", "2"});
        QCOMPARE(r.code, 2);
        QVERIFY2(QString::fromStdString(r.err).startsWith("strata-cli diff: ") && r.err.find("notes.strata") != std::string::npos, r.err.c_str());
        r = run({"diff", dir_.filePath("absent.strata").toStdString(), "1", "2"});
        QCOMPARE(r.code, 2);
        r = run({"diff", project_, "1"});
        QCOMPARE(r.code, 2);
        QVERIFY(QString::fromStdString(r.err).contains("expected P.strata and two versions"));
    }

    void listedInHelp() {
        auto r = run({"--help"});
        QVERIFY(QString::fromStdString(r.out).contains("diff "));
        r = run({"diff", "--help"});
        QCOMPARE(r.code, 0);
        QVERIFY(QString::fromStdString(r.out).contains("usage: strata-cli diff P.strata [--model NAME] V1 V2 [--json]"));
    }

    void summaryJsonHasCostsAndTrainingMemory() {
        auto r = run({"summary", example("mnist_cnn.json"), "--json", "--batch", "64", "--optimizer", "sgd"});
        QCOMPARE(r.code, 0);
        const json j = json::parse(r.out);
        QCOMPARE(j["layers"][1]["macs"].get<int64_t>(), int64_t(26 * 26 * 32 * 9));
        QCOMPARE(j["layers"][1]["activation_bytes"].get<int64_t>(), int64_t(26 * 26 * 32 * 4));
        QCOMPARE(j["total_macs"].get<int64_t>(), int64_t(194688 + 2230272 + 16000));
        const json& m = j["training_memory"];
        QCOMPARE(m["batch"].get<int>(), 64);
        QCOMPARE(m["optimizer_bytes"].get<int64_t>(), int64_t(0)); // plain SGD keeps no slots
        QCOMPARE(m["activation_bytes"].get<int64_t>(), 64 * j["activation_bytes_per_sample"].get<int64_t>());
        QCOMPARE(m["device"].get<std::string>(), std::string("cpu"));
        QVERIFY(m["device_bytes"].get<int64_t>() > 0);
        QVERIFY(m["fits"].get<bool>());
        QVERIFY(m["assumptions"].get<std::string>().find("float32") != std::string::npos);
    }

    void summaryTextCostsAndBadOptions() {
        auto r = run({"summary", example("digits_mlp.json"), "--costs"});
        QCOMPARE(r.code, 0);
        QVERIFY2(QString::fromStdString(r.out).contains("│ dense_1 (Dense)               │ (None, 32)             │       2,080 │ 2,048 │"), r.out.c_str());
        QVERIFY2(QString::fromStdString(r.out).contains("Training memory at batch 32 (adam): "), r.out.c_str());
        QVERIFY2(QString::fromStdString(r.out).contains("Fits in this machine"), r.out.c_str());
        r = run({"summary", example("digits_mlp.json"), "--batch", "0"});
        QCOMPARE(r.code, 2);
        r = run({"summary", example("digits_mlp.json"), "--optimizer", "lbfgs"});
        QCOMPARE(r.code, 2);
        QVERIFY2(QString::fromStdString(r.err).contains("unknown optimizer 'lbfgs'"), r.err.c_str());
        r = run({"summary", example("digits_mlp.json"), "--device", "tpu"});
        QCOMPARE(r.code, 2);
        QVERIFY2(QString::fromStdString(r.err).contains("unknown device 'tpu'"), r.err.c_str());
    }
};

QTEST_GUILESS_MAIN(TestCliDiff)
#include "tst_cli_diff.moc"
