// Export rules of the weightless image layers GlobalMaxPooling2D, UpSampling2D and Cropping2D,
// each on NCHW as PyTorch writes them (so the graph import reads them back), and of Slice.
#include "storage/onnx/OnnxLowering.h"

#include "engine/layers/ImageResizeLayers.h"
#include "engine/layers/PoolingLayers.h"
#include "engine/layers/ResizingLayers.h"
#include "engine/layers/ShapeLayers.h"

#include <limits>

namespace strata::storage {

// GlobalMaxPool keeps [N, C, 1, 1]; without keepdims a Flatten makes it [N, C].
int OnnxLowering::globalMaxPool(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site) {
    const auto& gmp = static_cast<const layers::GlobalMaxPooling2D&>(l);
    const std::string y = tmp(site, "max");
    g_.node("GlobalMaxPool", {nchw(in.at(0))}, y);
    if (gmp.keepDims) return result(y, Layout::Nchw, outShape, site);
    const std::string flat = tmp(site, "flatten");
    g_.node("Flatten", {y}, flat, {OnnxAttr::integer("axis", 1)});
    return result(flat, Layout::Nhwc, outShape, site);
}

// Resize by scales (1, 1, rows, columns): nearest as "asymmetric" with floor (cell o reads o / s),
// bilinear as "half_pixel" (Keras' and PyTorch's align_corners=False).
int OnnxLowering::upSampling(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site) {
    const auto& u = static_cast<const layers::UpSampling2D&>(l);
    const std::vector<float> scales = {1.0f, 1.0f, float(u.size[0]), float(u.size[1])};
    const std::string scalesName = g_.initializer(site.base + "/scales", {4}, scales);
    const std::string y = tmp(site, "resize");
    std::vector<OnnxAttr> attrs;
    if (u.interpolation == "nearest")
        attrs = {OnnxAttr::text("mode", "nearest"), OnnxAttr::text("coordinate_transformation_mode", "asymmetric"),
                 OnnxAttr::text("nearest_mode", "floor")};
    else
        attrs = {OnnxAttr::text("mode", "linear"), OnnxAttr::text("coordinate_transformation_mode", "half_pixel")};
    g_.node("Resize", {nchw(in.at(0)), "", scalesName}, y, std::move(attrs));
    return result(y, Layout::Nchw, outShape, site);
}

// Resizing, and RandomCrop at inference: the centred crop (a Slice on NCHW, when cropping), then
// Resize to the target sizes: bilinear as "linear" with "half_pixel" coordinates, nearest as
// "tf_half_pixel_for_nn" with floor (cell o reads floor((o + 0.5) in / out), as the engine does).
int OnnxLowering::imageResize(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site) {
    const Shape& s = l.buildInputShapes().at(0);
    int64_t height = 0, width = 0;
    bool bilinear = true, crop = true;
    if (const auto* r = dynamic_cast<const layers::Resizing*>(&l)) {
        height = r->height, width = r->width, bilinear = r->bilinear, crop = r->cropToAspectRatio;
    } else {
        const auto& c = static_cast<const layers::RandomCrop&>(l);
        height = c.height, width = c.width;
    }
    std::string x = nchw(in.at(0));
    if (crop) {
        const auto box = layers::centerCropBox(s[1], s[2], height, width);
        if (box[2] != s[1] || box[3] != s[2]) {
            const std::string cropped = tmp(site, "crop");
            g_.node("Slice",
                    {x, g_.int64Initializer(site.base + "/starts", {box[0], box[1]}),
                     g_.int64Initializer(site.base + "/ends", {box[0] + box[2], box[1] + box[3]}),
                     g_.int64Initializer(site.base + "/axes", {2, 3})},
                    cropped);
            x = cropped;
        }
    }
    const std::string sizes = g_.int64Initializer(site.base + "/sizes", {outShape[0], outShape[3], height, width});
    std::vector<OnnxAttr> attrs;
    if (bilinear)
        attrs = {OnnxAttr::text("mode", "linear"), OnnxAttr::text("coordinate_transformation_mode", "half_pixel")};
    else
        attrs = {OnnxAttr::text("mode", "nearest"), OnnxAttr::text("coordinate_transformation_mode", "tf_half_pixel_for_nn"),
                 OnnxAttr::text("nearest_mode", "floor")};
    const std::string y = tmp(site, "resize");
    g_.node("Resize", {x, "", "", sizes}, y, std::move(attrs));
    return result(y, Layout::Nchw, outShape, site);
}

// Slice of axes 2 and 3: starts (top, left), ends counted from the end (-bottom, -right; to the
// end when 0), so the rule needs no known size.
int OnnxLowering::cropping(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site) {
    const auto& c = static_cast<const layers::Cropping2D&>(l);
    const int64_t toEnd = std::numeric_limits<int64_t>::max();
    const std::vector<int64_t> starts = {c.cropping[0], c.cropping[2]};
    const std::vector<int64_t> ends = {c.cropping[1] ? -c.cropping[1] : toEnd, c.cropping[3] ? -c.cropping[3] : toEnd};
    const std::string y = tmp(site, "crop");
    g_.node("Slice",
            {nchw(in.at(0)), g_.int64Initializer(site.base + "/starts", starts), g_.int64Initializer(site.base + "/ends", ends),
             g_.int64Initializer(site.base + "/axes", {2, 3})},
            y);
    return result(y, Layout::Nchw, outShape, site);
}

// A Slice of one axis with the layer's own start and stop (ONNX clamps and counts negatives from
// the end as the layer does). An image whose NCHW form exists is sliced there (as torch's
// x[:, a:b] or x.chunk are), so a channel split between convolutions needs no Transpose.
int OnnxLowering::slice(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site) {
    const auto& s = static_cast<const layers::Slice&>(l);
    const int64_t rank = int64_t(outShape.rank());
    const int64_t axis = s.axis < 0 ? s.axis + rank : s.axis;
    const bool onNchw = rank == 4 && hasNchw(in.at(0));
    const int64_t onnxAxis = onNchw ? (axis == 3 ? 1 : axis + 1) : axis;
    const int64_t stop = s.stop ? *s.stop : std::numeric_limits<int64_t>::max();
    const std::string y = tmp(site, "slice");
    g_.node("Slice",
            {onNchw ? nchw(in[0]) : nhwc(in[0]), g_.int64Initializer(site.base + "/starts", {s.start}),
             g_.int64Initializer(site.base + "/ends", {stop}), g_.int64Initializer(site.base + "/axes", {onnxAxis})},
            y);
    return result(y, onNchw ? Layout::Nchw : Layout::Nhwc, outShape, site);
}

} // namespace strata::storage
