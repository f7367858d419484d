// What the MPI launcher tells a process through its environment, read without starting MPI.
#include "app/distributed/Distributed.h"

#include <algorithm>
#include <cstdlib>
#include <string>

namespace strata::distributed {

int launcherWorldSize() {
    for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"})
        if (const char* v = std::getenv(name)) {
            try {
                return std::max(std::stoi(v), 1);
            } catch (const std::exception&) {
            }
        }
    return 1;
}

} // namespace strata::distributed
