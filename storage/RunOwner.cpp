#include "storage/RunOwner.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

namespace strata::storage {

namespace {

// The start time of process `pid` in clock ticks after boot (field 22 of /proc/PID/stat), or -1.
int64_t processStart(long pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const auto close = stat.rfind(')'); // the command name may hold spaces and parentheses
    if (close == std::string::npos) return -1;
    std::istringstream rest(stat.substr(close + 2));
    std::string field;
    for (int i = 3; i <= 22 && rest >> field; ++i)
        if (i == 22) return std::atoll(field.c_str());
    return -1;
}

std::string hostName() {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    return host;
}

} // namespace

nlohmann::json currentRunOwner() {
    return {{"pid", int64_t(::getpid())}, {"host", hostName()}, {"start", processStart(long(::getpid()))}};
}

std::string interruptedRunMessage(const nlohmann::json& owner) {
    return "interrupted: its process (pid " + std::to_string(owner.value("pid", int64_t(0))) +
           ") ended before the run was finished: it was killed or crashed, or a write failed (a full disk?)";
}

bool runOwnerIsGone(const nlohmann::json& result) {
    const auto owner = result.find("owner");
    if (owner == result.end() || !owner->is_object() || !owner->contains("pid") || !(*owner)["pid"].is_number_integer())
        return false;
    if (owner->value("host", std::string()) != hostName()) return false;
    const long pid = long((*owner)["pid"].get<int64_t>());
    if (pid <= 0) return false;
    if (::kill(pid_t(pid), 0) != 0) return errno == ESRCH;
    const int64_t start = owner->value("start", int64_t(-1));
    return start >= 0 && processStart(pid) >= 0 && processStart(pid) != start; // the pid was reused
}

} // namespace strata::storage
