// Backend choice for everything that runs a model (training sessions, predict, evaluate):
//   ""/"auto"   a real GPU through Vulkan when there is one, else the CPU backend
//   "cpu"       the CPU backend
//   "vulkan"    the best Vulkan device, CPU drivers (lavapipe) included
//   "vulkan:N"  Vulkan device N of `strata-cli devices`
// When Vulkan is asked for but this machine has no loader or device, the CPU backend is used and
// the choice carries a note saying why. Messages are for a person and name no program.
#pragma once

#include "engine/Error.h"
#include "engine/ir/Backend.h"

#include <memory>
#include <string>

namespace strata::session {

// An unknown device name, a malformed vulkan:N, or a Vulkan device that does not exist.
class DeviceError : public StrataError {
public:
    using StrataError::StrataError;
};

struct BackendChoice {
    std::unique_ptr<ir::Backend> backend; // null when `error` is set
    std::string note;                     // the CPU backend stands in for Vulkan, and why
    std::string error;                    // the device cannot be used, and why
};

BackendChoice chooseBackend(const std::string& device, int threads);

// Data-parallel ranks on one host share its devices: the device that the local rank `localRank`
// uses for `device` ("vulkan": Vulkan device localRank mod their count; ""/"auto": likewise among
// the real GPUs, or "cpu" without one; anything else as given).
std::string deviceForLocalRank(const std::string& device, int localRank);

// chooseBackend's backend; throws DeviceError with its error.
std::unique_ptr<ir::Backend> makeBackend(const std::string& device, int threads, std::string* note = nullptr);

} // namespace strata::session
