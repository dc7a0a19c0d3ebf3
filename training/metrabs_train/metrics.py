"""Evaluation metrics (NumPy), with the same definitions as `@metrabs/core`'s metrics.ts:
every metric is a mean over all valid (pose, joint) pairs; poses [N, J, 3] in mm."""
from __future__ import annotations

import numpy as np


def _root_relative(poses: np.ndarray, root: int) -> np.ndarray:
    return poses - poses[:, root:root + 1]


def per_joint_errors(pred: np.ndarray, true: np.ndarray, root: int | None = 0) -> np.ndarray:
    """[N, J] Euclidean joint errors, after subtracting the root joint (root=None: absolute)."""
    if root is not None:
        pred, true = _root_relative(pred, root), _root_relative(true, root)
    return np.linalg.norm(pred - true, axis=-1)


def procrustes_aligned(pred: np.ndarray, true: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Each pred pose aligned to true by rotation, uniform scale and translation (no
    reflection), fitted on the valid joints."""
    out = np.empty_like(pred, dtype=np.float64)
    for i, (p, t, v) in enumerate(zip(pred, true, valid)):
        if v.sum() < 2:
            out[i] = p
            continue
        mp, mt = p[v].mean(0), t[v].mean(0)
        pc, tc = p[v] - mp, t[v] - mt
        u, s, vt = np.linalg.svd(pc.T @ tc)
        d = np.sign(np.linalg.det(u @ vt))
        s = s.copy()
        s[-1] *= d
        u[:, -1] *= d
        rotation = u @ vt
        norm = (pc ** 2).sum()
        scale = s.sum() / norm if norm > 0 else 1.0
        out[i] = (p - mp) @ rotation * scale + mt
    return out


def pose_metrics(pred: np.ndarray, true: np.ndarray, valid: np.ndarray, root: int = 0,
                 pck_threshold: float = 150.0) -> dict[str, float]:
    """MPJPE, PA-MPJPE, PCK@threshold and AUC (0–150 mm, 31 thresholds) on root-relative
    poses, and MRPE (root position error, with its x/y/z parts) on absolute poses."""
    pred = np.asarray(pred, np.float64)
    true = np.asarray(true, np.float64)
    valid = np.asarray(valid, bool)
    if not valid.any():
        raise ValueError('no valid joints to evaluate')
    err = per_joint_errors(pred, true, root)[valid]
    pa = np.linalg.norm(procrustes_aligned(pred, true, valid) - true, axis=-1)[valid]
    thresholds = np.linspace(0, 150, 31)
    root_diff = np.abs(pred[:, root] - true[:, root])
    return dict(
        mpjpe=float(err.mean()),
        pa_mpjpe=float(pa.mean()),
        pck=float((err <= pck_threshold).mean()),
        auc=float(np.mean([(err <= t).mean() for t in thresholds])),
        mrpe=float(np.linalg.norm(pred[:, root] - true[:, root], axis=-1).mean()),
        mrpe_x=float(root_diff[:, 0].mean()),
        mrpe_y=float(root_diff[:, 1].mean()),
        mrpe_z=float(root_diff[:, 2].mean()),
    )


#: The 12 limb joints of the LSP PCK protocol (ankles, knees, hips, wrists, elbows, shoulders).
LIMB_JOINTS = ('rank', 'rkne', 'rhip', 'lhip', 'lkne', 'lank', 'rwri', 'relb', 'rsho', 'lsho', 'lelb', 'lwri')


def torso_sizes(true2d: np.ndarray, valid: np.ndarray, joint_names: list[str]) -> np.ndarray:
    """[N] the LSP torso diameter: |left shoulder − right hip| (else |right shoulder − left
    hip|); NaN when neither pair is labelled."""
    idx = {n: i for i, n in enumerate(joint_names)}
    out = np.full(len(true2d), np.nan)
    for a, b in (('rsho', 'lhip'), ('lsho', 'rhip')):  # the later pair wins where labelled
        if a in idx and b in idx:
            i, j = idx[a], idx[b]
            ok = valid[:, i] & valid[:, j]
            out[ok] = np.linalg.norm(true2d[ok, i] - true2d[ok, j], axis=-1)
    return out


def pck_torso(pred2d: np.ndarray, true2d: np.ndarray, valid: np.ndarray, joint_names: list[str],
              fraction: float = 0.2) -> dict[str, float]:
    """PCK@fraction·torso over the labelled limb joints (`pck`), and per limb joint
    (`pck_<name>`); people without a torso size are left out (`people` counts the others)."""
    torso = torso_sizes(true2d, valid, joint_names)
    scored = np.isfinite(torso) & (torso > 0)
    err = np.linalg.norm(pred2d - true2d, axis=-1)[scored]
    ok = err <= fraction * torso[scored, None]
    v = valid[scored]
    limbs = [joint_names.index(n) for n in LIMB_JOINTS if n in joint_names]
    result = {'people': int(scored.sum()),
              'pck': float(ok[:, limbs][v[:, limbs]].mean()) if v[:, limbs].any() else float('nan')}
    for j in limbs:
        if v[:, j].any():
            result[f'pck_{joint_names[j]}'] = float(ok[v[:, j], j].mean())
    return result


def bone_length_ratio(pred: np.ndarray, true: np.ndarray, valid: np.ndarray,
                      edges: list[list[int]]) -> float:
    """Mean over people and bones (both ends valid) of predicted / true bone length: below 1 the
    model shrinks people."""
    ratios = []
    for a, b in edges:
        ok = valid[:, a] & valid[:, b]
        true_len = np.linalg.norm(true[ok, a] - true[ok, b], axis=-1)
        pred_len = np.linalg.norm(pred[ok, a] - pred[ok, b], axis=-1)
        keep = true_len > 1e-6
        ratios.append(pred_len[keep] / true_len[keep])
    ratios = np.concatenate(ratios) if ratios else np.zeros(0)
    return float(ratios.mean()) if len(ratios) else float('nan')
