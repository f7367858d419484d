// OnnxGraphImport: the shape arithmetic PyTorch writes for x.view(x.size(0), -1), folded into
// constants: Shape of a computed tensor (its batch dimension a placeholder, kBatchDim), Gather of
// constant indices, Unsqueeze, Concat of integer constants. Reshape reads the result.
#include "storage/onnx/OnnxGraphImport.h"

namespace strata::storage {

bool OnnxGraphImport::foldShapeArithmetic(const OnnxNode& n) {
    const std::string& op = n.opType;
    auto intConstant = [&](std::size_t k) -> const OnnxTensor* {
        const OnnxTensor* t = k < n.inputs.size() ? constant(n.inputs[k]) : nullptr;
        return t && !t->isFloat() ? t : nullptr;
    };
    auto result = [&](std::vector<int64_t> dims, std::vector<int64_t> ints) {
        OnnxTensor t;
        t.name = n.outputs.at(0);
        t.dataType = 7; // int64
        t.dims = std::move(dims);
        t.ints = std::move(ints);
        const std::string name = t.name;
        consts_[name] = &(nodeConsts_[name] = std::move(t));
        return true;
    };
    if (op == "Shape") {
        const Value& x = input(n, 0);
        if (n.attr("start") || n.attr("end")) fail(n, "start and end are not supported");
        std::vector<int64_t> dims = x.shape;
        if (x.layout == Layout::FlatChw || dims.empty()) fail(n, "the shape of this tensor is not supported");
        dims[0] = kBatchDim;
        for (std::size_t k = 1; k < dims.size(); ++k)
            if (dims[k] < 0) fail(n, "dimension " + std::to_string(k) + " of '" + n.inputs[0] + "' is unknown");
        return result({int64_t(dims.size())}, dims);
    }
    if (op == "Gather") {
        const OnnxTensor *data = intConstant(0), *indices = intConstant(1);
        if (!data || !indices) return false;
        if (data->dims.size() != 1 || n.intAttr("axis", 0) != 0) fail(n, "only gathering from a 1-D shape is supported");
        std::vector<int64_t> out;
        for (int64_t i : indices->ints) {
            const int64_t at = i < 0 ? i + int64_t(data->ints.size()) : i;
            if (at < 0 || at >= int64_t(data->ints.size())) fail(n, "index " + std::to_string(i) + " is out of range");
            out.push_back(data->ints[std::size_t(at)]);
        }
        return result(indices->dims, out);
    }
    if (op == "Unsqueeze") {
        const OnnxTensor* x = intConstant(0);
        if (!x) return false;
        std::vector<int64_t> axes = n.intsAttr("axes");
        if (const OnnxTensor* a = intConstant(1)) axes = a->ints;
        if (!x->dims.empty() || axes != std::vector<int64_t>{0}) fail(n, "only turning a scalar into a 1-D tensor is supported");
        return result({1}, x->ints);
    }
    if (op == "Concat") {
        std::vector<int64_t> out;
        for (std::size_t k = 0; k < n.inputs.size(); ++k) {
            const OnnxTensor* t = intConstant(k);
            if (!t) return false;
            if (t->dims.size() != 1) fail(n, "only joining 1-D integer constants is supported");
            out.insert(out.end(), t->ints.begin(), t->ints.end());
        }
        return result({int64_t(out.size())}, out);
    }
    return false;
}

} // namespace strata::storage
