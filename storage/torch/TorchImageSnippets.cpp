// The PyTorch export's classes for GlobalMaxPooling2D, UpSampling2D and Cropping2D (NHWC, Keras
// semantics), beside the other snippets of TorchSnippets.cpp.
#include "storage/torch/TorchSnippets.h"

#include <map>

namespace strata::storage::torch_snippets {

namespace {

const char* kGlobalMaxPooling2D = R"py(

class GlobalMaxPooling2D(nn.Module):
    """Strata GlobalMaxPooling2D: the maximum over height and width of an NHWC tensor."""

    def __init__(self, keepdims=False):
        super().__init__()
        self.keepdims = keepdims

    def forward(self, x):
        return x.amax(dim=(1, 2), keepdim=self.keepdims)

    def extra_repr(self):
        return f"keepdims={self.keepdims}"
)py";

const char* kUpSampling2D = R"py(

class UpSampling2D(nn.Module):
    """Strata (Keras) UpSampling2D on NHWC tensors: "nearest" repeats each cell size times;
    "bilinear" samples at half-pixel centres, clamped at the edges (align_corners=False)."""

    def __init__(self, size=(2, 2), interpolation="nearest"):
        super().__init__()
        self.size, self.interpolation = tuple(size), interpolation

    def forward(self, x):
        if self.interpolation == "nearest":
            return x.repeat_interleave(self.size[0], dim=1).repeat_interleave(self.size[1], dim=2)
        y = F.interpolate(x.permute(0, 3, 1, 2), scale_factor=tuple(float(s) for s in self.size), mode="bilinear",
                          align_corners=False)
        return y.permute(0, 2, 3, 1)

    def extra_repr(self):
        return f"size={self.size}, interpolation={self.interpolation!r}"
)py";

const char* kCropping2D = R"py(

class Cropping2D(nn.Module):
    """Strata (Keras) Cropping2D: drops rows and columns at the sides of each NHWC image."""

    def __init__(self, top, bottom, left, right):
        super().__init__()
        self.crop = (top, bottom, left, right)

    def forward(self, x):
        top, bottom, left, right = self.crop
        return x[:, top:x.shape[1] - bottom, left:x.shape[2] - right]

    def extra_repr(self):
        return f"crop(top, bottom, left, right)={self.crop}"
)py";

} // namespace

const std::string* imageSnippet(const std::string& name) {
    static const std::map<std::string, std::string> t = {
        {"GlobalMaxPooling2D", kGlobalMaxPooling2D},
        {"UpSampling2D", kUpSampling2D},
        {"Cropping2D", kCropping2D},
    };
    const auto it = t.find(name);
    return it == t.end() ? nullptr : &it->second;
}

} // namespace strata::storage::torch_snippets
