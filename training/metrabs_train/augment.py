"""Appearance augmentation of training crops.

Input and output crops are float32 H×W×3 RGB in [0, 1] (gamma-encoded, as `warp_to_crop`
returns). Every random choice comes from the `numpy.random.Generator` passed in, so a crop's
augmentation is a pure function of the generator's state.

- colour: brightness (±0.125), contrast (×0.5–1.5 about 0.5), hue (±72°) and saturation
  (×0.5–1.5), applied in a random order — the reference's ranges;
- synthetic occluders: 1–3 random filled polygons or ellipses with a solid colour or a random
  texture and anti-aliased edges, each spanning 10–50 % of the crop side (drawn before the colour
  change so they blend in, as the reference does with its object occluders);
- gaussian blur (σ 0.5–1.5 px at a 256 px crop, scaled with the crop) and gaussian noise
  (σ 0.01–0.05).
"""
from __future__ import annotations

import cv2
import numpy as np


def augment_appearance(image: np.ndarray, rng: np.random.Generator, *, occlude_prob: float = 0.5,
                       color_aug: bool = True, blur_prob: float = 0.1,
                       noise_prob: float = 0.1) -> np.ndarray:
    """Occluders (with probability occlude_prob), colour jitter, blur and noise; returns a new
    float32 image in [0, 1]."""
    out = np.array(image, dtype=np.float32, copy=True)
    if rng.random() < occlude_prob:
        out = occlude(out, rng)
    if color_aug:
        out = augment_color(out, rng)
    if rng.random() < blur_prob:
        out = gaussian_blur(out, rng)
    if rng.random() < noise_prob:
        out = gaussian_noise(out, rng)
    return np.clip(out, 0, 1, out=out)


# ---------------------------------------------------------------------------------------------
# Colour


def augment_color(image: np.ndarray, rng: np.random.Generator, brightness: float = 0.125,
                  contrast: tuple[float, float] = (0.5, 1.5), hue_degrees: float = 72.0,
                  saturation: tuple[float, float] = (0.5, 1.5)) -> np.ndarray:
    """Brightness, contrast, hue and saturation jitter in a random order."""
    steps = [
        lambda im: _shift_brightness(im, rng.uniform(-brightness, brightness)),
        lambda im: _scale_contrast(im, rng.uniform(*contrast)),
        lambda im: _rotate_hue(im, rng.uniform(-hue_degrees, hue_degrees)),
        lambda im: _scale_saturation(im, rng.uniform(*saturation)),
    ]
    out = image.astype(np.float32, copy=True)
    for i in rng.permutation(len(steps)):
        out = steps[i](out)
    return np.clip(out, 0, 1, out=out)


def _shift_brightness(im: np.ndarray, delta: float) -> np.ndarray:
    return im + np.float32(delta)


def _scale_contrast(im: np.ndarray, factor: float) -> np.ndarray:
    return (im - np.float32(0.5)) * np.float32(factor) + np.float32(0.5)


def _rotate_hue(im: np.ndarray, degrees: float) -> np.ndarray:
    hsv = cv2.cvtColor(np.clip(im, 0, 1), cv2.COLOR_RGB2HSV)  # float: H in [0, 360)
    hsv[..., 0] = np.mod(hsv[..., 0] + np.float32(degrees), np.float32(360))
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def _scale_saturation(im: np.ndarray, factor: float) -> np.ndarray:
    hsv = cv2.cvtColor(np.clip(im, 0, 1), cv2.COLOR_RGB2HSV)
    hsv[..., 1] = np.minimum(hsv[..., 1] * np.float32(factor), np.float32(1))
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


# ---------------------------------------------------------------------------------------------
# Blur and noise


def gaussian_blur(image: np.ndarray, rng: np.random.Generator,
                  sigma_range: tuple[float, float] = (0.5, 1.5)) -> np.ndarray:
    """Gaussian blur with σ drawn from sigma_range (pixels of a 256 px crop, scaled)."""
    sigma = rng.uniform(*sigma_range) * image.shape[0] / 256
    return cv2.GaussianBlur(image, (0, 0), sigmaX=sigma, sigmaY=sigma,
                            borderType=cv2.BORDER_REFLECT)


