// Which process records a run, so that a run left "running" by a process that is gone (killed,
// crashed, or stopped by a write that failed, e.g. on a full disk, before it could mark the run)
// can be told from one still training. Project stores the owner in the run's result while the run
// is "running" (Project::beginRun, updateRun) and reads such runs as failed (Project::runs).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace strata::storage {

// {"pid", "host", "start"} of this process; start is its start time in clock ticks after boot
// (from /proc), so that a later process reusing the pid is not taken for it.
nlohmann::json currentRunOwner();

// True when `result` names an owner on this machine whose process is gone. Runs recorded on
// another host, by a live process, or by a Strata that kept no owner give false.
bool runOwnerIsGone(const nlohmann::json& result);

// "interrupted: its process (pid N) ended before the run was finished: ..."
std::string interruptedRunMessage(const nlohmann::json& owner);

} // namespace strata::storage
