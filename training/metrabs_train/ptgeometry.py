"""MeTRAbs geometry in PyTorch: heatmap→pixel/metric mapping and differentiable absolute
reconstruction. Written with plain tensor ops (no lstsq), so it also exports to ONNX.

Mirrors `@metrabs/core` (heatmap.ts, reconstruct.ts) exactly; both are tested against the
same golden vectors (fixtures/golden/geometry.json). Conventions: docs/geometry.md.
Shapes: coords2d [B, J, 2] crop pixels, coords3d [B, J, 3] mm, intrinsics [B, 3, 3].
"""
from __future__ import annotations

import torch

OUTSIDE_FOV_WEIGHT = 1e-4


def heatmap_to_pixels(t: torch.Tensor, side: int, stride: int, centered: bool,
                      legacy_bug: bool = False) -> torch.Tensor:
    """Normalised soft-argmax coordinates t ∈ [0, 1] → crop pixels."""
    last = side - 1
    last_centre = last - last % stride
    out = t * last_centre
    if centered:
        out = out + stride // 2
    if legacy_bug:
        out = out + stride // 2
    return out


def heatmap_to_metric(t3: torch.Tensor, side: int, stride: int, centered: bool,
                      box_size_mm: float, legacy_bug: bool = False) -> torch.Tensor:
    """Normalised (x, y, z) → mm: x, y via crop pixels scaled by box_size/side, z · box_size."""
    xy = heatmap_to_pixels(t3[..., :2], side, stride, centered, legacy_bug) * (box_size_mm / side)
    return torch.cat([xy, t3[..., 2:] * box_size_mm], dim=-1)


def linspace_weights(n: int, like: torch.Tensor) -> torch.Tensor:
    if n == 1:
        return torch.zeros(1, dtype=like.dtype, device=like.device)
    return torch.arange(n, dtype=like.dtype, device=like.device) / (n - 1)


def soft_argmax_2d(logits: torch.Tensor) -> torch.Tensor:
    """logits [B, J, H, W] → normalised (x, y) [B, J, 2]."""
    b, j, h, w = logits.shape
    p = torch.softmax(logits.reshape(b, j, h * w), dim=-1).reshape(b, j, h, w)
    x = (p.sum(dim=2) * linspace_weights(w, p)).sum(-1)
    y = (p.sum(dim=3) * linspace_weights(h, p)).sum(-1)
    return torch.stack([x, y], dim=-1)


def soft_argmax_3d(logits: torch.Tensor) -> torch.Tensor:
    """logits [B, D, J, H, W] (channel d·J + j) → normalised (x, y, z) [B, J, 3]."""
    b, d, j, h, w = logits.shape
    flat = logits.permute(0, 2, 1, 3, 4).reshape(b, j, d * h * w)
    p = torch.softmax(flat, dim=-1).reshape(b, j, d, h, w)
    x = (p.sum(dim=(2, 3)) * linspace_weights(w, p)).sum(-1)
    y = (p.sum(dim=(2, 4)) * linspace_weights(h, p)).sum(-1)
    z = (p.sum(dim=(3, 4)) * linspace_weights(d, p)).sum(-1)
    return torch.stack([x, y, z], dim=-1)


def is_within_fov(coords2d: torch.Tensor, side: int, stride_train: int, centered: bool,
                  border_factor: float = 0.75) -> torch.Tensor:
    """[B, J] bool: both coordinates within the field of view used for weighting."""
    offset = 0.0 if centered else -stride_train / 2
    lower = stride_train * border_factor + offset
    upper = side - stride_train * border_factor + offset
    return ((coords2d >= lower) & (coords2d <= upper)).all(dim=-1)


def to_normalized(coords2d: torch.Tensor, intrinsics: torch.Tensor) -> torch.Tensor:
    """Pixels → K⁻¹[x; 1] (first two coordinates)."""
    homog = torch.cat([coords2d, torch.ones_like(coords2d[..., :1])], dim=-1)
    return (homog @ torch.linalg.inv(intrinsics).transpose(1, 2))[..., :2]


