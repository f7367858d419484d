#include "engine/train/DataParallelStep.h"

#include "engine/Error.h"
#include "engine/ir/Optimizers.h"
#include "engine/train/StepGraphs.h"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace strata::train {

namespace {
double now() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}
std::string gradientFeed(std::size_t k) { return "gradient/" + std::to_string(k); }
} // namespace

std::vector<int64_t> DataParallelStep::bucketLayout(const std::vector<int64_t>& sizes, int64_t bucketBytes) {
    const int64_t perBucket = std::max<int64_t>(bucketBytes / int64_t(sizeof(float)), 1);
    std::vector<int64_t> buckets;
    bool open = false;
    for (std::size_t i = sizes.size(); i-- > 0;) {
        if (!open || (buckets.back() + sizes[i] > perBucket && buckets.back() > 0)) buckets.push_back(0), open = true;
        buckets.back() += sizes[i];
    }
    return buckets;
}

DataParallelStep::DataParallelStep(ir::Backend& backend, const Model& model, const TrainOptions& options,
                                   Collectives& collectives, int64_t bucketBytes)
    : backend_(backend), model_(model), options_(options), collectives_(collectives) {
    ir::Graph g;
    std::vector<ir::ValueId> vars, grads;
    for (const Variable* v : model.trainableVariables()) {
        if (v->value().dtype() != DType::F32)
            throw StrataError("data-parallel training sums float32 gradients; variable '" + v->path() + "' is " +
                              std::string(dtypeName(v->value().dtype())));
        const Shape& shape = v->value().shape();
        vars.push_back(g.variable(v->path(), shape));
        grads.push_back(g.placeholder(gradientFeed(paths_.size()), shape));
        paths_.push_back(v->path());
        sizes_.push_back(shape.numElements());
        shapes_.push_back(shape);
    }
    ir::appendOptimizer(g, options_.optimizer, vars, grads);
    ir::initializeOptimizerState(backend_, g);
    apply_ = backend_.prepare(g, {});

    // Buckets from the last variable back, as the backward pass computes them (bucketLayout); the
    // last bucket also carries the loss share.
    const std::vector<int64_t> layout = bucketLayout(sizes_, bucketBytes);
    bucketOf_.assign(paths_.size(), 0);
    offsetOf_.assign(paths_.size(), 0);
    std::size_t bucket = 0;
    for (std::size_t i = paths_.size(); i-- > 0;) {
        if (buckets_.size() <= bucket) buckets_.emplace_back();
        Bucket& b = buckets_[bucket];
        b.first = i;
        ++b.count;
        offsetOf_[i] = b.data.size();
        bucketOf_[i] = bucket;
        b.data.resize(b.data.size() + std::size_t(sizes_[i]));
        if (int64_t(b.data.size()) == layout[bucket] && bucket + 1 < layout.size()) ++bucket;
    }
    if (buckets_.empty()) buckets_.emplace_back();
    buckets_.back().data.insert(buckets_.back().data.end(), {0.0f, 0.0f}); // the loss share, the stop flag
    stats_.buckets = int(buckets_.size());
    for (const Bucket& b : buckets_) stats_.bytesPerStep += int64_t(b.data.size() * sizeof(float));
}

DataParallelStep::~DataParallelStep() = default;

ir::Graph DataParallelStep::localGraph(const TracedModel& traced, std::vector<ir::ValueId>& gradients, ir::ValueId& loss,
                                       std::vector<ir::ValueId>& outputLosses) {
    ir::TrainingGraphs tg = stepGraphs(model_, traced, options_, &outputLosses);
    if (tg.trainable != paths_) throw StrataError("data-parallel step: the traced graph's trainable variables differ from the model's");
    for (std::size_t k = 0; k < tg.gradients.size(); ++k)
        if (tg.gradients[k] == ir::kNoValue)
            throw StrataError("data-parallel training: variable '" + paths_[k] + "' is trainable but the loss does not depend on it; freeze it");
    ir::Graph local = std::move(tg.backward); // forward, losses, gradients; no assignments
    for (const ir::Assignment& a : traced.graph.assignments()) {
        local.assign(a.path, a.value);
        if (std::find(assigned_.begin(), assigned_.end(), a.path) == assigned_.end()) assigned_.push_back(a.path);
    }
    gradients = tg.gradients;
    loss = tg.loss;
    return local;
}

void DataParallelStep::gradientReady(std::size_t variable, const float* values, float scale) {
    Bucket& b = buckets_[bucketOf_[variable]];
    float* out = b.data.data() + offsetOf_[variable];
    for (int64_t i = 0; i < sizes_[variable]; ++i) out[i] = values[i] * scale;
    --b.pending;
    startReadyBuckets();
}

