// The saved-model folder: written complete or not at all, loaded with nothing but the folder,
// and every damaged part (missing file, bad JSON, index outside the data file, bad crc32c,
// absurd shape, foreign shard, edited spec) a StorageError naming the file and key.
#include "StorageTestUtil.h"

#include "storage/Restore.h"
#include "storage/SavedModel.h"

#include <QTemporaryDir>
#include <QtTest>

#include <sys/wait.h>
#include <unistd.h>

using namespace strata;
using namespace strata::storage;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {
const std::string kKernel = "model/dense_1/kernel/.ATTRIBUTES/VARIABLE_VALUE";
}

class TestSavedModel : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    std::unique_ptr<Model> model_;
    fs::path good_;
    int copies_ = 0;

    fs::path path(const std::string& name) const { return fs::path(dir_.path().toStdString()) / name; }

    // A fresh copy of the good folder to damage.
    fs::path copy() {
        const fs::path out = path("copy" + std::to_string(copies_++));
        fs::copy(good_, out, fs::copy_options::recursive);
        return out;
    }
    static void editIndex(const fs::path& dir, const std::function<void(json&)>& edit) {
        const fs::path f = dir / "variables" / "variables.index";
        json j = json::parse(testutil::readText(f));
        edit(j["variables"][kKernel]);
        testutil::writeText(f, j.dump());
    }
    static QString loadError(const fs::path& dir, bool instantiate = false) {
        try {
            SavedModel m = SavedModel::load(dir);
            if (instantiate) m.instantiate();
        } catch (const StorageError& e) {
            return QString::fromUtf8(e.what());
        } catch (const std::exception& e) {
            return QString("wrong exception: ") + e.what();
        }
        return "no error";
    }

