// The CPU backend: the reference every other backend is held to, and fast enough to train
// small models. Variables live in host Tensors keyed by path. prepare() copies the graph,
// keeps only the nodes the outputs and assignments need, and plans one arena for all
// intermediate buffers (first-fit reuse by liveness; reshapes alias their input). An assigned
// value whose producer is elementwise and runs after every read of that variable is computed
// straight into the variable's storage (optimizer updates run in place, no copy).
// Threads: BLAS (matmul, convolutions) uses `threads`; OpenBLAS' setting is process-wide.
// Other kernels run on the calling thread. A run flushes denormals to zero on that thread.
#pragma once

#include "engine/ir/Backend.h"

#include <unordered_map>

namespace strata::cpu {

class CpuBackend final : public ir::Backend {
public:
    explicit CpuBackend(int threads = 1);

    void setThreads(int threads);
    int threads() const { return threads_; }
    // The BLAS kernel family in use, e.g. "Haswell" (OpenBLAS picks it from the CPU at load time;
    // the environment variable OPENBLAS_CORETYPE overrides it).
    static std::string blasCoreName();

    std::string name() const override { return "cpu"; }
    void setVariable(const std::string& path, const Tensor& value) override;
    Tensor getVariable(const std::string& path) const override;
    bool hasVariable(const std::string& path) const override;
    std::vector<std::string> variablePaths() const override;

    std::unique_ptr<ir::PreparedGraph> prepare(const ir::Graph& graph, std::vector<ir::ValueId> outputs) override;
    using ir::Backend::run;
    void run(ir::PreparedGraph& prepared, std::span<const ir::Feed> feeds, std::span<const ir::ValueId> fetches,
             std::vector<Tensor>& results) override;
    // Reports each fetch right after the kernel that computes it (its root's producer).
    void runObserved(ir::PreparedGraph& prepared, std::span<const ir::Feed> feeds, std::span<const ir::ValueId> fetches,
                     std::vector<Tensor>& results, const ReadyFn& ready) override;

private:
    void runPlan(ir::PreparedGraph& prepared, std::span<const ir::Feed> feeds, std::span<const ir::ValueId> fetches,
                 std::vector<Tensor>& results, const ReadyFn* ready);
    Tensor& variableFor(const std::string& path, const ir::Value& expected);

    int threads_ = 1;
    std::unordered_map<std::string, Tensor> variables_;
};

} // namespace strata::cpu
