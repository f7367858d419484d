// A build without MPI (-DSTRATA_MPI=OFF): distributed training is not available, and says so.
#include "app/distributed/Distributed.h"

#include "engine/Error.h"

namespace strata::distributed {

bool builtWithMpi() { return false; }

std::unique_ptr<Distributed> start(const StartOptions&) {
    throw StrataError("Strata was built without MPI (-DSTRATA_MPI=OFF), so --distributed is not available; "
                      "install libopenmpi-dev and openmpi-bin and build with -DSTRATA_MPI=ON");
}

} // namespace strata::distributed
