#!/usr/bin/python3
"""Golden outputs of Strata's random augmentation layers (engine/layers/AugmentationLayers.h), from
an independent NumPy / PyTorch implementation of the same transformations on fixed seeds.

Writes tests/data/augment/augment_reference.json: one input batch (NHWC) and, per case, the layer
(type and config, with an explicit seed), the optimizer step, the per-image uniforms u_i the layer
draws at that step and the layer's training-mode output. tests/engine/train/tst_augment_golden.cpp
(CPU) and tests/gpu/tst_vulkan_augment.cpp (Vulkan) trace each layer in training mode, run it at
the step and compare; they also compare the host's uniforms (layers::augmentationUniforms).

The random stream is written out here from its definition (engine/ir/Philox.h), not taken from
the engine: Philox4x32-10 with counter {lo32(i/4), hi32(i/4), step, 0} and key {lo32(seed),
hi32(seed)}; u_i = (word[i % 4] >> 8) * 2^-24. Keras 3's semantics, per layer:
  RandomFlip      image i flipped where u_i <= 0.5; "horizontal" reverses the width axis,
                  "vertical" the height axis, "horizontal_and_vertical" both on the same draw.
  RandomContrast  f_i = (1 - lower) + u_i (lower + upper); mean per image and channel over height
                  then width; y = clip((x - mean) f_i + mean, value_range).
  RandomTranslation, RandomRotation, RandomZoom: per-image transforms [a0 a1 a2 b0 b1 b2 c0 c1]
                  (Keras 3's matrices, u of shape [N, 2] for translation and zoom: column 0 the
                  height, 1 the width; [N, 1] for rotation), applied as TF's
                  ImageProjectiveTransformV3: output (row i, col j) samples column
                  (a0 j + a1 i + a2) / k, row (b0 j + b1 i + b2) / k, k = c0 j + c1 i + 1; fill
                  modes constant / nearest (clamp) / reflect (dcba|abcd|dcba) / wrap (abcd|abcd);
                  nearest interpolation rounds halves away from zero, bilinear reads fill_value
                  for taps outside the image. The transforms and coordinates are computed in
                  float32 as the engine does (so a nearest tap is the engine's), the interpolation
                  in float64; constant-fill cases are also checked against torch's grid_sample.
  Resizing        torch's interpolate: bilinear with align_corners=False (tf.image.resize's half-pixel
                  bilinear), nearest as "nearest-exact" (floor((o + 0.5) in / out)); with
                  crop_to_aspect_ratio Keras' centred box first.
  RandomCrop      training: rows h0.., columns w0.. with h0 = floor(u_0 (H - height + 1)),
                  w0 = floor(u_1 (W - width + 1)), one box for the batch (u of 2 values); inference
                  (a case with "training": false): the centred box, resized bilinear.
Cases whose layer is the identity in inference say so ("identity_in_inference").

Run: /usr/bin/python3 tests/reference/augment_reference.py   (numpy and torch 1.13)
"""
import json
import os

import numpy as np
import torch

M32 = 0xFFFFFFFF


def philox4x32(c, k):
    c, k = list(c), list(k)
    for _ in range(10):
        p0 = 0xD2511F53 * c[0]
        p1 = 0xCD9E8D57 * c[2]
        c = [((p1 >> 32) ^ c[1] ^ k[0]) & M32, p1 & M32, ((p0 >> 32) ^ c[3] ^ k[1]) & M32, p0 & M32]
        k = [(k[0] + 0x9E3779B9) & M32, (k[1] + 0xBB67AE85) & M32]
    return c


def uniforms(seed, step, count):
    out = []
    for i in range(count):
        block = i // 4
        words = philox4x32([block & M32, block >> 32, step & M32, 0], [seed & M32, (seed >> 32) & M32])
        out.append(np.float32((words[i % 4] >> 8) * (1.0 / 16777216.0)))
    return np.array(out, dtype=np.float32)


def input_batch():
    n, h, w, c = np.meshgrid(np.arange(4), np.arange(5), np.arange(6), np.arange(3), indexing="ij")
    return ((n * 97 + h * 41 + w * 13 + c * 71) % 256).astype(np.float32)


def random_flip(x, u, mode):
    t = torch.from_numpy(x)
    flips = torch.from_numpy(u <= 0.5).reshape(-1, 1, 1, 1)
    y = t
    if mode in ("horizontal", "horizontal_and_vertical"):
        y = torch.where(flips, torch.flip(y, dims=[2]), y)
    if mode in ("vertical", "horizontal_and_vertical"):
        y = torch.where(flips, torch.flip(y, dims=[1]), y)
    return y.numpy()


