#include "engine/cpu/CpuBackend.h"

#include "engine/Error.h"
#include "engine/cpu/CpuPlan.h"
#include "engine/cpu/ParallelFor.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic" // openblas_config.h uses C99 _Complex
#include <cblas.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cstring>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace strata::cpu {

using ir::ValueId;

namespace {
// Denormal floats cost ~100 cycles per operation on many x86 cores, and optimizer moments of a
// converging model reach them; like TensorFlow, a run flushes them to zero (FTZ and DAZ) on the
// calling thread and restores the caller's mode afterwards.
class FlushDenormals {
public:
#if defined(__SSE__)
    FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040u); }
    ~FlushDenormals() { _mm_setcsr(saved_); }

private:
    unsigned saved_;
#endif
};
} // namespace

CpuBackend::CpuBackend(int threads) { setThreads(threads); }

void CpuBackend::setThreads(int threads) {
    threads_ = std::max(threads, 1);
    openblas_set_num_threads(threads_);
}

std::string CpuBackend::blasCoreName() {
    const char* name = openblas_get_corename();
    return name ? std::string(name) : std::string("unknown");
}

void CpuBackend::setVariable(const std::string& path, const Tensor& value) {
    auto it = variables_.find(path);
    if (it != variables_.end() && it->second.shape() == value.shape() && it->second.dtype() == value.dtype())
        std::memcpy(it->second.bytes(), value.bytes(), value.byteSize()); // keep the storage: plans point into it
    else
        variables_[path] = value;
}

Tensor CpuBackend::getVariable(const std::string& path) const {
    auto it = variables_.find(path);
    if (it == variables_.end()) throw StrataError("the backend has no variable '" + path + "'");
    return it->second;
}

bool CpuBackend::hasVariable(const std::string& path) const { return variables_.count(path) != 0; }

std::vector<std::string> CpuBackend::variablePaths() const {
    std::vector<std::string> r;
    for (const auto& [k, v] : variables_) r.push_back(k);
    std::sort(r.begin(), r.end());
    return r;
}

Tensor& CpuBackend::variableFor(const std::string& path, const ir::Value& expected) {
    auto it = variables_.find(path);
    if (it == variables_.end()) throw StrataError("variable '" + path + "' has no value in the backend (set it first)");
    if (it->second.shape() != expected.shape || it->second.dtype() != expected.dtype)
        throw ShapeError("variable '" + path + "': the graph expects " + expected.shape.toString() + " " +
                         std::string(dtypeName(expected.dtype)) + ", the backend holds " + it->second.shape().toString() +
                         " " + std::string(dtypeName(it->second.dtype())));
    return it->second;
}

std::unique_ptr<ir::PreparedGraph> CpuBackend::prepare(const ir::Graph& graph, std::vector<ValueId> outputs) {
    return std::unique_ptr<ir::PreparedGraph>(makePlan(graph, std::move(outputs)));
}

void CpuBackend::run(ir::PreparedGraph& prepared, std::span<const ir::Feed> feeds, std::span<const ValueId> fetches,
                     std::vector<Tensor>& results) {
    runPlan(prepared, feeds, fetches, results, nullptr);
}

void CpuBackend::runObserved(ir::PreparedGraph& prepared, std::span<const ir::Feed> feeds,
                             std::span<const ValueId> fetches, std::vector<Tensor>& results, const ReadyFn& ready) {
    runPlan(prepared, feeds, fetches, results, &ready);
}

