#version 450
// mode 0: copy; 1: int32 -> float32; 2: float32 -> int32 (truncation toward zero, as tf.cast).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) readonly buffer X { uint x[]; };
layout(std430, binding = 1) writeonly buffer Y { uint y[]; };
layout(push_constant) uniform P { uint n, mode; } p;

void main() {
    GRID_LOOP(i, p.n) {
        uint v = x[i];
        y[i] = p.mode == 0u ? v : p.mode == 1u ? floatBitsToUint(float(int(v))) : uint(int(uintBitsToFloat(v)));
    }
}
