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
        const Ref want = c.reference(refInputs(b.values));
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

    // loss = sum(y * r) with fixed random r, so every output element weighs differently. The engine
    // differentiates it in float32; the finite differences are taken of the double reference:
    //   fd = (L(x + h e) - L(x - h e)) / 2h,   h = 1e-5 max(1, |x|),
    // whose error (truncation h^2 |L'''| / 6, rounding 1e-16 |L| / h) stays below 1e-9 on these
    // inputs. The float32 gradient rounds each of its few dozen products and sums at 6e-8, an error
    // relative to the terms rather than to the result, hence
    //   |analytic - fd| <= 1e-3 |fd| + 1e-6:
    // rtol 1e-3 is far above float32 rounding of sums this small, and atol 1e-6 (about 10 float32
    // ulps of a unit-sized term) only matters where terms cancel to near 0: the worst case today,
    // a Conv2DTranspose kernel gradient of 1.8e-3 summed from terms near 1, is 3.7e-7 off, 0.13
    // of the tolerance. A wrong rule (a missing term, a factor, a transposed index, the
    // wrong side of a kink) misses by orders of magnitude more.
    void gradientMatchesFiniteDifferences() {
        QFETCH(int, index);
        const OpCase& c = allCases()[std::size_t(index)];
        QVERIFY2(c.reference, "a case with a gradient needs a double-precision reference");
        Built b = build(c, uint32_t(index) + 101);
        const Tensor r = makeInput(Input{b.g.shape(b.y), 0.5f, 1.5f}, 99);
        const ValueId loss = b.g.reduceSumAll(b.g.mul(b.y, b.g.constant(r)));
        std::vector<ValueId> wrt;
        std::vector<std::size_t> which;
        for (std::size_t i = 0; i < c.inputs.size(); ++i)
            if (c.inputs[i].differentiable && c.inputs[i].classes == 0) wrt.push_back(b.inputs[i]), which.push_back(i);
        const std::vector<ValueId> grads = strata::ir::gradients(b.g, loss, wrt);

        auto be = makeBackend();
        load(*be, b);
        std::vector<ValueId> outs;
        for (ValueId gv : grads) {
            QVERIFY2(gv != strata::ir::kNoValue, "every differentiable input reaches the output");
            outs.push_back(gv);
        }
        const std::vector<Tensor> analytic = be->run(*be->prepare(b.g, outs), std::span<const Feed>{});

        const RefTensor weights(r);
        RefInputs x = refInputs(b.values);
        auto lossAt = [&] {
            const Ref y = c.reference(x);
            double sum = 0;
            for (std::size_t i = 0; i < y.size(); ++i) sum += y[i] * weights[int64_t(i)];
            return sum;
        };
        constexpr double kRtol = 1e-3, kAtol = 1e-6;
        for (std::size_t k = 0; k < which.size(); ++k) {
            RefTensor& in = x[which[k]];
            QCOMPARE(analytic[k].size(), in.size());
            for (int64_t e = 0; e < in.size(); ++e) {
                const double x0 = in[e], h = 1e-5 * std::max(1.0, std::fabs(x0));
                in[e] = x0 + h;
                const double up = lossAt();
                in[e] = x0 - h;
                const double down = lossAt();
                in[e] = x0;
                const double fd = (up - down) / (2 * h), an = analytic[k].f32()[e];
                const double ratio = std::fabs(an - fd) / (kRtol * std::fabs(fd) + kAtol);
                if (ratio > worst_) worst_ = ratio, worstWhere_ = c.name + " d/d in" + std::to_string(which[k]) + "[" + std::to_string(e) + "]";
                if (!(ratio <= 1.0))
                    QFAIL(qPrintable(QString("%1: d/d in%2[%3]: analytic %4, finite difference %5 (float64)")
                                         .arg(c.name.c_str()).arg(which[k]).arg(e).arg(an, 0, 'g', 9).arg(fd, 0, 'g', 9)));
            }
        }
    }

    void cleanupTestCase() { qInfo("gradients: closest to the tolerance: %s at %.3g of it", worstWhere_.c_str(), worst_); }

private:
    double worst_ = 0;
    std::string worstWhere_;
};

QTEST_APPLESS_MAIN(TestOps)
#include "tst_ops.moc"
