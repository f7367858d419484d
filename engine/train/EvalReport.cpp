#include "engine/train/EvalReport.h"

#include "engine/Error.h"
#include "engine/data/BatchIterator.h"
#include "engine/train/Inference.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace strata::train {

namespace {

constexpr double kEpsilon = 1e-7; // Keras' clip of probabilities before a log (engine/ir/Losses)

double clipped(double p) { return std::clamp(p, kEpsilon, 1.0 - kEpsilon); }

std::vector<Tensor> batchInputs(const data::Batch& b) {
    std::vector<Tensor> in{b.x};
    in.insert(in.end(), b.moreX.begin(), b.moreX.end());
    return in;
}

// One regression or reconstruction sample's loss, as the loss named would count it.
double valueLoss(const std::string& loss, bool fromLogits, const float* out, const float* want, int64_t n) {
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) {
        const double o = out[i], t = want[i];
        if (loss == "mean_absolute_error" || loss == "mae") sum += std::fabs(o - t);
        else if (loss == "binary_crossentropy") {
            if (fromLogits) sum += std::max(o, 0.0) - o * t + std::log1p(std::exp(-std::fabs(o)));
            else sum -= t * std::log(clipped(o)) + (1 - t) * std::log(1 - clipped(o));
        } else sum += (o - t) * (o - t);
    }
    return n ? sum / double(n) : 0;
}

// A classifier's class probabilities for one output row: the softmax of logits, a softmax
// output renormalised, or a single sigmoid unit as (1 - p, p).
void classProbabilities(const float* row, int64_t width, int classes, bool fromLogits, std::vector<float>& p) {
    p.assign(std::size_t(classes), 0.0f);
    if (width == 1) { // binary: one sigmoid unit
        double p1 = row[0];
        if (fromLogits) p1 = 1.0 / (1.0 + std::exp(-p1));
        p[0] = float(1 - p1);
        p[1] = float(p1);
        return;
    }
    double sum = 0;
    if (fromLogits) {
        const float top = *std::max_element(row, row + width);
        for (int c = 0; c < classes; ++c) sum += p[std::size_t(c)] = float(std::exp(double(row[c]) - top));
    } else {
        for (int c = 0; c < classes; ++c) sum += p[std::size_t(c)] = std::max(row[c], 0.0f);
    }
    if (sum > 0)
        for (float& v : p) v = float(v / sum);
}

ClassScores scoresOf(int64_t tp, int64_t predictedAs, int64_t support) {
    ClassScores s;
    s.support = support;
    s.precision = predictedAs ? double(tp) / double(predictedAs) : 0;
    s.recall = support ? double(tp) / double(support) : 0;
    s.f1 = s.precision + s.recall > 0 ? 2 * s.precision * s.recall / (s.precision + s.recall) : 0;
    return s;
}

void finishClassification(EvalReport& r) {
    const int k = r.classCount();
    r.confusion.assign(std::size_t(k), std::vector<int64_t>(std::size_t(k), 0));
    int64_t correct = 0;
    for (std::size_t i = 0; i < r.trueLabels.size(); ++i) {
        ++r.confusion[std::size_t(r.trueLabels[i])][std::size_t(r.predicted[i])];
        correct += r.trueLabels[i] == r.predicted[i];
    }
    r.accuracy = r.samples ? double(correct) / double(r.samples) : 0;
    r.perClass.clear();
    r.macro = r.weighted = {};
    for (int c = 0; c < k; ++c) {
        int64_t support = 0, predictedAs = 0;
        for (int j = 0; j < k; ++j) {
            support += r.confusion[std::size_t(c)][std::size_t(j)];
            predictedAs += r.confusion[std::size_t(j)][std::size_t(c)];
        }
        const ClassScores s = scoresOf(r.confusion[std::size_t(c)][std::size_t(c)], predictedAs, support);
        r.perClass.push_back(s);
        r.macro.precision += s.precision / k;
        r.macro.recall += s.recall / k;
        r.macro.f1 += s.f1 / k;
        const double w = r.samples ? double(support) / double(r.samples) : 0;
        r.weighted.precision += s.precision * w;
        r.weighted.recall += s.recall * w;
        r.weighted.f1 += s.f1 * w;
    }
    r.macro.support = r.weighted.support = r.samples;
    std::stable_sort(r.misclassified.begin(), r.misclassified.end(), [](const Misclassified& a, const Misclassified& b) { return a.loss > b.loss; });
}

