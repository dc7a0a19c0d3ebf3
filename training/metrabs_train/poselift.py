"""Lifting 2D poses to 3D poses of the synthetic-data rig: the kinematic model and the fit.

Pure math (torch, batched, no I/O). `lift_lspet.py` feeds it real photos' 2D labels and a 3D
teacher's bone directions and writes the result as BVH pose galleries for `metrabs synth`.

The model is the canonical motion skeleton of `packages/synth/src/motion/rigs.ts` (21 rotating
joints + 5 end points = its 26 joints) with fixed bone lengths of a 1.69 m adult (`TEMPLATE`),
in a T-pose at rest: metres, Y up, facing +Z, the person's left at +X — the convention of the
synth package. Each joint turns its subtree by a local rotation; elbows and knees are hinges
with one angle in [0°, `HINGE_MAX_DEG`], the other joints are balls whose rotation angle is
softly limited (`BALL_LIMIT_DEG`; shoulders and hips are free). The pose is seen by an
orthographic camera (x right, y down, z forward): image = s · (x, y) + t. Real photos of people
far from the lens are nearly orthographic, and LSPET's cameras are unknown anyway.

What decides depth: 2D labels fix every joint's image position but not whether a limb points
towards or away from the camera. That comes from a teacher's bone directions (BlazePose GHUM's
world landmarks), from the hinges (an elbow or knee never bends backwards) and from the ball
limits. The fit starts from an analytic inverse kinematics of the teacher's directions
(`init_from_directions`) and minimises (`fit`): robust 2D error in torso units + teacher
direction error + limit penalties.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

#: Joints with a rotation, parents first; each with its parent and rest offset (m, T-pose).
#: Lengths: a 1.69 m adult between the two mocap rigs' proportions (Bandai and CMU/CC rests).
_JOINTS: list[tuple[str, str | None, tuple[float, float, float]]] = [
    ('pelvis', None, (0.0, 0.97, 0.0)),
    ('spine', 'pelvis', (0.0, 0.10, 0.0)),
    ('chest', 'spine', (0.0, 0.15, 0.0)),
    ('neck', 'chest', (0.0, 0.22, 0.0)),
    ('head', 'neck', (0.0, 0.08, 0.0)),
    ('l_clavicle', 'chest', (0.03, 0.18, 0.0)),
    ('l_shoulder', 'l_clavicle', (0.15, 0.0, 0.0)),
    ('l_elbow', 'l_shoulder', (0.28, 0.0, 0.0)),
    ('l_wrist', 'l_elbow', (0.25, 0.0, 0.0)),
    ('r_clavicle', 'chest', (-0.03, 0.18, 0.0)),
    ('r_shoulder', 'r_clavicle', (-0.15, 0.0, 0.0)),
    ('r_elbow', 'r_shoulder', (-0.28, 0.0, 0.0)),
    ('r_wrist', 'r_elbow', (-0.25, 0.0, 0.0)),
    ('l_hip', 'pelvis', (0.09, -0.05, 0.0)),
    ('l_knee', 'l_hip', (0.0, -0.43, 0.0)),
    ('l_ankle', 'l_knee', (0.0, -0.43, 0.0)),
    ('l_toe', 'l_ankle', (0.0, -0.06, 0.12)),
    ('r_hip', 'pelvis', (-0.09, -0.05, 0.0)),
    ('r_knee', 'r_hip', (0.0, -0.43, 0.0)),
    ('r_ankle', 'r_knee', (0.0, -0.43, 0.0)),
    ('r_toe', 'r_ankle', (0.0, -0.06, 0.12)),
]
#: End points (no rotation of their own): name, the joint they hang on, offset in its frame.
ENDS: list[tuple[str, str, tuple[float, float, float]]] = [
    ('head_end', 'head', (0.0, 0.17, 0.0)),
    ('l_hand_end', 'l_wrist', (0.09, 0.0, 0.0)),
    ('r_hand_end', 'r_wrist', (-0.09, 0.0, 0.0)),
    ('l_toe_end', 'l_toe', (0.0, 0.0, 0.06)),
    ('r_toe_end', 'r_toe', (0.0, 0.0, 0.06)),
]
JOINTS = [j[0] for j in _JOINTS]
PARENTS = [JOINTS.index(p) if p else -1 for _, p, _ in _JOINTS]
OFFSETS = np.array([o for _, _, o in _JOINTS])
POINTS = JOINTS + [e[0] for e in ENDS]  # every point the model places (26)
P = {name: i for i, name in enumerate(POINTS)}

#: Hinge axes in the joint's rest frame: flexion brings the forearm forward (+Z) and the
#: shin backward (−Z) from the T-pose.
HINGES = {'l_elbow': (0.0, -1.0, 0.0), 'r_elbow': (0.0, 1.0, 0.0),
          'l_knee': (1.0, 0.0, 0.0), 'r_knee': (1.0, 0.0, 0.0)}
HINGE_MAX_DEG = 155.0
#: Soft limits of ball joints' rotation angles (degrees); shoulders and hips are unlimited.
BALL_LIMIT_DEG = {'spine': 35.0, 'chest': 35.0, 'neck': 40.0, 'head': 50.0,
                  'l_clavicle': 25.0, 'r_clavicle': 25.0, 'l_wrist': 70.0, 'r_wrist': 70.0,
                  'l_ankle': 45.0, 'r_ankle': 45.0, 'l_toe': 0.0, 'r_toe': 0.0}
#: Face points on the head (its frame): for the teacher's face direction.
NOSE_OFFSET = (0.0, 0.05, 0.10)
EARS_OFFSET = (0.0, 0.05, 0.0)

#: Directions compared with the teacher: (model point a, model point b) per name.
BONES = {
    'trunk': ('pelvis', 'neck'), 'shoulders': ('r_shoulder', 'l_shoulder'),
    'hips': ('r_hip', 'l_hip'),
    'l_upperarm': ('l_shoulder', 'l_elbow'), 'r_upperarm': ('r_shoulder', 'r_elbow'),
    'l_forearm': ('l_elbow', 'l_wrist'), 'r_forearm': ('r_elbow', 'r_wrist'),
    'l_hand': ('l_wrist', 'l_hand_end'), 'r_hand': ('r_wrist', 'r_hand_end'),
    'l_thigh': ('l_hip', 'l_knee'), 'r_thigh': ('r_hip', 'r_knee'),
    'l_shin': ('l_knee', 'l_ankle'), 'r_shin': ('r_knee', 'r_ankle'),
    'l_foot': ('l_ankle', 'l_toe_end'), 'r_foot': ('r_ankle', 'r_toe_end'),
    'face': ('ears', 'nose'),
}
BONE_NAMES = list(BONES)
#: Rest directions of hands and feet in the wrist's / ankle's frame (toes do not turn).
END_REST = {'l_hand': np.array(ENDS[1][2]), 'r_hand': np.array(ENDS[2][2]),
            'l_foot': OFFSETS[JOINTS.index('l_toe')] + np.array(ENDS[3][2]),
            'r_foot': OFFSETS[JOINTS.index('r_toe')] + np.array(ENDS[4][2])}


def _skew(v: torch.Tensor) -> torch.Tensor:
    z = torch.zeros_like(v[..., 0])
    return torch.stack([
        torch.stack([z, -v[..., 2], v[..., 1]], -1),
        torch.stack([v[..., 2], z, -v[..., 0]], -1),
        torch.stack([-v[..., 1], v[..., 0], z], -1)], -2)


def axis_angle_to_matrix(w: torch.Tensor) -> torch.Tensor:
    """Rodrigues' formula, (..., 3) → (..., 3, 3); smooth at zero (Taylor terms)."""
    theta2 = (w * w).sum(-1, keepdim=True).unsqueeze(-1)
    theta = torch.sqrt(theta2 + 1e-12)
    small = theta2 < 1e-6
    a = torch.where(small, 1 - theta2 / 6, torch.sin(theta) / theta)
    b = torch.where(small, 0.5 - theta2 / 24, (1 - torch.cos(theta)) / theta2.clamp_min(1e-12))
    k = _skew(w)
    eye = torch.eye(3, dtype=w.dtype, device=w.device).expand(k.shape)
    return eye + a * k + b * (k @ k)


