// The buffer planner every backend shares (engine/ir/BufferPlanner.h), on small hand-built
// graphs: values alive at the same time never share bytes, views keep their input alive,
// assignments run in place only where no later read needs the old value, offsets keep the
// requested alignment, and a chain needs no more than its largest neighbouring pair.
#include "engine/Error.h"
#include "engine/ir/BufferPlanner.h"

#include <QtTest>

#include <algorithm>

using namespace strata;
using namespace strata::ir;

namespace {

// The value whose memory `v` uses, found from the graph: reshapes are views of their input.
ValueId memoryOf(const Graph& g, ValueId v) {
    while (g.producer(v).op == OpKind::Reshape) v = g.producer(v).inputs[0];
    return v;
}

struct Lifetime {
    int32_t first = -1, last = -1; // steps (indices into plan.order)
};

// When each value's memory is in use, found from the graph rather than from plan.lastUse: from
// its producer's step to the last step reading it or a view of it; outputs and assigned values
// to past the end.
std::vector<Lifetime> lifetimes(const Graph& g, const BufferPlan& plan, const std::vector<ValueId>& outputs) {
    std::vector<Lifetime> life(std::size_t(g.valueCount()));
    const auto end = int32_t(plan.order.size());
    for (int32_t s = 0; s < end; ++s) {
        const Node& node = g.node(plan.order[std::size_t(s)]);
        for (ValueId o : node.outputs) life[std::size_t(o)] = {s, s};
        for (ValueId i : node.inputs) life[std::size_t(memoryOf(g, i))].last = s;
    }
    for (ValueId v : outputs) life[std::size_t(memoryOf(g, v))].last = end;
    for (const Assignment& a : g.assignments()) life[std::size_t(memoryOf(g, a.value))].last = end;
    return life;
}

bool overlaps(int64_t aBegin, int64_t aBytes, int64_t bBegin, int64_t bBytes) {
    return aBegin < bBegin + bBytes && bBegin < aBegin + aBytes;
}

// Every pair of arena values alive at one step, and every scratch with the values alive at its
// node, occupy disjoint bytes. Returns a description of the first clash, or "".
QString firstClash(const Graph& g, const BufferPlan& plan, const ArenaLayout& layout, const ArenaOptions& o,
                   const std::vector<ValueId>& outputs) {
    const std::vector<Lifetime> life = lifetimes(g, plan, outputs);
    std::vector<ValueId> placed;
    for (ValueId v = 0; v < g.valueCount(); ++v)
        if (layout.offset[std::size_t(v)] >= 0) placed.push_back(v);
    auto bytes = [&](ValueId v) { return o.slotBytes(valueBytes(g, v)); };
    for (ValueId a : placed)
        for (ValueId b : placed) {
            const Lifetime &la = life[std::size_t(a)], &lb = life[std::size_t(b)];
            if (a >= b || la.first > lb.last || lb.first > la.last) continue;
            if (overlaps(layout.offset[std::size_t(a)], bytes(a), layout.offset[std::size_t(b)], bytes(b)))
                return QString("values %1 and %2 are alive together and overlap").arg(a).arg(b);
        }
    for (int32_t s = 0; s < int32_t(plan.order.size()); ++s) {
        const auto n = std::size_t(plan.order[std::size_t(s)]);
        if (layout.scratchOffset[n] < 0) continue;
        for (ValueId v : placed) {
            const Lifetime& l = life[std::size_t(v)];
            if (l.first <= s && s <= l.last &&
                overlaps(layout.scratchOffset[n], layout.scratchBytes[n], layout.offset[std::size_t(v)], bytes(v)))
                return QString("the scratch of node %1 overlaps value %2").arg(n).arg(v);
        }
    }
    return {};
}

// A graph with branches, skips and mixed sizes, so that first fit reuses holes of every kind.
struct Branchy {
    Graph g;
    std::vector<ValueId> outputs;
};

Branchy branchy() {
    Branchy b;
    Graph& g = b.g;
    const ValueId x = g.placeholder("x", {8, 16});
    const ValueId w1 = g.variable("w1", {16, 32}), w2 = g.variable("w2", {32, 16}), w3 = g.variable("w3", {16, 3});
    const ValueId h1 = g.relu(g.matmul(x, w1));
    const ValueId h2 = g.tanh(g.matmul(h1, w2));
    const ValueId skip = g.add(h2, g.exp(x));
    const ValueId wide = g.concat({skip, g.sigmoid(h2), g.square(x)}, 1);
    const ValueId small = g.reduceSum(g.reshape(wide, {8, 3, 16}), {2});
    const ValueId logits = g.add(g.matmul(skip, w3), small);
    b.outputs = {g.softmax(logits), g.reduceMeanAll(h1)};
    return b;
}

} // namespace

