#include "engine/data/DatasetSplits.h"

#include "engine/Error.h"
#include "engine/data/Rng.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <numeric>

namespace strata::data {

namespace {

void checkFraction(double fraction, const char* what) {
    if (!(fraction >= 0.0 && fraction < 1.0))
        throw StrataError(std::string(what) + " must be in [0, 1), got " +
                          std::to_string(fraction));
}

// Splits the dataset by a membership mask; both parts keep the original order.
TwoWaySplit splitByMask(const Dataset& data, const std::vector<bool>& heldOut) {
    std::vector<int64_t> kept, held;
    for (int64_t i = 0; i < data.size(); ++i)
        (heldOut[std::size_t(i)] ? held : kept).push_back(i);
    return {data.subset(kept), data.subset(held)};
}

int64_t roundedCount(double fraction, int64_t n) {
    return int64_t(std::llround(fraction * double(n)));
}

} // namespace

namespace {
std::vector<bool> randomMask(const Dataset& data, double fraction, uint64_t seed);
std::vector<bool> stratifiedMask(const Dataset& data, double fraction, uint64_t seed);

// Moves the rows of `t` whose mask bit is `keep` to its front, in order, and returns how many.
int64_t compactRows(Tensor& t, const std::vector<bool>& heldOut) {
    const std::size_t row = std::size_t(t.shape().numElementsFrom(1)) * dtypeSize(t.dtype());
    int64_t out = 0;
    for (std::size_t i = 0; i < heldOut.size(); ++i) {
        if (heldOut[i]) continue;
        if (int64_t(i) != out) std::memmove(t.bytes() + std::size_t(out) * row, t.bytes() + i * row, row);
        ++out;
    }
    return out;
}
} // namespace

TwoWaySplit randomHoldOut(const Dataset& data, double fraction, uint64_t seed) {
    return splitByMask(data, randomMask(data, fraction, seed));
}

TwoWaySplit stratifiedHoldOut(const Dataset& data, double fraction, uint64_t seed) {
    if (!data.isClassification()) return randomHoldOut(data, fraction, seed);
    return splitByMask(data, stratifiedMask(data, fraction, seed));
}

namespace {
std::vector<bool> randomMask(const Dataset& data, double fraction, uint64_t seed) {
    checkFraction(fraction, "the hold-out fraction");
    const int64_t n = data.size();
    std::vector<int64_t> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), int64_t(0));
    Rng rng(seed);
    shuffle(order, rng);
    std::vector<bool> heldOut(std::size_t(n), false);
    const int64_t count = roundedCount(fraction, n);
    for (int64_t i = 0; i < count; ++i)
        heldOut[std::size_t(order[std::size_t(i)])] = true;
    return heldOut;
}

std::vector<bool> stratifiedMask(const Dataset& data, double fraction, uint64_t seed) {
    if (!data.isClassification()) return randomMask(data, fraction, seed);
    checkFraction(fraction, "the hold-out fraction");
    data.validate();
    const int32_t* labels = data.y.i32();
    // Only the classes present, in label order: a single label of 40,000,000 must not cost one
    // vector per possible class (2 GB from a 44-byte CSV).
    std::map<int32_t, std::vector<int64_t>> present;
    for (int64_t i = 0; i < data.size(); ++i) present[labels[i]].push_back(i);
    std::vector<int32_t> classOf;
    std::vector<std::vector<int64_t>> byClass;
    for (auto& [label, rows] : present) classOf.push_back(label), byClass.push_back(std::move(rows));

    // Largest-remainder apportionment: floor of each class's share, then one more to the classes
    // with the largest fractional parts (ties to the lower class) until the total is reached.
    const std::size_t k = byClass.size();
    std::vector<int64_t> take(k);
    std::vector<double> remainder(k);
    int64_t assigned = 0;
    for (std::size_t c = 0; c < k; ++c) {
        const double share = fraction * double(byClass[c].size());
        take[c] = int64_t(std::floor(share));
        remainder[c] = share - double(take[c]);
        assigned += take[c];
    }
    std::vector<std::size_t> byRemainder(k);
    std::iota(byRemainder.begin(), byRemainder.end(), std::size_t(0));
    std::stable_sort(byRemainder.begin(), byRemainder.end(),
                     [&](std::size_t a, std::size_t b) { return remainder[a] > remainder[b]; });
    const int64_t total = roundedCount(fraction, data.size());
    for (std::size_t i = 0; assigned < total && i < k; ++i) {
        const std::size_t c = byRemainder[i];
        if (take[c] < int64_t(byClass[c].size())) ++take[c], ++assigned;
    }

    std::vector<bool> heldOut(std::size_t(data.size()), false);
    for (std::size_t c = 0; c < k; ++c) {
        Rng rng(mixSeed(seed, uint64_t(classOf[c]))); // one stream per class: a class's draw ignores the others' sizes
        shuffle(byClass[c], rng);
        for (int64_t i = 0; i < take[c]; ++i)
            heldOut[std::size_t(byClass[c][std::size_t(i)])] = true;
    }
    return heldOut;
}

