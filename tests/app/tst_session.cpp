// session::TrainingSession, the run both programs share: digits_mlp on the built-in digits for
// one epoch, recorded in a temporary project (version, run, metrics, a checkpoint), then resumed
// to a second epoch from that checkpoint; a stop asked for before fit skips fit; the model
// loading (app/session/ModelLoading.h) finds the run's checkpoint again.
#include "app/session/Devices.h"
#include "app/session/ModelLoading.h"
#include "app/session/TrainingSession.h"

#include "engine/Error.h"
#include "storage/CheckpointStore.h"
#include "storage/Project.h"

#include <QTemporaryDir>
#include <QTest>

#include <string>

using namespace strata;

namespace {

std::string example(const char* name) { return std::string(STRATA_TEST_DATA_DIR) + "/../../resources/examples/" + name; }

session::TrainingRequest digitsRequest(const std::string& project, bool resume, int epochs) {
    session::TrainingRequest r;
    if (!resume) r.spec = ModelSpec::load(example("digits_mlp.json"));
    if (!resume) r.data = {"digits", {}, false, false};
    r.options.epochs = epochs;
    r.options.loss.clear(); // the data's default: sparse categorical cross-entropy
    r.device = "cpu";
    session::ProjectTrainingOptions po;
    po.project = project;
    po.model = "digits";
    po.resume = resume;
    r.project = po;
    return r;
}

} // namespace

class TestSession : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;

  private slots:
    void oneEpochIsRecordedThenResumeContinues() {
        const std::string file = dir_.filePath("session.strata").toStdString();
        int steps = 0, epochs = 0;
        std::string recording;
        {
            session::TrainingSession s(digitsRequest(file, false, 1));
            session::TrainingEvents events;
            events.started = [&](const std::string& line) { recording = line; };
            events.step = [&](const train::StepEvent&) { ++steps; };
            events.epoch = [&](const train::EpochEvent&) { ++epochs; };
            const session::TrainingResult r = s.run(events);
            QCOMPARE(epochs, 1);
            QVERIFY(steps > 0);
            QVERIFY(!r.fit.stopped && !r.fit.diverged);
            QVERIFY(r.test.samples > 0);
            QVERIFY2(r.test.accuracy >= 0 && r.test.accuracy <= 1, qPrintable(QString::number(r.test.accuracy)));
            QCOMPARE(s.runId(), int64_t(1));
            QCOMPARE(s.backendName(), std::string("cpu"));
            QCOMPARE(s.datasetName(), std::string("digits"));
            QCOMPARE(s.options().loss, std::string("sparse_categorical_crossentropy"));
        }
        QVERIFY2(recording.find("recording run 1 of model 'digits'") != std::string::npos, recording.c_str());
        {
            const storage::Project p = storage::Project::open(file, storage::OpenMode::ReadOnly);
            const storage::RunInfo run = p.run(1);
            QCOMPARE(run.status, std::string("completed"));
            QCOMPARE(run.result.value("epochs_done", 0), 1);
            QCOMPARE(run.result.value("steps", int64_t(0)), int64_t(steps));
            const auto latest = storage::CheckpointStore(p).latest({});
            QVERIFY(latest);
            QCOMPARE(latest->epochsDone, 1);
            // the loading side finds the same checkpoint and builds the model with its weights
            const session::LoadedModel m = session::loadModel(file, "digits", "latest");
            QVERIFY(m.model && m.model->built());
            QCOMPARE(m.training.value("epochs", 0), 1);
        }

        int resumedEpochs = 0;
        session::TrainingSession s(digitsRequest(file, true, 2));
        session::TrainingEvents events;
        events.started = [&](const std::string& line) { recording = line; };
        events.epoch = [&](const train::EpochEvent& e) {
            QCOMPARE(e.epoch, 2); // the first epoch is not trained again
            ++resumedEpochs;
        };
        const session::TrainingResult r = s.run(events);
        QVERIFY2(recording.find("resuming run 1 from checkpoint") != std::string::npos, recording.c_str());
        QCOMPARE(resumedEpochs, 1);
        QVERIFY(!r.fit.stopped);
        const storage::Project p = storage::Project::open(file, storage::OpenMode::ReadOnly);
        QCOMPARE(p.runs().size(), std::size_t(1));
        const storage::RunInfo run = p.run(1);
        QCOMPARE(run.status, std::string("completed"));
        QCOMPARE(run.result.value("epochs_done", 0), 2);
        QCOMPARE(run.result.value("steps", int64_t(0)), int64_t(2 * steps));
    }

    void stopBeforeFitSkipsFitAndStillEvaluates() {
        session::TrainingRequest r;
        r.spec = ModelSpec::load(example("digits_mlp.json"));
        r.data = {"digits", {}, false, false};
        r.device = "cpu";
        session::TrainingSession s(std::move(r));
        s.requestStop();
        const session::TrainingResult result = s.run();
        QVERIFY(result.fit.stopped);
        QCOMPARE(result.fit.message, std::string("stopped before the first step"));
        QCOMPARE(result.fit.steps, int64_t(0));
        QVERIFY(result.test.samples > 0);
        QCOMPARE(s.runId(), int64_t(0));
    }

    void stagesReportTheirOwnErrors() {
        session::TrainingRequest r;
        r.spec = ModelSpec::load(example("digits_mlp.json"));
        r.data = {"digits", {}, false, false};
        r.device = "tpu";
        session::TrainingSession s(std::move(r));
        s.openProject();
        QVERIFY_THROWS_EXCEPTION(session::DeviceError, s.makeBackend());
        try {
            s.makeBackend();
        } catch (const session::DeviceError& e) {
            QVERIFY2(std::string(e.what()).find("unknown device 'tpu'") == 0, e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestSession)
#include "tst_session.moc"