void finishRegression(EvalReport& r, int bins) {
    const std::size_t n = r.predictedValues.size();
    if (!n) return;
    double abs = 0, sq = 0, mean = 0;
    for (std::size_t i = 0; i < n; ++i) mean += r.trueValues[i];
    mean /= double(n);
    double total = 0;
    double low = std::numeric_limits<double>::infinity(), high = -low;
    for (std::size_t i = 0; i < n; ++i) {
        const double d = double(r.predictedValues[i]) - double(r.trueValues[i]);
        abs += std::fabs(d);
        sq += d * d;
        total += (r.trueValues[i] - mean) * (r.trueValues[i] - mean);
        low = std::min(low, d);
        high = std::max(high, d);
    }
    r.mae = abs / double(n);
    r.rmse = std::sqrt(sq / double(n));
    r.r2 = total > 0 ? 1 - sq / total : 0;
    if (!(high > low)) low -= 0.5, high += 0.5;
    r.residuals.low = low;
    r.residuals.high = high;
    r.residuals.counts.assign(std::size_t(std::max(1, bins)), 0);
    const double width = (high - low) / double(r.residuals.counts.size());
    for (std::size_t i = 0; i < n; ++i) {
        const double d = double(r.predictedValues[i]) - double(r.trueValues[i]);
        const auto bin = std::min<std::size_t>(r.residuals.counts.size() - 1, std::size_t(std::max(0.0, (d - low) / width)));
        ++r.residuals.counts[bin];
    }
}

} // namespace

const char* reportKindName(ReportKind k) {
    switch (k) {
    case ReportKind::Classification: return "classification";
    case ReportKind::Regression: return "regression";
    case ReportKind::Reconstruction: return "reconstruction";
    }
    return "classification";
}

std::vector<std::vector<double>> EvalReport::normalisedConfusion() const {
    std::vector<std::vector<double>> out;
    for (const auto& row : confusion) {
        const int64_t sum = std::accumulate(row.begin(), row.end(), int64_t(0));
        std::vector<double> n;
        for (int64_t v : row) n.push_back(sum ? double(v) / double(sum) : 0.0);
        out.push_back(std::move(n));
    }
    return out;
}

std::vector<int64_t> EvalReport::samplesOf(int t, int p) const {
    std::vector<int64_t> out;
    for (std::size_t i = 0; i < trueLabels.size(); ++i)
        if (trueLabels[i] == t && predicted[i] == p) out.push_back(int64_t(i));
    return out;
}

std::vector<double> EvalReport::residualValues() const {
    std::vector<double> out(predictedValues.size());
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = double(predictedValues[i]) - double(trueValues[i]);
    return out;
}

