// The CPU backend's own parallel loops: parallelFor covers every item once, with at most the
// scope's threads, serially outside a scope and when nested, and rethrows a chunk's exception;
// with 3 threads a backend's own loops give bit-identical results to one thread for convolution
// (im2col, col2im), pooling, dropout and broadcasting ops, forward and backward, on shapes large
// enough to be split.
#include "engine/cpu/CpuBackend.h"
#include "engine/cpu/ParallelFor.h"
#include "engine/ir/Autodiff.h"
#include "engine/ir/Graph.h"

#include <QtTest>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic" // openblas_config.h uses C99 _Complex
#include <cblas.h>
#pragma GCC diagnostic pop

#include <atomic>
#include <cstring>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace strata;
using namespace strata::ir;

namespace {
Tensor randomTensor(const Shape& s, uint32_t seed) {
    Tensor t(s);
    uint32_t v = seed * 2654435761u + 1;
    for (int64_t i = 0; i < t.size(); ++i) {
        v = v * 1664525u + 1013904223u;
        t.f32()[i] = float(v >> 8) / float(1 << 24) - 0.5f;
    }
    return t;
}
} // namespace

class TestParallelCpu : public QObject {
    Q_OBJECT
private slots:
    void coversEveryItemOnceWithAtMostTheScopesThreads() {
        std::vector<std::atomic<int>> hits(100001);
        std::mutex m;
        std::set<std::thread::id> threads;
        int chunks = 0;
        {
            cpu::ParallelScope scope(4);
            QCOMPARE(cpu::parallelThreads(), 4);
            cpu::parallelFor(int64_t(hits.size()), 1000, [&](int64_t b, int64_t e) {
                std::lock_guard lock(m);
                threads.insert(std::this_thread::get_id());
                ++chunks;
                for (int64_t i = b; i < e; ++i) ++hits[std::size_t(i)];
            });
        }
        for (const auto& h : hits) QCOMPARE(h.load(), 1);
        QCOMPARE(chunks, 4);
        QVERIFY(threads.size() <= 4);
        QCOMPARE(cpu::parallelThreads(), 1); // the scope ended

        // Small loops are not split; outside a scope nothing is.
        std::vector<int64_t> sizes;
        {
            cpu::ParallelScope scope(4);
            cpu::parallelFor(1500, 1000, [&](int64_t b, int64_t e) { sizes.push_back(e - b); });
        }
        cpu::parallelFor(1 << 20, 1, [&](int64_t b, int64_t e) { sizes.push_back(e - b); });
        QCOMPARE(sizes, (std::vector<int64_t>{1500, 1 << 20}));
    }

    void nestedLoopsRunOnTheirChunksThread() {
        cpu::ParallelScope scope(3);
        std::atomic<int> inner{0};
        cpu::parallelFor(3, 1, [&](int64_t, int64_t) {
            QCOMPARE(cpu::parallelThreads(), 1);
            const auto self = std::this_thread::get_id();
            cpu::parallelFor(1000, 1, [&](int64_t b, int64_t e) {
                if (std::this_thread::get_id() == self) inner += int(e - b);
            });
        });
        QCOMPARE(inner.load(), 3000);
    }

    void anExceptionInAChunkReachesTheCaller() {
        cpu::ParallelScope scope(3);
        bool caught = false;
        try {
            cpu::parallelFor(3, 1, [](int64_t b, int64_t) {
                if (b == 2) throw std::runtime_error("chunk 2 failed");
            });
        } catch (const std::runtime_error& e) {
            caught = QString(e.what()) == "chunk 2 failed";
        }
        QVERIFY(caught);
        int after = 0; // the pool still works
        cpu::parallelFor(3, 1, [&](int64_t, int64_t) { static std::mutex m; std::lock_guard l(m); ++after; });
        QCOMPARE(after, 3);
    }

