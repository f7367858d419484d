// train::Collectives on MPI (OpenMPI 4.1): sums, broadcasts and agreement over MPI_COMM_WORLD.
//
// A gradient bucket's sum starts (MPI_Iallreduce) as soon as the backward pass has filled it, and
// a progress thread calls MPI_Test while the training thread goes on with the backward pass, so the
// sums travel meanwhile (MPI moves a non-blocking collective on only inside MPI calls). The step's
// last bucket, after which nothing is left to overlap, and the sums, broadcasts and agreements
// between steps are blocking MPI_Allreduce / MPI_Bcast, MPI's fastest path. MPI is started with
// MPI_THREAD_MULTIPLE: the progress thread is also the watchdog, which ends the job when a
// collective has not finished in StartOptions::timeoutSeconds (a rank died or hangs): it sends an
// alarm to every rank on a communicator of its own; the ranks that are waiting too answer, and
// MPI_Abort's message names this rank, the step, the collective and the ranks that did not answer.
// When mpirun ends the job because another rank died, it sends SIGTERM: the handler says which
// step this rank was in.
//
// Test hook: STRATA_TEST_FAULT=RANK:STEP:kill|hang makes rank RANK kill itself (SIGKILL) or stop
// answering (sleep forever) when it begins step STEP (tests/mpi).
#include "app/distributed/Distributed.h"

#include "engine/Error.h"

#include <mpi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <unistd.h>
#include <vector>

namespace strata::distributed {

namespace {

std::atomic<int> gRank{-1};
std::atomic<int64_t> gStep{0};
std::atomic<bool> gAborting{false}; // this rank ends the job itself and has said why

// "step 12" or, before training, "before the first step".
std::string stepText(int64_t step) { return step > 0 ? "step " + std::to_string(step) : "before the first step"; }

extern "C" void onTerminate(int sig) {
    char line[160];
    const long long step = gStep.load();
    const int n = step > 0 ? std::snprintf(line, sizeof line,
                                           "strata-cli: rank %d, step %lld: ended by the MPI launcher (another rank "
                                           "failed); the project keeps its last committed checkpoint\n",
                                           gRank.load(), step)
                           : std::snprintf(line, sizeof line,
                                           "strata-cli: rank %d, before the first step: ended by the MPI launcher "
                                           "(another rank failed)\n",
                                           gRank.load());
    if (n > 0 && !gAborting) (void)!write(STDERR_FILENO, line, std::size_t(std::min<int>(n, int(sizeof line) - 1)));
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

std::string mpiError(int code) {
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(code, text, &len);
    return std::string(text, std::size_t(len));
}

class MpiCollectives final : public Distributed {
public:
    explicit MpiCollectives(const StartOptions& o) : timeout_(o.timeoutSeconds) {
        int initialized = 0;
        MPI_Initialized(&initialized);
        if (initialized) throw StrataError("MPI was started twice in this process");
        int provided = 0;
        if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided) != MPI_SUCCESS)
            throw StrataError("MPI could not start (MPI_Init_thread failed)");
        if (provided < MPI_THREAD_MULTIPLE) {
            MPI_Finalize();
            throw StrataError("this MPI library was built without MPI_THREAD_MULTIPLE, which the watchdog needs");
        }
        MPI_Comm_dup(MPI_COMM_WORLD, &comm_);
        MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
        MPI_Comm_rank(comm_, &rank_);
        MPI_Comm_size(comm_, &size_);
        MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local_);
        MPI_Comm_rank(local_, &localRank_);
        MPI_Comm_size(local_, &localSize_);
        MPI_Comm_dup(comm_, &alarm_);
        notes_.assign(std::size_t(size_), 0);
        alarms_.assign(std::size_t(size_), MPI_REQUEST_NULL);
        for (int r = 0; r < size_; ++r)
            if (r != rank_) MPI_Irecv(&notes_[std::size_t(r)], 1, MPI_INT64_T, r, 0, alarm_, &alarms_[std::size_t(r)]);
        heard_.assign(std::size_t(size_), false);
        gRank = rank_;
        std::signal(SIGTERM, onTerminate);
        readFault();
        watchdog_ = std::thread([this] { watch(); });
    }

    ~MpiCollectives() override {
        {
            std::lock_guard lock(mutex_);
            quit_ = true;
        }
        wake_.notify_all();
        watchdog_.join();
        for (MPI_Request& r : alarms_)
            if (r != MPI_REQUEST_NULL) {
                MPI_Cancel(&r);
                MPI_Request_free(&r);
            }
        MPI_Comm_free(&alarm_);
        MPI_Comm_free(&local_);
        MPI_Comm_free(&comm_);
        MPI_Finalize();
    }

