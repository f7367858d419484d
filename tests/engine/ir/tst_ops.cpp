// Every op, one parameterized test (ggml test-backend-ops style): the forward result against a
// double-precision reference, and the autodiff gradient against central finite differences.
// A new op is covered by adding a row to OpCasesElementwise.h / OpCasesNn.h; a new backend by
// adding it to backends().
#include "OpCasesElementwise.h"
#include "OpCasesNn.h"

#include "engine/cpu/CpuBackend.h"
#include "engine/ir/Autodiff.h"

#include <QtTest>

#include <memory>

using namespace optest;
using strata::ir::Backend;
using strata::ir::Feed;

namespace {

const std::vector<OpCase>& allCases() {
    static const std::vector<OpCase> cases = [] {
        auto c = elementwiseCases();
        for (auto& n : nnCases()) c.push_back(std::move(n));
        return c;
    }();
    return cases;
}

std::unique_ptr<Backend> makeBackend() { return std::make_unique<strata::cpu::CpuBackend>(1); }

// Inputs are variables "in0", "in1", ... so they can be differentiated and perturbed.
struct Built {
    Graph g;
    std::vector<ValueId> inputs;
    ValueId y = strata::ir::kNoValue;
    Inputs values;
};

Built build(const OpCase& c, uint32_t seed) {
    Built b;
    for (std::size_t i = 0; i < c.inputs.size(); ++i) {
        b.values.push_back(makeInput(c.inputs[i], seed + uint32_t(i) * 7919u));
        b.inputs.push_back(b.g.variable("in" + std::to_string(i), c.inputs[i].shape, b.values.back().dtype()));
    }
    b.y = c.build(b.g, b.inputs);
    return b;
}

void load(Backend& be, const Built& b) {
    for (std::size_t i = 0; i < b.values.size(); ++i) be.setVariable("in" + std::to_string(i), b.values[i]);
}

} // namespace

class TestOps : public QObject {
    Q_OBJECT

private slots:
    void forwardMatchesReference_data() {
        QTest::addColumn<int>("index");
        for (std::size_t i = 0; i < allCases().size(); ++i)
            if (allCases()[i].reference) QTest::newRow(allCases()[i].name.c_str()) << int(i);
    }

    void forwardMatchesReference() {
        QFETCH(int, index);
        const OpCase& c = allCases()[std::size_t(index)];
        Built b = build(c, uint32_t(index) + 1);
        auto be = makeBackend();
        load(*be, b);
        auto plan = be->prepare(b.g, {b.y});
        const std::vector<Tensor> out = be->run(*plan, std::span<const Feed>{});
        const Ref want = c.reference(b.values);
        QCOMPARE(std::size_t(out[0].size()), want.size());
        for (std::size_t i = 0; i < want.size(); ++i) {
            const double got = at(out[0], int64_t(i));
            if (std::fabs(got - want[i]) > 1e-4 + 1e-4 * std::fabs(want[i]))
                QFAIL(qPrintable(QString("%1: element %2 is %3, reference %4").arg(c.name.c_str()).arg(i).arg(got).arg(want[i])));
        }
    }

    void gradientMatchesFiniteDifferences_data() {
        QTest::addColumn<int>("index");
        for (std::size_t i = 0; i < allCases().size(); ++i)
            if (allCases()[i].gradient) QTest::newRow(allCases()[i].name.c_str()) << int(i);
    }

    void gradientMatchesFiniteDifferences() {
        QFETCH(int, index);
        const OpCase& c = allCases()[std::size_t(index)];
        Built b = build(c, uint32_t(index) + 101);
        // loss = sum(y * r) with fixed random r, so every output element matters differently.
        Input rIn{b.g.shape(b.y), 0.5f, 1.5f};
        const ValueId loss = b.g.reduceSumAll(b.g.mul(b.y, b.g.constant(makeInput(rIn, 99))));
        std::vector<ValueId> wrt;
        std::vector<std::size_t> which;
        for (std::size_t i = 0; i < c.inputs.size(); ++i)
            if (c.inputs[i].differentiable && c.inputs[i].classes == 0) wrt.push_back(b.inputs[i]), which.push_back(i);
        const std::vector<ValueId> grads = strata::ir::gradients(b.g, loss, wrt);

        auto be = makeBackend();
        load(*be, b);
        std::vector<ValueId> outs{loss};
        for (ValueId gv : grads) {
            QVERIFY2(gv != strata::ir::kNoValue, "every differentiable input reaches the output");
            outs.push_back(gv);
        }
        auto full = be->prepare(b.g, outs);
        auto lossOnly = be->prepare(b.g, {loss});
        const std::vector<Tensor> analytic = be->run(*full, std::span<const Feed>{});
        const float h = 1e-3f;
        for (std::size_t k = 0; k < which.size(); ++k) {
            const std::size_t i = which[k];
            const Tensor& base = b.values[i];
            const int64_t n = base.size(), step = std::max<int64_t>(1, n / 24);
            for (int64_t e = 0; e < n; e += step) {
                auto lossAt = [&](float delta) {
                    Tensor t = base;
                    t.f32()[e] += delta;
                    be->setVariable("in" + std::to_string(i), t);
                    return double(be->run(*lossOnly, std::span<const Feed>{})[0].f32()[0]);
                };
                const double fd = (lossAt(h) - lossAt(-h)) / (2.0 * double(h));
                const double an = analytic[k + 1].f32()[e];
                if (std::fabs(fd - an) > c.tolerance * std::max(1.0, std::fabs(an)))
                    QFAIL(qPrintable(QString("%1: d/d in%2[%3]: analytic %4, finite difference %5")
                                         .arg(c.name.c_str()).arg(i).arg(e).arg(an).arg(fd)));
            }
            be->setVariable("in" + std::to_string(i), base);
        }
    }
};

QTEST_APPLESS_MAIN(TestOps)
#include "tst_ops.moc"