void DataParallelStep::startReadyBuckets() {
    // Every rank starts the buckets in the same order (the collectives match by order).
    while (nextToStart_ < buckets_.size() && buckets_[nextToStart_].pending == 0) {
        const double t0 = now();
        collectives_.startSum(int(nextToStart_), buckets_[nextToStart_].data, nextToStart_ + 1 == buckets_.size());
        inSums_ += now() - t0;
        ++nextToStart_;
    }
}

void DataParallelStep::averageAssignedState() {
    std::vector<float> all;
    std::vector<std::pair<std::string, Tensor>> state;
    for (const std::string& path : assigned_) {
        Tensor t = backend_.getVariable(path);
        if (t.dtype() != DType::F32) continue;
        all.insert(all.end(), t.f32(), t.f32() + t.size());
        state.emplace_back(path, std::move(t));
    }
    if (state.empty()) return;
    const float share = 1.0f / float(collectives_.size());
    for (float& x : all) x *= share;
    const double t0 = now();
    collectives_.startSum(int(buckets_.size()), all, true);
    collectives_.waitAll();
    inSums_ += now() - t0;
    std::size_t at = 0;
    for (auto& [path, t] : state) {
        std::memcpy(t.f32(), all.data() + at, t.byteSize());
        at += std::size_t(t.size());
        backend_.setVariable(path, t);
    }
}

void DataParallelStep::step(ir::PreparedGraph* plan, std::span<const ir::Feed> feeds, std::span<const ir::ValueId> fetches,
                            std::size_t firstGradient, int64_t localRows, int64_t globalRows, int64_t stepNumber,
                            bool stopRequested, std::vector<Tensor>& results) {
    collectives_.setStep(stepNumber);
    inSums_ = 0;
    const float scale = float(double(localRows) / double(globalRows));
    for (Bucket& b : buckets_) b.pending = b.count;
    nextToStart_ = 0;
    std::vector<float>& extras = buckets_.back().data;
    float& lossShare = extras[extras.size() - 2];
    float& stopFlag = extras.back();
    lossShare = 0;
    stopFlag = stopRequested ? 1.0f : 0.0f;
    const double t0 = now();
    if (plan) {
        if (fetches.size() != firstGradient + paths_.size())
            throw StrataError("data-parallel step: expected " + std::to_string(paths_.size()) + " gradient fetches");
        backend_.runObserved(*plan, feeds, fetches, results, [&](std::size_t i, const void* bytes, std::size_t) {
            if (i == 0) lossShare = *static_cast<const float*>(bytes) * scale;
            else if (i >= firstGradient) gradientReady(i - firstGradient, static_cast<const float*>(bytes), scale);
        });
    } else { // an empty shard (a last batch smaller than the ranks): zeros
        results.assign(1, Tensor(Shape{}));
        for (std::size_t k = 0; k < paths_.size(); ++k) {
            std::fill_n(buckets_[bucketOf_[k]].data.data() + offsetOf_[k], sizes_[k], 0.0f);
            --buckets_[bucketOf_[k]].pending;
        }
    }
    startReadyBuckets(); // a bucket with no variables (a model with none)
    const double t1 = now();
    collectives_.waitAll();
    const double t2 = now();

    std::vector<ir::Feed> applyFeeds;
    for (std::size_t k = 0; k < paths_.size(); ++k) {
        const float* g = buckets_[bucketOf_[k]].data.data() + offsetOf_[k];
        applyFeeds.push_back({gradientFeed(k), ir::TensorView(g, shapes_[k], DType::F32)});
    }
    std::vector<Tensor> none;
    backend_.run(*apply_, applyFeeds, {}, none);
    const double sumsBefore = inSums_;
    if (!assigned_.empty() && collectives_.size() > 1) averageAssignedState();
    const double stateSums = inSums_ - sumsBefore;

    results[0] = Tensor::fromVector(Shape{}, std::vector<float>{lossShare});
    stopAgreed_ = stopFlag > 0.5f;
    if (plan)
        for (std::size_t k = 0; k < paths_.size(); ++k)
            std::memcpy(results[firstGradient + k].f32(), applyFeeds[k].value.data, std::size_t(sizes_[k]) * sizeof(float));
    const double t3 = now();
    ++stats_.steps;
    const double blockingInRun = sumsBefore; // the last bucket's blocking sum ran inside the backward pass' report
    stats_.computeSeconds += t1 - t0 - blockingInRun;
    stats_.waitSeconds += t2 - t1 + inSums_;
    stats_.applySeconds += t3 - t2 - stateSums;
}

} // namespace strata::train
