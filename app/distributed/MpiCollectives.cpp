// train::Collectives on MPI (OpenMPI 4.1): sums, broadcasts and agreement over MPI_COMM_WORLD.
//
// Gradient buckets are summed one after another by a communication thread (MPI_Iallreduce), so
// they travel while the training thread goes on with the backward pass. MPI is started with
// MPI_THREAD_SERIALIZED: one mutex keeps the two threads out of MPI at the same time. Every
// collective is non-blocking and polled against a deadline (the watchdog): when it has not
// finished in StartOptions::timeoutSeconds, a rank died or hangs, and this rank ends the job with
// MPI_Abort and a message naming itself, the step and the collective. When mpirun ends the job
// because another rank died, it sends SIGTERM: the handler says which step this rank was in.
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
#include <deque>
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
        if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS)
            throw StrataError("MPI could not start (MPI_Init_thread failed)");
        if (provided < MPI_THREAD_SERIALIZED) {
            MPI_Finalize();
            throw StrataError("this MPI library does not allow two threads to take turns (MPI_THREAD_SERIALIZED)");
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
        worker_ = std::thread([this] { work(); });
    }

    ~MpiCollectives() override {
        {
            std::lock_guard lock(queueMutex_);
            quit_ = true;
        }
        queueChanged_.notify_all();
        worker_.join();
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

    void startSum(int bucket, std::span<float> data) override {
        {
            std::lock_guard lock(queueMutex_);
            queue_.push_back({bucket, data});
            ++started_;
        }
        queueChanged_.notify_all();
    }

    void waitAll() override {
        std::unique_lock lock(queueMutex_);
        queueChanged_.wait(lock, [&] { return finished_ == started_; });
    }

    void sum(std::span<double> values) override {
        std::lock_guard lock(mpiMutex_);
        MPI_Request r;
        check(MPI_Iallreduce(MPI_IN_PLACE, values.data(), int(values.size()), MPI_DOUBLE, MPI_SUM, comm_, &r), "metric sum");
        poll(r, "the sum of the epoch's metrics");
    }

    void broadcast(std::vector<uint8_t>& bytes) override {
        std::lock_guard lock(mpiMutex_);
        int64_t n = int64_t(bytes.size());
        MPI_Request r;
        check(MPI_Ibcast(&n, 1, MPI_INT64_T, 0, comm_, &r), "broadcast");
        poll(r, "the broadcast of rank 0's state");
        bytes.resize(std::size_t(n));
        for (int64_t at = 0; at < n; at += kChunk) {
            const int count = int(std::min<int64_t>(kChunk, n - at));
            check(MPI_Ibcast(bytes.data() + at, count, MPI_BYTE, 0, comm_, &r), "broadcast");
            poll(r, "the broadcast of rank 0's state");
        }
    }

    int agree(int code) override {
        std::lock_guard lock(mpiMutex_);
        int all = code;
        MPI_Request r;
        check(MPI_Iallreduce(&code, &all, 1, MPI_INT, MPI_MAX, comm_, &r), "agreement");
        poll(r, "every rank's agreement to go on");
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
        int bucket = 0;
        std::span<float> data;
    };
    static constexpr int64_t kChunk = int64_t(1) << 30;

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

    void check(int rc, const char* what) {
        if (rc != MPI_SUCCESS) abortJob(std::string(what) + " failed: " + mpiError(rc), 3);
    }

    // Waits for `r` with mpiMutex_ held, answering MPI's progress; the watchdog ends the job at the deadline.
    void poll(MPI_Request& r, const std::string& what) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_);
        for (int spins = 0;; ++spins) {
            int done = 0;
            MPI_Status status;
            check(MPI_Test(&r, &done, &status), what.c_str());
            if (done) return;
            if (spins % 256 == 255) answerAlarms();
            if (std::chrono::steady_clock::now() > deadline) timedOut(what);
            if (spins < 64) std::this_thread::yield();
            else std::this_thread::sleep_for(std::chrono::microseconds(50));
        }
    }

    // The alarm: a rank whose collective timed out tells every other rank; a rank that is itself
    // waiting in a collective answers, so the silent ones are those that died or hang.
    void sendAlarm() {
        if (alarmSent_) return;
        alarmSent_ = true;
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
            alarmNote_ = step_;
            sendAlarm();
        }
    }
    [[noreturn]] void timedOut(const std::string& what) {
        alarmNote_ = step_;
        sendAlarm();
        const auto grace = std::chrono::steady_clock::now() + std::chrono::duration<double>(std::min(timeout_, 5.0));
        std::string silent;
        while (std::chrono::steady_clock::now() < grace) {
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

    void work() { // the communication thread: one bucket sum at a time, in the order started
        for (;;) {
            Pending p;
            {
                std::unique_lock lock(queueMutex_);
                queueChanged_.wait(lock, [&] { return quit_ || !queue_.empty(); });
                if (queue_.empty()) return;
                p = queue_.front();
                queue_.pop_front();
            }
            {
                std::lock_guard lock(mpiMutex_);
                MPI_Request r;
                check(MPI_Iallreduce(MPI_IN_PLACE, p.data.data(), int(p.data.size()), MPI_FLOAT, MPI_SUM, comm_, &r),
                      "gradient sum");
                poll(r, "the gradient sum (bucket " + std::to_string(p.bucket) + ", " +
                            std::to_string(p.data.size() * sizeof(float)) + " bytes)");
            }
            {
                std::lock_guard lock(queueMutex_);
                ++finished_;
            }
            queueChanged_.notify_all();
        }
    }

    double timeout_;
    MPI_Comm comm_ = MPI_COMM_NULL, local_ = MPI_COMM_NULL, alarm_ = MPI_COMM_NULL;
    std::vector<int64_t> notes_;       // per rank: its alarm's step, when it sent one
    std::vector<MPI_Request> alarms_;  // per rank: the receive of its alarm
    std::vector<bool> heard_;          // per rank: it sent an alarm (it is waiting too)
    int64_t alarmNote_ = 0;
    bool alarmSent_ = false;
    int rank_ = 0, size_ = 1, localRank_ = 0, localSize_ = 1;
    std::atomic<int64_t> step_{0};
    int faultRank_ = -1;
    long long faultStep_ = -1;
    bool faultHang_ = false;

    std::mutex mpiMutex_; // MPI_THREAD_SERIALIZED: one thread in MPI at a time
    std::mutex queueMutex_;
    std::condition_variable queueChanged_;
    std::deque<Pending> queue_;
    int64_t started_ = 0, finished_ = 0;
    bool quit_ = false;
    std::thread worker_;
};

} // namespace

bool builtWithMpi() { return true; }

std::unique_ptr<Distributed> start(const StartOptions& options) { return std::make_unique<MpiCollectives>(options); }

} // namespace strata::distributed