    int rank() const override { return rank_; }
    int size() const override { return size_; }
    int localRank() const override { return localRank_; }
    int localSize() const override { return localSize_; }

    void setStep(int64_t step) override {
        step_ = step;
        gStep = step;
        if (rank_ == faultRank_ && step == faultStep_) {
            std::fprintf(stderr, "strata-cli: rank %d, step %lld: STRATA_TEST_FAULT: %s\n", rank_, (long long)step,
                         faultHang_ ? "hanging" : "killing this rank");
            std::fflush(stderr);
            if (!faultHang_) std::raise(SIGKILL);
            for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
        }
    }

    void startSum(int bucket, std::span<float> data, bool last) override {
        const std::string what = "the gradient sum (bucket " + std::to_string(bucket) + ", " +
                                 std::to_string(data.size() * sizeof(float)) + " bytes)";
        if (last) {
            blocking(what, [&] { return MPI_Allreduce(MPI_IN_PLACE, data.data(), int(data.size()), MPI_FLOAT, MPI_SUM, comm_); });
            return;
        }
        {
            std::lock_guard lock(mutex_);
            Pending p{what, MPI_REQUEST_NULL, std::chrono::steady_clock::now()};
            check(MPI_Iallreduce(MPI_IN_PLACE, data.data(), int(data.size()), MPI_FLOAT, MPI_SUM, comm_, &p.request), what);
            inFlight_.push_back(std::move(p));
        }
        wake_.notify_one();
    }

    void waitAll() override { // the training thread tests what is left itself: no hand-off to wait for
        for (int spins = 0;; ++spins) {
            {
                std::lock_guard lock(mutex_);
                if (testInFlight()) return;
            }
            if (spins < 2048) std::this_thread::yield();
            else std::this_thread::sleep_for(std::chrono::microseconds(20));
        }
    }

    void sum(std::span<double> values) override {
        blocking("the sum of the epoch's metrics", [&] {
            return MPI_Allreduce(MPI_IN_PLACE, values.data(), int(values.size()), MPI_DOUBLE, MPI_SUM, comm_);
        });
    }

    void broadcast(std::vector<uint8_t>& bytes) override {
        int64_t n = int64_t(bytes.size());
        const std::string what = "the broadcast of rank 0's state";
        blocking(what, [&] { return MPI_Bcast(&n, 1, MPI_INT64_T, 0, comm_); });
        bytes.resize(std::size_t(n));
        for (int64_t at = 0; at < n; at += kChunk) {
            const int count = int(std::min<int64_t>(kChunk, n - at));
            blocking(what, [&] { return MPI_Bcast(bytes.data() + at, count, MPI_BYTE, 0, comm_); });
        }
    }

    int agree(int code) override {
        int all = code;
        blocking("every rank's agreement to go on", [&] { return MPI_Allreduce(&code, &all, 1, MPI_INT, MPI_MAX, comm_); });
        return all;
    }

    [[noreturn]] void abortJob(const std::string& message, int exitCode) override {
        gAborting = true;
        std::fprintf(stderr, "strata-cli: rank %d, %s: %s\n", rank_, stepText(step_.load()).c_str(), message.c_str());
        std::fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, exitCode);
        std::_Exit(exitCode);
    }

