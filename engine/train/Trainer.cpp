#include "engine/train/Trainer.h"

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

// A view of the first `rows` samples of a batch tensor.
ir::TensorView rowsView(const Tensor& t, int64_t rows) {
    std::vector<int64_t> dims = t.shape().dims();
    dims[0] = rows;
    return ir::TensorView(t.bytes(), Shape(dims), t.dtype());
}

// Correct predictions among the first `rows` samples (classification only).
int64_t countCorrect(const Tensor& out, const Tensor& y, int64_t rows, const std::string& loss) {
    const int64_t classes = out.shape().back();
    const float* p = out.f32();
    int64_t correct = 0;
    for (int64_t r = 0; r < rows; ++r) {
        const float* row = p + r * classes;
        if (loss == "binary_crossentropy") {
            for (int64_t c = 0; c < classes; ++c)
                correct += (row[c] > 0.5f) == (y.f32()[r * classes + c] > 0.5f);
            continue;
        }
        int64_t best = 0;
        for (int64_t c = 1; c < classes; ++c)
            if (row[c] > row[best]) best = c;
        if (isSparse(loss)) correct += best == y.i32()[r];
        else {
            const float* t = y.f32() + r * classes;
            int64_t truth = 0;
            for (int64_t c = 1; c < classes; ++c)
                if (t[c] > t[truth]) truth = c;
            correct += best == truth;
        }
    }
    return correct;
}

} // namespace

ir::ValueId appendLoss(ir::Graph& g, const TracedModel& traced, const std::string& loss, bool fromLogits,
                       DType labelType, const Shape& labelShape) {
    const ir::ValueId out = traced.outputs.at(0);
    const std::string& act = traced.outputActivations.at(0);
    ir::ScopeGuard scope(g, ir::kLossScope);
    ir::ValueId labels = g.placeholder("labels", labelShape, labelType);
    const bool softmaxCe = (loss == "sparse_categorical_crossentropy" || loss == "categorical_crossentropy") && act == "softmax";
    const bool sigmoidBce = loss == "binary_crossentropy" && act == "sigmoid";
    if (softmaxCe || sigmoidBce) return ir::losses::byName(g, loss, labels, traced.logits.at(0), true);
    return ir::losses::byName(g, loss, labels, out, fromLogits);
}

struct Trainer::Prepared {
    std::unique_ptr<ir::PreparedGraph> plan;
    ir::ValueId loss = ir::kNoValue, output = ir::kNoValue;
    std::string inputName;
};

