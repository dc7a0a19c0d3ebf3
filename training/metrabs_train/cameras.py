"""Camera geometry in NumPy, mirroring @metrabs/core (packages/core/src/{camera,crop,distortion}.ts).

Conventions (docs/geometry.md):
- camera frame: x right, y down, z forward (optical axis), millimetres;
- image frame: pixels, x right, y down, integer coordinates are pixel centres;
- matrices act on column vectors (p' = M·p); point arrays are row-wise (N×2, N×3);
- lens distortion: OpenCV's model with 12 coefficients k1 k2 p1 p2 k3 k4 k5 k6 s1 s2 s3 s4
  (fewer are padded with zeros) on normalised coordinates (x/z, y/z);
- the crop camera of a box shares the image camera's optical centre, looks through the
  (undistorted) box centre with image-up along the world up, is rolled by Rz(−angle), optionally
  mirrored by diag(−1, 1, 1), zoomed so the box's larger reprojected side fills S·scale pixels,
  has its principal point at (S/2, S/2) and no distortion. `R` maps image-camera coordinates to
  crop-camera coordinates (det −1 when flipped).

All computation is float64; only `warp_to_crop` returns float32 pixels.
"""
from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

N_DISTORTION_COEFFS = 12
GAMMA = 2.2


class GeometryError(ValueError):
    """Bad geometric input (non-finite numbers, zero-size box, singular matrix, …)."""


# ---------------------------------------------------------------------------------------------
# Lens distortion


def distortion_coeffs(coeffs: Sequence[float] | np.ndarray | None) -> np.ndarray:
    """Pads 0–12 OpenCV coefficients to 12 (None → zeros), checking count and finiteness."""
    out = np.zeros(N_DISTORTION_COEFFS, np.float64)
    if coeffs is None:
        return out
    c = np.asarray(coeffs, np.float64).reshape(-1)
    if c.size > N_DISTORTION_COEFFS:
        raise GeometryError(
            f'distortion coefficients: at most 12 (k1 k2 p1 p2 k3 k4 k5 k6 s1 s2 s3 s4), got {c.size}')
    if not np.all(np.isfinite(c)):
        raise GeometryError(f'distortion coefficients must be finite, got {c.tolist()}')
    out[:c.size] = c
    return out


def has_distortion(coeffs: Sequence[float] | np.ndarray | None) -> bool:
    return coeffs is not None and bool(np.any(np.asarray(coeffs, np.float64) != 0))


def _radial_tangential_prism(x: np.ndarray, y: np.ndarray, d: np.ndarray):
    k1, k2, p1, p2, k3, k4, k5, k6, s1, s2, s3, s4 = d
    r2 = x * x + y * y
    radial = (1 + r2 * (k1 + r2 * (k2 + r2 * k3))) / (1 + r2 * (k4 + r2 * (k5 + r2 * k6)))
    dx = 2 * p1 * x * y + p2 * (r2 + 2 * x * x) + r2 * (s1 + r2 * s2)
    dy = p1 * (r2 + 2 * y * y) + 2 * p2 * x * y + r2 * (s3 + r2 * s4)
    return radial, dx, dy


def distort_points(points: np.ndarray, coeffs) -> np.ndarray:
    """Applies lens distortion to normalised points (N×2 → N×2)."""
    p = np.asarray(points, np.float64)
    d = distortion_coeffs(coeffs)
    x, y = p[..., 0], p[..., 1]
    radial, dx, dy = _radial_tangential_prism(x, y, d)
    return np.stack([x * radial + dx, y * radial + dy], axis=-1)


def undistort_points(points: np.ndarray, coeffs, max_iterations: int = 30,
                     tolerance: float = 1e-14) -> np.ndarray:
    """Inverts `distort_points` by fixed-point iteration, per point as OpenCV and the TS code:
    u ← (d − tangential(u) − prism(u)) / radial(u) from u = d, stopping when a step moves the
    estimate by at most `tolerance` (L1) or after `max_iterations` steps."""
    pd = np.asarray(points, np.float64)
    d = distortion_coeffs(coeffs)
    if not np.any(d):
        return pd.copy()
    shape = pd.shape
    pd = pd.reshape(-1, 2)
    xd, yd = pd[:, 0], pd[:, 1]
    x, y = xd.copy(), yd.copy()
    active = np.ones(len(pd), bool)
    for _ in range(max_iterations):
        if not active.any():
            break
        idx = np.flatnonzero(active)
        radial, dx, dy = _radial_tangential_prism(x[idx], y[idx], d)
        nx = (xd[idx] - dx) / radial
        ny = (yd[idx] - dy) / radial
        step = np.abs(nx - x[idx]) + np.abs(ny - y[idx])
        x[idx], y[idx] = nx, ny
        active[idx[~(step > tolerance)]] = False
    return np.stack([x, y], axis=-1).reshape(shape)


