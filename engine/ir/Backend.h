// The execution interface every backend implements (CpuBackend now, a Vulkan backend later).
//
//   CpuBackend be;
//   be.setVariable("model/dense/kernel", kernelTensor);           // backend-owned state
//   auto step = be.prepare(graph, {loss});                          // plan once per signature
//   std::vector<Tensor> out = be.run(*step, {{"x", TensorView(x)}, {"y", TensorView(y)}});
//   Tensor k = be.getVariable("model/dense/kernel");
//
// prepare() orders the needed nodes, plans buffer lifetimes and allocates every intermediate
// buffer; run() then allocates nothing but the returned tensors (the overload taking an output
// vector reuses its tensors when shapes match). Nodes that no output and no assignment needs
// are skipped. Feeds are views: the caller's memory is read in place during run().
// Assignments (Graph::assign) are applied after all nodes, in graph order.
#pragma once

#include "engine/DType.h"
#include "engine/Error.h"
#include "engine/Shape.h"
#include "engine/Tensor.h"
#include "engine/ir/Graph.h"

#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace strata::ir {

// Borrowed, read-only, contiguous elements of a known shape and dtype.
struct TensorView {
    const void* data = nullptr;
    Shape shape;
    DType dtype = DType::F32;

    TensorView() = default;
    TensorView(const void* d, Shape s, DType t) : data(d), shape(std::move(s)), dtype(t) {}
    TensorView(const Tensor& t) : data(t.bytes()), shape(t.shape()), dtype(t.dtype()) {} // NOLINT: implicit on purpose
};

struct Feed {
    std::string name; // placeholder name
    TensorView value;
};

// A graph planned for one backend; opaque to callers.
class PreparedGraph {
public:
    virtual ~PreparedGraph() = default;
    virtual const std::vector<ValueId>& outputs() const = 0;
};

class Backend {
public:
    virtual ~Backend() = default;

    virtual std::string name() const = 0;
    // The device as --device names it, recorded with a run so that it can be chosen again:
    // "cpu", "vulkan:1".
    virtual std::string deviceName() const { return name(); }
    virtual void setVariable(const std::string& path, const Tensor& value) = 0;
    // Throws StrataError naming the path when absent.
    virtual Tensor getVariable(const std::string& path) const = 0;
    virtual bool hasVariable(const std::string& path) const = 0;
    virtual std::vector<std::string> variablePaths() const = 0;

    // `outputs` are the values run() may return. Throws StrataError for unsupported ops.
    virtual std::unique_ptr<PreparedGraph> prepare(const Graph& graph, std::vector<ValueId> outputs) = 0;
    // Runs the graph; `fetches` must be among the prepared outputs (all of them when empty).
    // Throws StrataError for a missing feed or an unknown feed name, ShapeError for a feed of
    // the wrong shape or dtype, StrataError for a missing variable or a bad label.
    virtual void run(PreparedGraph& prepared, std::span<const Feed> feeds, std::span<const ValueId> fetches,
                     std::vector<Tensor>& results) = 0;

    // Pipelined runs, for training loops: enqueue() starts a run and may return before it is done
    // (its feeds are consumed before it returns); collect() waits for the oldest enqueued run and
    // fills its fetches. At most maxInFlight() runs may be uncollected; variables read or set in
    // between show the state after every enqueued run. Errors of a run may surface in either call.
    // A backend without a device queue runs in enqueue().
    virtual void enqueue(PreparedGraph& prepared, std::span<const Feed> feeds, std::span<const ValueId> fetches) {
        if (!done_.empty()) throw StrataError(name() + " backend: collect the enqueued run first");
        done_.emplace_back();
        try {
            run(prepared, feeds, fetches, done_.back());
        } catch (...) {
            done_.pop_back();
            throw;
        }
    }
    virtual void collect(std::vector<Tensor>& results) {
        if (done_.empty()) throw StrataError(name() + " backend: no run to collect");
        results.swap(done_.front());
        done_.pop_front();
    }
    virtual int maxInFlight() const { return 1; }

    // A run that reports each fetched value as soon as it is computed, before the rest of the run
    // (data-parallel training sends a finished gradient while the backward pass goes on):
    // ready(i, bytes, size) for fetches[i], its bytes valid during the call only, on the calling
    // thread, every fetch exactly once. This default reports them all after the run; a backend
    // that can do better (CpuBackend) overrides it.
    using ReadyFn = std::function<void(std::size_t fetch, const void* bytes, std::size_t size)>;
    virtual void runObserved(PreparedGraph& prepared, std::span<const Feed> feeds, std::span<const ValueId> fetches,
                             std::vector<Tensor>& results, const ReadyFn& ready) {
        run(prepared, feeds, fetches, results);
        for (std::size_t i = 0; i < results.size(); ++i) ready(i, results[i].bytes(), results[i].byteSize());
    }

    std::vector<Tensor> run(PreparedGraph& prepared, std::span<const Feed> feeds, std::span<const ValueId> fetches = {}) {
        std::vector<Tensor> r;
        run(prepared, feeds, fetches, r);
        return r;
    }
    std::vector<Tensor> run(PreparedGraph& prepared, std::initializer_list<Feed> feeds) {
        return run(prepared, std::span<const Feed>(feeds.begin(), feeds.size()));
    }

private:
    std::deque<std::vector<Tensor>> done_; // the default enqueue's results
};

} // namespace strata::ir