namespace {

// One output's report being filled, batch by batch.
struct OutputReport {
    EvalReport r;
    int64_t width = 0; // values per sample of the model's output
    int classes = 0;
    std::string loss;
};

OutputReport startReport(const Model& model, const data::Dataset& data, const EvalReportOptions& options, int position) {
    const int outLayer = model.outputIndices().at(std::size_t(position));
    const Shape outShape = model.outputShape(outLayer).withoutFirst();
    OutputReport o;
    EvalReport& r = o.r;
    r.dataset = data.name;
    r.output = model.layers()[std::size_t(outLayer)]->name();
    r.outputPosition = position;
    if (!outShape.isFullyKnown())
        throw StrataError("output '" + r.output + "' has shape " + outShape.toString() + " with unknown dimensions");
    if (position >= data.outputCount())
        throw StrataError("dataset '" + data.name + "' has targets for " + std::to_string(data.outputCount()) + " output(s), none for output '" +
                          r.output + "' (output " + std::to_string(position + 1) + " of the model)");
    o.width = outShape.numElements();
    o.classes = data.classesOf(position);
    const std::size_t p = std::size_t(position);
    o.loss = p < options.outputLosses.size() && !options.outputLosses[p].empty() ? options.outputLosses[p] : options.loss;
    r.kind = options.reconstruct ? ReportKind::Reconstruction : o.classes > 0 ? ReportKind::Classification : ReportKind::Regression;
    const std::string who = position ? "dataset '" + data.name + "' (output " + std::to_string(position + 1) + ")" : "dataset '" + data.name + "'";
    if (r.kind == ReportKind::Classification) {
        if (o.width != o.classes && !(o.width == 1 && o.classes == 2))
            throw StrataError("output '" + r.output + "' gives " + std::to_string(o.width) + " values per sample, but " + who + " has " +
                              std::to_string(o.classes) + " classes");
        data::checkLabelRange(data, o.classes, position);
        const std::vector<std::string>& names = position ? data.moreY[p - 1].classNames : data.classNames;
        for (int c = 0; c < o.classes; ++c)
            r.classNames.push_back(std::size_t(c) < names.size() && !names[std::size_t(c)].empty() ? names[std::size_t(c)] : std::to_string(c));
    } else {
        const Tensor& y = data.targets(position);
        if (y.dtype() != DType::F32 || y.shape().withoutFirst().numElements() != o.width)
            throw StrataError("output '" + r.output + "' gives " + outShape.toString() + " per sample, but the targets of " + who + " are " +
                              y.shape().withoutFirst().toString());
        r.targetWidth = o.width;
    }
    const int64_t n = data.size();
    r.samples = n;
    r.sampleIndex = n ? std::clamp<int64_t>(options.sampleIndex, 0, n - 1) : 0;
    r.losses.reserve(std::size_t(n));
    if (r.kind == ReportKind::Classification) {
        r.trueLabels.reserve(std::size_t(n));
        r.predicted.reserve(std::size_t(n));
    } else if (r.kind == ReportKind::Regression) {
        r.predictedValues.reserve(std::size_t(n * o.width));
        r.trueValues.reserve(std::size_t(n * o.width));
    }
    return o;
}

// Adds one batch's rows of this output (`out`: the model's output, `want`: the batch's targets).
void addRows(OutputReport& o, const Tensor& out, const Tensor& want, int64_t rows, int64_t first, bool fromLogits, std::vector<float>& probs) {
    EvalReport& r = o.r;
    for (int64_t row = 0; row < rows; ++row) {
        const int64_t index = first + row;
        const float* v = out.f32() + row * o.width;
        double loss = 0;
        if (r.kind == ReportKind::Classification) {
            const int label = want.i32()[row];
            classProbabilities(v, o.width, o.classes, fromLogits, probs);
            const int best = int(std::max_element(probs.begin(), probs.end()) - probs.begin());
            loss = -std::log(clipped(probs[std::size_t(label)]));
            r.trueLabels.push_back(label);
            r.predicted.push_back(best);
            if (best != label) r.misclassified.push_back({index, label, best, loss, probs});
            if (index == r.sampleIndex) r.sampleTarget = {float(label)};
        } else {
            const float* t = want.f32() + row * o.width;
            loss = valueLoss(o.loss, fromLogits, v, t, o.width);
            if (r.kind == ReportKind::Regression) {
                r.predictedValues.insert(r.predictedValues.end(), v, v + o.width);
                r.trueValues.insert(r.trueValues.end(), t, t + o.width);
            } else {
                r.reconstruction.push_back({index, valueLoss("mean_squared_error", false, v, t, o.width)});
            }
            if (index == r.sampleIndex) r.sampleTarget.assign(t, t + o.width);
        }
        if (index == r.sampleIndex) r.sampleOutput.assign(v, v + o.width);
        r.losses.push_back(loss);
        r.meanLoss += loss;
    }
}

void finishReport(EvalReport& r, int bins) {
    if (r.samples) r.meanLoss /= double(r.samples);
    if (r.kind == ReportKind::Classification) finishClassification(r);
    else if (r.kind == ReportKind::Regression) finishRegression(r, bins);
    else
        std::stable_sort(r.reconstruction.begin(), r.reconstruction.end(),
                         [](const ReconstructionError& a, const ReconstructionError& c) { return a.error > c.error; });
}

std::vector<EvalReport> reportsOf(const Model& model, ir::Backend& backend, const data::Dataset& data, const EvalReportOptions& options,
                                  int outputs) {
    std::vector<OutputReport> reports;
    for (int k = 0; k < outputs; ++k) reports.push_back(startReport(model, data, options, k));
    for (const Variable* v : model.variables()) backend.setVariable(v->path(), v->value());
    Inference inference(model, backend);
    const int64_t batchSize = std::max<int64_t>(1, options.batchSize);
    data::BatchIterator it(data, {batchSize, false, false, 0, options.dataWorkers});
    data::Batch b = it.makeBatch();
    it.beginEpoch(0);
    std::vector<float> probs;
    int64_t done = 0;
    const int64_t n = data.size();
    while (const int64_t rows = it.next(b)) {
        if (options.cancel && options.cancel->load()) throw ReportCancelled();
        const std::vector<Tensor> out = inference.run(batchInputs(b), batchSize);
        for (OutputReport& o : reports)
            addRows(o, out.at(std::size_t(o.r.outputPosition)), b.target(std::size_t(o.r.outputPosition)), rows, done, options.fromLogits, probs);
        done += rows;
        if (options.progress) options.progress(done, n);
    }
    std::vector<EvalReport> out;
    for (OutputReport& o : reports) {
        finishReport(o.r, options.histogramBins);
        out.push_back(std::move(o.r));
    }
    return out;
}

} // namespace