DatasetSplits threeWay(const Dataset& data, double validationFraction, double testFraction,
                       uint64_t seed, TwoWaySplit (*holdOut)(const Dataset&, double, uint64_t)) {
    checkFraction(validationFraction, "the validation fraction");
    checkFraction(testFraction, "the test fraction");
    if (validationFraction + testFraction >= 1.0)
        throw StrataError("the validation and test fractions (" +
                          std::to_string(validationFraction) + " + " +
                          std::to_string(testFraction) + ") leave no training data");
    TwoWaySplit first = holdOut(data, testFraction, seed);
    // The validation fraction is of the whole dataset; rescale it to what remains after the test
    // cut.
    const double rest = first.kept.size() ? double(data.size()) / double(first.kept.size()) : 0.0;
    const double validationOfRest = std::min(validationFraction * rest, 0.999999);
    TwoWaySplit second = holdOut(first.kept, validationOfRest, mixSeed(seed, 1));
    return {std::move(second.kept), std::move(second.heldOut), std::move(first.heldOut)};
}

} // namespace

DatasetSplits randomSplit(const Dataset& data, double validationFraction, double testFraction,
                          uint64_t seed) {
    return threeWay(data, validationFraction, testFraction, seed, &randomHoldOut);
}

DatasetSplits stratifiedSplit(const Dataset& data, double validationFraction, double testFraction,
                              uint64_t seed) {
    return threeWay(data, validationFraction, testFraction, seed, &stratifiedHoldOut);
}

void validationFromTrain(DatasetSplits& splits, double fraction, uint64_t seed) {
    // In place: the validation rows are copied out and the training rows compacted where they
    // are, so a large dataset (Fashion-MNIST) is never held twice.
    Dataset& train = splits.train;
    const std::vector<bool> heldOut = stratifiedMask(train, fraction, seed);
    std::vector<int64_t> held;
    for (std::size_t i = 0; i < heldOut.size(); ++i)
        if (heldOut[i]) held.push_back(int64_t(i));
    splits.validation = train.subset(held);
    if (train.isStreamed()) { // only the labels are in memory: a subset is cheap
        std::vector<int64_t> kept;
        for (std::size_t i = 0; i < heldOut.size(); ++i)
            if (!heldOut[i]) kept.push_back(int64_t(i));
        train = train.subset(kept);
        return;
    }
    const int64_t kept = compactRows(train.x, heldOut);
    compactRows(train.y, heldOut);
    train.x.shrinkRows(kept);
    train.y.shrinkRows(kept);
    for (Tensor& t : train.moreX) compactRows(t, heldOut), t.shrinkRows(kept);
    for (Targets& t : train.moreY) compactRows(t.y, heldOut), t.y.shrinkRows(kept);
}

} // namespace strata::data
