#include "engine/data/Dataset.h"

#include "engine/Error.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace strata::data {

namespace {

// Copies rows of a tensor whose first dimension is the sample index.
Tensor gatherRows(const Tensor& t, std::span<const int64_t> indices, const std::string& what) {
    const int64_t rows = t.shape().rank() ? t.shape()[0] : 0;
    std::vector<int64_t> dims = t.shape().dims();
    if (dims.empty()) throw StrataError(what + " has no sample dimension");
    dims[0] = int64_t(indices.size());
    Tensor out(Shape(dims), t.dtype());
    const std::size_t rowBytes = rows ? t.byteSize() / std::size_t(rows) : 0;
    for (std::size_t i = 0; i < indices.size(); ++i) {
        const int64_t r = indices[i];
        if (r < 0 || r >= rows)
            throw StrataError(what + ": sample index " + std::to_string(r) +
                              " is out of range [0, " + std::to_string(rows) + ")");
        if (rowBytes)
            std::memcpy(out.bytes() + i * rowBytes, t.bytes() + std::size_t(r) * rowBytes,
                        rowBytes);
    }
    return out;
}

std::string countText(const Shape& s) {
    const int64_t n = s.numElements();
    if (n == kUnknownDim) return "";
    return " (" + std::to_string(n) + (n == 1 ? " value)" : " values)");
}

// Index of the first label outside [0, classes), or -1.
int64_t firstLabelOutside(const Tensor& y, int64_t classes) {
    const int32_t* labels = y.i32();
    for (int64_t i = 0; i < y.size(); ++i)
        if (labels[i] < 0 || labels[i] >= classes) return i;
    return -1;
}

std::string labelOutsideText(const std::string& who, const Tensor& y, int64_t index, int64_t classes) {
    return who + ": label " + std::to_string(y.i32()[index]) + " of sample " + std::to_string(index) +
           " is outside [0, " + std::to_string(classes) + ")";
}

// The checks of one output's targets: `who` names the dataset (and the output when not the first).
void validateTargets(const std::string& who, const Tensor& y, int numClasses, int64_t samples) {
    if (y.shape().rank() < 1 || y.shape()[0] != samples)
        throw StrataError(who + ": " + std::to_string(samples) + " samples of features but targets of shape " +
                          y.shape().toString());
    if (numClasses > 0) {
        if (y.dtype() != DType::I32 || y.shape().rank() != 1)
            throw StrataError(who + ": class labels must be int32 of shape (N,), got " +
                              std::string(dtypeName(y.dtype())) + " " + y.shape().toString());
        if (const int64_t bad = firstLabelOutside(y, numClasses); bad >= 0)
            throw StrataError(labelOutsideText(who, y, bad, numClasses));
    } else if (y.dtype() != DType::F32) {
        throw StrataError(who + ": regression targets must be float32, got " + std::string(dtypeName(y.dtype())));
    }
}

} // namespace

Dataset Dataset::subset(std::span<const int64_t> indices) const {
    Dataset out;
    out.name = name;
    out.numClasses = numClasses;
    out.classNames = classNames;
    if (streamed) out.streamed = sampleSubset(streamed, indices);
    else out.x = gatherRows(x, indices, "dataset '" + name + "'");
    out.y = gatherRows(y, indices, "dataset '" + name + "'");
    for (const Tensor& t : moreX) out.moreX.push_back(gatherRows(t, indices, "dataset '" + name + "'"));
    for (const Targets& t : moreY) out.moreY.push_back({gatherRows(t.y, indices, "dataset '" + name + "'"), t.numClasses, t.classNames});
    out.inputSources = inputSources;
    out.outputSources = outputSources;
    return out;
}

Dataset Dataset::take(int64_t n) const {
    std::vector<int64_t> indices(std::size_t(std::clamp<int64_t>(n, 0, size())));
    for (std::size_t i = 0; i < indices.size(); ++i)
        indices[i] = int64_t(i);
    return subset(indices);
}

void Dataset::validate() const {
    const std::string who = "dataset '" + name + "'";
    if (!streamed && (x.dtype() != DType::F32 || x.shape().rank() < 1))
        throw StrataError(who + ": features must be float32 with a sample dimension, got " +
                          std::string(dtypeName(x.dtype())) + " " + x.shape().toString());
    if (streamed && (!moreX.empty() || !moreY.empty()))
        throw StrataError(who + ": a dataset read from disk as it trains feeds one input and one output");
    for (std::size_t i = 0; i < moreX.size(); ++i)
        if (moreX[i].dtype() != DType::F32 || moreX[i].shape().rank() < 1 || moreX[i].shape()[0] != size())
            throw StrataError(who + ": the features of input " + std::to_string(i + 2) + " must be float32 with " +
                              std::to_string(size()) + " samples, got " + std::string(dtypeName(moreX[i].dtype())) + " " +
                              moreX[i].shape().toString());
    validateTargets(who, y, numClasses, size());
    for (std::size_t k = 0; k < moreY.size(); ++k)
        validateTargets(who + " (output " + std::to_string(k + 2) + ")", moreY[k].y, moreY[k].numClasses, size());
}

