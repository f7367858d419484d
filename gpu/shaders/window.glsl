// NHWC window geometry (engine/ir/ConvGeometry.h Window2D) as push constants.
layout(push_constant) uniform P {
    uint n, inH, inW, inC, kH, kW, outH, outW, outC;
    int strideH, strideW, dilationH, dilationW, padTop, padLeft;
    uint mode;
} p;
