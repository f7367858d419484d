// Shared by every kernel: the workgroup size is specialization constant 0; element loops stride
// over the whole grid so a dispatch never needs more groups than the device allows.
layout(local_size_x_id = 0) in;

#define GRID_LOOP(i, n) for (uint i = gl_GlobalInvocationID.x; i < (n); i += gl_NumWorkGroups.x * gl_WorkGroupSize.x)

// A scalar stored as int32 or float32 (a step counter), read as an integer.
int scalarAsInt(uint bits, uint isInt) { return isInt != 0u ? int(bits) : int(uintBitsToFloat(bits)); }

// Accurate forms of expm1 and log1p, which GLSL lacks (Kahan's tricks around exp and log).
float expm1f(float x) {
    if (abs(x) < 1e-5) return x + 0.5 * x * x;
    float u = exp(x);
    if (u == 1.0) return x;
    float um1 = u - 1.0;
    if (um1 == -1.0) return -1.0;
    return um1 * x / log(u);
}
float log1pf(float x) {
    float u = 1.0 + x;
    if (u == 1.0) return x;
    return log(u) * x / (u - 1.0);
}

// x^e for a whole e >= 0 by squaring: about 2 log2(e) roundings, and no log/exp (Vulkan's pow is
// exp2(e * log2(x)), whose log2 is only 2^-21 accurate, absolute, for x in [0.5, 2]).
float powWhole(float x, uint e) {
    float r = 1.0;
    while (e != 0u) {
        if ((e & 1u) != 0u) r *= x;
        x *= x;
        e >>= 1;
    }
    return r;
}