def matrix_to_axis_angle(r: torch.Tensor) -> torch.Tensor:
    """Inverse of `axis_angle_to_matrix` for angles below 180° (near 180° the axis comes from
    the symmetric part)."""
    cos = ((r.diagonal(dim1=-2, dim2=-1).sum(-1) - 1) / 2).clamp(-1, 1)
    theta = torch.arccos(cos)
    v = torch.stack([r[..., 2, 1] - r[..., 1, 2], r[..., 0, 2] - r[..., 2, 0],
                     r[..., 1, 0] - r[..., 0, 1]], -1)
    sin = torch.sin(theta)
    axis = v / (2 * sin.clamp_min(1e-8)).unsqueeze(-1)
    # Near 180°: the axis is the column of (R + I)/2 with the largest diagonal.
    near_pi = theta > math.pi - 1e-3
    if near_pi.any():
        s = (r + torch.eye(3, dtype=r.dtype)) / 2
        idx = s.diagonal(dim1=-2, dim2=-1).argmax(-1)
        col = torch.gather(s, -1, idx[..., None, None].expand(*s.shape[:-1], 1))[..., 0]
        col = col / col.norm(dim=-1, keepdim=True).clamp_min(1e-8)
        axis = torch.where(near_pi[..., None], col, axis)
    out = axis * theta[..., None]
    return torch.where((theta < 1e-6)[..., None], v / 2, out)