int classCountOf(const Tensor& labels, const std::string& source) {
    int32_t maxLabel = -1;
    for (int64_t i = 0; i < labels.size(); ++i) {
        const int32_t v = labels.i32()[i];
        if (v < 0)
            throw StrataError(source + ": label " + std::to_string(v) + " of sample " + std::to_string(i) +
                              " is negative: labels must be 0, 1, 2, ...");
        if (v == std::numeric_limits<int32_t>::max())
            throw StrataError(source + ": label " + std::to_string(v) + " of sample " + std::to_string(i) +
                              " is too large for a class label (at most " + std::to_string(v - 1) + ")");
        maxLabel = std::max(maxLabel, v);
    }
    return maxLabel + 1;
}

Dataset datasetFromArrays(std::string name, Tensor x, Tensor y) {
    Dataset d;
    d.name = std::move(name);
    if (x.dtype() == DType::I32) {
        Tensor f(x.shape(), DType::F32);
        for (int64_t i = 0; i < x.size(); ++i)
            f.f32()[i] = float(x.i32()[i]);
        x = std::move(f);
    }
    if (x.shape().rank() == 0 || y.shape().rank() == 0 || x.shape()[0] != y.shape()[0])
        throw StrataError("dataset '" + d.name + "': features of shape " + x.shape().toString() +
                          " and targets of shape " + y.shape().toString() +
                          " do not have the same sample count");
    if (y.dtype() == DType::I32) {
        if (y.shape().rank() != 1)
            throw StrataError("dataset '" + d.name +
                              "': integer class labels must have shape (N,), got " +
                              y.shape().toString());
        d.numClasses = classCountOf(y, "dataset '" + d.name + "'");
    } else if (y.shape().rank() == 1) {
        y.reshape(Shape{y.shape()[0], 1});
    }
    d.x = std::move(x);
    d.y = std::move(y);
    return d;
}

namespace {
// Whether samples of shape `have` must be reshaped to the model input's `want`; throws ShapeError
// naming both when they cannot be.
bool needsReshape(const Shape& have, const Shape& want, const std::string& datasetName, const std::string& inputName) {
    if (have == want) return false;
    const std::string mismatch = "dataset '" + datasetName + "' has samples of shape " + have.toString() + countText(have) +
                                 " but the model input '" + inputName + "' expects " + want.toString() + countText(want);
    if (!want.isFullyKnown()) {
        // An unknown dimension cannot be inferred reliably: accept the data only as it is.
        if (have.isCompatibleWith(want)) return false;
        throw ShapeError(mismatch);
    }
    if (want.numElements() != have.numElements()) throw ShapeError(mismatch);
    return true;
}
} // namespace

void reshapeFeatures(Dataset& data, const Shape& modelInputShape, const std::string& inputName) {
    if (!needsReshape(data.featureShape(), modelInputShape, data.name, inputName)) return;
    if (data.streamed) data.streamed = sampleReshape(data.streamed, modelInputShape);
    else data.x.reshape(modelInputShape.prepended(data.size()));
}

void reshapeTensor(Tensor& samples, const Shape& modelInputShape, const std::string& datasetName, const std::string& inputName) {
    if (needsReshape(samples.shape().withoutFirst(), modelInputShape, datasetName, inputName))
        samples.reshape(modelInputShape.prepended(samples.shape()[0]));
}

void useInputsAsTargets(Dataset& data) {
    if (data.streamed)
        throw StrataError("dataset '" + data.name + "' is read from disk as it trains: using its inputs as targets "
                          "(an autoencoder) needs a dataset held in memory");
    data.y = data.x; // a copy: x may be reshaped to the model input, y to its output
    data.numClasses = 0;
    data.classNames.clear();
}

void reshapeTargets(Dataset& data, const Shape& modelOutputShape) {
    if (data.isClassification() || !modelOutputShape.isFullyKnown()) return;
    const Shape have = data.targetShape();
    if (have != modelOutputShape && have.numElements() == modelOutputShape.numElements())
        data.y.reshape(modelOutputShape.prepended(data.size()));
}

void checkLabelRange(const Dataset& data, int64_t modelClasses, int64_t output) {
    if (data.classesOf(output) <= 0) return;
    const Tensor& y = data.targets(output);
    const std::string who = "dataset '" + data.name + "'" + (output ? " (output " + std::to_string(output + 1) + ")" : "");
    if (const int64_t bad = firstLabelOutside(y, modelClasses); bad >= 0)
        throw StrataError(labelOutsideText(who, y, bad, modelClasses) + ": the model's output has " +
                          std::to_string(modelClasses) + " classes");
}

} // namespace strata::data
