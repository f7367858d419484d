// OnnxGraphImport: constant folding. PyTorch writes shape arithmetic for x.view(x.size(0), -1),
// reshape(N, C, -1) and channel shuffles (Shape, Gather, Unsqueeze, Concat, Div, ...); with every
// input a constant (an initializer, a Constant node or an earlier folded value) such a node is
// evaluated here and its output becomes a constant that Reshape, Expand, Pad, ... read. Shape
// of a computed tensor gives its dims with the batch size a placeholder (kBatchDim, whether
// the file's batch is symbolic or not): it may be gathered, sliced, concatenated and cast, not
// computed with (that fails naming the node).
#include "storage/onnx/OnnxGraphImport.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

namespace strata::storage {

namespace {

constexpr int64_t kMaxFolded = int64_t(1) << 24; // elements of one folded tensor

std::string list(const std::vector<int64_t>& v) { return nlohmann::json(v).dump(); }

bool isFloatType(int64_t t) { return t == 1 || t == 10 || t == 11; } // FLOAT, FLOAT16, DOUBLE
bool isIntType(int64_t t) { return t == 2 || t == 3 || t == 4 || t == 5 || t == 6 || t == 7 || t == 12 || t == 13; }

// A float as an int64, or false when it is not finite or out of range (a cast would be undefined).
bool toInt64(double v, int64_t& out) {
    if (!(std::fabs(v) < 9.2e18)) return false;
    out = int64_t(v);
    return true;
}

// The values of t as doubles (ints or floats).
double valueAt(const OnnxTensor& t, std::size_t i) {
    return t.isFloat() ? double(t.floats[i]) : double(t.ints[i]);
}

} // namespace

bool OnnxGraphImport::foldShapeArithmetic(const OnnxNode& n) {
    const std::string& op = n.opType;
    auto fold = [&](std::size_t k) -> const OnnxTensor* { return k < n.inputs.size() && !n.inputs[k].empty() ? constant(n.inputs[k]) : nullptr; };
    auto given = [&](std::size_t k) { return k < n.inputs.size() && !n.inputs[k].empty(); };
    auto count = [&](const std::vector<int64_t>& dims) {
        int64_t c = 1;
        for (int64_t d : dims) {
            if (d < 0 || d > kMaxFolded || (c *= d) > kMaxFolded)
                fail(n, "folding gives a tensor of shape " + list(dims) + "; only shapes of known dims up to " + std::to_string(kMaxFolded) + " values fold");
        }
        return c;
    };
    auto store = [&](OnnxTensor t) {
        t.name = n.outputs.at(0);
        const std::string name = t.name;
        consts_[name] = &(nodeConsts_[name] = std::move(t));
        return true;
    };
    auto ints = [&](std::vector<int64_t> dims, std::vector<int64_t> v) {
        OnnxTensor t;
        t.dataType = 7; // int64
        t.dims = std::move(dims);
        t.ints = std::move(v);
        return store(std::move(t));
    };
    // A tensor of x's element type holding x's values at the flat indices `at`.
    auto pick = [&](const OnnxTensor& x, std::vector<int64_t> dims, const std::vector<int64_t>& at) {
        OnnxTensor t;
        t.dataType = x.dataType;
        t.dims = std::move(dims);
        for (int64_t i : at) x.isFloat() ? t.floats.push_back(x.floats[std::size_t(i)]) : t.ints.push_back(x.ints[std::size_t(i)]);
        return store(std::move(t));
    };
    auto noBatch = [&](const OnnxTensor& t, const std::string& what) {
        if (!t.isFloat() && std::find(t.ints.begin(), t.ints.end(), kBatchDim) != t.ints.end())
            fail(n, what + " the batch size, which is not known when importing (only gathering, slicing, concatenating and reshaping "
                           "to it are supported)");
    };
    auto axisOf = [&](int64_t axis, std::size_t rank) {
        const int64_t a = axis < 0 ? axis + int64_t(rank) : axis;
        if (a < 0 || a >= int64_t(std::max<std::size_t>(rank, 1))) fail(n, "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
        return a;
    };

    if (op == "Shape" && fold(0)) { // of a constant (a folded shape torch reshapes): its dims
        const std::vector<int64_t> dims = fold(0)->dims;
        return ints({int64_t(dims.size())}, dims);
    }
    if (op == "Shape") {
        const Value& x = input(n, 0);
        if (x.shape.empty()) fail(n, "the shape of a scalar is not supported");
        std::vector<int64_t> dims = x.shape;
        dims[0] = kBatchDim;
        const int64_t r = int64_t(dims.size());
        auto clampIndex = [&](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + r : i, 0, r); };
        const int64_t start = clampIndex(n.intAttr("start", 0)), end = clampIndex(n.intAttr("end", r)); // opset 15
        std::vector<int64_t> out;
        for (int64_t k = start; k < end; ++k) {
            if (k > 0 && dims[std::size_t(k)] < 0) fail(n, "dimension " + std::to_string(k) + " of '" + n.inputs[0] + "' is unknown, so its shape cannot be folded");
            out.push_back(dims[std::size_t(k)]);
        }
        if (start == 0 && end == r) shapeOf_[n.outputs.at(0)] = n.inputs[0]; // the whole shape: a PositionEmbedding may expand to it
        return ints({int64_t(out.size())}, out);
    }
    if (op == "ConstantOfShape") {
        const OnnxTensor* shape = fold(0);
        if (!shape) return false;
        const OnnxAttribute* value = n.attr("value");
        if (!shape->isFloat() && std::find(shape->ints.begin(), shape->ints.end(), kBatchDim) != shape->ints.end() &&
            (!value || (value->t.elementCount() == 1 && valueAt(value->t, 0) == 0))) {
            batchZeros_.insert(n.outputs.at(0)); // zeros of the batch's size: only a recurrent op's initial state reads them
            return true;
        }
        noBatch(*shape, "ConstantOfShape of a shape holding");
        OnnxTensor t;
        t.dataType = 1;
        float fill = 0;
        if (const OnnxAttribute* v = n.attr("value")) {
            if (v->t.elementCount() != 1) fail(n, "its value must hold one element");
            t.dataType = v->t.dataType;
            fill = float(valueAt(v->t, 0));
        }
        t.dims = shape->ints;
        const int64_t c = count(t.dims);
        int64_t fillInt = 0;
        if (!t.isFloat() && !toInt64(fill, fillInt)) fail(n, "its value is out of range");
        if (t.isFloat()) t.floats.assign(std::size_t(c), fill);
        else t.ints.assign(std::size_t(c), fillInt);
        return store(std::move(t));
    }
    if (op == "Range") {
        const OnnxTensor *start = fold(0), *limit = fold(1), *delta = fold(2);
        if (!start || !limit || !delta) return false;
        for (const OnnxTensor* t : {start, limit, delta}) {
            if (t->elementCount() != 1) fail(n, "start, limit and delta must be scalars");
            noBatch(*t, "a range over");
        }
        const double s = valueAt(*start, 0), l = valueAt(*limit, 0), d = valueAt(*delta, 0);
        if (d == 0) fail(n, "delta is 0");
        const double steps = std::ceil((l - s) / d);
        if (!(steps <= double(kMaxFolded))) fail(n, "the range has more than " + std::to_string(kMaxFolded) + " values");
        const int64_t c = std::max<int64_t>(int64_t(steps), 0);
        OnnxTensor t;
        t.dataType = start->dataType;
        t.dims = {c};
        for (int64_t i = 0; i < c; ++i) {
            int64_t v = 0;
            if (start->isFloat()) t.floats.push_back(float(s + double(i) * d));
            else if (toInt64(s + double(i) * d, v)) t.ints.push_back(v);
            else fail(n, "the range overflows");
        }
        return store(std::move(t));
    }

    // Every other op folds only when all its given inputs are constants.
    for (std::size_t k = 0; k < n.inputs.size(); ++k) {
        if (!given(k)) continue;
        const OnnxTensor* t = fold(k);
        if (!t) return false;
        if (std::size_t(t->elementCount()) != (t->isFloat() ? t->floats.size() : t->ints.size()))
            fail(n, "the constant '" + n.inputs[k] + "' holds " + std::to_string(t->isFloat() ? t->floats.size() : t->ints.size()) +
                        " values for its shape " + list(t->dims));
    }
    if (n.inputs.empty() || !fold(0)) return false;
    const OnnxTensor& x = *fold(0);
    const std::size_t rank = x.dims.size();

    if (op == "Gather") {
        const OnnxTensor* indices = fold(1);
        if (!indices || indices->isFloat()) fail(n, "the indices must be an integer constant");
        const int64_t axis = axisOf(n.intAttr("axis", 0), rank);
        if (rank == 0) fail(n, "gathering from a scalar");
        // out dims: x.dims[:axis] + indices.dims + x.dims[axis+1:]
        std::vector<int64_t> dims(x.dims.begin(), x.dims.begin() + axis);
        dims.insert(dims.end(), indices->dims.begin(), indices->dims.end());
        dims.insert(dims.end(), x.dims.begin() + axis + 1, x.dims.end());
        count(dims);
        int64_t outer = 1, inner = 1;
        for (int64_t k = 0; k < axis; ++k) outer *= x.dims[std::size_t(k)];
        for (std::size_t k = std::size_t(axis) + 1; k < rank; ++k) inner *= x.dims[k];
        const int64_t len = x.dims[std::size_t(axis)];
        std::vector<int64_t> at;
        for (int64_t o = 0; o < outer; ++o)
            for (int64_t i : indices->ints) {
                const int64_t j = i < 0 ? i + len : i;
                if (j < 0 || j >= len) fail(n, "index " + std::to_string(i) + " is out of range for a dimension of " + std::to_string(len));
                for (int64_t e = 0; e < inner; ++e) at.push_back((o * len + j) * inner + e);
            }
        return pick(x, dims, at);
    }
    if (op == "Unsqueeze" || op == "Squeeze") {
        std::vector<int64_t> axes = n.intsAttr("axes");
        if (const OnnxTensor* a = fold(1)) axes = a->ints; // opset 13: axes as an input
        const std::size_t outRank = op == "Unsqueeze" ? rank + axes.size() : rank;
        std::vector<int64_t> dims;
        if (op == "Unsqueeze") {
            std::vector<bool> inserted(outRank, false);
            for (int64_t a : axes) {
                const std::size_t k = std::size_t(axisOf(a, outRank));
                if (inserted[k]) fail(n, "axis " + std::to_string(a) + " is given twice");
                inserted[k] = true;
            }
            std::size_t from = 0;
            for (std::size_t k = 0; k < outRank; ++k) dims.push_back(inserted[k] ? 1 : x.dims.at(from++));
        } else {
            std::vector<bool> removed(rank, false);
            for (int64_t a : axes) removed[std::size_t(axisOf(a, rank))] = true;
            for (std::size_t k = 0; k < rank; ++k) {
                if (axes.empty() ? x.dims[k] == 1 : removed[k]) {
                    if (x.dims[k] != 1) fail(n, "axis " + std::to_string(k) + " has size " + std::to_string(x.dims[k]) + ", not 1");
                } else dims.push_back(x.dims[k]);
            }
        }
        OnnxTensor t = x;
        t.dims = dims;
        return store(std::move(t));
    }
    if (op == "Identity") return store(x);
    if (op == "Transpose") { // of a constant (Strata's recurrent export transposes its kernels)
        std::vector<int64_t> perm = n.intsAttr("perm");
        if (perm.empty())
            for (std::size_t k = rank; k-- > 0;) perm.push_back(int64_t(k));
        std::vector<int64_t> sorted = perm;
        std::sort(sorted.begin(), sorted.end());
        for (std::size_t k = 0; k < sorted.size(); ++k)
            if (sorted[k] != int64_t(k) || sorted.size() != rank) fail(n, "perm " + list(perm) + " is not a permutation of the " + std::to_string(rank) + " axes");
        std::vector<int64_t> dims(rank), stride(rank, 1);
        for (std::size_t k = rank; k-- > 1;) stride[k - 1] = stride[k] * x.dims[k];
        for (std::size_t k = 0; k < rank; ++k) dims[k] = x.dims[std::size_t(perm[k])];
        std::vector<int64_t> at(std::size_t(count(dims))), index(rank, 0);
        for (std::size_t i = 0; i < at.size(); ++i) {
            int64_t flat = 0;
            for (std::size_t k = 0; k < rank; ++k) flat += index[k] * stride[std::size_t(perm[k])];
            at[i] = flat;
            for (std::size_t k = rank; k-- > 0;) { // next output index, row-major
                if (++index[k] < dims[k]) break;
                index[k] = 0;
            }
        }
        return pick(x, dims, at);
    }
    if (op == "Reshape") { // of a constant: the same values, the new dims (0 copies, -1 infers)
        const OnnxTensor* to = fold(1);
        if (!to || to->isFloat()) fail(n, "the shape must be an integer constant");
        noBatch(*to, "reshaping a constant to");
        std::vector<int64_t> dims = to->ints;
        int64_t known = 1, infer = -1;
        for (std::size_t k = 0; k < dims.size(); ++k) {
            if (dims[k] == 0 && k < rank) dims[k] = x.dims[k];
            if (dims[k] == -1) {
                if (infer >= 0) fail(n, "the shape " + list(to->ints) + " has two -1");
                infer = int64_t(k);
            } else {
                if (dims[k] < 0) fail(n, "the shape " + list(to->ints) + " has a negative size");
                known *= std::max<int64_t>(dims[k], 1);
                if (known > kMaxFolded) count(dims);
            }
        }
        const int64_t total = x.elementCount();
        if (infer >= 0) dims[std::size_t(infer)] = known > 0 ? total / known : 0;
        if (count(dims) != total) fail(n, "a constant of " + std::to_string(total) + " values cannot take the shape " + list(to->ints));
        OnnxTensor t = x;
        t.dims = dims;
        return store(std::move(t));
    }
    if (op == "Cast") {
        const int64_t to = n.intAttr("to", 0);
        OnnxTensor t;
        t.dims = x.dims;
        if (isFloatType(to)) {
            noBatch(x, "casting to a float");
            t.dataType = 1;
            for (std::size_t i = 0; i < std::size_t(x.elementCount()); ++i) t.floats.push_back(float(valueAt(x, i)));
        } else if (isIntType(to)) {
            t.dataType = 7;
            if (x.isFloat())
                for (float v : x.floats) {
                    int64_t i = 0;
                    if (!toInt64(v, i)) fail(n, "casting " + std::to_string(v) + " to an integer");
                    t.ints.push_back(i);
                }
            else t.ints = x.ints;
        } else fail(n, "casting constants to element type " + std::to_string(to) + " is not supported");
        return store(std::move(t));
    }
    if (op == "Concat") {
        if (rank == 0) fail(n, "joining scalars");
        const int64_t axis = axisOf(n.intAttr("axis", 0), rank);
        if (axis != 0 && rank != 1) fail(n, "only joining constants along their first axis is supported");
        OnnxTensor t;
        t.dataType = x.dataType;
        t.dims = x.dims;
        t.dims[0] = 0;
        for (std::size_t k = 0; k < n.inputs.size(); ++k) {
            if (!given(k)) continue;
            const OnnxTensor& y = *fold(k);
            if (y.dims.size() != rank || y.isFloat() != x.isFloat() || !std::equal(y.dims.begin() + 1, y.dims.end(), x.dims.begin() + 1))
                fail(n, "its constant inputs have different shapes or element types");
            t.dims[0] += y.dims[0];
            t.ints.insert(t.ints.end(), y.ints.begin(), y.ints.end());
            t.floats.insert(t.floats.end(), y.floats.begin(), y.floats.end());
        }
        return store(std::move(t));
    }
    if (op == "Slice") {
        if (rank == 0) fail(n, "slicing a scalar");
        std::vector<int64_t> starts = n.intsAttr("starts"), ends = n.intsAttr("ends"), axes = n.intsAttr("axes"), steps;
        if (given(1)) starts = fold(1)->ints; // opset 10+: inputs
        if (given(2)) ends = fold(2)->ints;
        if (given(3)) axes = fold(3)->ints;
        if (given(4)) steps = fold(4)->ints;
        if (axes.empty())
            for (std::size_t k = 0; k < starts.size(); ++k) axes.push_back(int64_t(k));
        if (steps.empty()) steps.assign(starts.size(), 1);
        if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
            fail(n, "starts, ends, axes and steps have different lengths");
        // The first rows of a float initializer (Strata's PositionEmbedding export): remembered.
        if (x.isFloat() && m_.graph.initializers.size() && consts_.count(n.inputs[0]) && axes.size() == 1 && axisOf(axes[0], rank) == 0 &&
            starts[0] == 0 && steps[0] == 1)
            firstRowsOf_[n.outputs.at(0)] = n.inputs[0];
        std::vector<int64_t> begin(rank, 0), stop = x.dims, step(rank, 1);
        for (std::size_t k = 0; k < starts.size(); ++k) {
            const std::size_t a = std::size_t(axisOf(axes[k], rank));
            const int64_t d = x.dims[a], s = steps[k];
            if (s == 0 || s < -kMaxFolded) fail(n, "a step of " + std::to_string(s) + " is not supported");
            auto norm = [&](int64_t v, int64_t lo, int64_t hi) { return std::clamp(v < 0 ? v + d : v, lo, hi); };
            begin[a] = s > 0 ? norm(starts[k], 0, d) : norm(starts[k], -1, d - 1);
            stop[a] = s > 0 ? norm(ends[k], 0, d) : norm(ends[k], -1, d - 1);
            step[a] = s;
        }
        std::vector<int64_t> dims(rank), strides(rank, 1);
        for (std::size_t a = rank; a-- > 0;) {
            dims[a] = std::max<int64_t>(0, step[a] > 0 ? (stop[a] - begin[a] + step[a] - 1) / step[a] : (begin[a] - stop[a] - step[a] - 1) / -step[a]);
            if (a + 1 < rank) strides[a] = strides[a + 1] * x.dims[a + 1];
        }
        std::vector<int64_t> at, idx(rank, 0);
        const int64_t total = count(dims);
        for (int64_t e = 0; e < total; ++e) {
            int64_t flat = 0;
            for (std::size_t a = 0; a < rank; ++a) flat += (begin[a] + idx[a] * step[a]) * strides[a];
            at.push_back(flat);
            for (std::size_t a = rank; a-- > 0;)
                if (++idx[a] < dims[a]) break;
                else idx[a] = 0;
        }
        return pick(x, dims, at);
    }
    if (op == "Expand") { // NumPy broadcasting of x to the shape
        const OnnxTensor* shape = fold(1);
        if (!shape || shape->isFloat()) fail(n, "the shape must be an integer constant");
        noBatch(*shape, "expanding to");
        const std::size_t r = std::max(rank, shape->ints.size());
        std::vector<int64_t> dims(r), from(r); // from: x's dim at each output axis (1 where x has none)
        for (std::size_t a = 0; a < r; ++a) {
            const int64_t xd = a + rank >= r ? x.dims[a + rank - r] : 1;
            const int64_t sd = a + shape->ints.size() >= r ? shape->ints[a + shape->ints.size() - r] : 1;
            if (xd != sd && xd != 1 && sd != 1) fail(n, "expanding " + list(x.dims) + " to " + list(shape->ints) + " does not broadcast");
            dims[a] = xd == 1 ? sd : xd, from[a] = xd;
        }
        std::vector<int64_t> at(std::size_t(count(dims)), 0), idx(r, 0);
        for (std::size_t e = 0; e < at.size(); ++e) {
            int64_t flat = 0;
            for (std::size_t a = 0; a < r; ++a) flat = flat * from[a] + (from[a] == 1 ? 0 : idx[a]);
            at[e] = flat;
            for (std::size_t a = r; a-- > 0;)
                if (++idx[a] < dims[a]) break;
                else idx[a] = 0;
        }
        return pick(x, dims, at);
    }
    // torch's expand(n, -1, -1) writes Where(Equal(shape, -1), 1, shape): the batch size is never
    // -1 (nor any number below 1), so it compares unequal to those; with another number it fails.
    if (op == "Equal") {
        const OnnxTensor* y = fold(1);
        if (!y) fail(n, "expected two inputs");
        const int64_t cx = x.elementCount(), cy = y->elementCount();
        if (cx == 0 || cy == 0) fail(n, "an empty constant (shapes " + list(x.dims) + " and " + list(y->dims) + ") is not supported here");
        if (cx != cy && cx != 1 && cy != 1) fail(n, "broadcasting constants of shapes " + list(x.dims) + " and " + list(y->dims) + " is not supported");
        OnnxTensor t;
        t.dataType = 9; // bool, held as 0 and 1
        t.dims = cx >= cy ? x.dims : y->dims;
        for (int64_t i = 0, c = std::max(cx, cy); i < c; ++i) {
            const std::size_t ix = std::size_t(cx == 1 ? 0 : i), iy = std::size_t(cy == 1 ? 0 : i);
            const bool batchX = !x.isFloat() && x.ints[ix] == kBatchDim, batchY = !y->isFloat() && y->ints[iy] == kBatchDim;
            if (batchX || batchY) {
                const double other = batchX ? valueAt(*y, iy) : valueAt(x, ix);
                if ((batchX && batchY) || other >= 1) fail(n, "comparing the batch size with " + std::string(batchX && batchY ? "itself" : "a number above 0") + " is not supported");
                t.ints.push_back(0);
            } else
                t.ints.push_back(valueAt(x, ix) == valueAt(*y, iy) ? 1 : 0);
        }
        return store(std::move(t));
    }
    if (op == "Where") { // of constants, element by element (a batch placeholder is only selected)
        const OnnxTensor *a = fold(1), *b = fold(2);
        if (!a || !b || x.isFloat()) fail(n, "expected an integer or bool condition and two values");
        const int64_t c = x.elementCount(), ca = a->elementCount(), cb = b->elementCount();
        if ((ca != c && ca != 1) || (cb != c && cb != 1) || a->isFloat() != b->isFloat())
            fail(n, "only values of the condition's shape (or one value) and of one type are supported");
        OnnxTensor t;
        t.dataType = a->dataType;
        t.dims = x.dims;
        for (int64_t i = 0; i < c; ++i) {
            const OnnxTensor& from = x.ints[std::size_t(i)] != 0 ? *a : *b;
            const std::size_t j = std::size_t(from.elementCount() == 1 ? 0 : i);
            from.isFloat() ? t.floats.push_back(from.floats[j]) : t.ints.push_back(from.ints[j]);
        }
        return store(std::move(t));
    }
    if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
        const OnnxTensor* y = fold(1);
        if (!y) fail(n, "expected two inputs");
        const std::string what = "computing with";
        noBatch(x, what), noBatch(*y, what);
        const int64_t cx = x.elementCount(), cy = y->elementCount();
        if (cx == 0 || cy == 0) fail(n, "an empty constant (shapes " + list(x.dims) + " and " + list(y->dims) + ") is not supported here");
        if (cx != cy && cx != 1 && cy != 1) fail(n, "broadcasting constants of shapes " + list(x.dims) + " and " + list(y->dims) + " is not supported");
        const bool isFloat = x.isFloat() || y->isFloat();
        OnnxTensor t;
        t.dataType = isFloat ? 1 : 7;
        t.dims = cx >= cy ? x.dims : y->dims;
        if (x.dims.size() > t.dims.size()) t.dims = x.dims;
        if (y->dims.size() > t.dims.size()) t.dims = y->dims;
        const int64_t c = std::max(cx, cy);
        for (int64_t i = 0; i < c; ++i) {
            const std::size_t ix = std::size_t(cx == 1 ? 0 : i), iy = std::size_t(cy == 1 ? 0 : i);
            if (isFloat) {
                const double a = valueAt(x, ix), b = valueAt(*y, iy);
                t.floats.push_back(float(op == "Add" ? a + b : op == "Sub" ? a - b : op == "Mul" ? a * b : a / b));
            } else {
                const int64_t a = x.ints[ix], b = y->ints[iy];
                if (op == "Div" && b == 0) fail(n, "an integer division by zero");
                int64_t r = 0;
                const bool overflow = op == "Add" ? __builtin_add_overflow(a, b, &r)
                                      : op == "Sub" ? __builtin_sub_overflow(a, b, &r)
                                      : op == "Mul" ? __builtin_mul_overflow(a, b, &r)
                                                    : (b == -1 && a == std::numeric_limits<int64_t>::min()) || ((r = a / b), false);
                if (overflow) fail(n, "the integer result overflows");
                t.ints.push_back(r);
            }
        }
        return store(std::move(t));
    }
    return false;
}

} // namespace strata::storage