def random_contrast(x, u, factor, value_range):
    lower, upper = (factor, factor) if isinstance(factor, (int, float)) else factor
    x64 = x.astype(np.float64)
    f = ((1.0 - lower) + u.astype(np.float64) * (lower + upper)).reshape(-1, 1, 1, 1)
    mean = x64.mean(axis=1, keepdims=True).mean(axis=2, keepdims=True)
    return np.clip((x64 - mean) * f + mean, value_range[0], value_range[1]).astype(np.float32)


def fill_coordinate(c, n, mode):
    if mode == "constant":
        return c
    if mode == "reflect":
        if n > 1:
            t = c - 2.0 * n * np.floor(c / (2.0 * n))
            c = np.where(t >= n, 2.0 * n - 1.0 - t, t)
        else:
            c = np.zeros_like(c)
    elif mode == "wrap":
        c = c - n * np.floor(c / n) if n > 1 else np.zeros_like(c)
    return np.clip(c, 0.0, n - 1.0)


def sample_coordinates(transform, h, w):
    """Column and row each output pixel reads (float32, as the engine computes them)."""
    t = transform.astype(np.float32)
    i, j = np.meshgrid(np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32), indexing="ij")
    k = t[6] * j + t[7] * i + np.float32(1)
    x = (t[0] * j + t[1] * i + t[2]) / k
    y = (t[3] * j + t[4] * i + t[5]) / k
    return x.astype(np.float32), y.astype(np.float32)


def image_transform(x, transforms, interpolation, fill_mode, fill_value):
    n, h, w, c = x.shape
    out = np.zeros(x.shape, dtype=np.float64)
    for b in range(n):
        cx, cy = sample_coordinates(transforms[b], h, w)
        cx = fill_coordinate(cx, w, fill_mode).astype(np.float32)
        cy = fill_coordinate(cy, h, fill_mode).astype(np.float32)

        def read(yy, xx):
            inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
            yi = np.clip(yy, 0, h - 1).astype(np.int64)
            xi = np.clip(xx, 0, w - 1).astype(np.int64)
            return np.where(inside[..., None], x[b][yi, xi].astype(np.float64), fill_value)

        if interpolation == "nearest":
            rnd = lambda v: np.sign(v) * np.floor(np.abs(v) + 0.5)  # halves away from zero
            out[b] = read(rnd(cy), rnd(cx))
        else:
            X, Y = cx.astype(np.float64), cy.astype(np.float64)
            y0, x0 = np.floor(Y), np.floor(X)
            wy, wx = (Y - y0)[..., None], (X - x0)[..., None]
            out[b] = (1 - wy) * ((1 - wx) * read(y0, x0) + wx * read(y0, x0 + 1)) + \
                wy * ((1 - wx) * read(y0 + 1, x0) + wx * read(y0 + 1, x0 + 1))
    return out.astype(np.float32)


def torch_check(x, transforms, interpolation, fill_value, y):
    """Constant fill: torch's grid_sample (align_corners, zeros padding) on the same coordinates."""
    n, h, w, c = x.shape
    grids = []
    for b in range(n):
        cx, cy = sample_coordinates(transforms[b], h, w)
        grids.append(np.stack([2.0 * cx / (w - 1) - 1.0, 2.0 * cy / (h - 1) - 1.0], axis=-1))
    grid = torch.from_numpy(np.stack(grids).astype(np.float64))
    xt = torch.from_numpy(x.astype(np.float64) - fill_value).permute(0, 3, 1, 2)
    mode = "nearest" if interpolation == "nearest" else "bilinear"
    ref = torch.nn.functional.grid_sample(xt, grid, mode=mode, padding_mode="zeros", align_corners=True)
    ref = ref.permute(0, 2, 3, 1).numpy() + fill_value
    assert np.allclose(ref, y, rtol=1e-5, atol=1e-3), "grid_sample disagrees: %g" % np.abs(ref - y).max()


def uniform_range(u, lo, hi):
    return np.float32(lo) + u * np.float32(hi - lo)


def factor_range(f):
    return (-abs(f), abs(f)) if isinstance(f, (int, float)) else tuple(sorted(f))


