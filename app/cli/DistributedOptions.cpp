#include "app/cli/DistributedOptions.h"

#include "app/session/Devices.h"

#include "engine/Error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <ostream>

namespace strata::cli {

namespace {
bool positiveNumber(const std::string& text, double& out) {
    try {
        std::size_t used = 0;
        out = std::stod(text, &used);
        return used == text.size() && out > 0;
    } catch (const std::exception&) {
        return false;
    }
}
} // namespace

bool startDistributed(const Args& a, session::TrainingRequest& r, DistributedRun& d, std::ostream& err) {
    if (!a.has("--distributed")) {
        for (const char* o : {"--global-batch", "--collective-timeout", "--bucket-kib"})
            if (a.hasValue(o)) {
                err << "strata-cli train: " << o << " needs --distributed\n";
                return false;
            }
        if (const int n = distributed::launcherWorldSize(); n > 1) {
            err << "strata-cli train: started by an MPI launcher as one of " << n
                << " processes but without --distributed: each would train alone (and write the same project); add "
                   "--distributed\n";
            return false;
        }
        return true;
    }
    if (!distributed::builtWithMpi()) {
        err << "strata-cli train: --distributed: Strata was built without MPI (-DSTRATA_MPI=OFF); install libopenmpi-dev "
               "and openmpi-bin and build with -DSTRATA_MPI=ON\n";
        return false;
    }
    double timeout = 300, global = 0, bucketKib = 1024;
    if (a.hasValue("--bucket-kib") && !positiveNumber(a.value("--bucket-kib"), bucketKib)) {
        err << "strata-cli train: --bucket-kib must be a positive number, got '" << a.value("--bucket-kib") << "'\n";
        return false;
    }
    if (a.hasValue("--collective-timeout") && !positiveNumber(a.value("--collective-timeout"), timeout)) {
        err << "strata-cli train: --collective-timeout must be a positive number of seconds, got '" << a.value("--collective-timeout") << "'\n";
        return false;
    }
    if (a.hasValue("--global-batch") &&
        (!positiveNumber(a.value("--global-batch"), global) || global != double(int64_t(global)))) {
        err << "strata-cli train: --global-batch must be an integer >= 1, got '" << a.value("--global-batch") << "'\n";
        return false;
    }
    if (a.hasValue("--global-batch") && a.hasValue("--batch")) {
        err << "strata-cli train: give --batch (per rank) or --global-batch (over all ranks), not both\n";
        return false;
    }
    try {
        d.mpi = distributed::start({timeout});
    } catch (const StrataError& e) {
        err << "strata-cli train: --distributed: " << e.what() << "\n";
        return false;
    }
    const int ranks = d.mpi->size();
    if (global > 0 && int64_t(global) < ranks) {
        err << "strata-cli train: --global-batch " << int64_t(global) << " is smaller than the " << ranks
            << " ranks: every rank needs at least one sample\n";
        return false;
    }
    r.collectives = d.mpi.get();
    r.options.bucketBytes = std::max<int64_t>(int64_t(bucketKib * 1024), 4);
    r.options.batchSize = global > 0 ? int64_t(global) : r.options.batchSize * ranks;
    r.device = session::deviceForLocalRank(r.device, d.mpi->localRank());
    return true;
}

void printDistributedSummary(const DistributedRun& d, const session::TrainingResult& r, int64_t globalBatch, bool json,
                             std::ostream& out) {
    if (!d.mpi || !d.rank0()) return;
    const train::DataParallelStats st = r.parallel.value_or(train::DataParallelStats{});
    const double step = st.steps ? (st.computeSeconds + st.waitSeconds + st.applySeconds) / double(st.steps) : 0;
    const double share = st.steps && step > 0 ? st.waitSeconds / double(st.steps) / step : 0;
    if (json) {
        out << nlohmann::json{{"distributed",
                               {{"ranks", d.mpi->size()}, {"global_batch", globalBatch}, {"steps", st.steps},
                                {"buckets", st.buckets}, {"bytes_per_step", st.bytesPerStep},
                                {"compute_seconds", st.computeSeconds}, {"wait_seconds", st.waitSeconds},
                                {"apply_seconds", st.applySeconds}, {"seconds_per_step", step},
                                {"exposed_communication_share", share}, {"replicas_agree", r.replicasAgree}}}}
                   .dump()
            << std::endl;
        return;
    }
    char line[256];
    std::snprintf(line, sizeof line,
                  "distributed: %d ranks, global batch %lld, %lld steps, %.2f ms/step (%.0f%% waiting for gradient sums), "
                  "%d buckets of %lld bytes in all, replicas %s\n",
                  d.mpi->size(), (long long)globalBatch, (long long)st.steps, step * 1e3, share * 100, st.buckets,
                  (long long)st.bytesPerStep, r.replicasAgree ? "agree" : "DIFFER");
    out << line;
}

} // namespace strata::cli