Trainer::Trainer(Model& model, ir::Backend& backend, TrainOptions options)
    : model_(model), backend_(backend), options_(std::move(options)), traces_(model, options_.seed) {
    if (!model_.built()) throw StrataError("model '" + model_.name() + "' must be built before training");
    if (model_.inputIndices().size() != 1 || model_.outputIndices().size() != 1)
        throw StrataError("model '" + model_.name() + "': training supports models with one input and one output for now");
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

void Trainer::checkData(const data::Dataset& d) const {
    const int outIdx = model_.outputIndices()[0];
    const Shape& out = model_.outputShape(outIdx);
    const std::string& outName = model_.layers()[outIdx]->name();
    const std::string& loss = options_.loss;
    if (isSparse(loss)) {
        if (!d.isClassification())
            throw StrataError("loss sparse_categorical_crossentropy needs class labels, but dataset '" + d.name +
                              "' has regression targets of shape " + d.targetShape().toString());
        if (out.rank() != 2)
            throw StrataError("loss sparse_categorical_crossentropy needs an output of shape (None, classes), but output '" +
                              outName + "' has shape " + out.toString());
        data::checkLabelRange(d, out.back());
        return;
    }
    if (loss == "categorical_crossentropy" && d.isClassification()) {
        if (out.back() < d.numClasses)
            throw StrataError("dataset '" + d.name + "' has " + std::to_string(d.numClasses) + " classes but output '" +
                              outName + "' has shape " + out.toString());
        return;
    }
    const Shape target = d.isClassification() ? Shape{kUnknownDim} : d.targetShape().prepended(kUnknownDim);
    if (d.isClassification() || !target.isCompatibleWith(out))
        throw StrataError("loss " + loss + " compares output '" + outName + "' of shape " + out.toString() +
                          " with targets of shape " + target.toString() + " from dataset '" + d.name +
                          "'; they must match" + (d.isClassification() ? " (class labels need sparse_categorical_crossentropy)" : ""));
}


void Trainer::snapshot(int64_t step) {
    snapshot_.clear();
    for (const auto& path : backend_.variablePaths()) snapshot_.emplace_back(path, backend_.getVariable(path));
    snapshotStep_ = step;
}

void Trainer::restoreSnapshot() {
    for (const auto& [path, value] : snapshot_) backend_.setVariable(path, value);
}

namespace {
// One training step's graphs for a training trace: the loss on the first output, then the
// gradients and updates of every trainable variable. fit() runs it; the inspector draws it.
ir::TrainingGraphs stepGraphs(const Model& model, const TracedModel& t, const TrainOptions& options) {
    ir::Graph g = t.graph;
    const Shape& out = g.shape(t.outputs.at(0));
    const bool sparse = isSparse(options.loss);
    const ir::ValueId loss =
        appendLoss(g, t, options.loss, options.fromLogits, sparse ? DType::I32 : DType::F32, sparse ? Shape{out[0]} : out);
    std::vector<std::string> trainable;
    for (Variable* v : model.trainableVariables()) trainable.push_back(v->path());
    return ir::buildTrainingGraphs(g, loss, trainable, options.optimizer);
}

// Prepares the graph of `mode` for one batch shape; labels as the loss expects them.
void prepareGraph(ir::Backend& backend, TraceCache& traces, const Model& model, const TrainOptions& options,
                  const Shape& xBatch, Mode mode, std::unique_ptr<ir::PreparedGraph>& plan, ir::ValueId& loss,
                  ir::ValueId& output, std::string& inputName) {
    const TracedModel& t = traces.get(Signature{{xBatch}, mode == Mode::Train});
    inputName = t.inputNames[0];
    ir::Graph g = t.graph;
    output = t.outputs[0];
    if (mode == Mode::Evaluate) {
        const Shape& out = g.shape(output);
        const bool sparse = isSparse(options.loss);
        loss = appendLoss(g, t, options.loss, options.fromLogits, sparse ? DType::I32 : DType::F32, sparse ? Shape{out[0]} : out);
        plan = backend.prepare(g, {loss, output});
        return;
    }
    ir::TrainingGraphs tg = stepGraphs(model, t, options);
    ir::initializeOptimizerState(backend, tg.update);
    loss = tg.loss;
    plan = backend.prepare(tg.update, {tg.loss, output});
}

} // namespace

TracedStep traceTrainingStep(const Model& model, const Shape& xBatch, const TrainOptions& options, uint64_t seed) {
    TracedStep step;
    step.trace = traceModel(model, Signature{{xBatch}, true}, seed);
    ir::TrainingGraphs tg = stepGraphs(model, step.trace, options);
    step.forwardNodes = std::size_t(tg.forward.nodeCount());
    step.backwardNodes = std::size_t(tg.backward.nodeCount());
    step.loss = tg.loss;
    step.trace.graph = std::move(tg.update);
    return step;
}

std::string defaultLossFor(const TracedModel& traced) {
    const std::string& act = traced.outputActivations.at(0);
    return act == "softmax" ? "sparse_categorical_crossentropy" : act == "sigmoid" ? "binary_crossentropy" : "mean_squared_error";
}

Trainer::Prepared& Trainer::prepared(const Shape& xBatch, int mode) {
    auto [it, fresh] = prepared_.try_emplace({Signature{{xBatch}, mode == int(Mode::Train)}, mode});
    if (fresh) {
        it->second = std::make_unique<Prepared>();
        Prepared& p = *it->second;
        prepareGraph(backend_, traces_, model_, options_, xBatch, Mode(mode), p.plan, p.loss, p.output, p.inputName);
    }
    return *it->second;
}

namespace {
// The dataset as the loss reads it: `d` itself, or (for a categorical loss on class labels) a
// copy in `converted` with one-hot targets.
const data::Dataset& withLossTargets(const data::Dataset& d, const std::string& loss, int64_t classes,
                                     data::Dataset& converted) {
    if (loss != "categorical_crossentropy" || !d.isClassification()) return d;
    converted = d;
    Tensor oneHot(Shape{d.size(), classes});
    for (int64_t i = 0; i < d.size(); ++i) oneHot.f32()[i * classes + d.y.i32()[i]] = 1.0f;
    converted.y = std::move(oneHot);
    converted.numClasses = 0;
    return converted;
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

FitResult Trainer::fit(const data::Dataset& trainIn, const data::Dataset* validation) {
    checkData(trainIn);
    if (validation) checkData(*validation);
    if (!pushed_) pushWeights();
    stop_ = false;
    const int64_t classes = model_.outputShape(model_.outputIndices()[0]).back();
    data::Dataset converted;
    const data::Dataset& train = withLossTargets(trainIn, options_.loss, classes, converted);

    // Steps are pipelined: step n+1 is enqueued before the results of step n are read, so a device
    // backend never waits for the host between steps. A ring of batch buffers and result sets, one
    // more than the runs in flight: the next batch is read while the oldest step's labels are
    // still needed for its accuracy.
    data::BatchIterator it(train, {options_.batchSize, options_.shuffle, false, options_.seed, options_.dataWorkers});
    const int ring = backend_.maxInFlight() + 1;
    std::vector<Tensor> xb, yb;
    for (int i = 0; i < ring; ++i) xb.push_back(it.makeXBatch()), yb.push_back(it.makeYBatch());
    std::vector<std::vector<Tensor>> results(static_cast<std::size_t>(ring));
    struct Step { int64_t rows = 0, batch = 0; int buf = 0; };
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
            int64_t seen = 0, correct = 0, batch = skipped, enqueued = result.steps;
            const int64_t stepsBefore = result.steps;
            const double t0 = now();
            snapshot(result.steps);
            // Reads the oldest step's results; false when its loss is not finite (the weights are then
            // restored and the run ends).
            auto finishStep = [&]() -> bool {
                const Step st = inFlight.front();
                inFlight.pop_front();
                std::vector<Tensor>& r = results[st.buf];
                backend_.collect(r);
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
                if (train.isClassification() || isClassificationLoss(options_.loss))
                    correct += countCorrect(r[1], yb[st.buf], st.rows, options_.loss);
                if (onStep_) onStep_({result.steps, epoch, st.batch, it.batchesPerEpoch(), loss});
                return true;
            };
            bool requested = false, limited = false;
            int cur = 0;
            while (int64_t rows = it.next(xb[cur], yb[cur])) {
                if (int(inFlight.size()) >= backend_.maxInFlight() && !finishStep()) break;
                // A stop requested by a step event ends the run after the steps already enqueued.
                requested = stop_;
                limited = options_.maxSteps >= 0 && enqueued >= options_.maxSteps;
                if (requested || limited) break;
                Prepared& p = prepared(rowsView(xb[cur], rows).shape, int(Mode::Train));
                const ir::Feed feeds[] = {{p.inputName, rowsView(xb[cur], rows)}, {"labels", rowsView(yb[cur], rows)}};
                const ir::ValueId fetch[] = {p.loss, p.output};
                backend_.enqueue(*p.plan, feeds, fetch);
                inFlight.push_back({rows, ++batch, cur});
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
            ev.loss = lossSum / double(seen);
            if (isClassificationLoss(options_.loss))
                ev.accuracy = double(correct) / double(seen * (options_.loss == "binary_crossentropy" ? classes : 1));
            ev.samplesPerSecond = ev.seconds > 0 ? double(seen) / ev.seconds : 0;
            if (result.diverged) break;
            if (validation && validation->size() > 0) {
                EvalResult v = evaluate(*validation);
                ev.valLoss = v.loss;
                ev.valAccuracy = v.accuracy;
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
    const int64_t classes = model_.outputShape(model_.outputIndices()[0]).back();
    data::Dataset converted;
    const data::Dataset& d = withLossTargets(dIn, options_.loss, classes, converted);
    // Pipelined like fit: batch n+1 is enqueued before batch n's results are read. The labels of
    // each batch in flight stay in their own ring slot until its accuracy is counted.
    data::BatchIterator it(d, {options_.batchSize, false, false, 0, options_.dataWorkers});
    const int ring = backend_.maxInFlight() + 1;
    std::vector<Tensor> xb, yb;
    for (int i = 0; i < ring; ++i) xb.push_back(it.makeXBatch()), yb.push_back(it.makeYBatch());
    std::vector<std::vector<Tensor>> results(static_cast<std::size_t>(ring));
    struct Batch { int64_t rows = 0; int buf = 0; };
    std::deque<Batch> inFlight;
    it.beginEpoch(0);
    EvalResult r;
    double lossSum = 0, absSum = 0;
    int64_t correct = 0;
    auto finishBatch = [&] {
        const Batch b = inFlight.front();
        inFlight.pop_front();
        std::vector<Tensor>& res = results[std::size_t(b.buf)];
        backend_.collect(res);
        lossSum += double(res[0].f32()[0]) * double(b.rows);
        if (isClassificationLoss(options_.loss)) correct += countCorrect(res[1], yb[std::size_t(b.buf)], b.rows, options_.loss);
        else {
            const int64_t n = res[1].size() / res[1].shape()[0] * b.rows;
            const float* want = yb[std::size_t(b.buf)].f32();
            for (int64_t i = 0; i < n; ++i) absSum += std::fabs(double(res[1].f32()[i]) - double(want[i]));
        }
        r.samples += b.rows;
    };
    try {
        int cur = 0;
        while (int64_t rows = it.next(xb[std::size_t(cur)], yb[std::size_t(cur)])) {
            if (int(inFlight.size()) >= backend_.maxInFlight()) finishBatch();
            Prepared& p = prepared(rowsView(xb[std::size_t(cur)], rows).shape, int(Mode::Evaluate));
            const ir::Feed feeds[] = {{p.inputName, rowsView(xb[std::size_t(cur)], rows)},
                                      {"labels", rowsView(yb[std::size_t(cur)], rows)}};
            const ir::ValueId fetch[] = {p.loss, p.output};
            backend_.enqueue(*p.plan, feeds, fetch);
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
    if (isClassificationLoss(options_.loss))
        r.accuracy = double(correct) / double(r.samples * (options_.loss == "binary_crossentropy" ? classes : 1));
    else r.mae = absSum / double(d.y.size());
    return r;
}

Tensor Trainer::predict(const Tensor& x) {
    if (!pushed_) pushWeights();
    if (!inference_) inference_ = std::make_unique<Inference>(model_, backend_, &traces_);
    return inference_->run({x}, options_.batchSize).at(0);
}

} // namespace strata::train