def affine_transforms(layer, config, u, h, w):
    """Keras 3's per-image matrices from the uniforms u [N, K], in float32 as the engine builds them."""
    n = u.shape[0]
    t = np.zeros((n, 8), dtype=np.float32)
    f32 = np.float32
    if layer == "RandomTranslation":
        hl, hu = factor_range(config["height_factor"])
        wl, wu = factor_range(config["width_factor"])
        dy = uniform_range(u[:, 0], hl, hu) * f32(h)
        dx = uniform_range(u[:, 1], wl, wu) * f32(w)
        t[:, 0], t[:, 2], t[:, 4], t[:, 5] = 1, -dx, 1, -dy
    elif layer == "RandomRotation":
        lo, hi = factor_range(config["factor"])
        angle = uniform_range(u[:, 0], lo * 2 * np.pi, hi * 2 * np.pi).astype(np.float32)
        c, s = np.cos(angle).astype(np.float32), np.sin(angle).astype(np.float32)
        cx, cy = f32((w - 1) / 2), f32((h - 1) / 2)
        t[:, 0], t[:, 1], t[:, 2] = c, -s, (cx - c * cx) + s * cy
        t[:, 3], t[:, 4], t[:, 5] = s, c, (cy - s * cx) - c * cy
    else:  # RandomZoom
        hl, hu = factor_range(config["height_factor"])
        zy = uniform_range(u[:, 0], 1 + hl, 1 + hu)
        if config.get("width_factor") is None:
            zx = zy
        else:
            wl, wu = factor_range(config["width_factor"])
            zx = uniform_range(u[:, 1], 1 + wl, 1 + wu)
        t[:, 0], t[:, 2] = zx, (f32(1) - zx) * f32((w - 1) / 2)
        t[:, 4], t[:, 5] = zy, (f32(1) - zy) * f32((h - 1) / 2)
    return t


def check_nearest_margin(name, transforms, h, w, mode):
    """A nearest tap must not hinge on the last bits of a coordinate: none within 1e-3 of a half."""
    for t in transforms:
        cx, cy = sample_coordinates(t, h, w)
        for v, n in ((cx, w), (cy, h)):
            v = fill_coordinate(v, n, mode)
            frac = np.abs(np.abs(v) - np.floor(np.abs(v)) - 0.5)
            assert frac.min() > 1e-3, f"{name}: a coordinate within {frac.min():.2g} of a half; pick another seed"


def center_crop_box(h, w, height, width):
    ch = max(min(h, int(float(w * height) / width)), 1)
    cw = max(min(w, int(float(h * width) / height)), 1)
    return int(float(h - ch) / 2), int(float(w - cw) / 2), ch, cw


def resize(x, height, width, interpolation="bilinear", crop=False):
    if crop:
        top, left, ch, cw = center_crop_box(x.shape[1], x.shape[2], height, width)
        x = x[:, top:top + ch, left:left + cw, :]
    t = torch.from_numpy(x.astype(np.float64)).permute(0, 3, 1, 2)
    if interpolation == "bilinear":
        y = torch.nn.functional.interpolate(t, size=(height, width), mode="bilinear", align_corners=False)
    else:
        y = torch.nn.functional.interpolate(t, size=(height, width), mode="nearest-exact")
    return y.permute(0, 2, 3, 1).numpy().astype(np.float32)


