"""MeTRAbs training losses (L1, in metres: mm / 1000), as in the reference trainer.

For examples with 3D labels:
  * root-relative loss: both poses centred on the mean of their valid joints;
  * absolute loss (after `absloss_start_step`, factor `absloss_factor`): x, y weighted 2:1
    over z, z errors of points beyond 10 m scaled down by 10 m / z, only joints > 300 mm
    in front of the camera;
  * projection loss: pixel error of the projected poses × box_size / S / 1000, for joints the
    prediction puts inside the field of view and the truth puts near it.
For 2D-only examples: the projected prediction is aligned to the 2D label by mean and spread
(scale- and translation-agnostic), then L1 in the same pixel units, weighted by
`loss2d_factor`.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from . import ptgeometry


@dataclass
class LossConfig:
    #: Weight of the absolute-position loss [absloss_factor].
    absloss_factor: float = 0.1
    #: Step after which the absolute loss is switched on [absloss_start_step].
    absloss_start_step: int = 5000
    #: Weight of the 2D-only examples' loss [loss2d_factor].
    loss2d_factor: float = 0.2
    #: Steps of weak-perspective reconstruction at the start (stabilises the first steps).
    weak_perspective_steps: int = 500
    #: Tikhonov weight of the reconstruction (the reference's 1e-2).
    tikhonov: float = 1e-2


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of x over the entries where mask (broadcast over trailing dims) is true; 0 if none."""
    m = mask.to(x.dtype)
    while m.dim() < x.dim():
        m = m[..., None]
    m = m.expand_as(x)
    return (x * m).sum() / m.sum().clamp(min=1)


def loss_3d(pred_abs: torch.Tensor, true3d: torch.Tensor, intrinsics: torch.Tensor,
            valid: torch.Tensor, *, side: int, stride_train: int, centered: bool,
            box_size_mm: float, absloss_factor: float) -> dict[str, torch.Tensor]:
    rel = torch.abs(ptgeometry.center_relative(true3d, valid)
                    - ptgeometry.center_relative(pred_abs, valid)) / 1000
    loss_rel = masked_mean(rel, valid)

    z_true = true3d[..., 2]
    valid_far = valid & (z_true > 300)
    absdiff = torch.abs(true3d - pred_abs)
    far_scale = torch.clamp(10000 / torch.abs(z_true).clamp(min=1e-6), max=1.0)[..., None]
    absdiff = (absdiff[..., :2] * 2 + absdiff[..., 2:] * far_scale) / 3
    loss_abs = masked_mean(absdiff, valid_far) / 1000

    pred2d = ptgeometry.project_pose(pred_abs, intrinsics)
    true2d = ptgeometry.project_pose(true3d, intrinsics)
    scale_2d = box_size_mm / side / 1000
    in_fov_pred = ptgeometry.is_within_fov(pred2d, side, stride_train, centered) & (pred_abs[..., 2] > 1)
    near_fov_true = ptgeometry.is_within_fov(
        true2d, side, stride_train, centered, border_factor=-20) & (z_true > 1)
    loss_proj = masked_mean(torch.abs(true2d - pred2d) * scale_2d, valid_far & in_fov_pred & near_fov_true)
    total = loss_rel + loss_proj + absloss_factor * loss_abs
    return dict(loss3d=total, loss3d_rel=loss_rel, loss3d_abs=loss_abs, loss3d_proj=loss_proj)


def align_2d(pred: torch.Tensor, true: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Moves and scales `pred` [B, J, 2] so its valid joints' mean and spread match `true`'s."""
    w = valid.to(pred.dtype)[..., None]
    count = w.sum(1, keepdim=True).clamp(min=1)
    mean_p = (pred * w).sum(1, keepdim=True) / count
    mean_t = (true * w).sum(1, keepdim=True) / count
    sd_p = torch.sqrt((((pred - mean_p) ** 2) * w).sum((1, 2), keepdim=True) / count + 1e-10)
    sd_t = torch.sqrt((((true - mean_t) ** 2) * w).sum((1, 2), keepdim=True) / count + 1e-10)
    return (pred - mean_p) / sd_p * sd_t + mean_t


def loss_2d(pred_abs: torch.Tensor, true2d: torch.Tensor, intrinsics: torch.Tensor,
            valid: torch.Tensor, *, side: int, stride_train: int, centered: bool,
            box_size_mm: float) -> torch.Tensor:
    pred2d = align_2d(ptgeometry.project_pose(pred_abs, intrinsics), true2d, valid)
    scale_2d = box_size_mm / side / 1000
    in_fov_pred = ptgeometry.is_within_fov(pred2d, side, stride_train, centered)
    near_fov_true = ptgeometry.is_within_fov(true2d, side, stride_train, centered, border_factor=-20)
    return masked_mean(torch.abs(true2d - pred2d) * scale_2d, valid & in_fov_pred & near_fov_true)


def training_losses(coords2d: torch.Tensor, coords3d: torch.Tensor, batch: dict[str, torch.Tensor],
                    *, model_cfg, loss_cfg: LossConfig, step: int, training: bool = True
                    ) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """All losses of one batch (3D and 2D-only examples mixed, told apart by `has_3d`).
    Returns (named losses, absolute predictions)."""
    geometry = dict(side=model_cfg.proc_side, stride_train=model_cfg.stride_train,
                    centered=model_cfg.centered_stride)
    b = coords2d.shape[0]
    mix = (torch.rand(b, 1, 1, device=coords2d.device) if training else 0.5)
    pred_abs = ptgeometry.reconstruct_absolute(
        coords2d, coords3d, batch['intrinsics'], mix_3d_inside_fov=mix,
        weak_perspective=step < loss_cfg.weak_perspective_steps, tikhonov=loss_cfg.tikhonov,
        **geometry)
    has3d = batch['has_3d']
    valid = batch['joint_valid']
    absloss_factor = loss_cfg.absloss_factor if step > loss_cfg.absloss_start_step else 0.0
    losses: dict[str, torch.Tensor] = {}
    zero = pred_abs.sum() * 0
    if has3d.any():
        losses.update(loss_3d(
            pred_abs[has3d], batch['coords3d'][has3d], batch['intrinsics'][has3d], valid[has3d],
            box_size_mm=model_cfg.box_size_mm, absloss_factor=absloss_factor, **geometry))
    else:
        losses.update(loss3d=zero, loss3d_rel=zero, loss3d_abs=zero, loss3d_proj=zero)
    if (~has3d).any():
        only2d = ~has3d
        losses['loss2d'] = loss_2d(
            pred_abs[only2d], batch['coords2d'][only2d], batch['intrinsics'][only2d],
            valid[only2d], box_size_mm=model_cfg.box_size_mm, **geometry)
    else:
        losses['loss2d'] = zero
    losses['loss'] = losses['loss3d'] + loss_cfg.loss2d_factor * losses['loss2d']
    return losses, pred_abs