def _masked_mean(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Mean over joints (dim 1) with weights w [B, J]; x [B, J, C] → [B, 1, C]."""
    return (x * w[..., None]).sum(1, keepdim=True) / w.sum(1, keepdim=True)[..., None]


def reference_weak_perspective(normalized: torch.Tensor, coords3d: torch.Tensor,
                               valid: torch.Tensor) -> torch.Tensor:
    """Offset T [B, 3] matching mean and spread of the valid joints (all if none valid)."""
    w = valid.to(coords3d.dtype)
    none = w.sum(1, keepdim=True) == 0
    w = torch.where(none, torch.ones_like(w), w)
    count = w.sum(1)
    mean2 = _masked_mean(normalized, w)
    mean3 = _masked_mean(coords3d, w)
    var2 = (((normalized - mean2) ** 2).sum(-1) * w).sum(1) / count
    var3 = (((coords3d[..., :2] - mean3[..., :2]) ** 2).sum(-1) * w).sum(1) / count
    sd2 = torch.sqrt(var2 + 1e-10).clamp(min=1e-5)
    sd3 = torch.sqrt(var3 + 1e-10).clamp(min=1e-5)
    z = sd3 / sd2
    new_mean = torch.cat([mean2[:, 0] * z[:, None], z[:, None]], dim=-1)
    return new_mean - mean3[:, 0]


def reference_full_perspective(normalized: torch.Tensor, coords3d: torch.Tensor,
                               valid: torch.Tensor, tikhonov: float = 1e-2) -> torch.Tensor:
    """Offset T [B, 3] by weighted, regularised least squares on rms-normalised variables
    (per pose), solving the 3×3 normal equations in closed form (differentiable, exportable)."""
    b, j, _ = normalized.shape
    x, y = normalized[..., 0], normalized[..., 1]
    bx = x * coords3d[..., 2] - coords3d[..., 0]
    by = y * coords3d[..., 2] - coords3d[..., 1]
    s2 = torch.sqrt((x ** 2 + y ** 2).sum(1) / (2 * j))
    sb = torch.sqrt((bx ** 2 + by ** 2).sum(1) / (2 * j))
    s2 = torch.where(s2 > 0, s2, torch.ones_like(s2))
    sb = torch.where(sb > 0, sb, torch.ones_like(sb))
    vw = valid.to(normalized.dtype)
    none = vw.sum(1, keepdim=True) == 0
    w2 = torch.where(none, torch.ones_like(vw), vw + OUTSIDE_FOV_WEIGHT) ** 2
    xs, ys = x / s2[:, None], y / s2[:, None]
    bxs, bys = bx / sb[:, None], by / sb[:, None]
    m00 = w2.sum(1) + tikhonov
    m11 = m00
    m02 = -(w2 * xs).sum(1)
    m12 = -(w2 * ys).sum(1)
    m22 = (w2 * (xs ** 2 + ys ** 2)).sum(1) + tikhonov
    r0 = (w2 * bxs).sum(1)
    r1 = (w2 * bys).sum(1)
    r2 = -(w2 * (xs * bxs + ys * bys)).sum(1)
    c00 = m11 * m22 - m12 * m12
    c01 = m02 * m12
    c02 = -m11 * m02
    c11 = m00 * m22 - m02 * m02
    c12 = -m00 * m12
    c22 = m00 * m11
    det = m00 * c00 + m02 * c02
    t0 = (c00 * r0 + c01 * r1 + c02 * r2) / det
    t1 = (c01 * r0 + c11 * r1 + c12 * r2) / det
    t2 = (c02 * r0 + c12 * r1 + c22 * r2) / det
    return torch.stack([t0 * sb, t1 * sb, t2 * sb / s2], dim=-1)


def reconstruct_absolute(
        coords2d: torch.Tensor, coords3d: torch.Tensor, intrinsics: torch.Tensor, *,
        side: int = 256, stride_train: int = 32, centered: bool = True,
        mix_3d_inside_fov: float | torch.Tensor | None = 0.5, weak_perspective: bool = False,
        tikhonov: float = 1e-2) -> torch.Tensor:
    """Absolute camera-frame poses [B, J, 3] from crop 2D (px) and relative 3D (mm)."""
    normalized = to_normalized(coords2d, intrinsics)
    in_fov = is_within_fov(coords2d, side, stride_train, centered)
    if weak_perspective:
        ref = reference_weak_perspective(normalized, coords3d, in_fov)
    else:
        ref = reference_full_perspective(normalized, coords3d, in_fov, tikhonov)
    abs3d = coords3d + ref[:, None]
    back = torch.cat([normalized, torch.ones_like(normalized[..., :1])], -1) * abs3d[..., 2:]
    if mix_3d_inside_fov is not None:
        back = mix_3d_inside_fov * abs3d + (1 - mix_3d_inside_fov) * back
    return torch.where(in_fov[..., None], back, abs3d)


def project_pose(coords3d: torch.Tensor, intrinsics: torch.Tensor) -> torch.Tensor:
    """Pinhole projection to pixels, with depth clamped to ≥ 1 mm (as the reference's loss)."""
    projected = coords3d / torch.clamp(coords3d[..., 2:], min=1.0)
    return torch.einsum('bjk,bnk->bjn', projected, intrinsics[:, :2, :])


def center_relative(coords3d: torch.Tensor, valid: torch.Tensor | None) -> torch.Tensor:
    """Subtracts the mean of the valid joints (the reference's `mean_relative`)."""
    if valid is None:
        return coords3d - coords3d.mean(1, keepdim=True)
    w = valid.to(coords3d.dtype)
    denom = w.sum(1, keepdim=True).clamp(min=1)[..., None]
    return coords3d - (coords3d * w[..., None]).sum(1, keepdim=True) / denom