# ---------------------------------------------------------------------------------------------
# Projection


def _check_intrinsics(K: np.ndarray) -> np.ndarray:
    K = np.asarray(K, np.float64)
    if K.shape != (3, 3) or not np.all(np.isfinite(K)):
        raise GeometryError(f'intrinsic matrix must be a finite 3×3 matrix, got {K.tolist()}')
    if abs(np.linalg.det(K)) < 1e-12:
        raise GeometryError('intrinsic matrix is singular')
    return K


def image_to_normalized(pixels: np.ndarray, K: np.ndarray, coeffs=None) -> np.ndarray:
    """Pixels (N×2) → undistorted normalised coordinates (x/z, y/z) of the camera."""
    K = _check_intrinsics(K)
    p = np.asarray(pixels, np.float64).reshape(-1, 2)
    homog = np.concatenate([p, np.ones((len(p), 1))], axis=1)
    normalized = (np.linalg.inv(K) @ homog.T).T[:, :2]
    return undistort_points(normalized, coeffs) if has_distortion(coeffs) else normalized


def normalized_to_image(normalized: np.ndarray, K: np.ndarray, coeffs=None) -> np.ndarray:
    """Undistorted normalised coordinates (N×2) → pixels: distortion, then K (incl. skew)."""
    n = np.asarray(normalized, np.float64).reshape(-1, 2)
    if has_distortion(coeffs):
        n = distort_points(n, coeffs)
    K = np.asarray(K, np.float64)
    return n @ K[:2, :2].T + K[:2, 2]


def project(points3d: np.ndarray, K: np.ndarray, coeffs=None) -> np.ndarray:
    """Camera-frame points (N×3, mm) → pixels (N×2), with lens distortion if given.
    Points at z ≤ 0 have no meaningful projection."""
    p = np.asarray(points3d, np.float64).reshape(-1, 3)
    with np.errstate(divide='ignore', invalid='ignore'):
        normalized = p[:, :2] / p[:, 2:3]
    return normalized_to_image(normalized, K, coeffs)


