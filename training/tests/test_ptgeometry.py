"""The PyTorch geometry against the golden vectors shared with @metrabs/core, and against an
independent least-squares solution."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from metrabs_train import ptgeometry


def test_heatmap_decoding_matches_golden(golden):
    for case in golden['heatmap']:
        s, m = case['shape'], case['mapping']
        n, h, w, d, j = s['n'], s['h'], s['w'], s['depth'], s['joints']
        logits2d = torch.tensor(case['logits2d'], dtype=torch.float64).reshape(n, h, w, j).permute(0, 3, 1, 2)
        logits3d = torch.tensor(case['logits3d'], dtype=torch.float64).reshape(n, h, w, d, j).permute(0, 3, 4, 1, 2)
        geometry = dict(side=m['cropSide'], stride=m['stride'], centered=m['centeredStride'],
                        legacy_bug=m['legacyCenteredStrideBug'])
        c2 = ptgeometry.heatmap_to_pixels(ptgeometry.soft_argmax_2d(logits2d), **geometry)
        c3 = ptgeometry.heatmap_to_metric(ptgeometry.soft_argmax_3d(logits3d), box_size_mm=m['boxSizeMm'], **geometry)
        np.testing.assert_allclose(c2.numpy().reshape(-1), case['coords2d'], atol=1e-9)
        np.testing.assert_allclose(c3.numpy().reshape(-1), case['coords3d'], atol=1e-8)


def test_reconstruction_matches_golden(golden):
    for case in golden['reconstruction']:
        o = case['options']
        result = ptgeometry.reconstruct_absolute(
            torch.tensor([case['coords2d']], dtype=torch.float64),
            torch.tensor([case['coords3d']], dtype=torch.float64),
            torch.tensor([case['intrinsics']], dtype=torch.float64),
            side=o['cropSide'], stride_train=o['strideTrain'], centered=o['centeredStride'],
            mix_3d_inside_fov=o['mix3dInsideFov'], weak_perspective=o['weakPerspective'],
            tikhonov=o['tikhonov'])
        np.testing.assert_allclose(result[0].numpy(), case['expected'], atol=1e-6)


def _scene(rng, n=8, j=30):
    K = np.array([[400.0, 0, 128], [0, 400, 128], [0, 0, 1]])
    poses = rng.normal(0, 1, (n, j, 3)) * [250, 450, 150] + [[[0, 0, 5000]]] + rng.normal(0, 200, (n, 1, 3))
    proj = poses @ K.T
    coords2d = proj[..., :2] / proj[..., 2:]
    offset = poses.mean(1, keepdims=True) - 1100
    return (torch.tensor(coords2d), torch.tensor(poses - offset),
            torch.tensor(np.repeat(K[None], n, 0)), poses)


def test_exact_recovery_without_regulariser_and_batch_independence():
    coords2d, coords3d, K, truth = _scene(np.random.default_rng(0))
    result = ptgeometry.reconstruct_absolute(coords2d, coords3d, K, tikhonov=0.0)
    assert np.abs(result.numpy() - truth).max() < 1e-6
    # Per-pose normalisation: a pose's result does not depend on its batch mates.
    single = ptgeometry.reconstruct_absolute(coords2d[:1], coords3d[:1], K[:1])
    batched = ptgeometry.reconstruct_absolute(coords2d, coords3d, K)
    assert torch.allclose(single[0], batched[0], atol=1e-9)


def test_full_perspective_equals_independent_lstsq():
    rng = np.random.default_rng(1)
    coords2d, coords3d, K, _ = _scene(rng, n=3)
    coords2d = coords2d + torch.tensor(rng.normal(0, 3, coords2d.shape))
    normalized = ptgeometry.to_normalized(coords2d, K)
    valid = ptgeometry.is_within_fov(coords2d, 256, 32, True)
    ref = ptgeometry.reference_full_perspective(normalized, coords3d, valid, tikhonov=0.0)
    for i in range(3):
        x = normalized[i].numpy()
        p = coords3d[i].numpy()
        w = np.repeat(valid[i].numpy() + 1e-4, 2)
        A = np.zeros((2 * len(x), 3))
        A[0::2, 0] = 1
        A[1::2, 1] = 1
        A[:, 2] = -x.reshape(-1)
        b = (x * p[:, 2:] - p[:, :2]).reshape(-1)
        solution = np.linalg.lstsq(A * w[:, None], b * w, rcond=None)[0]
        np.testing.assert_allclose(ref[i].numpy(), solution, rtol=1e-9)


def test_reconstruction_is_differentiable_and_finite_when_nothing_is_in_view():
    coords2d, coords3d, K, _ = _scene(np.random.default_rng(2), n=2)
    coords2d = (coords2d * 0 - 50).requires_grad_()
    coords3d = coords3d.clone().requires_grad_()
    for weak in (False, True):
        out = ptgeometry.reconstruct_absolute(coords2d, coords3d, K, weak_perspective=weak)
        assert torch.isfinite(out).all()
        out.sum().backward()
        assert torch.isfinite(coords2d.grad).all() and torch.isfinite(coords3d.grad).all()


@pytest.mark.parametrize('centered,expected', [(True, (24, 232)), (False, (8, 216))])
def test_field_of_view_bounds(centered, expected):
    lo, hi = expected
    pts = torch.tensor([[[lo, lo], [hi, hi], [lo - 0.01, 100], [100, hi + 0.01]]], dtype=torch.float64)
    assert ptgeometry.is_within_fov(pts, 256, 32, centered).tolist() == [[True, True, False, False]]