void CpuBackend::runPlan(ir::PreparedGraph& prepared, std::span<const ir::Feed> feeds, std::span<const ValueId> fetches,
                         std::vector<Tensor>& results, const ReadyFn* ready) {
    auto* plan = dynamic_cast<CpuPlan*>(&prepared);
    if (!plan) throw StrataError("this graph was prepared by another backend");
    CpuPlan& p = *plan;
    const ir::Graph& g = p.graph;
    const FlushDenormals flush;
    const ParallelScope parallel(threads_);

    const ir::BufferPlan& b = p.buffers;
    for (ValueId v : b.placeholders) p.ptr[std::size_t(v)] = nullptr;
    for (const ir::Feed& f : feeds) {
        const ValueId v = g.findPlaceholder(f.name);
        if (v == ir::kNoValue) throw StrataError("feed '" + f.name + "' does not name a placeholder of this graph");
        const ir::Value& want = g.value(v);
        if (f.value.shape != want.shape || f.value.dtype != want.dtype)
            throw ShapeError("feed '" + f.name + "': expected " + want.shape.toString() + " " +
                             std::string(dtypeName(want.dtype)) + ", got " + f.value.shape.toString() + " " +
                             std::string(dtypeName(f.value.dtype)));
        p.ptr[std::size_t(v)] = const_cast<void*>(f.value.data);
    }
    for (ValueId v : b.placeholders)
        if (!p.ptr[std::size_t(v)] && g.shape(v).numElements() > 0)
            throw StrataError("placeholder '" + g.producer(v).attrs.string("name") + "' was not fed");
    for (ValueId v : b.variableValues) p.ptr[std::size_t(v)] = variableFor(b.path[std::size_t(v)], g.value(v)).bytes();
    for (ValueId v : b.views) p.ptr[std::size_t(v)] = p.ptr[std::size_t(b.root[std::size_t(v)])];

    const std::span<const ValueId> want = fetches.empty() ? std::span<const ValueId>(p.outputList) : fetches;
    // Observed: each fetch is reported after the node that computes its memory; a fetch computed by
    // no kernel (a variable, a feed, a constant) after the last one. Outputs live to the end of
    // the run (BufferPlanner.h), so nothing overwrites a reported value.
    std::vector<std::vector<std::size_t>> readyAfter;
    std::vector<std::size_t> readyAtEnd;
    if (ready) {
        readyAfter.resize(std::size_t(g.nodeCount()));
        for (std::size_t i = 0; i < want.size(); ++i) {
            const ValueId root = b.root[std::size_t(want[i])];
            if (b.role[std::size_t(root)] == ir::ValueRole::Computed) readyAfter[std::size_t(g.value(root).node)].push_back(i);
            else readyAtEnd.push_back(i);
        }
    }
    auto report = [&](std::size_t i) {
        const ir::Value& val = g.value(want[i]);
        (*ready)(i, p.ptr[std::size_t(want[i])], std::size_t(val.shape.numElements()) * dtypeSize(val.dtype));
    };
    for (int32_t n : b.schedule) {
        execute(g, g.node(n), p.ptr.data(), p.scratch[std::size_t(n)]);
        if (ready)
            for (std::size_t i : readyAfter[std::size_t(n)]) report(i);
    }
    if (ready)
        for (std::size_t i : readyAtEnd) report(i);

    // Fetch before the assignments, so a fetched variable read shows the value the run used.
    results.resize(want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        const ValueId v = want[i];
        if (std::find(p.outputList.begin(), p.outputList.end(), v) == p.outputList.end())
            throw StrataError("fetch %" + std::to_string(v) + " was not listed as an output when the graph was prepared");
        const ir::Value& val = g.value(v);
        if (results[i].shape() != val.shape || results[i].dtype() != val.dtype || results[i].size() != val.shape.numElements())
            results[i] = Tensor(val.shape, val.dtype); // a default Tensor is a scalar shape without storage
        if (results[i].byteSize()) std::memcpy(results[i].bytes(), p.ptr[std::size_t(v)], results[i].byteSize());
    }
    for (const ir::Assignment& a : b.copies) {
        Tensor& t = variableFor(a.path, g.value(a.value));
        if (t.byteSize()) std::memcpy(t.bytes(), p.ptr[std::size_t(a.value)], t.byteSize());
    }
}

} // namespace strata::cpu
