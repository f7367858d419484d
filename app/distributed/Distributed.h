// Data-parallel training on MPI (docs/distributed.md): the transport behind train::Collectives.
// This header names no MPI type; MpiCollectives.cpp is the only file that includes <mpi.h>, and a
// build without MPI (-DSTRATA_MPI=OFF) compiles NoMpi.cpp instead, whose start() says so.
//
//   auto mpi = distributed::start({.timeoutSeconds = 300});  // MPI_Init_thread; one per process
//   opts.collectives = mpi.get();                            // rank(), size(), localRank()
//   ... on an error that this rank cannot share: mpi->abortJob("...")  (ends every rank)
#pragma once

#include "engine/train/Collectives.h"

#include <memory>
#include <string>

namespace strata::distributed {

struct StartOptions {
    // A collective (a gradient sum, a broadcast) that has not finished after this long ends the
    // whole job: a rank died or hangs. The message names this rank, the step and what it waited for.
    double timeoutSeconds = 300;
};

class Distributed : public train::Collectives {
public:
    // This rank's number among the ranks on its own host (picks the Vulkan device).
    virtual int localRank() const = 0;
    virtual int localSize() const = 0;
    // Prints "rank R, step S: message" on stderr and ends every rank of the job (MPI_Abort).
    [[noreturn]] virtual void abortJob(const std::string& message, int exitCode = 1) = 0;
};

// Whether this build has MPI (STRATA_MPI).
bool builtWithMpi();
// The number of processes the launcher started (mpirun's OMPI_COMM_WORLD_SIZE, or PMI_SIZE,
// PMIX_SIZE); 1 when not started by one. Reads the environment only; MPI is not started.
int launcherWorldSize();
// Starts MPI in this process (threads: serialized) and returns its collectives over every rank.
// Throws StrataError when MPI cannot start, or this build has none.
std::unique_ptr<Distributed> start(const StartOptions& options);

} // namespace strata::distributed