    void threadsDoNotChangeResults() {
        const int64_t n = 48; // dropout's 48*14*14*8 elements are split too
        Graph g;
        ValueId x = g.placeholder("x", {n, 28, 28, 3});
        ValueId step = g.placeholder("step", {}, DType::I32);
        ValueId k = g.variable("k", {3, 3, 3, 8}), b = g.variable("b", {8});
        ValueId c = g.relu(g.add(g.conv2d(x, k, Conv2DParams{1, 1, 1, 1, Padding::Same}), b));
        ValueId p = g.maxPool2d(c, Pool2DParams{2, 2, 2, 2, Padding::Valid});
        ValueId q = g.avgPool2d(p, Pool2DParams{3, 3, 1, 1, Padding::Same});
        ValueId d = g.dropout(g.tanh(q), step, 0.3, 7);
        ValueId loss = g.reduceMean(g.mul(d, d), {0, 1, 2, 3}, false);
        const std::vector<ValueId> grads = gradients(g, loss, {x, k, b});
        std::vector<ValueId> outs = {loss, d};
        outs.insert(outs.end(), grads.begin(), grads.end());
        const Tensor xs = randomTensor({n, 28, 28, 3}, 1);
        Tensor st(Shape{}, DType::I32);
        st.i32()[0] = 3;
        const ir::Feed feeds[] = {{"x", TensorView(xs)}, {"step", TensorView(st)}};
        auto runWith = [&](int threads) {
            cpu::CpuBackend be(threads);
            // OpenBLAS may round edge tiles differently with more threads (~1e-12 here); only
            // Strata's own loops are under test, so BLAS stays on one thread.
            openblas_set_num_threads(1);
            be.setVariable("k", randomTensor({3, 3, 3, 8}, 2));
            be.setVariable("b", randomTensor({8}, 3));
            auto plan = be.prepare(g, outs);
            std::vector<Tensor> r;
            be.run(*plan, feeds, {}, r);
            return r;
        };
        const std::vector<Tensor> one = runWith(1), three = runWith(3);
        QCOMPARE(one.size(), three.size());
        for (std::size_t i = 0; i < one.size(); ++i) {
            QCOMPARE(one[i].shape(), three[i].shape());
            QVERIFY2(std::memcmp(one[i].bytes(), three[i].bytes(), one[i].byteSize()) == 0,
                     qPrintable(QString("output %1 differs between 1 and 3 threads").arg(i)));
        }
    }

    // The direct grouped and depthwise kernels (DepthwiseKernels.cpp): forward, input and filter
    // gradients bit for bit the same on 1 and 3 threads (the filter gradient's tasks each own
    // taps and channel blocks and sum every pixel in order).
    void groupedConvolutionsDoNotDependOnThreads() {
        Graph g;
        ValueId x = g.placeholder("x", {6, 17, 15, 8});
        ValueId dw = g.variable("dw", {3, 3, 1, 16}), gk = g.variable("gk", {3, 3, 4, 12});
        Conv2DParams depthwise{2, 2, 1, 1, Padding::Same, 8}, grouped{1, 1, 1, 1, Padding::Same, 4};
        ValueId y = g.conv2d(g.tanh(g.conv2d(x, dw, depthwise)), gk, grouped);
        ValueId loss = g.reduceMean(g.mul(y, y), {0, 1, 2, 3}, false);
        const std::vector<ValueId> grads = gradients(g, loss, {x, dw, gk});
        std::vector<ValueId> outs = {loss, y};
        outs.insert(outs.end(), grads.begin(), grads.end());
        const Tensor xs = randomTensor({6, 17, 15, 8}, 4);
        const ir::Feed feeds[] = {{"x", TensorView(xs)}};
        auto runWith = [&](int threads) {
            cpu::CpuBackend be(threads);
            be.setVariable("dw", randomTensor({3, 3, 1, 16}, 5));
            be.setVariable("gk", randomTensor({3, 3, 4, 12}, 6));
            auto plan = be.prepare(g, outs);
            std::vector<Tensor> r;
            be.run(*plan, feeds, {}, r);
            return r;
        };
        const std::vector<Tensor> one = runWith(1), three = runWith(3);
        for (std::size_t i = 0; i < one.size(); ++i)
            QVERIFY2(std::memcmp(one[i].bytes(), three[i].bytes(), one[i].byteSize()) == 0,
                     qPrintable(QString("output %1 differs between 1 and 3 threads").arg(i)));
    }
};

QTEST_APPLESS_MAIN(TestParallelCpu)
#include "tst_parallel_cpu.moc"