private slots:
    void initTestCase() {
        model_ = testutil::builtModel("digits_mlp.json", 11);
        good_ = path("good");
        writeSavedModel(*model_, good_, {{"note", "test"}});
    }

    void writesTheFourPartsOfTheFolder() {
        for (const char* f : {"saved_model.json", "fingerprint.json", "variables/variables.index",
                              "variables/variables.data-00000-of-00001"})
            QVERIFY2(fs::is_regular_file(good_ / f), f);
        const json index = json::parse(testutil::readText(good_ / "variables" / "variables.index"));
        const json& k = index["variables"][kKernel];
        QCOMPARE(k["shape"], json({64, 32}));
        QCOMPARE(k["dtype"].get<std::string>(), std::string("float32"));
        QCOMPARE(k["shard"].get<int>(), 0);
        QCOMPARE(k["length"].get<int64_t>(), int64_t(64 * 32 * 4));
        QVERIFY(k.contains("offset") && k.contains("crc32c"));
        const json fp = json::parse(testutil::readText(good_ / "fingerprint.json"));
        QVERIFY(fp.contains("spec_sha256") && fp.contains("variables_sha256"));
    }

    void loadsWithNothingButTheFolder() {
        const SavedModel m = SavedModel::load(good_);
        QCOMPARE(QString::fromStdString(m.spec().name), QString("digits_mlp"));
        QCOMPARE(int(m.signature().inputs.size()), 1);
        QCOMPARE(QString::fromStdString(m.signature().inputs[0].name), QString("pixels"));
        QCOMPARE(m.signature().inputs[0].shape, Shape({kUnknownDim, 64}));
        QCOMPARE(m.signature().outputs[0].shape, Shape({kUnknownDim, 10}));
        QCOMPARE(QString::fromStdString(m.metadata()["note"].get<std::string>()), QString("test"));
        QVERIFY(m.metadata().contains("strata_version"));
        QCOMPARE(int(m.entries().size()), 4);
        auto loaded = m.instantiate();
        QVERIFY(loaded->built());
        for (const Variable* v : model_->variables())
            QVERIFY2(testutil::sameBytes(loaded->findVariable(v->path().substr(6))->value(), v->value()), v->path().c_str());
    }

    // A text model's vectorizer (metadata.training.text_vectorization) is a file of its own,
    // named in the metadata, fingerprinted, and read back; a broken one is an error naming it.
    void aTextVectorizationIsWrittenBesideTheSpec() {
        const json tv = {{"format", "strata.text_vectorization/1"}, {"split", "word"}, {"sequence_length", 4},
                         {"vocabulary", {"", "[UNK]", "été", "hi"}}};
        const fs::path dir = path("text");
        writeSavedModel(*model_, dir, {{"training", {{"epochs", 2}, {"text_vectorization", tv}}}});
        QVERIFY(fs::is_regular_file(dir / "text_vectorization.json"));
        QVERIFY(json::parse(testutil::readText(dir / "text_vectorization.json")) == tv);
        QVERIFY(json::parse(testutil::readText(dir / "fingerprint.json")).contains("text_vectorization_sha256"));
        const SavedModel m = SavedModel::load(dir);
        QVERIFY(m.textVectorization() == tv);
        QCOMPARE(m.metadata()["training"]["text_vectorization"]["file"].get<std::string>(), std::string("text_vectorization.json"));
        QCOMPARE(m.metadata()["training"]["epochs"].get<int>(), 2);
        QVERIFY(SavedModel::load(good_).textVectorization().is_null());
        testutil::writeText(dir / "text_vectorization.json", "[1, 2");
        QVERIFY2(loadError(dir).contains("text_vectorization.json is not valid JSON"), qPrintable(loadError(dir)));
    }

    void anExistingFolderIsNotOverwritten() {
        QVERIFY_THROWS_EXCEPTION(StorageError, writeSavedModel(*model_, good_));
        fs::create_directory(path("emptydir"));
        try {
            writeSavedModel(*model_, path("emptydir"));
            QFAIL("no error");
        } catch (const StorageError& e) {
            QVERIFY(QString(e.what()).contains("already exists"));
        }
        for (const auto& entry : fs::directory_iterator(path("")))
            QVERIFY2(entry.path().filename().string().find(".partial-") == std::string::npos, entry.path().c_str());
    }

    void temporariesOfKilledWritersAreCleanedUp() {
        const pid_t child = fork();
        if (child == 0) _exit(0);
        waitpid(child, nullptr, 0); // a pid that no longer runs
        const fs::path stale = path(".fresh.partial-" + std::to_string(child) + "-0");
        fs::create_directories(stale / "variables");
        const fs::path live = path(".fresh.partial-" + std::to_string(getpid()) + "-99"); // ours: kept
        fs::create_directories(live);
        writeSavedModel(*model_, path("fresh"));
        QVERIFY(!fs::exists(stale));
        QVERIFY(fs::exists(live));
        QVERIFY(fs::exists(path("fresh") / "saved_model.json"));
        fs::remove_all(live);
    }

    void notAFolder() { QVERIFY(loadError(path("nothing-here")).contains("no such folder")); }

    void missingParts() {
        fs::path d = copy();
        fs::remove(d / "saved_model.json");
        QVERIFY(loadError(d).contains("saved_model.json is missing"));
        d = copy();
        fs::remove(d / "variables" / "variables.data-00000-of-00001");
        QVERIFY(loadError(d).contains("variables.data-00000-of-00001 is missing"));
        d = copy();
        fs::remove(d / "variables" / "variables.index");
        QVERIFY(loadError(d).contains("variables.index is missing"));
    }

    void notJsonOrNotOurs() {
        fs::path d = copy();
        testutil::writeText(d / "saved_model.json", "{ not json");
        QVERIFY(loadError(d).contains("saved_model.json is not valid JSON"));
        d = copy();
        testutil::writeText(d / "saved_model.json", R"({"format": "tf.saved_model"})");
        QVERIFY(loadError(d).contains("is not a Strata saved model"));
        d = copy();
        testutil::writeText(d / "variables" / "variables.index", R"({"format": "other"})");
        QVERIFY(loadError(d).contains("is not a Strata variables index"));
    }

    void anEditedSpecDoesNotMatchTheFingerprint() {
        const fs::path d = copy();
        json j = json::parse(testutil::readText(d / "saved_model.json"));
        j["spec"]["layers"][1]["config"]["units"] = 33;
        testutil::writeText(d / "saved_model.json", j.dump());
        QVERIFY(loadError(d).contains("does not match fingerprint.json"));
    }

    void anIndexPointingOutsideTheDataFile() {
        fs::path d = copy();
        editIndex(d, [](json& k) { k["offset"] = int64_t(1) << 40; });
        QString e = loadError(d);
        QVERIFY2(e.contains("points outside the data file") && e.contains(QString::fromStdString(kKernel)), qPrintable(e));
        d = copy();
        editIndex(d, [](json& k) { k["offset"] = (int64_t(1) << 62); k["length"] = (int64_t(1) << 62); k["shape"] = {int64_t(1) << 30, 4}; });
        e = loadError(d);
        QVERIFY2(!e.contains("no error"), qPrintable(e));
        d = copy();
        editIndex(d, [](json& k) { k["length"] = -8; });
        QVERIFY(loadError(d).contains("'length' is missing or not a non-negative integer"));
    }

    void aBadChecksumNamesTheVariable() {
        const fs::path d = copy();
        const json index = json::parse(testutil::readText(d / "variables" / "variables.index"));
        const int64_t offset = index["variables"][kKernel]["offset"].get<int64_t>();
        std::fstream io(d / "variables" / "variables.data-00000-of-00001", std::ios::in | std::ios::out | std::ios::binary);
        io.seekp(offset + 100);
        io.put(char(0x5A));
        io.close();
        const QString e = loadError(d, true);
        QVERIFY2(e.contains("fails its checksum") && e.contains(QString::fromStdString(kKernel)), qPrintable(e));
    }

    void anAbsurdShapeIsRejectedBeforeAllocating() {
        const fs::path d = copy();
        editIndex(d, [](json& k) { k["shape"] = {1000000, 1000000}; k["length"] = int64_t(4000000000000); });
        const QString e = loadError(d);
        QVERIFY2(e.contains("absurd shape (1000000, 1000000)"), qPrintable(e));
    }

    void aForeignShardIsRefused() {
        const fs::path d = copy();
        editIndex(d, [](json& k) { k["shard"] = 3; });
        QVERIFY(loadError(d).contains("names shard 3"));
    }

    void aMissingVariableIsReportedAtRestore() {
        const fs::path d = copy();
        const fs::path f = d / "variables" / "variables.index";
        json j = json::parse(testutil::readText(f));
        j["variables"].erase(kKernel);
        testutil::writeText(f, j.dump());
        const QString e = loadError(d, true);
        QVERIFY2(e.contains("missing") && e.contains(QString::fromStdString(kKernel)), qPrintable(e));
    }
};

QTEST_GUILESS_MAIN(TestSavedModel)
#include "tst_savedmodel.moc"