CASES = [
    ("flip_horizontal", "RandomFlip", {"mode": "horizontal", "seed": 11}, 0),
    ("flip_horizontal_step5", "RandomFlip", {"mode": "horizontal", "seed": 11}, 5),
    ("flip_vertical", "RandomFlip", {"mode": "vertical", "seed": 12}, 2),
    ("flip_both", "RandomFlip", {"mode": "horizontal_and_vertical", "seed": 13}, 1),
    ("contrast", "RandomContrast", {"factor": 0.5, "seed": 21}, 0),
    ("contrast_range", "RandomContrast", {"factor": [0.2, 0.7], "value_range": [20, 230], "seed": 22}, 3),
    ("translation_nearest_constant", "RandomTranslation",
     {"height_factor": 0.3, "width_factor": [-0.4, 0.2], "interpolation": "nearest", "fill_mode": "constant",
      "fill_value": 7.0, "seed": 31}, 0),
    ("translation_bilinear_reflect", "RandomTranslation",
     {"height_factor": 0.4, "width_factor": 0.5, "interpolation": "bilinear", "fill_mode": "reflect", "seed": 32}, 2),
    ("translation_bilinear_wrap", "RandomTranslation",
     {"height_factor": 0.4, "width_factor": 0.5, "interpolation": "bilinear", "fill_mode": "wrap", "seed": 33}, 1),
    ("rotation_nearest_constant", "RandomRotation",
     {"factor": 0.25, "interpolation": "nearest", "fill_mode": "constant", "seed": 41}, 0),
    ("rotation_nearest_nearest", "RandomRotation",
     {"factor": [-0.5, 0.5], "interpolation": "nearest", "fill_mode": "nearest", "seed": 42}, 3),
    ("rotation_bilinear_constant", "RandomRotation",
     {"factor": 0.2, "interpolation": "bilinear", "fill_mode": "constant", "fill_value": 3.0, "seed": 43}, 1),
    ("zoom_nearest_constant", "RandomZoom",
     {"height_factor": [-0.5, 0.5], "interpolation": "nearest", "fill_mode": "constant", "seed": 51}, 0),
    ("zoom_bilinear_reflect", "RandomZoom",
     {"height_factor": [-0.3, 0.6], "width_factor": [0.1, 0.5], "interpolation": "bilinear", "fill_mode": "reflect",
      "seed": 52}, 4),
    ("resizing_bilinear_down", "Resizing", {"height": 3, "width": 4}, 0),
    ("resizing_bilinear_up", "Resizing", {"height": 8, "width": 9}, 0),
    ("resizing_nearest", "Resizing", {"height": 7, "width": 4, "interpolation": "nearest"}, 0),
    ("resizing_crop_to_aspect_ratio", "Resizing", {"height": 4, "width": 4, "crop_to_aspect_ratio": True}, 0),
    ("random_crop", "RandomCrop", {"height": 3, "width": 4, "seed": 61}, 0),
    ("random_crop_step2", "RandomCrop", {"height": 3, "width": 4, "seed": 61}, 2),
    ("random_crop_inference", "RandomCrop", {"height": 3, "width": 3, "seed": 62}, 0, False),
]


def main():
    x = input_batch()
    cases = []
    for name, layer, config, step, *rest in CASES:
        training = rest[0] if rest else True
        case = {"name": name, "layer": {"type": layer, "config": config}, "step": step}
        if layer in ("Resizing", "RandomCrop"):
            n, h, w, c = x.shape
            if layer == "Resizing":
                y = resize(x, config["height"], config["width"], config.get("interpolation", "bilinear"),
                           config.get("crop_to_aspect_ratio", False))
            elif training:
                u = uniforms(config["seed"], step, 2)
                top = int(np.floor(u[0] * np.float32(h - config["height"] + 1)))
                left = int(np.floor(u[1] * np.float32(w - config["width"] + 1)))
                y = x[:, top:top + config["height"], left:left + config["width"], :]
                case["uniforms"] = [float(v) for v in u]
            else:
                y = resize(x, config["height"], config["width"], "bilinear", True)
            case.update({"training": training, "output_shape": list(y.shape), "output": [float(v) for v in y.reshape(-1)]})
            cases.append(case)
            continue
        per_image = {"RandomTranslation": 2, "RandomZoom": 2, "RandomRotation": 1}.get(layer, 1)
        u = uniforms(config["seed"], step, x.shape[0] * per_image)
        if per_image > 1 or layer == "RandomRotation":
            h, w = x.shape[1], x.shape[2]
            t = affine_transforms(layer, config, u.reshape(x.shape[0], per_image), h, w)
            interpolation = config.get("interpolation", "bilinear")
            mode = config.get("fill_mode", "reflect")
            if interpolation == "nearest":
                check_nearest_margin(name, t, h, w, mode)
            y = image_transform(x, t, interpolation, mode, config.get("fill_value", 0.0))
            if mode == "constant":
                torch_check(x, t, interpolation, config.get("fill_value", 0.0), y)
        elif layer == "RandomFlip":
            y = random_flip(x, u, config["mode"])
            flipped = u <= 0.5
            assert flipped.any() and not flipped.all(), f"{name}: pick a seed that flips some images and keeps others"
        else:
            y = random_contrast(x, u, config["factor"], config.get("value_range", [0, 255]))
        case.update({"identity_in_inference": True, "uniforms": [float(v) for v in u],
                     "output_shape": list(y.shape), "output": [float(v) for v in y.reshape(-1)]})
        cases.append(case)
    out = {"generator": "tests/reference/augment_reference.py (NumPy %s, PyTorch %s)" % (np.__version__, torch.__version__),
           "input_shape": list(x.shape), "input": [float(v) for v in x.reshape(-1)], "cases": cases}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "augment", "augment_reference.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", os.path.normpath(path), "with", len(cases), "cases")


if __name__ == "__main__":
    main()
