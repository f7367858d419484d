// strata-cli train --distributed: the options of a data-parallel run under mpirun
// (docs/distributed.md), MPI's start, and the summary line the run ends with.
#pragma once

#include "app/cli/Cli.h"
#include "app/distributed/Distributed.h"
#include "app/session/TrainingSession.h"

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace strata::cli {

inline const std::vector<std::string> kDistributedFlags = {"--distributed"};
inline const std::vector<std::string> kDistributedOptions = {"--global-batch", "--collective-timeout", "--bucket-kib"};
inline constexpr const char* kDistributedUsage =
    "  --distributed       data-parallel training, one replica per rank: mpirun -np N strata-cli train\n"
    "                      ... --distributed. Every rank trains on its shard of each global batch; the\n"
    "                      gradients are averaged (MPI_Allreduce); rank 0 alone prints and writes the\n"
    "                      project; --device vulkan gives each rank on a host its own device\n"
    "  --global-batch G    the batch over all ranks (default: --batch x ranks)\n"
    "  --collective-timeout S  end the whole job when a gradient sum or broadcast waits longer than S\n"
    "                      seconds: a rank died or hangs (default 300)\n"
    "  --bucket-kib K      gradients are summed in buckets of about K KiB, each as soon as the\n"
    "                      backward pass has computed it (default 1024)\n";

struct DistributedRun {
    std::unique_ptr<distributed::Distributed> mpi; // null: one process
    bool rank0() const { return !mpi || mpi->rank() == 0; }
};

// Parses the options above; with --distributed, starts MPI, sets r.collectives, the global batch
// and each rank's device. Without it, refuses to run as one of several processes mpirun started.
// Returns false after printing a usage error (exit status 2).
bool startDistributed(const Args& a, session::TrainingRequest& r, DistributedRun& d, std::ostream& err);

// After the run, on rank 0: one JSON line {"distributed": {...}} or a line of text.
void printDistributedSummary(const DistributedRun& d, const session::TrainingResult& r, int64_t globalBatch, bool json,
                             std::ostream& out);

} // namespace strata::cli
