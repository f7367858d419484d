// Special files given as input (issue 19): a FIFO blocked the reader forever and /dev/zero was
// read until memory ran out. Every reader now refuses what is not a regular file, by name, and
// a file over its cap, before reading a byte.
#include "engine/Error.h"
#include "engine/InputFiles.h"
#include "engine/ModelSpec.h"
#include "engine/data/CsvTensors.h"
#include "engine/data/DatasetSource.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <sys/stat.h>

using namespace strata;

class TestInputFiles : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    std::string fifo_;

private slots:
    void initTestCase() {
        fifo_ = (std::filesystem::path(dir_.path().toStdString()) / "pipe").string();
        QCOMPARE(::mkfifo(fifo_.c_str(), 0600), 0);
    }

    void problemsNameTheFileAndTheKind() {
        QCOMPARE(QString::fromStdString(inputFileProblem(fifo_, 100)), QString::fromStdString(fifo_ + ": is a FIFO (named pipe), not a regular file"));
        QCOMPARE(QString::fromStdString(inputFileProblem("/dev/zero", 100)), QString("/dev/zero: is a device, not a regular file"));
        QCOMPARE(QString::fromStdString(inputFileProblem(dir_.path().toStdString(), 100)),
                 QString::fromStdString(dir_.path().toStdString() + ": is a directory, not a file"));
        const std::string big = (std::filesystem::path(dir_.path().toStdString()) / "big.json").string();
        std::ofstream(big) << std::string(200, ' ');
        QCOMPARE(QString::fromStdString(inputFileProblem(big, 100)), QString::fromStdString(big + ": is 200 bytes; at most 100 are read"));
        QVERIFY(inputFileProblem(big, 200).empty());
    }

    void readersRefuseSpecialFiles() {
        auto errorOf = [](const std::function<void()>& f) -> std::string {
            try {
                f();
            } catch (const StrataError& e) {
                return e.what();
            }
            return "(read)";
        };
        QCOMPARE(QString::fromStdString(errorOf([&] { ModelSpec::load(fifo_); })),
                 QString::fromStdString(fifo_ + ": is a FIFO (named pipe), not a regular file"));
        QCOMPARE(QString::fromStdString(errorOf([&] { data::readCsvTensor("/dev/zero", Shape{2}, "x"); })),
                 QString("/dev/zero: is a device, not a regular file"));
        QCOMPARE(QString::fromStdString(errorOf([&] { data::loadDataSource({"csv:" + fifo_, {}, false, false}); })),
                 QString::fromStdString(fifo_ + ": is a FIFO (named pipe), not a regular file"));
    }
};

QTEST_GUILESS_MAIN(TestInputFiles)
#include "tst_input_files.moc"
