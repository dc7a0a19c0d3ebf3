"""MeTRAbs training losses (L1, in metres: mm / 1000), as in the reference trainer.

For examples with 3D labels:
  * root-relative loss: both poses centred on the mean of their valid joints;
  * absolute loss (after `absloss_start_step`, factor `absloss_factor`): x, y weighted 2:1
    over z, z errors of points beyond 10 m scaled down by 10 m / z, only joints > 300 mm
    in front of the camera;
  * projection loss: pixel error of the projected poses × box_size / S / 1000, for joints the
    prediction puts inside the field of view and the truth puts near it.
For 2D-only examples (as the reference, metrabs_tf `compte_loss_with_2d_gt`): the absolute
prediction is projected, mapped to the label's skeleton, and compared in the same pixel units
(no alignment: the 2D labels fix position and scale in the crop), weighted by `loss2d_factor`.
Both heads learn from it: the reconstruction that produces the absolute pose depends on both.
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


def loss_2d_terms(pred_abs: torch.Tensor, true2d: torch.Tensor, intrinsics: torch.Tensor,
                  valid: torch.Tensor, *, joint_map: torch.Tensor | None, side: int, stride_train: int,
                  centered: bool, box_size_mm: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(sum of L1 errors, number of terms) of 2D-only labels against the projected absolute
    prediction, as the reference: L1 in crop pixels × box_size / S / 1000, for labelled joints the
    prediction puts inside the field of view and the label puts near it. `joint_map` [J_data,
    J_net] turns the network's joints into the label's skeleton (jointmap.py); None = same."""
    pred2d = ptgeometry.project_pose(pred_abs, intrinsics)
    if joint_map is not None:
        pred2d = torch.einsum('kj,bjc->bkc', joint_map.to(pred2d.dtype), pred2d)
    scale_2d = box_size_mm / side / 1000
    in_fov_pred = ptgeometry.is_within_fov(pred2d, side, stride_train, centered)
    near_fov_true = ptgeometry.is_within_fov(true2d, side, stride_train, centered, border_factor=-20)
    mask = (valid & in_fov_pred & near_fov_true).to(pred2d.dtype)[..., None].expand_as(pred2d)
    return (torch.abs(true2d - pred2d) * scale_2d * mask).sum(), mask.sum()


def loss_2d(pred_abs: torch.Tensor, true2d: torch.Tensor, intrinsics: torch.Tensor,
            valid: torch.Tensor, *, joint_map: torch.Tensor | None = None, side: int,
            stride_train: int, centered: bool, box_size_mm: float) -> torch.Tensor:
    """The mean of `loss_2d_terms` (0 when no joint counts)."""
    total, count = loss_2d_terms(pred_abs, true2d, intrinsics, valid, joint_map=joint_map, side=side,
                                 stride_train=stride_train, centered=centered, box_size_mm=box_size_mm)
    return total / count.clamp(min=1)


def reconstruct(coords2d: torch.Tensor, coords3d: torch.Tensor, intrinsics: torch.Tensor, *,
                model_cfg, loss_cfg: LossConfig, step: int | None = None,
                training: bool = False) -> torch.Tensor:
    """Absolute poses from the network's outputs as training and evaluation see them: in
    training a random 3D/2D mix per example, else the reference's 0.5; weak perspective for
    the first `weak_perspective_steps` steps (`step` None: full perspective, as in evaluation)."""
    mix = (torch.rand(coords2d.shape[0], 1, 1, device=coords2d.device) if training else 0.5)
    return ptgeometry.reconstruct_absolute(
        coords2d, coords3d, intrinsics, side=model_cfg.proc_side,
        stride_train=model_cfg.stride_train, centered=model_cfg.centered_stride,
        mix_3d_inside_fov=mix, tikhonov=loss_cfg.tikhonov,
        weak_perspective=step is not None and step < loss_cfg.weak_perspective_steps)


def training_losses(coords2d: torch.Tensor, coords3d: torch.Tensor, batch: dict[str, torch.Tensor],
                    *, model_cfg, loss_cfg: LossConfig, step: int, training: bool = True,
                    batch2d: dict[str, torch.Tensor] | None = None,
                    joint_map_2d: torch.Tensor | None = None
                    ) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """All losses of one step. `coords2d`/`coords3d` are the network's outputs for `batch`
    (3D and same-skeleton 2D-only examples mixed, told apart by `has_3d`) followed by those for
    `batch2d`, an optional batch of a 2D dataset in another skeleton (`joint_map_2d` [J_data,
    J_net] maps to it; its `joint_valid` already excludes unsupervised joints). The 2D loss is
    one mean over every counted 2D-only joint of both. Returns (named losses, absolute
    predictions of all examples in input order)."""
    geometry = dict(side=model_cfg.proc_side, stride_train=model_cfg.stride_train,
                    centered=model_cfg.centered_stride)
    intrinsics = batch['intrinsics']
    if batch2d is not None:
        intrinsics = torch.cat([intrinsics, batch2d['intrinsics']])
    pred_all = reconstruct(coords2d, coords3d, intrinsics, model_cfg=model_cfg, loss_cfg=loss_cfg,
                           step=step, training=training)
    pred_abs = pred_all[:batch['intrinsics'].shape[0]]
    has3d = batch['has_3d']
    valid = batch['joint_valid']
    absloss_factor = loss_cfg.absloss_factor if step > loss_cfg.absloss_start_step else 0.0
    losses: dict[str, torch.Tensor] = {}
    zero = pred_all.sum() * 0
    if has3d.any():
        losses.update(loss_3d(
            pred_abs[has3d], batch['coords3d'][has3d], batch['intrinsics'][has3d], valid[has3d],
            box_size_mm=model_cfg.box_size_mm, absloss_factor=absloss_factor, **geometry))
    else:
        losses.update(loss3d=zero, loss3d_rel=zero, loss3d_abs=zero, loss3d_proj=zero)
    terms = []
    if (~has3d).any():
        only2d = ~has3d
        terms.append(loss_2d_terms(
            pred_abs[only2d], batch['coords2d'][only2d], batch['intrinsics'][only2d], valid[only2d],
            joint_map=None, box_size_mm=model_cfg.box_size_mm, **geometry))
    if batch2d is not None:
        terms.append(loss_2d_terms(
            pred_all[pred_abs.shape[0]:], batch2d['coords2d'], batch2d['intrinsics'],
            batch2d['joint_valid'], joint_map=joint_map_2d, box_size_mm=model_cfg.box_size_mm,
            **geometry))
    losses['loss2d'] = (sum(t[0] for t in terms) / sum(t[1] for t in terms).clamp(min=1)
                        if terms else zero)
    losses['loss'] = losses['loss3d'] + loss_cfg.loss2d_factor * losses['loss2d']
    return losses, pred_all
