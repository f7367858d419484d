// Recognizing decomposed activations and LayerNorm in an ONNX graph before translation: the node
// sequences PyTorch 1.13 (opset 13) and Strata's own export write are replaced by the one node a
// later opset has for them, which the import table then handles like any other:
//
//   Mul(x, Sigmoid(x))                                          -> Swish            (SiLU)
//   Mul(x, HardSigmoid(x; 1/6, 1/2))                            -> HardSwish
//   Mul(x, Tanh(Softplus(x)))                                   -> Mish
//   Mul(Mul(x, Add(Erf(Div(x, sqrt 2)), 1)), 0.5) and orders    -> Gelu             (exact)
//   Mul(0.5, Mul(x, Add(1, Tanh(Mul(sqrt(2/pi), Add(x, Mul(0.044715, x^3)))))))
//                                                               -> Gelu(approximate "tanh")
//   Div(Sub(x, ReduceMean(x)), Sqrt(Add(ReduceMean(Pow(d, 2) | Mul(d, d)), eps)))
//     [then Mul by a constant gamma] [then Add a constant beta]  -> LayerNormalization (one axis)
//
// A pattern matches only when its inner tensors have no other use (and are no graph output); a
// graph where they do keeps its nodes, which then import one by one or fail by name.
#pragma once

#include "storage/onnx/OnnxReader.h"

#include <functional>
#include <set>
#include <string>
#include <vector>

namespace strata::storage {

// The nodes with each recognized pattern replaced by its fused node (named after and producing
// the output of the pattern's last node). `constant` finds an initializer by tensor name
// (nullptr when there is none); Constant nodes are looked up in `nodes` themselves.
std::vector<OnnxNode> fuseOnnxPatterns(const std::vector<OnnxNode>& nodes,
                                       const std::function<const OnnxTensor*(const std::string&)>& constant,
                                       const std::set<std::string>& graphOutputs);

} // namespace strata::storage