class TestBufferPlanner : public QObject {
    Q_OBJECT

private slots:
    void liveValuesNeverOverlap() {
        const Branchy b = branchy();
        for (int64_t align : {4, 64, 256}) {
            ArenaOptions o{.alignment = align, .scratchBytes = [](const Graph&, const Node& n) {
                               return n.op == OpKind::MatMul ? int64_t(300) : int64_t(0);
                           }};
            const BufferPlan plan = planBuffers(b.g, b.outputs);
            const ArenaLayout layout = layoutArena(b.g, plan, o);
            const QString clash = firstClash(b.g, plan, layout, o, b.outputs);
            QVERIFY2(clash.isEmpty(), qPrintable(QString("alignment %1: %2").arg(align).arg(clash)));
            for (ValueId v = 0; v < b.g.valueCount(); ++v)
                QCOMPARE(layout.offset[std::size_t(v)] >= 0, plan.role[std::size_t(v)] == ValueRole::Computed);
        }
    }

    void viewsShareMemoryAndKeepItAlive() {
        Graph g;
        const ValueId x = g.placeholder("x", {4, 16});
        const ValueId r = g.relu(x);
        const ValueId flat = g.reshape(r, {64});
        const ValueId e = g.exp(g.neg(x)); // runs after the reshape and before the view's reader
        const ValueId y = g.add(g.reshape(e, {64}), flat);
        const BufferPlan plan = planBuffers(g, {y});
        QCOMPARE(plan.role[std::size_t(flat)], ValueRole::View);
        QCOMPARE(plan.root[std::size_t(flat)], r);
        QVERIFY(std::find(plan.schedule.begin(), plan.schedule.end(), g.value(flat).node) == plan.schedule.end());
        const ArenaOptions o;
        const ArenaLayout layout = layoutArena(g, plan, o);
        QCOMPARE(layout.offset[std::size_t(flat)], int64_t(-1)); // no bytes of its own
        const QString clash = firstClash(g, plan, layout, o, {y});
        QVERIFY2(clash.isEmpty(), qPrintable(clash));
    }

    void updateRunsInPlaceWhenNothingReadsTheVariableLater() {
        Graph g;
        const ValueId w = g.variable("w", {4, 8});
        const ValueId grad = g.placeholder("grad", {4, 8});
        const ValueId loss = g.reduceSumAll(g.mul(w, grad)); // reads w before the update
        const ValueId updated = g.sub(w, g.mul(grad, g.scalar(0.1f)));
        g.assign("w", updated);
        const BufferPlan plan = planBuffers(g, {loss});
        QCOMPARE(plan.role[std::size_t(updated)], ValueRole::VariableOutput);
        QCOMPARE(plan.path[std::size_t(updated)], std::string("w"));
        QVERIFY(plan.copies.empty());
        QCOMPARE(layoutArena(g, plan, {}).offset[std::size_t(updated)], int64_t(-1)); // lives in the variable
    }

