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
