"""Lifting 2D poses to the synth rig: kinematics, inverse kinematics, the fit, BVH galleries.

`python tests/test_poselift.py` rewrites the gallery fixture that the synth package's tests
parse (packages/synth/test/fixtures/lifted-gallery.*); `test_gallery_fixture_is_current`
fails when the committed fixture no longer matches what the code writes.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from metrabs_train import lift_lspet as ll
from metrabs_train import poselift as pl

FIXTURE = Path(__file__).resolve().parents[2] / 'packages/synth/test/fixtures/lifted-gallery'
LSP = ll.LSP_TO_MODEL


def random_poses(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Poses inside the limits: hinges 10–125°, balls within 80 % of their limit (shoulders
    and hips up to 90°), random root orientation."""
    rng = np.random.default_rng(seed)
    local = torch.eye(3, dtype=torch.float64).repeat(n, len(pl.JOINTS), 1, 1)
    for j, name in enumerate(pl.JOINTS[1:], 1):
        if name in pl.HINGES:
            a = torch.tensor(rng.uniform(math.radians(10), math.radians(125), n))
            local[:, j] = pl.axis_angle_to_matrix(a[:, None] * torch.tensor(pl.HINGES[name], dtype=torch.float64))
        else:
            lim = math.radians(pl.BALL_LIMIT_DEG.get(name, 90.0)) * 0.8
            w = torch.tensor(rng.normal(size=(n, 3)))
            w = w / w.norm(dim=-1, keepdim=True) * torch.tensor(rng.uniform(0, lim, (n, 1)))
            local[:, j] = pl.axis_angle_to_matrix(w)
    root = pl.axis_angle_to_matrix(torch.tensor(rng.normal(size=(n, 3))))
    return root, local


def test_rodrigues_round_trip_and_euler_order():
    w = torch.tensor(np.random.default_rng(1).normal(size=(200, 3))).clamp(-1.7, 1.7)
    r = pl.axis_angle_to_matrix(w)
    assert torch.allclose(r @ r.transpose(-1, -2), torch.eye(3, dtype=r.dtype).expand_as(r), atol=1e-12)
    assert torch.allclose(pl.axis_angle_to_matrix(pl.matrix_to_axis_angle(r)), r, atol=1e-9)
    e = np.radians(pl.euler_xyz_degrees(r.numpy()))
    one = lambda axis, a: pl.axis_angle_to_matrix(torch.tensor(a)[:, None] * torch.tensor(axis, dtype=torch.float64))  # noqa: E731
    rebuilt = one((1, 0, 0), e[:, 0]) @ one((0, 1, 0), e[:, 1]) @ one((0, 0, 1), e[:, 2])
    assert torch.allclose(rebuilt, r, atol=1e-9)


def test_rest_pose_is_a_t_pose_of_a_169_cm_adult():
    root = torch.eye(3, dtype=torch.float64)[None]
    local = torch.eye(3, dtype=torch.float64).repeat(1, len(pl.JOINTS), 1, 1)
    _, pts = pl.forward_kinematics(root, local)
    p = pts[0].numpy() + pl.OFFSETS[0]
    assert p[pl.P['head_end'], 1] == pytest.approx(1.69)
    assert p[pl.P['l_toe'], 1] == pytest.approx(0.0)
    assert p[pl.P['l_wrist'], 0] > 0.5 and p[pl.P['r_wrist'], 0] < -0.5  # arms out, left at +X
    assert p[pl.P['l_toe_end'], 2] > 0.1  # facing +Z


def test_hinges_bend_forearms_forward_and_shins_backward():
    root = torch.eye(3, dtype=torch.float64)[None]
    local = torch.eye(3, dtype=torch.float64).repeat(1, len(pl.JOINTS), 1, 1)
    for name, axis in pl.HINGES.items():
        local[0, pl.JOINTS.index(name)] = pl.axis_angle_to_matrix(torch.tensor(axis, dtype=torch.float64) * math.pi / 2)
    _, pts = pl.forward_kinematics(root, local)
    p = pts[0]
    for s in 'lr':
        assert float((p[pl.P[f'{s}_wrist']] - p[pl.P[f'{s}_elbow']])[2]) == pytest.approx(0.25)
        assert float((p[pl.P[f'{s}_ankle']] - p[pl.P[f'{s}_knee']])[2]) == pytest.approx(-0.43)


