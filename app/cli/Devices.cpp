#include "app/cli/Devices.h"

#include "app/session/Devices.h"

#include <ostream>

namespace strata::cli {

std::unique_ptr<ir::Backend> makeBackend(const std::string& device, int threads, std::ostream& err) {
    session::BackendChoice c = session::chooseBackend(device, threads);
    if (!c.error.empty()) err << "strata-cli: " << c.error << "\n";
    if (!c.note.empty()) err << "strata-cli: " << c.note << "\n";
    return std::move(c.backend);
}

} // namespace strata::cli
