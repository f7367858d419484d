#include "engine/train/Trainer.h"
#include "engine/train/DataParallelStep.h"
#include "engine/train/StepGraphs.h"

#include "engine/Error.h"
#include "engine/data/BatchIterator.h"
#include "engine/ir/Losses.h"
#include "engine/ir/ScopeGuard.h"

#include <chrono>
#include <deque>
#include <cstring>

namespace strata::train {

namespace {

enum class Mode { Train, Evaluate };

double now() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

bool isSparse(const std::string& loss) { return loss == "sparse_categorical_crossentropy"; }
bool isClassificationLoss(const std::string& loss) {
    return loss == "sparse_categorical_crossentropy" || loss == "categorical_crossentropy" ||
           loss == "binary_crossentropy";
}

// A view of `rows` samples of a batch tensor from sample `first`.
ir::TensorView rowsView(const Tensor& t, int64_t first, int64_t rows) {
    std::vector<int64_t> dims = t.shape().dims();
    const std::size_t rowBytes = dims[0] > 0 ? t.byteSize() / std::size_t(dims[0]) : 0;
    dims[0] = rows;
    return ir::TensorView(static_cast<const std::byte*>(t.bytes()) + std::size_t(first) * rowBytes, Shape(dims), t.dtype());
}

// Correct predictions among `rows` samples, out's row r against y's row first + r (classification only).
int64_t countCorrect(const Tensor& out, const Tensor& y, int64_t first, int64_t rows, const std::string& loss) {
    const int64_t classes = out.shape().back();
    const float* p = out.f32();
    int64_t correct = 0;
    for (int64_t r = 0; r < rows; ++r) {
        const float* row = p + r * classes;
        if (loss == "binary_crossentropy") {
            for (int64_t c = 0; c < classes; ++c)
                correct += (row[c] > 0.5f) == (y.f32()[(first + r) * classes + c] > 0.5f);
            continue;
        }
        int64_t best = 0;
        for (int64_t c = 1; c < classes; ++c)
            if (row[c] > row[best]) best = c;
        if (isSparse(loss)) correct += best == y.i32()[first + r];
        else {
            const float* t = y.f32() + (first + r) * classes;
            int64_t truth = 0;
            for (int64_t c = 1; c < classes; ++c)
                if (t[c] > t[truth]) truth = c;
            correct += best == truth;
        }
    }
    return correct;
}

} // namespace

struct Trainer::Prepared {
    std::unique_ptr<ir::PreparedGraph> plan;
    ir::ValueId loss = ir::kNoValue;
    std::vector<ir::ValueId> outputs, outputLosses; // outputLosses: models with several outputs only
    std::vector<std::string> inputNames;
    // keepEpochGradients: the gradients (prepared outputs after fetches()) and their variables.
    std::vector<ir::ValueId> gradients;
    std::vector<std::string> gradientPaths;
    std::vector<ir::ValueId> fetchesWithGradients() const {
        std::vector<ir::ValueId> f = fetches();
        f.insert(f.end(), gradients.begin(), gradients.end());
        return f;
    }
    std::vector<ir::ValueId> fetches() const {
        std::vector<ir::ValueId> f{loss};
        f.insert(f.end(), outputs.begin(), outputs.end());
        f.insert(f.end(), outputLosses.begin(), outputLosses.end());
        return f;
    }
};

Trainer::Trainer(Model& model, ir::Backend& backend, TrainOptions options)
    : model_(model), backend_(backend), options_(std::move(options)), traces_(model, options_.seed) {
    if (!model_.built()) throw StrataError("model '" + model_.name() + "' must be built before training");
    const std::size_t outputs = model_.outputIndices().size();
    if (!options_.outputLosses.empty() && options_.outputLosses.size() != outputs)
        throw StrataError("model '" + model_.name() + "' has " + std::to_string(outputs) + " outputs but " +
                          std::to_string(options_.outputLosses.size()) + " losses were given: give one per output");
    for (std::size_t k = 0; k < options_.outputLosses.size(); ++k)
        if (!std::isfinite(options_.outputLosses[k].weight) || options_.outputLosses[k].weight < 0)
            throw StrataError("the loss weight of output '" + model_.layers()[model_.outputIndices()[k]]->name() +
                              "' must be a finite number >= 0, got " + std::to_string(options_.outputLosses[k].weight));
    if (options_.batchSize < 1) throw StrataError("batch size must be at least 1, got " + std::to_string(options_.batchSize));
    if (options_.epochs < 0) throw StrataError("epochs must not be negative");
}

Trainer::~Trainer() = default;

void Trainer::pushWeights() {
    for (Variable* v : model_.variables()) backend_.setVariable(v->path(), v->value());
    pushed_ = true;
}

void Trainer::pullWeights() {
    for (Variable* v : model_.variables()) v->assign(backend_.getVariable(v->path()));
}

namespace {
std::string layerNames(const Model& m, const std::vector<int>& indices) {
    std::string out;
    for (int i : indices) out += (out.empty() ? "'" : ", '") + m.layers()[i]->name() + "'";
    return out;
}
} // namespace

void Trainer::checkData(const data::Dataset& d) const {
    const std::vector<int> ins = model_.inputIndices(), outs = model_.outputIndices();
    if (d.inputCount() != int64_t(ins.size()) || d.outputCount() != int64_t(outs.size()))
        throw StrataError("dataset '" + d.name + "' feeds " + std::to_string(d.inputCount()) + " input(s) and " +
                          std::to_string(d.outputCount()) + " output(s), but model '" + model_.name() + "' has " +
                          std::to_string(ins.size()) + " input(s) (" + layerNames(model_, ins) + ") and " +
                          std::to_string(outs.size()) + " output(s) (" + layerNames(model_, outs) +
                          "): map the dataset's columns to each of them");
    for (std::size_t i = 1; i < ins.size(); ++i) {
        const Shape want = model_.outputShape(ins[i]);
        const Shape have = d.moreX[i - 1].shape().withoutFirst().prepended(kUnknownDim);
        if (!have.isCompatibleWith(want))
            throw ShapeError("dataset '" + d.name + "' gives input '" + model_.layers()[ins[i]]->name() +
                             "' samples of shape " + have.toString() + " but it expects " + want.toString());
    }
    for (std::size_t k = 0; k < outs.size(); ++k) checkTargets(d, k);
}

void Trainer::checkTargets(const data::Dataset& d, std::size_t k) const {
    const int outIdx = model_.outputIndices()[k];
    const Shape& out = model_.outputShape(outIdx);
    const std::string& outName = model_.layers()[outIdx]->name();
    const std::string& loss = options_.lossFor(k);
    const bool classes = d.classesOf(int64_t(k)) > 0;
    const Shape targetShape = d.targets(int64_t(k)).shape().withoutFirst();
    const std::string source = "dataset '" + d.name + "'" + (k ? " (output '" + outName + "')" : "");
    if (isSparse(loss)) {
        if (!classes)
            throw StrataError("loss sparse_categorical_crossentropy needs class labels, but " + source +
                              " has regression targets of shape " + targetShape.toString());
        if (out.rank() != 2)
            throw StrataError("loss sparse_categorical_crossentropy needs an output of shape (None, classes), but output '" +
                              outName + "' has shape " + out.toString());
        data::checkLabelRange(d, out.back(), int64_t(k));
        return;
    }
    if (loss == "categorical_crossentropy" && classes) {
        if (out.back() < d.classesOf(int64_t(k)))
            throw StrataError(source + " has " + std::to_string(d.classesOf(int64_t(k))) + " classes but output '" +
                              outName + "' has shape " + out.toString());
        return;
    }
    const Shape target = classes ? Shape{kUnknownDim} : targetShape.prepended(kUnknownDim);
    if (classes || !target.isCompatibleWith(out))
        throw StrataError("loss " + loss + " compares output '" + outName + "' of shape " + out.toString() +
                          " with targets of shape " + target.toString() + " from " + source +
                          "; they must match" + (classes ? " (class labels need sparse_categorical_crossentropy)" : ""));
}


void Trainer::snapshot(int64_t step) {
    snapshot_.clear();
    for (const auto& path : backend_.variablePaths()) snapshot_.emplace_back(path, backend_.getVariable(path));
    snapshotStep_ = step;
}

void Trainer::restoreSnapshot() {
    for (const auto& [path, value] : snapshot_) backend_.setVariable(path, value);
}

Trainer::Prepared& Trainer::prepared(const std::vector<Shape>& batchShapes, int mode) {
    auto [it, fresh] = prepared_.try_emplace({Signature{batchShapes, mode == int(Mode::Train)}, mode});
    if (!fresh) return *it->second;
    it->second = std::make_unique<Prepared>();
    Prepared& p = *it->second;
    const TracedModel& t = traces_.get(Signature{batchShapes, mode == int(Mode::Train)});
    p.inputNames = t.inputNames;
    p.outputs = t.outputs;
    if (Mode(mode) == Mode::Evaluate) {
        ir::Graph g = t.graph;
        const LossValues lv = appendLosses(g, t, options_);
        p.loss = lv.total;
        if (lv.perOutput.size() > 1) p.outputLosses = lv.perOutput;
        p.plan = backend_.prepare(g, p.fetches());
        return p;
    }
    if (parallel_) { // forward and backward only: DataParallelStep sums the gradients and updates
        const ir::Graph local = parallel_->localGraph(t, p.gradients, p.loss, p.outputLosses);
        p.gradientPaths = parallel_->trainablePaths();
        p.plan = backend_.prepare(local, p.fetchesWithGradients());
        return p;
    }
    ir::TrainingGraphs tg = stepGraphs(model_, t, options_, &p.outputLosses);
    ir::initializeOptimizerState(backend_, tg.update);
    p.loss = tg.loss;
    if (options_.keepEpochGradients) {
        p.gradients = tg.gradients;
        p.gradientPaths = tg.trainable;
    }
    p.plan = backend_.prepare(tg.update, p.fetchesWithGradients());
    return p;
}

namespace {
// The dataset as the losses read it: `d` itself, or (for a categorical loss on class labels) a
// copy in `converted` with one-hot targets.
const data::Dataset& withLossTargets(const data::Dataset& d, const Model& model, const TrainOptions& options,
                                     data::Dataset& converted) {
    const std::vector<int> outs = model.outputIndices();
    auto needs = [&](std::size_t k) { return options.lossFor(k) == "categorical_crossentropy" && d.classesOf(int64_t(k)) > 0; };
    bool any = false;
    for (std::size_t k = 0; k < outs.size(); ++k) any = any || needs(k);
    if (!any) return d;
    converted = d;
    for (std::size_t k = 0; k < outs.size(); ++k) {
        if (!needs(k)) continue;
        const int64_t classes = model.outputShape(outs[k]).back();
        const Tensor& labels = d.targets(int64_t(k));
        Tensor oneHot(Shape{d.size(), classes});
        for (int64_t i = 0; i < d.size(); ++i) oneHot.f32()[i * classes + labels.i32()[i]] = 1.0f;
        if (k == 0) converted.y = std::move(oneHot), converted.numClasses = 0;
        else converted.moreY[k - 1].y = std::move(oneHot), converted.moreY[k - 1].numClasses = 0;
    }
    return converted;
}

// The feeds of one batch's first `rows` samples: every input, then every output's labels.
std::vector<ir::Feed> batchFeeds(const data::Batch& b, int64_t first, int64_t rows, const std::vector<std::string>& inputNames) {
    std::vector<ir::Feed> feeds;
    for (std::size_t i = 0; i < inputNames.size(); ++i) feeds.push_back({inputNames[i], rowsView(b.input(i), first, rows)});
    for (std::size_t k = 0; k < 1 + b.moreY.size(); ++k) feeds.push_back({labelsName(k), rowsView(b.target(k), first, rows)});
    return feeds;
}

std::vector<Shape> batchShapes(const data::Batch& b, int64_t rows) {
    std::vector<Shape> shapes;
    for (std::size_t i = 0; i < 1 + b.moreX.size(); ++i) shapes.push_back(rowsView(b.input(i), 0, rows).shape);
    return shapes;
}

} // namespace

// Per-output sums over an epoch or an evaluation (the losses for models with several outputs).
struct OutputSums {
    std::vector<double> loss, abs;
    std::vector<int64_t> correct;
    explicit OutputSums(std::size_t n) : loss(n, 0.0), abs(n, 0.0), correct(n, 0) {}
};

const DataParallelStats* Trainer::parallelStats() const { return parallel_ ? &parallel_->stats() : nullptr; }

void Trainer::reduceEpochSums(OutputSums& sums) const {
    std::vector<double> v;
    for (std::size_t k = 0; k < sums.loss.size(); ++k) v.insert(v.end(), {sums.loss[k], sums.abs[k], double(sums.correct[k])});
    options_.collectives->sum(v);
    for (std::size_t k = 0; k < sums.loss.size(); ++k) {
        sums.loss[k] = v[3 * k];
        sums.abs[k] = v[3 * k + 1];
        sums.correct[k] = int64_t(std::llround(v[3 * k + 2]));
    }
}

namespace {
// This rank's rows of a global batch of `rows`: an equal share, the first rows % size ranks one more.
std::pair<int64_t, int64_t> shardOf(int64_t rows, const Collectives& c) {
    const int64_t n = c.size(), r = c.rank(), base = rows / n, extra = rows % n;
    return {r * base + std::min(r, extra), base + (r < extra ? 1 : 0)};
}
} // namespace

void Trainer::drainQueued(std::size_t runs) {
    std::vector<Tensor> dropped;
    for (std::size_t i = 0; i < runs; ++i) {
        try {
            backend_.collect(dropped);
        } catch (const std::exception&) {
        }
    }
}

namespace {
// Accuracy over `seen` samples of output k: correct / (seen, or seen * classes for a binary loss).
double accuracyOf(int64_t correct, int64_t seen, const std::string& loss, int64_t classes) {
    return double(correct) / double(seen * (loss == "binary_crossentropy" ? classes : 1));
}
} // namespace

void Trainer::addOutputSums(const std::vector<Tensor>& r, const data::Batch& b, int64_t first, int64_t rows, OutputSums& sums) const {
    const std::size_t outputs = sums.loss.size();
    for (std::size_t k = 0; k < outputs; ++k) {
        const Tensor& out = r[1 + k];
        if (outputs > 1) sums.loss[k] += double(r[1 + outputs + k].f32()[0]) * double(rows);
        if (isClassificationLoss(options_.lossFor(k))) {
            sums.correct[k] += countCorrect(out, b.target(k), first, rows, options_.lossFor(k));
            continue;
        }
        const int64_t n = out.size() / out.shape()[0] * rows;
        const float* want = b.target(k).f32() + first * (out.size() / out.shape()[0]);
        for (int64_t i = 0; i < n; ++i) sums.abs[k] += std::fabs(double(out.f32()[i]) - double(want[i]));
    }
}

std::vector<OutputMetrics> Trainer::outputMetrics(const OutputSums& sums, int64_t seen, const data::Dataset& d) const {
    std::vector<OutputMetrics> m;
    const std::vector<int> outs = model_.outputIndices();
    for (std::size_t k = 0; k < outs.size(); ++k) {
        OutputMetrics o;
        o.name = model_.layers()[outs[k]]->name();
        o.loss = sums.loss[k] / double(seen);
        const std::string& loss = options_.lossFor(k);
        if (isClassificationLoss(loss)) o.accuracy = accuracyOf(sums.correct[k], seen, loss, model_.outputShape(outs[k]).back());
        else o.mae = sums.abs[k] / double(d.targets(int64_t(k)).size() / d.size() * seen);
        m.push_back(o);
    }
    return m;
}

FitResult Trainer::fit(const data::Dataset& trainIn, const data::Dataset* validation) {
    checkData(trainIn);
    if (validation) checkData(*validation);
    if (!pushed_) pushWeights();
    stop_ = false;
    if (options_.collectives && !parallel_)
        parallel_ = std::make_unique<DataParallelStep>(backend_, model_, options_, *options_.collectives, options_.bucketBytes);
    const int maxInFlight = parallel_ ? 1 : backend_.maxInFlight(); // a data-parallel step runs at once
    const std::size_t outputs = model_.outputIndices().size();
    data::Dataset converted;
    const data::Dataset& train = withLossTargets(trainIn, model_, options_, converted);

    // Steps are pipelined: step n+1 is enqueued before the results of step n are read, so a device
    // backend never waits for the host between steps. A ring of batch buffers and result sets, one
    // more than the runs in flight: the next batch is read while the oldest step's labels are
    // still needed for its accuracy.
    data::BatchIterator it(train, {options_.batchSize, options_.shuffle, false, options_.seed, options_.dataWorkers});
    const int ring = backend_.maxInFlight() + 1;
    std::vector<data::Batch> batches;
    for (int i = 0; i < ring; ++i) batches.push_back(it.makeBatch());
    std::vector<std::vector<Tensor>> results(static_cast<std::size_t>(ring));
    // rows: the batch's (global); this rank's are [first, first + local); done: results are in (data-parallel)
    struct Step { int64_t rows = 0, batch = 0; int buf = 0; const Prepared* gradients = nullptr; int64_t first = 0, local = 0; bool done = false; };
    std::deque<Step> inFlight;
    auto drain = [&] { // after an error or a NaN: the runs still queued are dropped
        drainQueued(inFlight.size());
        inFlight.clear();
    };
    FitResult result;
    try {
        for (int epoch = options_.initialEpoch + 1; epoch <= options_.epochs && !result.stopped && !result.diverged; ++epoch) {
            it.beginEpoch(epoch - 1);
            const int64_t skipped = epoch == options_.initialEpoch + 1 ? it.skip(options_.initialBatch) : 0;
            EpochEvent ev;
            ev.epoch = epoch;
            double lossSum = 0;
            OutputSums sums(outputs);
            int64_t seen = 0, batch = skipped, enqueued = result.steps;
            const int64_t stepsBefore = result.steps;
            const double t0 = now();
            snapshot(result.steps);
            epochGradients_.clear();
            // Reads the oldest step's results; false when its loss is not finite (the weights are then
            // restored and the run ends).
            auto finishStep = [&]() -> bool {
                const Step st = inFlight.front();
                inFlight.pop_front();
                std::vector<Tensor>& r = results[std::size_t(st.buf)];
                if (!st.done) backend_.collect(r);
                const double loss = r[0].f32()[0];
                ++result.steps;
                if (!std::isfinite(loss)) {
                    drain();
                    restoreSnapshot();
                    pullWeights();
                    result.diverged = true;
                    result.message = "the loss became " + std::string(std::isnan(loss) ? "NaN" : "infinite") + " at step " +
                                     std::to_string(result.steps) + " (epoch " + std::to_string(epoch) + ", batch " +
                                     std::to_string(st.batch) + "); training stopped and the weights from step " +
                                     std::to_string(snapshotStep_) + ", the last kept state with a finite loss, were restored";
                    return false;
                }
                lossSum += loss * double(st.rows);
                seen += st.rows;
                if (st.local > 0) addOutputSums(r, batches[std::size_t(st.buf)], st.first, st.local, sums);
                if (st.gradients) { // the epoch's last step: its gradients follow the other fetches
                    const std::size_t first = st.gradients->fetches().size();
                    for (std::size_t k = 0; k < st.gradients->gradientPaths.size() && first + k < r.size(); ++k)
                        epochGradients_.emplace_back(st.gradients->gradientPaths[k], std::move(r[first + k]));
                }
                if (onStep_) onStep_({result.steps, epoch, st.batch, it.batchesPerEpoch(), loss});
                return true;
            };
            bool requested = false, limited = false;
            int cur = 0;
            while (int64_t rows = it.next(batches[std::size_t(cur)])) {
                if (int(inFlight.size()) >= maxInFlight && !finishStep()) break;
                // A stop requested by a step event ends the run after the steps already enqueued;
                // data-parallel, when any rank asked in the last step (all ranks stop alike).
                requested = parallel_ ? parallel_->stopAgreed() : bool(stop_);
                limited = options_.maxSteps >= 0 && enqueued >= options_.maxSteps;
                if (requested || limited) break;
                const data::Batch& b = batches[std::size_t(cur)];
                if (parallel_) {
                    const auto [first, local] = shardOf(rows, *options_.collectives);
                    Prepared* p = local > 0 ? &prepared(batchShapes(b, local), int(Mode::Train)) : nullptr;
                    const std::vector<ir::Feed> feeds = p ? batchFeeds(b, first, local, p->inputNames) : std::vector<ir::Feed>{};
                    const std::vector<ir::ValueId> fetches = p ? p->fetchesWithGradients() : std::vector<ir::ValueId>{};
                    parallel_->step(p ? p->plan.get() : nullptr, feeds, fetches, p ? p->fetches().size() : 0, local, rows,
                                    options_.initialStep + enqueued + 1, stop_, results[std::size_t(cur)]);
                    const bool lastOfEpoch = options_.keepEpochGradients && batch + 1 == it.batchesPerEpoch();
                    inFlight.push_back({rows, ++batch, cur, lastOfEpoch ? p : nullptr, first, local, true});
                } else {
                    Prepared& p = prepared(batchShapes(b, rows), int(Mode::Train));
                    const std::vector<ir::Feed> feeds = batchFeeds(b, 0, rows, p.inputNames);
                    const bool lastOfEpoch = !p.gradients.empty() && batch + 1 == it.batchesPerEpoch();
                    backend_.enqueue(*p.plan, feeds, lastOfEpoch ? p.fetchesWithGradients() : p.fetches());
                    inFlight.push_back({rows, ++batch, cur, lastOfEpoch ? &p : nullptr, 0, rows, false});
                }
                ++enqueued;
                cur = (cur + 1) % ring;
                if (options_.snapshotEvery > 0 && enqueued % options_.snapshotEvery == 0) {
                    while (!inFlight.empty() && !result.diverged) finishStep();
                    if (result.diverged) break;
                    snapshot(result.steps);
                }
            }
            while (!inFlight.empty() && !result.diverged) finishStep();
            if (!result.diverged && (requested || limited)) {
                result.stopped = true;
                result.message = requested ? "stopped on request after step " + std::to_string(result.steps)
                                           : "stopped after " + std::to_string(result.steps) + " steps (step limit)";
            }
            ev.seconds = now() - t0;
            ev.steps = result.steps - stepsBefore;
            if (seen == 0) break;
            if (parallel_) reduceEpochSums(sums);
            ev.loss = lossSum / double(seen);
            if (outputs > 1) ev.outputs = outputMetrics(sums, seen, train);
            else if (isClassificationLoss(options_.loss))
                ev.accuracy = accuracyOf(sums.correct[0], seen, options_.loss, model_.outputShape(model_.outputIndices()[0]).back());
            for (OutputMetrics& o : ev.outputs) o.mae = kNoMetric; // training reports losses and accuracy
            ev.samplesPerSecond = ev.seconds > 0 ? double(seen) / ev.seconds : 0;
            if (result.diverged) break;
            if (validation && validation->size() > 0) {
                EvalResult v = evaluate(*validation);
                ev.valLoss = v.loss;
                ev.valAccuracy = v.accuracy;
                ev.valOutputs = v.outputs;
            }
            result.epochs.push_back(ev);
            if (onEpoch_) onEpoch_(ev);
        }
    } catch (...) {
        drain();
        throw;
    }
    if (!result.diverged) pullWeights();
    return result;
}

EvalResult Trainer::evaluate(const data::Dataset& dIn) {
    checkData(dIn);
    if (!pushed_) pushWeights();
    const std::size_t outputs = model_.outputIndices().size();
    data::Dataset converted;
    const data::Dataset& d = withLossTargets(dIn, model_, options_, converted);
    // Pipelined like fit: batch n+1 is enqueued before batch n's results are read. The labels of
    // each batch in flight stay in their own ring slot until its accuracy is counted.
    data::BatchIterator it(d, {options_.batchSize, false, false, 0, options_.dataWorkers});
    const int ring = backend_.maxInFlight() + 1;
    std::vector<data::Batch> batches;
    for (int i = 0; i < ring; ++i) batches.push_back(it.makeBatch());
    std::vector<std::vector<Tensor>> results(static_cast<std::size_t>(ring));
    struct InFlight { int64_t rows = 0; int buf = 0; };
    std::deque<InFlight> inFlight;
    it.beginEpoch(0);
    EvalResult r;
    double lossSum = 0;
    OutputSums sums(outputs);
    auto finishBatch = [&] {
        const InFlight b = inFlight.front();
        inFlight.pop_front();
        std::vector<Tensor>& res = results[std::size_t(b.buf)];
        backend_.collect(res);
        lossSum += double(res[0].f32()[0]) * double(b.rows);
        addOutputSums(res, batches[std::size_t(b.buf)], 0, b.rows, sums);
        r.samples += b.rows;
    };
    try {
        int cur = 0;
        while (int64_t rows = it.next(batches[std::size_t(cur)])) {
            if (int(inFlight.size()) >= backend_.maxInFlight()) finishBatch();
            const data::Batch& b = batches[std::size_t(cur)];
            Prepared& p = prepared(batchShapes(b, rows), int(Mode::Evaluate));
            const std::vector<ir::Feed> feeds = batchFeeds(b, 0, rows, p.inputNames);
            backend_.enqueue(*p.plan, feeds, p.fetches());
            inFlight.push_back({rows, cur});
            cur = (cur + 1) % ring;
        }
        while (!inFlight.empty()) finishBatch();
    } catch (...) {
        drainQueued(inFlight.size());
        throw;
    }
    if (r.samples == 0) return r;
    r.loss = lossSum / double(r.samples);
    if (outputs > 1) {
        r.outputs = outputMetrics(sums, r.samples, d);
        return r;
    }
    if (isClassificationLoss(options_.loss))
        r.accuracy = accuracyOf(sums.correct[0], r.samples, options_.loss, model_.outputShape(model_.outputIndices()[0]).back());
    else r.mae = sums.abs[0] / double(d.y.size());
    return r;
}

std::vector<std::pair<std::string, double>> epochMetrics(const EpochEvent& e) {
    std::vector<std::pair<std::string, double>> m = {
        {"loss", e.loss}, {"accuracy", e.accuracy}, {"val_loss", e.valLoss}, {"val_accuracy", e.valAccuracy}};
    for (const OutputMetrics& o : e.outputs) m.insert(m.end(), {{o.name + "_loss", o.loss}, {o.name + "_accuracy", o.accuracy}});
    for (const OutputMetrics& o : e.valOutputs)
        m.insert(m.end(), {{"val_" + o.name + "_loss", o.loss}, {"val_" + o.name + "_accuracy", o.accuracy}});
    return m;
}

std::vector<std::pair<std::string, double>> evalMetrics(const EvalResult& r, const std::string& prefix) {
    std::vector<std::pair<std::string, double>> m = {{prefix + "loss", r.loss}, {prefix + "accuracy", r.accuracy}, {prefix + "mae", r.mae}};
    for (const OutputMetrics& o : r.outputs)
        m.insert(m.end(), {{prefix + o.name + "_loss", o.loss}, {prefix + o.name + "_accuracy", o.accuracy}, {prefix + o.name + "_mae", o.mae}});
    return m;
}

Tensor Trainer::predict(const Tensor& x) {
    if (!pushed_) pushWeights();
    if (!inference_) inference_ = std::make_unique<Inference>(model_, backend_, &traces_);
    return inference_->run({x}, options_.batchSize).at(0);
}

} // namespace strata::train
