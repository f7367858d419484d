// The PyTorch export's classes for the preprocessing layers (RandomFlip, RandomContrast, the
// geometric augmentations, Resizing, RandomCrop, Normalization), beside the other snippets of
// TorchSnippets.cpp.
#include "storage/torch/TorchSnippets.h"

#include <map>

namespace strata::storage::torch_snippets {

namespace {

const char* kRandomFlip = R"py(

class RandomFlip(nn.Module):
    """Strata (Keras 3) RandomFlip on NHWC images: in training, each image flipped with probability
    1/2 (torch's generator, not Strata's Philox stream); the identity in eval mode."""

    def __init__(self, horizontal=True, vertical=True):
        super().__init__()
        self.horizontal, self.vertical = horizontal, vertical

    def forward(self, x):
        if not self.training:
            return x
        flip = (torch.rand(x.shape[0], 1, 1, 1, device=x.device) <= 0.5)
        y = x
        if self.horizontal:
            y = torch.flip(y, dims=[2])
        if self.vertical:
            y = torch.flip(y, dims=[1])
        return torch.where(flip, y, x)

    def extra_repr(self):
        return f"horizontal={self.horizontal}, vertical={self.vertical}"
)py";

const char* kRandomContrast = R"py(

class RandomContrast(nn.Module):
    """Strata (Keras 3) RandomContrast on NHWC images: in training, per image a factor f uniform in
    [1 - lower, 1 + upper] (torch's generator), y = clip((x - mean) f + mean, value_range) with the
    mean per image and channel over height and width; the identity in eval mode."""

    def __init__(self, lower, upper, low=0.0, high=255.0):
        super().__init__()
        self.lower, self.upper, self.low, self.high = lower, upper, low, high

    def forward(self, x):
        if not self.training:
            return x
        u = torch.rand(x.shape[0], 1, 1, 1, device=x.device, dtype=x.dtype)
        f = (1.0 - self.lower) + u * (self.lower + self.upper)
        mean = x.mean(dim=(1, 2), keepdim=True)
        return torch.clamp((x - mean) * f + mean, self.low, self.high)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}, value_range=({self.low}, {self.high})"
)py";

const char* kGeometricAugmentation = R"py(

class GeometricAugmentation(nn.Module):
    """Strata (Keras 3) RandomTranslation / RandomRotation / RandomZoom: the identity at inference,
    as in Strata. The training-time resampling is not exported: augment in the data pipeline
    instead (e.g. torchvision.transforms.RandomAffine on the images)."""

    def __init__(self, kind, **config):
        super().__init__()
        self.kind, self.config = kind, config

    def forward(self, x):
        return x

    def extra_repr(self):
        return f"{self.kind}, {self.config}"
)py";

const char* kResizing = R"py(

def _center_crop_box(h, w, height, width):
    ch = max(min(h, int(float(w * height) / width)), 1)
    cw = max(min(w, int(float(h * width) / height)), 1)
    return int(float(h - ch) / 2), int(float(w - cw) / 2), ch, cw


def _resize_nhwc(x, height, width, bilinear, crop):
    """Keras 3's resize of NHWC images (tf.image.resize, no antialias), after an optional centred
    crop to the target's aspect ratio."""
    if crop:
        top, left, ch, cw = _center_crop_box(x.shape[1], x.shape[2], height, width)
        x = x[:, top:top + ch, left:left + cw, :]
    if (x.shape[1], x.shape[2]) == (height, width):
        return x
    y = x.permute(0, 3, 1, 2)
    if bilinear:
        y = nn.functional.interpolate(y, size=(height, width), mode="bilinear", align_corners=False)
    else:
        y = nn.functional.interpolate(y, size=(height, width), mode="nearest-exact")
    return y.permute(0, 2, 3, 1)


class Resizing(nn.Module):
    """Strata (Keras 3) Resizing of NHWC images."""

    def __init__(self, height, width, bilinear=True, crop_to_aspect_ratio=False):
        super().__init__()
        self.height, self.width, self.bilinear, self.crop = height, width, bilinear, crop_to_aspect_ratio

    def forward(self, x):
        return _resize_nhwc(x, self.height, self.width, self.bilinear, self.crop)

    def extra_repr(self):
        return f"height={self.height}, width={self.width}, bilinear={self.bilinear}, crop_to_aspect_ratio={self.crop}"
)py";

const char* kRandomCrop = R"py(

class RandomCrop(nn.Module):
    """Strata (Keras 3) RandomCrop of NHWC images: in training, one random (height, width) box for
    the batch (torch's generator) when the images are larger on both axes; otherwise, and in eval
    mode, the centred box of the target's aspect ratio resized (bilinear)."""

    def __init__(self, height, width):
        super().__init__()
        self.height, self.width = height, width

    def forward(self, x):
        h, w = x.shape[1], x.shape[2]
        if self.training and h > self.height and w > self.width:
            top = int(torch.randint(0, h - self.height + 1, ()))
            left = int(torch.randint(0, w - self.width + 1, ()))
            return x[:, top:top + self.height, left:left + self.width, :]
        return _resize_nhwc(x, self.height, self.width, True, True)

    def extra_repr(self):
        return f"height={self.height}, width={self.width}"
)py";

const char* kFeatureNormalization = R"py(

class Normalization(nn.Module):
    """Strata (Keras 3) Normalization: per channel (the last axis) (x - mean) / max(sqrt(variance),
    1e-7), or x * max(sqrt(variance), 1e-7) + mean with invert; mean and variance are buffers."""

    def __init__(self, channels, invert=False):
        super().__init__()
        self.register_buffer("mean", torch.zeros(channels))
        self.register_buffer("variance", torch.ones(channels))
        self.invert = invert

    def forward(self, x):
        sd = torch.sqrt(torch.clamp(self.variance, min=1e-14))
        return x * sd + self.mean if self.invert else (x - self.mean) / sd

    def extra_repr(self):
        return f"channels={self.mean.shape[0]}, invert={self.invert}"
)py";

} // namespace

const std::string* preprocessingSnippet(const std::string& name) {
    static const std::map<std::string, std::string> t = {
        {"RandomFlip", kRandomFlip},
        {"RandomContrast", kRandomContrast},
        {"GeometricAugmentation", kGeometricAugmentation},
        {"Resizing", kResizing},
        {"RandomCrop", kRandomCrop},
        {"Normalization", kFeatureNormalization},
    };
    const auto it = t.find(name);
    return it == t.end() ? nullptr : &it->second;
}

} // namespace strata::storage::torch_snippets
