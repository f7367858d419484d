// Checkpoints in a project: one row per variable with dtype, shape and crc32c, optimizer slots and
// counters included, written in one transaction; listed like tf.train.list_variables; read back
// bit for bit (large variables in pieces); damaged rows and absurd shapes are errors by name.
#include "StorageTestUtil.h"

#include "engine/data/BuiltinDatasets.h"
#include "storage/CheckpointStore.h"
#include "storage/Schema.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace strata;
using namespace strata::storage;
namespace fs = std::filesystem;

class TestCheckpointStore : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    fs::path file(const char* name) const { return fs::path(dir_.path().toStdString()) / name; }

    // A project with one checkpoint of digits_mlp after three Adam steps.
    struct Trained {
        Project project;
        std::unique_ptr<Model> model;
        cpu::CpuBackend backend;
        int64_t versionId = 0, checkpointId = 0;
        Trained(Project p, std::unique_ptr<Model> m) : project(std::move(p)), model(std::move(m)) {}
    };
    std::unique_ptr<Trained> trained(const char* name) {
        auto t = std::make_unique<Trained>(Project::open(file(name), OpenMode::Create), testutil::builtModel("digits_mlp.json"));
        auto splits = data::loadBuiltinDataset("digits");
        auto opts = testutil::adam(1);
        opts.maxSteps = 3;
        train::Trainer trainer(*t->model, t->backend, opts);
        trainer.fit(splits.train);
        t->versionId = t->project.saveVersion("digits_mlp", t->model->spec()).id;
        CheckpointWriter w(t->project, {t->versionId, std::nullopt, 3, 0, 3});
        w.addBackend(t->backend);
        t->checkpointId = w.commit();
        return t;
    }