def image_points_to_crop(pixels: np.ndarray, K_img: np.ndarray, coeffs, K_crop: np.ndarray,
                         R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maps image pixels (N×2, distorted) to crop pixels: undistort, rotate by R, project with
    K_crop. Returns (crop pixels N×2, in_front N bool); points whose ray points away from the
    crop camera (z ≤ 0 after rotation) are not in front and their pixels are meaningless."""
    n = image_to_normalized(pixels, K_img, coeffs)
    rays = np.concatenate([n, np.ones((len(n), 1))], axis=1) @ np.asarray(R, np.float64).T
    in_front = rays[:, 2] > 1e-12
    return project(np.where(in_front[:, None], rays, 1.0), K_crop), in_front


# ---------------------------------------------------------------------------------------------
# Rotations and intrinsics


def look_at_rotation(forward: np.ndarray, up: np.ndarray) -> np.ndarray:
    """Rotation whose rows are the axes of a camera looking along `forward` with its image-up
    as close as possible to `up` (both in the current camera frame): x = normalize(z × up),
    y = z × x. Degenerate `forward ∥ up` falls back as the TS code does."""
    forward = np.asarray(forward, np.float64)
    up = np.asarray(up, np.float64)
    fn = np.linalg.norm(forward)
    if not (fn > 0) or not np.isfinite(fn):
        raise GeometryError('cannot look along a zero or non-finite direction')
    z = forward / fn
    x = np.cross(z, up)
    if np.linalg.norm(x) == 0:
        x = np.array([z[2], 0.0, -z[0]])
    if np.linalg.norm(x) == 0:
        x = np.array([1.0, 0.0, 0.0])
    x = x / np.linalg.norm(x)
    y = np.cross(z, x)
    return np.stack([x, y, z])


def rotation_z(angle: float) -> np.ndarray:
    """Rotation about the z axis by `angle` radians (column-vector convention)."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def rotation_y(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def rotation_x(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def intrinsics_from_fov(fov_degrees: float, width: float, height: float) -> np.ndarray:
    """K for a field of view along the larger image side, principal point (width/2, height/2)."""
    if not (0 < fov_degrees < 180):
        raise GeometryError(f'field of view must be in (0°, 180°), got {fov_degrees}')
    if not (width > 0 and height > 0):
        raise GeometryError(f'image size must be positive, got {width}×{height}')
    f = max(width, height) / (2 * np.tan(np.deg2rad(fov_degrees) / 2))
    return np.array([[f, 0.0, width / 2], [0.0, f, height / 2], [0.0, 0.0, 1.0]])


# ---------------------------------------------------------------------------------------------
# Crop camera


def _check_box(box) -> np.ndarray:
    b = np.asarray(box, np.float64).reshape(-1)
    if b.size != 4:
        raise GeometryError(f'box must be [x, y, w, h], got {b.size} numbers')
    if not np.all(np.isfinite(b)):
        raise GeometryError(f'box must be finite, got {b.tolist()}')
    if not (b[2] > 0 and b[3] > 0):
        raise GeometryError(f'box width and height must be positive, got {b[2]}×{b[3]}')
    return b


def crop_camera(K: np.ndarray, dist, up_cam: np.ndarray, box, side: int, angle: float = 0.0,
                scale: float = 1.0, flip: bool = False) -> tuple[np.ndarray, np.ndarray, float]:
    """The virtual crop camera of `box` = [x, y, w, h] (image pixels), as `buildCropCamera`.

    Returns (K_crop, R, zoom): crop intrinsics (principal point (S/2, S/2), no distortion),
    rotation image-camera frame → crop frame, and the focal-length multiplier.
    `up_cam` is the world-up direction expressed in the image camera's frame."""
    K = _check_intrinsics(K)
    x, y, w, h = _check_box(box)
    if not (isinstance(side, (int, np.integer)) and side > 0):
        raise GeometryError(f'crop side must be a positive integer, got {side}')
    if not (scale > 0 and np.isfinite(scale) and np.isfinite(angle)):
        raise GeometryError(f'augmentation needs a finite angle and positive scale, got {angle}, {scale}')
    # Box centre, then the midpoints of the top, right, bottom and left sides.
    pixels = np.array([[x + w / 2, y + h / 2], [x + w / 2, y], [x + w, y + h / 2],
                       [x + w / 2, y + h], [x, y + h / 2]])
    dirs = np.concatenate([image_to_normalized(pixels, K, dist), np.ones((5, 1))], axis=1)
    turn = look_at_rotation(dirs[0], up_cam)
    seen = dirs[1:] @ (K @ turn).T
    seen = seen[:, :2] / seen[:, 2:3]
    vertical = np.linalg.norm(seen[0] - seen[2])
    horizontal = np.linalg.norm(seen[1] - seen[3])
    box_size = max(vertical, horizontal)
    if not (box_size > 0) or not np.isfinite(box_size):
        raise GeometryError('the box has no extent after reprojection (is it behind the camera?)')
    zoom = float(scale * side / box_size)
    R = rotation_z(-angle) @ turn
    if flip:
        R = np.diag([-1.0, 1.0, 1.0]) @ R
    K_crop = K.copy()
    K_crop[:2, :2] *= zoom
    K_crop[:2, 2] = side / 2
    K_crop[2] = [0.0, 0.0, 1.0]
    return K_crop, R, zoom


def corner_aligned_scale(factor: float) -> np.ndarray:
    """Scaling that keeps pixel corners aligned: x' = factor·x + (factor − 1)/2, as
    `cornerAlignedScale` in crop.ts. With factor 1/a it maps pixel centres of an a-times larger
    render onto the small crop's pixel grid."""
    shift = (factor - 1) / 2
    return np.array([[factor, 0.0, shift], [0.0, factor, shift], [0.0, 0.0, 1.0]])


def crop_to_directions(K_crop: np.ndarray, R: np.ndarray, antialias: int = 1) -> np.ndarray:
    """inv(K_crop·R) (· cornerAlignedScale(1/a)): crop pixels (of the a·S render) → viewing
    directions in the image camera's frame."""
    M = np.linalg.inv(np.asarray(K_crop, np.float64) @ np.asarray(R, np.float64))
    return M if antialias == 1 else M @ corner_aligned_scale(1 / antialias)


def crop_to_image_homography(K_img: np.ndarray, K_crop: np.ndarray, R: np.ndarray,
                             antialias: int = 1) -> np.ndarray:
    """H = K_img·inv(K_crop·R): crop pixels → image pixels when the image has no distortion."""
    return np.asarray(K_img, np.float64) @ crop_to_directions(K_crop, R, antialias)


def crop_to_image_map(K_img: np.ndarray, dist, K_crop: np.ndarray, R: np.ndarray, side: int,
                      antialias: int = 1) -> np.ndarray:
    """Per-pixel map (a·S × a·S × 2, float32, [..., 0] = x) from crop pixels to image pixels,
    honouring the image camera's lens distortion."""
    size = side * antialias
    M = crop_to_directions(K_crop, R, antialias)
    u, v = np.meshgrid(np.arange(size, dtype=np.float64), np.arange(size, dtype=np.float64))
    X = M[0, 0] * u + M[0, 1] * v + M[0, 2]
    Y = M[1, 0] * u + M[1, 1] * v + M[1, 2]
    Z = M[2, 0] * u + M[2, 1] * v + M[2, 2]
    with np.errstate(divide='ignore', invalid='ignore'):
        normalized = np.stack([X / Z, Y / Z], axis=-1).reshape(-1, 2)
    pixels = normalized_to_image(normalized, K_img, dist)
    # Rays behind the image camera must not sample anything.
    pixels[(Z.reshape(-1) <= 0) | ~np.all(np.isfinite(pixels), axis=1)] = -1e6
    return pixels.reshape(size, size, 2).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# Rendering a crop

_SRGB_TO_LINEAR = (np.arange(256, dtype=np.float64) / 255.0) ** GAMMA


def to_linear(image: np.ndarray) -> np.ndarray:
    """uint8 (0–255) or float ([0, 1]) sRGB-ish pixels → float32 linear light (power 2.2)."""
    if image.dtype == np.uint8:
        return _SRGB_TO_LINEAR.astype(np.float32)[image]
    return np.power(np.clip(image.astype(np.float32), 0, 1), np.float32(GAMMA))


def from_linear(image: np.ndarray) -> np.ndarray:
    """float linear light → float32 gamma-encoded values in [0, 1] (power 1/2.2)."""
    return np.power(np.clip(image, 0, 1), np.float32(1 / GAMMA)).astype(np.float32)


def _source_window(xs: np.ndarray, ys: np.ndarray, width: int, height: int
                   ) -> tuple[int, int, int, int]:
    """Integer pixel window [x0, x1) × [y0, y1) of the image covering the sampled points plus
    a 2-pixel margin for interpolation, clipped to the image."""
    x0 = int(max(0, np.floor(np.nanmin(xs)) - 2))
    y0 = int(max(0, np.floor(np.nanmin(ys)) - 2))
    x1 = int(min(width, np.ceil(np.nanmax(xs)) + 3))
    y1 = int(min(height, np.ceil(np.nanmax(ys)) + 3))
    return x0, y0, x1, y1


def warp_to_crop(image: np.ndarray, K_img: np.ndarray, dist, K_crop: np.ndarray, R: np.ndarray,
                 side: int, antialias: int = 1, interpolation: int = cv2.INTER_LINEAR,
                 gamma_correct: bool = True) -> np.ndarray:
    """Renders the crop seen by (K_crop, R) from an image taken with (K_img, dist).

    `image` is H×W×C or H×W, uint8 (0–255) or float ([0, 1]). Pixels are converted to linear
    light (power 2.2) before resampling and back afterwards (unless gamma_correct=False, e.g. for
    masks). With antialias a > 1 the crop is rendered at a·S and averaged over a×a blocks. Outside
    the image is 0. Returns float32 S×S(×C) in [0, 1]."""
    if not (isinstance(antialias, (int, np.integer)) and antialias >= 1):
        raise GeometryError(f'antialias factor must be a positive integer, got {antialias}')
    size = side * antialias
    if has_distortion(dist):
        pixel_map = crop_to_image_map(K_img, dist, K_crop, R, side, antialias)
        xs, ys = pixel_map[..., 0], pixel_map[..., 1]
    else:
        H = crop_to_image_homography(K_img, K_crop, R, antialias)
        corners = np.array([[0, 0, 1], [size - 1, 0, 1], [0, size - 1, 1], [size - 1, size - 1, 1]], np.float64)
        mapped = corners @ H.T
        in_front = mapped[:, 2] > 0
        xs, ys = mapped[:, 0] / mapped[:, 2], mapped[:, 1] / mapped[:, 2]
        if not in_front.all():  # the crop sees past the horizon: keep the whole image
            xs, ys = np.array([0.0, image.shape[1]]), np.array([0.0, image.shape[0]])
    # Only the part of the image the crop samples is converted and resampled.
    x0, y0, x1, y1 = _source_window(xs, ys, image.shape[1], image.shape[0])
    if x1 <= x0 or y1 <= y0:  # entirely outside the image
        channels = () if image.ndim == 2 else (image.shape[2],)
        return np.zeros((side, side) + channels, np.float32)
    region = image[y0:y1, x0:x1]
    if gamma_correct:
        src = to_linear(region)
    elif image.dtype == np.uint8:
        src = region.astype(np.float32) / np.float32(255)
    else:
        src = region.astype(np.float32)
    if has_distortion(dist):
        out = cv2.remap(src, pixel_map - np.float32([x0, y0]), None, interpolation,
                        borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    else:
        shift = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], np.float64)
        out = cv2.warpPerspective(src, shift @ H, (size, size), flags=interpolation | cv2.WARP_INVERSE_MAP,
                                  borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    if antialias > 1:
        out = cv2.resize(out, (side, side), interpolation=cv2.INTER_AREA)
    if out.ndim == 2 and image.ndim == 3:
        out = out[:, :, None]
    return from_linear(out) if gamma_correct else np.clip(out, 0, 1).astype(np.float32)