def gaussian_noise(image: np.ndarray, rng: np.random.Generator,
                   std_range: tuple[float, float] = (0.01, 0.05)) -> np.ndarray:
    """Adds i.i.d. gaussian noise with σ drawn from std_range."""
    std = np.float32(rng.uniform(*std_range))
    return image + rng.standard_normal(image.shape, dtype=np.float32) * std


# ---------------------------------------------------------------------------------------------
# Synthetic occluders


def occlude(image: np.ndarray, rng: np.random.Generator, max_count: int = 3,
            size_range: tuple[float, float] = (0.1, 0.5)) -> np.ndarray:
    """Pastes 1..max_count random shapes (polygon or ellipse, solid colour or texture) of
    diameter size_range × crop side, centred anywhere in the crop. Work is confined to each
    shape's bounding box (this runs for half of all training crops)."""
    out = np.array(image, dtype=np.float32, copy=True)
    h, w = image.shape[:2]
    for _ in range(int(rng.integers(1, max_count + 1))):
        alpha, (x0, y0) = _random_shape_mask((h, w), rng, size_range)
        bh, bw = alpha.shape
        if bh == 0 or bw == 0:
            continue
        fill = _random_fill((bh, bw), rng)
        region = out[y0:y0 + bh, x0:x0 + bw]
        region += (fill - region) * alpha[..., None]
    return out


def _random_shape_mask(shape: tuple[int, int], rng: np.random.Generator,
                       size_range: tuple[float, float]) -> tuple[np.ndarray, tuple[int, int]]:
    """Anti-aliased float32 mask in [0, 1] of a random polygon or ellipse, cut to its bounding
    box inside the image; returns (mask, top-left corner of the box)."""
    h, w = shape
    side = max(h, w)
    radius = rng.uniform(*size_range) * side / 2
    centre = rng.uniform([0, 0], [w, h])
    x0, y0 = (int(max(0, np.floor(c - radius - 1))) for c in centre)
    x1 = int(min(w, np.ceil(centre[0] + radius + 2)))
    y1 = int(min(h, np.ceil(centre[1] + radius + 2)))
    local = centre - (x0, y0)
    shift = 4  # sub-pixel precision of cv2 drawing: coordinates × 16
    mask = np.zeros((max(y1 - y0, 0), max(x1 - x0, 0)), np.uint8)
    if rng.random() < 0.5:
        n = int(rng.integers(3, 9))
        angles = np.sort(rng.uniform(0, 2 * np.pi, n))
        radii = radius * rng.uniform(0.4, 1.0, n)
        pts = local + np.stack([np.cos(angles), np.sin(angles)], 1) * radii[:, None]
        if mask.size:
            cv2.fillPoly(mask, [np.round(pts * (1 << shift)).astype(np.int32)], 255,
                         lineType=cv2.LINE_AA, shift=shift)
    else:
        axes = radius * rng.uniform(0.3, 1.0, 2)
        angle = float(rng.uniform(0, 180))
        if mask.size:
            cv2.ellipse(mask, tuple(np.round(local * (1 << shift)).astype(int).tolist()),
                        tuple(np.round(axes * (1 << shift)).astype(int).tolist()),
                        angle, 0, 360, 255, thickness=-1, lineType=cv2.LINE_AA, shift=shift)
    return mask.astype(np.float32) / np.float32(255), (x0, y0)


def _random_fill(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A solid random colour, or a texture: colour gradient plus low-frequency blotches."""
    h, w = shape
    base = rng.uniform(0, 1, 3).astype(np.float32)
    if rng.random() < 0.5:
        return np.broadcast_to(base, (h, w, 3))
    other = rng.uniform(0, 1, 3).astype(np.float32)
    direction = rng.normal(size=2)
    direction /= np.linalg.norm(direction) + 1e-9
    t = (np.arange(w, dtype=np.float32)[None, :] * np.float32(direction[0])
         + np.arange(h, dtype=np.float32)[:, None] * np.float32(direction[1]))
    t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
    texture = base + (other - base) * t[..., None]
    cells = int(rng.integers(2, 9))
    blotches = rng.normal(0, 0.15, (cells, cells, 3)).astype(np.float32)
    texture += cv2.resize(blotches, (w, h), interpolation=cv2.INTER_CUBIC)
    return np.clip(texture, 0, 1)
