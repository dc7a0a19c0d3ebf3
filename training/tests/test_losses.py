"""Losses: zero for perfect predictions, each term reacting to its own kind of error."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from metrabs_train import losses as L
from metrabs_train.model import ModelConfig
from metrabs_train.schedule import lr_factor

CFG = ModelConfig(proc_side=256)
GEOM = dict(side=256, stride_train=32, centered=True, box_size_mm=2200.0)


def _batch(n=4, j=30, seed=0, z=5000.0):
    rng = np.random.default_rng(seed)
    K = np.array([[500.0, 0, 128], [0, 500, 128], [0, 0, 1]])
    true = rng.normal(0, 1, (n, j, 3)) * [150, 300, 100] + [0, 0, z]
    return torch.tensor(true, dtype=torch.float64), torch.tensor(np.repeat(K[None], n, 0)), torch.ones(n, j, dtype=torch.bool)


def test_perfect_prediction_has_zero_loss():
    true, K, valid = _batch()
    out = L.loss_3d(true.clone(), true, K, valid, absloss_factor=0.1, **GEOM)
    for key, value in out.items():
        assert float(value) == pytest.approx(0.0, abs=1e-12), key


def test_root_relative_loss_ignores_translation_but_absolute_loss_does_not():
    true, K, valid = _batch()
    shifted = true + torch.tensor([100.0, 0, 0], dtype=torch.float64)
    out = L.loss_3d(shifted, true, K, valid, absloss_factor=1.0, **GEOM)
    assert float(out['loss3d_rel']) == pytest.approx(0.0, abs=1e-12)
    # x error 100 mm weighted 2/3, and the y, z parts are 0: mean over the two xy channels.
    assert float(out['loss3d_abs']) == pytest.approx((100 * 2 / 3 + 0) / 2 / 1000, rel=1e-9)
    assert float(out['loss3d_proj']) > 0


def test_far_points_have_their_depth_error_scaled_down():
    true, K, valid = _batch(z=20000.0)
    deeper = true + torch.tensor([0, 0, 300.0], dtype=torch.float64)
    out = L.loss_3d(deeper, true, K, valid, absloss_factor=1.0, **GEOM)
    # z error 300 mm × (10 m / ~20 m) / 3, spread over the two broadcast channels
    expected = (300 * 10000 / true[..., 2]).mean() / 3 / 1000
    assert float(out['loss3d_abs']) == pytest.approx(float(expected), rel=1e-6)


def test_2d_loss_is_the_reference_pixel_l1_and_not_scale_agnostic():
    true, K, valid = _batch()
    true2d = L.ptgeometry.project_pose(true, K)
    assert float(L.loss_2d(true, true2d, K, valid, **GEOM)) == pytest.approx(0.0, abs=1e-12)
    # One joint of every person 10 px off in x: mean over 4·30 joints × 2 channels, in
    # pixels × box_size / S / 1000 (the reference's scale_2d).
    off = true2d.clone()
    off[:, 0, 0] += 10
    expected = 10 * 2200 / 256 / 1000 / (30 * 2)
    assert float(L.loss_2d(true, off, K, valid, **GEOM)) == pytest.approx(expected, rel=1e-9)
    # A bigger person is wrong (the scale-agnostic variant called it perfect).
    bigger = true2d.clone()
    bigger = (bigger - 128) * 1.3 + 128
    assert float(L.loss_2d(true, bigger, K, valid, **GEOM)) > 1e-3


def test_2d_loss_through_a_joint_map_compares_combinations_of_joints():
    true, K, valid = _batch(j=3)
    pred2d = L.ptgeometry.project_pose(true, K)
    # Label skeleton: joint 0 = network joint 2, joint 1 = midpoint of network joints 0 and 1.
    joint_map = torch.tensor([[0, 0, 1.0], [0.5, 0.5, 0]], dtype=torch.float64)
    labels = torch.stack([pred2d[:, 2], (pred2d[:, 0] + pred2d[:, 1]) / 2], dim=1)
    valid2 = torch.ones(4, 2, dtype=torch.bool)
    assert float(L.loss_2d(true, labels, K, valid2, joint_map=joint_map, **GEOM)) == pytest.approx(0, abs=1e-9)
    labels[:, 1, 1] += 20  # only the combined joint is wrong: 20 px on 1 of 2 joints × 2 channels
    expected = 20 * 2200 / 256 / 1000 / 4
    assert float(L.loss_2d(true, labels, K, valid2, joint_map=joint_map, **GEOM)) == pytest.approx(expected, rel=1e-9)
    # An unsupervised (invalid) joint does not count.
    valid2[:, 1] = False
    assert float(L.loss_2d(true, labels, K, valid2, joint_map=joint_map, **GEOM)) == pytest.approx(0, abs=1e-9)


def test_training_losses_with_a_2d_batch_in_another_skeleton():
    true, K, valid = _batch(n=2, j=3)
    batch = dict(intrinsics=K, coords3d=true, coords2d=L.ptgeometry.project_pose(true, K),
                 joint_valid=valid, has_3d=torch.tensor([True, True]))
    true_b, K_b, _ = _batch(n=3, j=3, seed=1)
    proj_b = L.ptgeometry.project_pose(true_b, K_b)
    joint_map = torch.tensor([[0, 0, 1.0], [0.5, 0.5, 0]], dtype=torch.float64)
    labels = torch.einsum('kj,bjc->bkc', joint_map, proj_b)
    labels[:, 0, 0] += 8  # 8 px on one of the 2 labelled joints of each 2D example
    batch2d = dict(intrinsics=K_b, coords2d=labels, joint_valid=torch.ones(3, 2, dtype=torch.bool))
    coords2d = torch.cat([batch['coords2d'], proj_b])
    coords3d = torch.cat([true, true_b]) - 3000  # relative predictions: the offset is free
    cfg = L.LossConfig(weak_perspective_steps=0, tikhonov=0)  # exact reconstruction
    out, pred = L.training_losses(coords2d, coords3d, batch, model_cfg=CFG, loss_cfg=cfg, step=10,
                                  training=False, batch2d=batch2d, joint_map_2d=joint_map)
    assert pred.shape == (5, 3, 3)
    assert float(out['loss2d']) == pytest.approx(8 * 2200 / 256 / 1000 / 4, rel=1e-4)
    assert float(out['loss3d_rel']) == pytest.approx(0.0, abs=1e-6)


def test_masked_mean_ignores_invalid_entries_and_survives_empty_masks():
    x = torch.tensor([[1.0, 100.0], [3.0, 100.0]])
    mask = torch.tensor([[True, False], [True, False]])
    assert float(L.masked_mean(x, mask)) == 2.0
    assert float(L.masked_mean(x, torch.zeros_like(mask))) == 0.0


def test_training_losses_switch_absolute_loss_and_perspective_by_step():
    true, K, valid = _batch(n=2)
    batch = dict(intrinsics=K, coords3d=true, coords2d=L.ptgeometry.project_pose(true, K),
                 joint_valid=valid, has_3d=torch.tensor([True, False]))
    coords2d = batch['coords2d']
    coords3d = true - 3000
    cfg = L.LossConfig(absloss_start_step=100, weak_perspective_steps=10)
    early, _ = L.training_losses(coords2d, coords3d, batch, model_cfg=CFG, loss_cfg=cfg, step=50, training=False)
    late, _ = L.training_losses(coords2d, coords3d, batch, model_cfg=CFG, loss_cfg=cfg, step=150, training=False)
    assert float(early['loss']) == pytest.approx(
        float(early['loss3d_rel'] + early['loss3d_proj'] + cfg.loss2d_factor * early['loss2d']), rel=1e-9)
    assert float(late['loss']) == pytest.approx(
        float(late['loss3d_rel'] + late['loss3d_proj'] + cfg.absloss_factor * late['loss3d_abs']
              + cfg.loss2d_factor * late['loss2d']), rel=1e-9)


def test_learning_rate_schedule():
    assert lr_factor(0, 1000, 100) == pytest.approx(0.01)
    assert lr_factor(99, 1000, 100) == pytest.approx((1 / 3) ** (99 / 920))
    assert lr_factor(460, 1000, 0) == pytest.approx(math.sqrt(1 / 3))
    assert lr_factor(920, 1000, 0) == pytest.approx(1 / 30)
    assert lr_factor(1000, 1000, 0) == pytest.approx(0.3 / 30)