def test_inverse_kinematics_and_fit_recover_poses_from_2d_and_directions():
    root, local = random_poses(48)
    glob, pts = pl.forward_kinematics(root, local)
    dirs = pl.bone_directions(glob, pts)
    inits = [pl.init_from_directions(d.numpy(), np.ones(len(pl.BONES), bool)) for d in dirs]
    r0 = torch.tensor(np.stack([r for r, _ in inits]))
    l0 = torch.tensor(np.stack([l for _, l in inits]))
    _, p0 = pl.forward_kinematics(r0, l0)
    # The directions fix limbs and trunk; spine, neck and clavicle bends are not among them.
    assert float((p0 - pts).norm(dim=-1).mean()) < 0.03
    lab = pts[:, [pl.P[n] for n in LSP], :2] * 400 + 300
    out = pl.fit(r0, l0, lab, torch.ones(48, 14), LSP, dirs, torch.ones(48, len(pl.BONES)), steps=150)
    err = (out['points'] - pts).norm(dim=-1)
    assert float(err.mean()) < 0.02
    assert float(torch.nanmedian(out['reprojection_torso'])) < 0.01
    assert float(out['limit_excess_deg'].max()) < 1.0
    scale_error = (out['scale'] / 400 - 1).abs()
    assert float(scale_error.median()) < 0.01 and float(scale_error.max()) < 0.06


def test_depth_comes_from_the_teacher_and_2d_labels_override_its_image_plane_errors():
    root, local = random_poses(16, seed=3)
    glob, pts = pl.forward_kinematics(root, local)
    lab = pts[:, [pl.P[n] for n in LSP], :2] * 400
    true_dirs = pl.bone_directions(glob, pts)
    # A teacher whose directions are off by a 15° turn about the viewing axis (image plane).
    turn = pl.axis_angle_to_matrix(torch.tensor([0.0, 0.0, math.radians(15)], dtype=torch.float64))
    teacher = true_dirs @ turn.T
    inits = [pl.init_from_directions(d.numpy(), np.ones(len(pl.BONES), bool)) for d in teacher]
    r0 = torch.tensor(np.stack([r for r, _ in inits]))
    l0 = torch.tensor(np.stack([l for _, l in inits]))
    out = pl.fit(r0, l0, lab, torch.ones(16, 14), LSP, teacher, torch.ones(16, len(pl.BONES)), steps=300)
    assert float(torch.nanmedian(out['reprojection_torso'])) < 0.03
    limbs = [pl.BONE_NAMES.index(n) for n in ('l_forearm', 'r_forearm', 'l_shin', 'r_shin')]
    got = pl.bone_directions(*pl.forward_kinematics(out['root'], out['local']))[:, limbs]
    # Depth sign of each limb as the truth has it (where the limb is not nearly parallel).
    clear = true_dirs[:, limbs, 2].abs() > 0.3
    agree = (torch.sign(got[..., 2]) == torch.sign(true_dirs[:, limbs, 2]))[clear]
    assert agree.float().mean() > 0.9


def test_teacher_crop_turns_hips_to_neck_upright():
    j = np.zeros((14, 2))
    j[2], j[3], j[12] = [100, 200], [120, 200], [210, 190]  # lying: neck to the right of the hips
    j[13] = [250, 188]
    valid = np.zeros(14, bool)
    valid[[2, 3, 12, 13]] = True
    m, theta, scale = ll.teacher_crop(j, valid)
    hips = m[:, :2] @ np.array([110, 200]) + m[:, 2]
    neck = m[:, :2] @ j[12] + m[:, 2]
    assert hips == pytest.approx([128, 128])
    v = neck - hips
    assert v[0] == pytest.approx(0, abs=1e-9) and v[1] < 0
    assert scale == pytest.approx(256 / (2.5 * np.linalg.norm(j[13] - [110, 200])))