def forward_kinematics(root: torch.Tensor, local: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Global rotations (B, J, 3, 3) and points (B, 26, 3) relative to the pelvis, in the frame
    the root rotation maps the body into. `local[:, 0]` is ignored (the root is `root`)."""
    off = torch.as_tensor(OFFSETS, dtype=root.dtype)
    glob = [root]
    pos = [torch.zeros_like(root[:, :, 0])]
    for j in range(1, len(JOINTS)):
        p = PARENTS[j]
        pos.append(pos[p] + glob[p] @ off[j])
        glob.append(glob[p] @ local[:, j])
    for _, on, o in ENDS:
        j = JOINTS.index(on)
        pos.append(pos[j] + glob[j] @ torch.tensor(o, dtype=root.dtype))
    return torch.stack(glob, 1), torch.stack(pos, 1)


def bone_directions(glob: torch.Tensor, pts: torch.Tensor) -> torch.Tensor:
    """Unit vectors (B, len(BONES), 3) of `BONES` for posed points."""
    head = glob[:, JOINTS.index('head')]
    hp = pts[:, P['head']]
    extra = {'nose': hp + head @ torch.tensor(NOSE_OFFSET, dtype=pts.dtype),
             'ears': hp + head @ torch.tensor(EARS_OFFSET, dtype=pts.dtype)}
    at = lambda n: extra[n] if n in extra else pts[:, P[n]]  # noqa: E731
    d = torch.stack([at(b) - at(a) for a, b in BONES.values()], 1)
    return d / d.norm(dim=-1, keepdim=True).clamp_min(1e-9)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def _rot_from_to(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest rotation taking unit vector a onto unit vector b (3×3)."""
    v = np.cross(a, b)
    c = float(np.dot(a, b))
    if c < -1 + 1e-8:  # opposite: half a turn about any perpendicular axis
        perp = _unit(np.cross(a, [1.0, 0, 0] if abs(a[0]) < 0.9 else [0, 1.0, 0]))
        return 2 * np.outer(perp, perp) - np.eye(3)
    k = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + k + k @ k / (1 + c)


def _frame(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Rotation with columns (X, Y, Z): Y along y, X along x made orthogonal, Z = X × Y."""
    yy = _unit(y)
    xx = _unit(x - np.dot(x, yy) * yy)
    return np.stack([xx, yy, np.cross(xx, yy)], 1)


def _axis_rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    return axis_angle_to_matrix(torch.tensor(axis * angle)).numpy()


def init_from_directions(dirs: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Analytic inverse kinematics of one pose from unit bone directions (len(BONES), 3) in the
    camera frame (`valid` marks usable ones): the trunk's frame from the trunk and shoulder/hip
    lines, each limb's ball joint swung onto its upper bone and twisted so that the hinge bends
    towards the lower bone, hinges bent by the angle between them, hands and feet swung onto
    their directions. Returns root (3, 3) and local rotations (J, 3, 3)."""
    d = {n: dirs[i] for i, n in enumerate(BONE_NAMES) if valid[i]}
    local = np.tile(np.eye(3), (len(JOINTS), 1, 1))
    glob = np.tile(np.eye(3), (len(JOINTS), 1, 1))
    up = d.get('trunk', np.array([0.0, -1, 0]))
    left = d.get('hips', d.get('shoulders', np.array([1.0, 0, 0])))
    root = _frame(left, up)
    glob[0] = root
    if 'shoulders' in d:
        chest = _frame(d['shoulders'], up)
        local[JOINTS.index('chest')] = root.T @ chest
    if 'face' in d:
        face = d['face']
        # Head frame: Y up the trunk (no tilt known), Z along the face direction.
        head_y = _unit(up - np.dot(up, face) * face)
        head = np.stack([np.cross(head_y, face), head_y, face], 1)
        chest_g = root @ local[JOINTS.index('chest')]
        local[JOINTS.index('head')] = chest_g.T @ head
    for j in range(1, len(JOINTS)):
        glob[j] = glob[PARENTS[j]] @ local[j]
    limbs = [('l_shoulder', 'l_elbow', 'l_upperarm', 'l_forearm', 'l_wrist', 'l_hand'),
             ('r_shoulder', 'r_elbow', 'r_upperarm', 'r_forearm', 'r_wrist', 'r_hand'),
             ('l_hip', 'l_knee', 'l_thigh', 'l_shin', 'l_ankle', 'l_foot'),
             ('r_hip', 'r_knee', 'r_thigh', 'r_shin', 'r_ankle', 'r_foot')]
    for ball, hinge, upper, lower, end, end_bone in limbs:
        b, h, e = JOINTS.index(ball), JOINTS.index(hinge), JOINTS.index(end)
        parent = glob[PARENTS[b]]
        rest_dir = _unit(OFFSETS[h])
        if upper in d:
            u = d[upper]
            swing = _rot_from_to(parent @ rest_dir, u)
            g = swing @ parent
            if lower in d:
                f = d[lower]
                bend = math.acos(float(np.clip(np.dot(u, f), -1, 1)))
                if bend > math.radians(15):
                    want = _unit(np.cross(u, f))
                    have = g @ np.array(HINGES[hinge])
                    have = _unit(have - np.dot(have, u) * u)
                    phi = math.atan2(float(np.dot(u, np.cross(have, want))), float(np.dot(have, want)))
                    g = _axis_rotation(u, phi) @ g
                local[h] = _axis_rotation(np.array(HINGES[hinge]), min(bend, math.radians(HINGE_MAX_DEG)))
            local[b] = parent.T @ g
        glob[b] = parent @ local[b]
        glob[h] = glob[b] @ local[h]
        glob[e] = glob[h] @ local[e]
        end_rest = END_REST[end_bone]
        if end_bone in d:
            swing = _rot_from_to(glob[e] @ _unit(end_rest), d[end_bone])
            limit = math.radians(BALL_LIMIT_DEG[end])
            w = matrix_to_axis_angle(torch.tensor(glob[h].T @ swing @ glob[e])).numpy()
            n = np.linalg.norm(w)
            local[e] = axis_angle_to_matrix(torch.tensor(w * min(1.0, limit / max(n, 1e-9)))).numpy()
            glob[e] = glob[h] @ local[e]
    return root, local


@dataclass
class FitWeights:
    """Loss weights: 2D in torso units (robust), teacher directions (1 − cos), limits (rad²)."""
    reprojection: float = 1.0
    teacher: float = 0.15
    limits: float = 10.0
    #: Geman–McClure scale of the 2D residual, in torso lengths (label noise ≈ 0.05).
    robust_scale: float = 0.15


def hinge_angles(local: torch.Tensor) -> torch.Tensor:
    """The signed flexion of each hinge (B, 4) from its local rotation, radians."""
    out = []
    for name, axis in HINGES.items():
        r = local[:, JOINTS.index(name)]
        w = matrix_to_axis_angle(r)
        out.append((w * torch.tensor(axis, dtype=r.dtype)).sum(-1))
    return torch.stack(out, -1)


def fit(root0: torch.Tensor, local0: torch.Tensor, labels2d: torch.Tensor, valid2d: torch.Tensor,
        label_points: list[str], teacher_dirs: torch.Tensor, teacher_valid: torch.Tensor,
        steps: int = 300, weights: FitWeights | None = None) -> dict[str, torch.Tensor]:
    """Fits poses to 2D labels (B, K, 2) of the model points `label_points` (px) and teacher
    directions (B, len(BONES), 3), from an initial pose. Returns the posed root, local rotations,
    points (B, 26, 3, metres), the camera (s, t) and per-pose diagnostics."""
    w = weights or FitWeights()
    B = root0.shape[0]
    dt = torch.float64
    ball_ids = [j for j in range(1, len(JOINTS)) if JOINTS[j] not in HINGES]
    hinge_ids = [JOINTS.index(n) for n in HINGES]
    root_w = torch.zeros(B, 3, dtype=dt, requires_grad=True)
    ball_w = matrix_to_axis_angle(local0[:, ball_ids].to(dt)).detach().requires_grad_(True)
    hinge_t = hinge_angles(local0.to(dt)).detach().clamp(0, math.radians(HINGE_MAX_DEG)).requires_grad_(True)
    hinge_axes = torch.tensor([HINGES[JOINTS[j]] for j in hinge_ids], dtype=dt)
    idx = torch.tensor([P[n] for n in label_points])
    lab, vis = labels2d.to(dt), valid2d.to(dt)
    # Torso size (px) from the labels: for normalising residuals and the scale's start.
    torso = label_torso(lab, vis, label_points)
    with torch.no_grad():
        _, pts0 = forward_kinematics(root0.to(dt), local0.to(dt))
        cam_s, cam_t = _solve_camera(pts0[:, idx, :2], lab, vis)
    log_s = torch.log(cam_s.clamp_min(1e-6)).requires_grad_(True)
    cam_t = cam_t.clone().requires_grad_(True)
    limits = torch.tensor([math.radians(BALL_LIMIT_DEG.get(JOINTS[j], 1e3)) for j in ball_ids], dtype=dt)
    opt = torch.optim.Adam([root_w, ball_w, hinge_t, log_s, cam_t], lr=0.02)
    tdirs, tval = teacher_dirs.to(dt), teacher_valid.to(dt)
    for step in range(steps + 1):
        root = root0.to(dt) @ axis_angle_to_matrix(root_w)
        local = torch.eye(3, dtype=dt).repeat(B, len(JOINTS), 1, 1)
        local[:, ball_ids] = axis_angle_to_matrix(ball_w)
        local[:, hinge_ids] = axis_angle_to_matrix(hinge_t[..., None] * hinge_axes)
        glob, pts = forward_kinematics(root, local)
        proj = torch.exp(log_s)[:, None, None] * pts[:, idx, :2] + cam_t[:, None]
        r2 = ((proj - lab) ** 2).sum(-1) / torso[:, None] ** 2
        gm = r2 / (r2 + w.robust_scale ** 2)
        loss2d = (gm * vis).sum(-1) / vis.sum(-1).clamp_min(1)
        cos = (bone_directions(glob, pts) * tdirs).sum(-1)
        loss_t = ((1 - cos) * tval).sum(-1) / tval.sum(-1).clamp_min(1)
        ang = ball_w.norm(dim=-1)
        loss_lim = (torch.relu(ang - limits) ** 2).sum(-1)
        loss_lim = loss_lim + (torch.relu(-hinge_t) ** 2 + torch.relu(hinge_t - math.radians(HINGE_MAX_DEG)) ** 2).sum(-1)
        per_pose = w.reprojection * loss2d + w.teacher * loss_t + w.limits * loss_lim
        if step == steps:
            break
        opt.zero_grad()
        per_pose.sum().backward()
        opt.step()
    with torch.no_grad():
        err = torch.sqrt(((proj - lab) ** 2).sum(-1)) / torso[:, None]
        err = torch.where(vis > 0, err, torch.nan)
        limit_excess = torch.cat([torch.relu(ang - limits),
                                  torch.relu(-hinge_t), torch.relu(hinge_t - math.radians(HINGE_MAX_DEG))], -1)
    return {'root': root.detach(), 'local': local.detach(), 'points': pts.detach(),
            'scale': torch.exp(log_s).detach(), 'translation': cam_t.detach(),
            'reprojection_torso': err, 'teacher_cos': cos.detach(),
            'limit_excess_deg': torch.rad2deg(limit_excess.max(-1).values), 'loss': per_pose.detach()}


def label_torso(lab: torch.Tensor, vis: torch.Tensor, names: list[str]) -> torch.Tensor:
    """Per pose, a torso size in px: neck to hip-centre where labelled, else half the labels'
    bounding-box diagonal / 2.5 (a stand-in of the same magnitude)."""
    i = {n: k for k, n in enumerate(names)}
    big = torch.full_like(lab[..., 0], 1e9)
    lo = torch.where(vis > 0, lab[..., 0], big).amin(-1), torch.where(vis > 0, lab[..., 1], big).amin(-1)
    hi = torch.where(vis > 0, lab[..., 0], -big).amax(-1), torch.where(vis > 0, lab[..., 1], -big).amax(-1)
    diag = torch.sqrt((hi[0] - lo[0]) ** 2 + (hi[1] - lo[1]) ** 2) / 2.5
    if all(n in i for n in ('neck', 'l_hip', 'r_hip')):
        mid = (lab[:, i['l_hip']] + lab[:, i['r_hip']]) / 2
        t = (lab[:, i['neck']] - mid).norm(dim=-1)
        ok = (vis[:, i['neck']] * vis[:, i['l_hip']] * vis[:, i['r_hip']]) > 0
        diag = torch.where(ok & (t > 1), t, diag)
    return diag.clamp_min(1.0)


def _solve_camera(xy: torch.Tensor, lab: torch.Tensor, vis: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Least-squares scale and translation of labels ≈ s · xy + t over visible points."""
    n = vis.sum(-1, keepdim=True).clamp_min(1)
    mx = (xy * vis[..., None]).sum(1) / n
    ml = (lab * vis[..., None]).sum(1) / n
    a = ((xy - mx[:, None]) * vis[..., None])
    b = ((lab - ml[:, None]) * vis[..., None])
    s = (a * b).sum((1, 2)) / (a * a).sum((1, 2)).clamp_min(1e-9)
    s = s.clamp_min(1e-3)
    return s, ml - s[:, None] * mx


def euler_xyz_degrees(r: np.ndarray) -> np.ndarray:
    """Angles (a, b, c) in degrees with r = Rx(a) · Ry(b) · Rz(c) — the BVH channel order
    `Xrotation Yrotation Zrotation` (intrinsic, as packages/synth/src/motion/fk.ts applies)."""
    b = np.arcsin(np.clip(r[..., 0, 2], -1, 1))
    a = np.arctan2(-r[..., 1, 2], r[..., 2, 2])
    c = np.arctan2(-r[..., 0, 1], r[..., 0, 0])
    return np.degrees(np.stack([a, b, c], -1))


#: Camera (x right, y down, z forward) → the synth world (Y up) for a level camera; the
#: heading is irrelevant (synth turns people at random).
CAMERA_TO_WORLD = np.diag([1.0, -1.0, -1.0])


def write_bvh(root_cam: np.ndarray, local: np.ndarray, frame_time: float = 1.0) -> str:
    """A BVH pose gallery: one frame per pose (root (F, 3, 3) in the camera frame, local
    rotations (F, J, 3, 3)), centimetres, Y up, each frame's lowest point on y = 0."""
    lines = ['HIERARCHY']
    children: dict[int, list[int]] = {}
    for j, p in enumerate(PARENTS):
        children.setdefault(p, []).append(j)
    ends = {JOINTS.index(on): o for _, on, o in ENDS}

    def emit(j: int, depth: int) -> None:
        pad = '  ' * depth
        o = OFFSETS[j] * 100
        kind = 'ROOT' if j == 0 else 'JOINT'
        lines.append(f'{pad}{kind} {JOINTS[j]}')
        lines.append(f'{pad}{{')
        lines.append(f'{pad}  OFFSET {o[0]:.4f} {o[1]:.4f} {o[2]:.4f}')
        chans = 'Xposition Yposition Zposition ' if j == 0 else ''
        lines.append(f'{pad}  CHANNELS {6 if j == 0 else 3} {chans}Xrotation Yrotation Zrotation')
        for c in children.get(j, []):
            emit(c, depth + 1)
        if j in ends:
            e = np.array(ends[j]) * 100
            lines.extend([f'{pad}  End Site', f'{pad}  {{', f'{pad}    OFFSET {e[0]:.4f} {e[1]:.4f} {e[2]:.4f}',
                      f'{pad}  }}'])
        lines.append(f'{pad}}}')

    emit(0, 0)
    root_world = CAMERA_TO_WORLD @ root_cam
    _, pts = forward_kinematics(torch.tensor(root_world), torch.tensor(local))
    pts = pts.numpy() + OFFSETS[0]
    lift = -pts[..., 1].min(-1)  # lowest point onto the floor
    lines += ['MOTION', f'Frames: {len(local)}', f'Frame Time: {frame_time:.6f}']
    eul_root = euler_xyz_degrees(root_world)
    eul = euler_xyz_degrees(local)
    for f in range(len(local)):
        pos = OFFSETS[0] * 100 + np.array([0.0, lift[f] * 100, 0.0])
        row = [*pos, *eul_root[f]]
        for j in range(1, len(JOINTS)):
            row += list(eul[f, j])
        lines.append(' '.join(f'{v:.4f}' for v in row))
    return '\n'.join(lines) + '\n'