EvalReport evaluationReport(const Model& model, ir::Backend& backend, const data::Dataset& data, const EvalReportOptions& options) {
    return std::move(reportsOf(model, backend, data, options, 1).front());
}

std::vector<EvalReport> evaluationReports(const Model& model, ir::Backend& backend, const data::Dataset& data,
                                          const EvalReportOptions& options) {
    return reportsOf(model, backend, data, options, int(model.outputIndices().size()));
}

data::Batch gatherSamples(const data::Dataset& data, const std::vector<int64_t>& indices) {
    const data::Dataset chosen = data.subset(indices);
    data::BatchIterator it(chosen, {std::max<int64_t>(1, int64_t(indices.size())), false, false, 0, 1});
    data::Batch b = it.makeBatch();
    it.beginEpoch(0);
    if (!indices.empty()) it.next(b);
    return b;
}

Tensor predictSamples(const Model& model, ir::Backend& backend, const data::Dataset& data, const std::vector<int64_t>& indices,
                      bool pushWeights, int output) {
    const std::vector<int> outputs = model.outputIndices();
    if (output < 0 || std::size_t(output) >= outputs.size())
        throw StrataError("the model has " + std::to_string(outputs.size()) + " output(s), no output " + std::to_string(output + 1));
    const int outLayer = outputs[std::size_t(output)];
    if (indices.empty()) {
        std::vector<int64_t> dims = model.outputShape(outLayer).dims();
        dims[0] = 0;
        return Tensor(Shape(dims));
    }
    if (pushWeights)
        for (const Variable* v : model.variables()) backend.setVariable(v->path(), v->value());
    const data::Batch b = gatherSamples(data, indices);
    const int64_t rows = int64_t(indices.size());
    return Inference(model, backend).run(batchInputs(b), rows).at(std::size_t(output));
}

} // namespace strata::train