    void updateIsCopiedWhenTheOldValueIsStillNeeded() {
        Graph g;
        const ValueId w = g.variable("w", {4, 8});
        const ValueId grad = g.placeholder("grad", {4, 8});
        const ValueId updated = g.sub(w, grad);
        const ValueId later = g.mul(w, g.scalar(2.0f)); // reads the old w after the update ran
        g.assign("w", updated);
        const BufferPlan plan = planBuffers(g, {later});
        QCOMPARE(plan.role[std::size_t(updated)], ValueRole::Computed);
        QCOMPARE(plan.copies.size(), std::size_t(1));
        QCOMPARE(plan.copies[0].value, updated);

        const BufferPlan fetched = planBuffers(g, {w}); // a fetch of the variable read sees the old value
        QCOMPARE(fetched.role[std::size_t(updated)], ValueRole::Computed);
    }

    void updateIsCopiedWhenItsProducerIsNotElementwise() {
        Graph g;
        const ValueId w = g.variable("w", {4, 4});
        const ValueId updated = g.matmul(w, g.placeholder("m", {4, 4}));
        g.assign("w", updated);
        const BufferPlan plan = planBuffers(g, {});
        QCOMPARE(plan.role[std::size_t(updated)], ValueRole::Computed);
        QCOMPARE(plan.copies.size(), std::size_t(1));
    }

    void offsetsRespectTheAlignment() {
        const Branchy b = branchy();
        const BufferPlan plan = planBuffers(b.g, b.outputs);
        for (int64_t align : {16, 256}) {
            const ArenaOptions o{.alignment = align, .minBytes = 4, .base = 3 * align,
                                 .scratchBytes = [](const Graph&, const Node&) { return int64_t(5); }};
            const ArenaLayout layout = layoutArena(b.g, plan, o);
            for (ValueId v = 0; v < b.g.valueCount(); ++v) {
                const int64_t off = layout.offset[std::size_t(v)];
                if (off < 0) continue;
                QVERIFY2(off % align == 0 && off >= o.base, qPrintable(QString("value %1 at %2").arg(v).arg(off)));
            }
            for (int64_t off : layout.scratchOffset)
                if (off >= 0)
                    QVERIFY2(off % align == 0 && off >= o.base, qPrintable(QString("scratch at %1").arg(off)));
            QCOMPARE(layout.bytes % align, int64_t(0));
            QCOMPARE(o.slotBytes(0), align); // an empty value still gets a slot of its own
        }
    }

    void chainNeedsItsLargestNeighbouringPair() {
        // x -> a (64 B) -> b (128 B) -> c (64 B) -> d (128 B): each step holds its input and its
        // output, and a freed slot is reused, so the peak is b + c = 192 bytes, not the sum 384.
        Graph g;
        const ValueId x = g.placeholder("x", {16});
        const ValueId a = g.relu(x);
        const ValueId b = g.broadcastTo(a, {2, 16});
        const ValueId c = g.reduceSum(b, {0});
        const ValueId d = g.broadcastTo(c, {2, 16});
        const BufferPlan plan = planBuffers(g, {d});
        const ArenaLayout layout = layoutArena(g, plan, {.alignment = 64});
        QCOMPARE(layout.bytes, int64_t(192));
        QCOMPARE(layout.offset[std::size_t(c)], layout.offset[std::size_t(a)]); // c reuses a's freed slot
    }

    void onlyNeededNodesRun() {
        Graph g;
        const ValueId x = g.placeholder("x", {4});
        const ValueId used = g.exp(x);
        const ValueId unused = g.log(x);
        const BufferPlan plan = planBuffers(g, {used});
        QCOMPARE(plan.role[std::size_t(unused)], ValueRole::Unused);
        QCOMPARE(plan.schedule, std::vector<int32_t>{g.value(used).node});
        QVERIFY_THROWS_EXCEPTION(StrataError, planBuffers(g, {ValueId(99)}));
    }
};

QTEST_APPLESS_MAIN(TestBufferPlanner)
#include "tst_buffer_planner.moc"
