// Shared helpers of the storage suites: example specs, a built model, a project in a temp folder,
// raw SQL on a project, and the strata-cli binary for tests that run it as a child process.
#pragma once

#include "app/cli/Cli.h"
#include "engine/Model.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/train/Trainer.h"
#include "storage/Project.h"
#include "storage/Sqlite.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QString>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace strata::testutil {

inline std::string examplePath(const char* name) {
    return std::string(STRATA_TEST_DATA_DIR) + "/../../resources/examples/" + name;
}

inline ModelSpec example(const char* name) { return ModelSpec::load(examplePath(name)); }

inline std::unique_ptr<Model> builtModel(const char* name, uint64_t seed = 0) {
    auto m = Model::fromSpec(example(name));
    m->build(seed);
    return m;
}

inline ModelSpec specFromJson(const char* text) { return ModelSpec::parse(text, "test spec"); }

inline train::TrainOptions adam(int epochs, int64_t batch = 32, uint64_t seed = 0) {
    train::TrainOptions o;
    o.epochs = epochs;
    o.batchSize = batch;
    o.seed = seed;
    o.optimizer = ir::OptimizerConfig::defaults("adam");
    return o;
}

// Runs SQL on a project file through a second connection (tests damage files on purpose).
inline void sql(const std::filesystem::path& file, const std::string& statement) {
    storage::Database db(file, false, false);
    db.exec(statement, "test SQL");
}

inline bool sameBytes(const Tensor& a, const Tensor& b) {
    return a.shape() == b.shape() && a.dtype() == b.dtype() && std::memcmp(a.bytes(), b.bytes(), a.byteSize()) == 0;
}

inline void writeText(const std::filesystem::path& file, const std::string& text) {
    std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
}

inline std::string readText(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// The real strata-cli: $STRATA_CLI, else ../app/strata-cli next to the test binary. Empty when absent.
// strata-cli in this process (cli::runCli): its exit code and what it printed.
struct CliResult {
    int code;
    std::string out, err;
};

inline CliResult runCliHere(const std::vector<std::string>& args) {
    std::ostringstream out, err;
    const int code = cli::runCli(args, out, err);
    return {code, out.str(), err.str()};
}

inline QString cliBinary() {
    const QByteArray env = qgetenv("STRATA_CLI");
    if (!env.isEmpty()) return QString::fromLocal8Bit(env);
    const QString bin = QCoreApplication::applicationDirPath() + "/../app/strata-cli";
    return QFileInfo::exists(bin) ? bin : QString();
}

} // namespace strata::testutil