private:
    struct Pending {
        std::string what;
        MPI_Request request = MPI_REQUEST_NULL;
        std::chrono::steady_clock::time_point started;
    };
    static constexpr int64_t kChunk = int64_t(1) << 30;
    using Clock = std::chrono::steady_clock;

    void readFault() {
        const char* v = std::getenv("STRATA_TEST_FAULT");
        if (!v) return;
        int rank = -1;
        long long step = -1;
        char how[16] = {};
        if (std::sscanf(v, "%d:%lld:%15s", &rank, &step, how) == 3 && (std::strcmp(how, "kill") == 0 || std::strcmp(how, "hang") == 0)) {
            faultRank_ = rank;
            faultStep_ = step;
            faultHang_ = std::strcmp(how, "hang") == 0;
        }
    }

    void check(int rc, const std::string& what) {
        if (rc != MPI_SUCCESS) abortJob(what + " failed: " + mpiError(rc), 3);
    }

    // A blocking collective on the calling thread, watched by the watchdog.
    template <class Call> void blocking(const std::string& what, Call call) {
        {
            std::lock_guard lock(mutex_);
            blockingWhat_ = what;
            blockingSince_ = Clock::now();
            blockingNow_ = true;
        }
        const int rc = call();
        {
            std::lock_guard lock(mutex_);
            blockingNow_ = false;
        }
        check(rc, what);
    }

    // With mutex_ held: tests the sums in flight, drops the finished ones, ends the job when one is
    // past its deadline; true when none is left.
    bool testInFlight() {
        const auto now = Clock::now();
        for (std::size_t i = 0; i < inFlight_.size();) {
            int done = 0;
            check(MPI_Test(&inFlight_[i].request, &done, MPI_STATUS_IGNORE), inFlight_[i].what);
            if (done) {
                inFlight_.erase(inFlight_.begin() + std::ptrdiff_t(i));
                continue;
            }
            if (now - inFlight_[i].started > std::chrono::duration<double>(timeout_)) timedOut(inFlight_[i].what);
            ++i;
        }
        return inFlight_.empty();
    }

    // The progress thread and watchdog: tests the sums in flight while the training thread computes,
    // answers other ranks' alarms, and ends the job when a blocking collective is past its deadline.
    void watch() {
        std::unique_lock lock(mutex_);
        while (!quit_) {
            testInFlight();
            answerAlarms();
            if (blockingNow_ && Clock::now() - blockingSince_ > std::chrono::duration<double>(timeout_)) timedOut(blockingWhat_);
            if (!inFlight_.empty()) {
                lock.unlock();
                std::this_thread::sleep_for(std::chrono::microseconds(20));
                lock.lock();
            } else {
                wake_.wait_for(lock, std::chrono::milliseconds(50));
            }
        }
    }

    // The alarm (with mutex_ held): a rank whose collective timed out tells every other rank; a rank
    // that is itself waiting in a collective answers, so the silent ones are those that died or hang.
    void sendAlarm() {
        if (alarmSent_) return;
        alarmSent_ = true;
        alarmNote_ = step_;
        for (int r = 0; r < size_; ++r) {
            if (r == rank_) continue;
            MPI_Request q;
            MPI_Isend(&alarmNote_, 1, MPI_INT64_T, r, 0, alarm_, &q);
            MPI_Request_free(&q);
        }
    }
    void answerAlarms() {
        for (int r = 0; r < size_; ++r) {
            int got = 0;
            if (alarms_[std::size_t(r)] == MPI_REQUEST_NULL) continue;
            MPI_Test(&alarms_[std::size_t(r)], &got, MPI_STATUS_IGNORE);
            if (!got) continue;
            heard_[std::size_t(r)] = true;
            alarms_[std::size_t(r)] = MPI_REQUEST_NULL;
            if (blockingNow_ || !inFlight_.empty()) sendAlarm(); // this rank waits too
        }
    }
    [[noreturn]] void timedOut(const std::string& what) {
        sendAlarm();
        const auto grace = Clock::now() + std::chrono::duration<double>(std::min(timeout_, 5.0));
        std::string silent;
        while (Clock::now() < grace) {
            answerAlarms();
            silent.clear();
            for (int r = 0; r < size_; ++r)
                if (r != rank_ && !heard_[std::size_t(r)]) silent += (silent.empty() ? "" : ", ") + std::to_string(r);
            if (silent.empty()) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        char why[128];
        std::snprintf(why, sizeof why, " did not finish within %g s", timeout_);
        abortJob(what + why + (silent.empty() ? std::string("; every rank is waiting (they disagree on the collectives)")
                                              : "; rank " + silent + " did not answer: it died or hangs") +
                     "; ending the job",
                 4);
    }

    double timeout_;
    MPI_Comm comm_ = MPI_COMM_NULL, local_ = MPI_COMM_NULL, alarm_ = MPI_COMM_NULL;
    int rank_ = 0, size_ = 1, localRank_ = 0, localSize_ = 1;
    std::atomic<int64_t> step_{0};
    int faultRank_ = -1;
    long long faultStep_ = -1;
    bool faultHang_ = false;

    std::mutex mutex_; // guards everything below
    std::condition_variable wake_;     // sums are in flight, or quit_
    std::vector<Pending> inFlight_;    // started, in order, not yet seen finished
    bool blockingNow_ = false;         // the training thread is in a blocking collective...
    std::string blockingWhat_;         // ...this one...
    Clock::time_point blockingSince_;  // ...since then
    std::vector<int64_t> notes_;       // per rank: its alarm's step, when it sent one
    std::vector<MPI_Request> alarms_;  // per rank: the receive of its alarm
    std::vector<bool> heard_;          // per rank: it sent an alarm (it is waiting too)
    int64_t alarmNote_ = 0;
    bool alarmSent_ = false;
    bool quit_ = false;
    std::thread watchdog_;
};

} // namespace

bool builtWithMpi() { return true; }

std::unique_ptr<Distributed> start(const StartOptions& options) { return std::make_unique<MpiCollectives>(options); }

} // namespace strata::distributed