private slots:
    void listsEveryVariableWithShapeIncludingSlotsAndCounters() {
        auto t = trained("list.strata");
        const auto vars = CheckpointStore(t->project).variables(t->checkpointId);
        std::map<std::string, Shape> shapes;
        for (const auto& v : vars) shapes[v.key] = v.shape;
        QCOMPARE(shapes.at("model/dense_1/kernel/.ATTRIBUTES/VARIABLE_VALUE"), Shape({64, 32}));
        QCOMPARE(shapes.at("model/probs/bias/.ATTRIBUTES/VARIABLE_VALUE"), Shape({10}));
        QCOMPARE(shapes.at("model/dense_1/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE"), Shape({64, 32}));
        QCOMPARE(shapes.at("model/dense_1/kernel/.OPTIMIZER_SLOT/optimizer/v/.ATTRIBUTES/VARIABLE_VALUE"), Shape({64, 32}));
        QCOMPARE(shapes.at("optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE"), Shape{});
        QCOMPARE(shapes.at("save_counter/.ATTRIBUTES/VARIABLE_VALUE"), Shape{});
        QCOMPARE(int(vars.size()), 4 + 8 + 2);
        const CheckpointInfo info = CheckpointStore(t->project).get(t->checkpointId);
        QCOMPARE(info.step, int64_t(3));
        QCOMPARE(info.batchesDone, int64_t(3));
        QCOMPARE(info.variableCount, int64_t(14));
    }

    void readsBackBitForBit() {
        auto t = trained("read.strata");
        CheckpointReader r(t->project, t->checkpointId);
        for (const std::string& path : t->backend.variablePaths()) {
            const VariableEntry* e = r.find(keyOfPath(path));
            QVERIFY2(e, path.c_str());
            QVERIFY2(testutil::sameBytes(r.read(*e), t->backend.getVariable(path)), path.c_str());
        }
        const Tensor iter = r.read(*r.find("optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE"));
        QCOMPARE(iter.dtype(), DType::I32);
        QCOMPARE(iter.i32()[0], 3);
    }

    void saveCounterCountsTheSaves() {
        auto t = trained("counter.strata");
        CheckpointWriter w(t->project, {t->versionId, std::nullopt, 4, 0, 4});
        w.addBackend(t->backend);
        const int64_t second = w.commit();
        CheckpointReader r(t->project, second);
        QCOMPARE(r.read(*r.find(kSaveCounterKey)).i32()[0], 2);
    }

    void largeVariablesAreStoredInPieces() {
        Project p = Project::open(file("large.strata"), OpenMode::Create);
        const int64_t v = p.saveVersion("m", testutil::example("digits_mlp.json")).id;
        const int64_t n = kChunkBytes / 4 * 2 + 12345; // two full pieces and a bit
        Tensor big(Shape{n});
        for (int64_t i = 0; i < n; ++i) big.f32()[i] = float(i % 1000) * 0.5f;
        CheckpointWriter w(p, {v, std::nullopt, 0, 0, 0});
        w.add("big/.ATTRIBUTES/VARIABLE_VALUE", big);
        const int64_t id = w.commit();
        QCOMPARE(p.database().queryInt("SELECT count(*) FROM checkpoint_chunks"), int64_t(2));
        CheckpointReader r(p, id);
        QVERIFY(testutil::sameBytes(r.read(*r.find("big/.ATTRIBUTES/VARIABLE_VALUE")), big));
        CheckpointStore(p).remove(id); // cascades to variables and pieces
        QCOMPARE(p.database().queryInt("SELECT count(*) FROM checkpoint_chunks"), int64_t(0));
        QCOMPARE(p.database().queryInt("SELECT count(*) FROM checkpoint_variables"), int64_t(0));
    }

    void anUncommittedCheckpointLeavesNothing() {
        Project p = Project::open(file("rollback.strata"), OpenMode::Create);
        const int64_t v = p.saveVersion("m", testutil::example("digits_mlp.json")).id;
        {
            CheckpointWriter w(p, {v, std::nullopt, 0, 0, 0});
            w.add("a/.ATTRIBUTES/VARIABLE_VALUE", Tensor(Shape{3}));
            QVERIFY_THROWS_EXCEPTION(StorageError, w.add("a/.ATTRIBUTES/VARIABLE_VALUE", Tensor(Shape{3})));
        } // destroyed without commit
        QVERIFY(CheckpointStore(p).list().empty());
        QCOMPARE(p.database().queryInt("SELECT count(*) FROM checkpoint_variables"), int64_t(0));
    }

    void aDamagedValueFailsItsChecksumByName() {
        auto t = trained("crc.strata");
        t->project.database().exec("UPDATE checkpoint_variables SET value = zeroblob(length(value)) "
                                   "WHERE key = 'model/probs/kernel/.ATTRIBUTES/VARIABLE_VALUE'");
        CheckpointReader r(t->project, t->checkpointId);
        try {
            r.read(*r.find("model/probs/kernel/.ATTRIBUTES/VARIABLE_VALUE"));
            QFAIL("no error");
        } catch (const StorageError& e) {
            QVERIFY2(QString(e.what()).contains("model/probs/kernel") && QString(e.what()).contains("checksum"), e.what());
        }
    }

    void aShortValueIsCorruption() {
        auto t = trained("short.strata");
        t->project.database().exec("UPDATE checkpoint_variables SET value = substr(value, 1, 100) "
                                   "WHERE key = 'model/dense_1/kernel/.ATTRIBUTES/VARIABLE_VALUE'");
        CheckpointReader r(t->project, t->checkpointId);
        try {
            r.read(*r.find("model/dense_1/kernel/.ATTRIBUTES/VARIABLE_VALUE"));
            QFAIL("no error");
        } catch (const StorageError& e) {
            QVERIFY2(QString(e.what()).contains("100 bytes stored"), e.what());
        }
    }

    void anAbsurdShapeIsRejectedBeforeAllocating() {
        auto t = trained("absurd.strata");
        t->project.database().exec("UPDATE checkpoint_variables SET shape = '[1000000, 1000000]', num_bytes = 4000000000000 "
                                   "WHERE key = 'model/probs/bias/.ATTRIBUTES/VARIABLE_VALUE'");
        CheckpointReader r(t->project, t->checkpointId);
        const VariableEntry* e = r.find("model/probs/bias/.ATTRIBUTES/VARIABLE_VALUE");
        QCOMPARE(e->shape, Shape({1000000, 1000000}));
        try {
            r.read(*e);
            QFAIL("no error");
        } catch (const StorageError& ex) {
            QVERIFY2(QString(ex.what()).contains("absurd shape (1000000, 1000000)"), ex.what());
        }
        // Dimensions past 2^31 - 1 are refused as the entries are read, naming the variable.
        t->project.database().exec("UPDATE checkpoint_variables SET shape = '[4294967296, 4294967296, 4294967296]' "
                                   "WHERE key = 'model/probs/bias/.ATTRIBUTES/VARIABLE_VALUE'");
        try {
            CheckpointReader r2(t->project, t->checkpointId);
            QFAIL("no error");
        } catch (const StorageError& ex) {
            QVERIFY2(QString(ex.what()).contains("variable 'model/probs/bias/.ATTRIBUTES/VARIABLE_VALUE' has an unreadable "
                                                 "dtype or shape (a shape dimension must be an integer from 0 to 2147483647"),
                     ex.what());
        }
    }

    void anUnknownDtypeIsNamed() {
        auto t = trained("dtype.strata");
        t->project.database().exec("UPDATE checkpoint_variables SET dtype = 'bfloat16' WHERE key LIKE 'model/probs/bias/%'");
        try {
            CheckpointReader r(t->project, t->checkpointId);
            QFAIL("no error");
        } catch (const StorageError& e) {
            QVERIFY2(QString(e.what()).contains("model/probs/bias") && QString(e.what()).contains("bfloat16"), e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestCheckpointStore)
#include "tst_checkpointstore.moc"
