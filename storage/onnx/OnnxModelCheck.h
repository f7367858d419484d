// What happens to an ONNX ModelProto between its bytes and Strata's plain structs (OnnxReader):
//
//   1. Strata's own checks, for what libonnx would trip over: the default-domain opset in 7..17,
//      no tensor data in external files, declared dimensions in [0, kMaxDim], and window
//      attributes a shape function divides by (strides, dilations, kernel_shape, blocksize) in
//      [1, 65536] (a stride of 0 is a SIGFPE inside libonnx's Conv and pool shape inference);
//   2. onnx::checker::check_model: a model that fails it is refused (the version converter and
//      shape inference assume a checked graph: defined inputs, nodes in order, known operators);
//   3. a default-domain opset from 7 to 12 converted to 13 by onnx::version_conversion (the
//      importer reads opsets 13 to 17 as they are), after onnx::shape_inference::InferShapes gave
//      it the shapes its steps read (a declared shape that contradicts the inferred one is no
//      error: the importer judges). Shape functions that index a weight's dims get a rank check
//      in front (a rank-1 ConvTranspose weight is a SEGV inside libonnx 1.12).
//
// Every failure, and every exception libonnx or libprotobuf throws, is a StorageError
// "SOURCE: ..." naming what is wrong; nothing aborts.
#pragma once

#include <cstdint>
#include <string>

#include <onnx/onnx_pb.h>

namespace strata::storage {

inline constexpr int64_t kOldestOnnxOpset = 7, kNewestOnnxOpset = 17; // the default-domain opsets read
inline constexpr int64_t kOnnxConvertedOpset = 13;                      // what older ones become

// Checks `model` and brings it to the form the importer reads (steps 1-3 above).
void prepareOnnxModel(::onnx::ModelProto& model, const std::string& source);

// The version of the default ("" or "ai.onnx") domain the model imports, or 0 when none.
int64_t defaultOnnxOpset(const ::onnx::ModelProto& model);

} // namespace strata::storage