def test_teacher_is_trusted_only_where_it_agrees_with_the_labels():
    j = np.random.default_rng(0).uniform(0, 200, (1, 14, 2))
    t2d = np.zeros((1, 33, 2))
    for k, name in ll.LSP_TO_BP.items():
        t2d[0, ll.BP[name]] = j[0, k]
    t2d[0, ll.BP['l_wrist']] += 80  # wrong left wrist
    trust = ll.teacher_trust(t2d, j, np.ones((1, 14), bool), np.array([100.0]))[0]
    by = dict(zip(pl.BONE_NAMES, trust))
    assert not by['l_forearm'] and not by['l_hand']
    assert by['r_forearm'] and by['l_upperarm'] and by['trunk']


def fixture_gallery() -> tuple[str, dict]:
    """Three poses — standing, sitting on the floor, a handstand — as the gallery BVH and the
    points (metres, synth world: Y up) that the BVH must reproduce."""
    n = 3
    local = torch.eye(3, dtype=torch.float64).repeat(n, len(pl.JOINTS), 1, 1)
    aa = lambda v: pl.axis_angle_to_matrix(torch.tensor(v, dtype=torch.float64))  # noqa: E731
    for s, sign in (('l', 1), ('r', -1)):
        local[:, pl.JOINTS.index(f'{s}_shoulder')] = aa([0, 0, -sign * 1.3])  # arms down
        local[1, pl.JOINTS.index(f'{s}_hip')] = aa([-1.45, 0, 0])  # thighs forward (sitting)
        local[1, pl.JOINTS.index(f'{s}_knee')] = aa([0.3, 0, 0])
        local[2, pl.JOINTS.index(f'{s}_shoulder')] = aa([0, 0, sign * 1.45])  # arms up
    local[0, pl.JOINTS.index('l_elbow')] = aa([0, -0.8, 0])
    facing = torch.tensor(np.diag([1.0, -1.0, -1.0]))  # the camera's view of a person facing it
    upside_down = aa([0, 0, math.pi]) @ facing
    root_cam = torch.stack([facing, facing, upside_down])
    text = pl.write_bvh(root_cam.numpy(), local.numpy())
    world = torch.tensor(pl.CAMERA_TO_WORLD) @ root_cam
    _, pts = pl.forward_kinematics(world, local)
    pts = pts.numpy() + pl.OFFSETS[0]
    pts[..., 1] -= pts[..., 1].min(-1, keepdims=True)
    return text, {'points': pl.POINTS, 'frames': np.round(pts, 6).tolist()}


def test_gallery_fixture_is_current():
    text, points = fixture_gallery()
    assert (FIXTURE.with_suffix('.bvh')).read_text() == text, 'run python tests/test_poselift.py'
    assert json.loads(FIXTURE.with_suffix('.json').read_text()) == points


def test_gallery_poses_stand_on_the_floor():
    _, points = fixture_gallery()
    p = np.array(points['frames'])
    assert p[..., 1].min(-1) == pytest.approx([0, 0, 0], abs=1e-6)
    head, pelvis = p[:, pl.P['head_end'], 1], p[:, pl.P['pelvis'], 1]
    assert head[0] == pytest.approx(1.69) and pelvis[0] == pytest.approx(0.97)  # standing
    assert pelvis[1] < 0.3 and head[1] < 1.05  # sitting on the floor
    assert head[2] < 0.35 and pelvis[2] > 1.0  # upside down
    hands = p[2, [pl.P['l_hand_end'], pl.P['r_hand_end']], 1]
    assert hands.min() == pytest.approx(0, abs=1e-6)  # the handstand rests on a hand


if __name__ == '__main__':
    t, pts = fixture_gallery()
    FIXTURE.with_suffix('.bvh').write_text(t)
    FIXTURE.with_suffix('.json').write_text(json.dumps(pts) + '\n')
    print('wrote', FIXTURE.with_suffix('.bvh'), FIXTURE.with_suffix('.json'))
