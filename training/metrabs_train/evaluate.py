"""Evaluate a checkpoint on a dataset split: crops without augmentation, absolute
reconstruction, poses back in the camera frame, then MPJPE, PA-MPJPE, PCK@150, AUC and
MRPE — overall and separately for truncated and occluded people."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from .data import PoseDataset, make_loader
from .dataset import open_dataset
from .export import load_trained_model
from .losses import reconstruct
from .metrics import pose_metrics
from .train import set_threads


@torch.no_grad()
def predict_split(checkpoint: str | Path, dataset_dir: str | Path | None = None, split: str = 'test',
                  max_examples: int = 0, batch_size: int = 32) -> dict[str, np.ndarray]:
    set_threads()
    model, cfg, _ = load_trained_model(checkpoint)
    data = open_dataset(dataset_dir or cfg.dataset)
    dataset = PoseDataset(data, split, cfg.data, skeleton=data.skeleton, train=False, seed=cfg.seed)
    n = len(dataset) if max_examples <= 0 else min(max_examples, len(dataset))
    out: dict[str, list[np.ndarray]] = {k: [] for k in ('pred', 'true', 'valid', 'truncated', 'occluded')}
    for batch in make_loader(dataset, batch_size, workers=0, indices=list(range(n))):
        has3d = batch['has_3d'].numpy()
        if not has3d.any():
            continue
        coords2d, coords3d = model(batch['image'])
        pred = reconstruct(coords2d, coords3d, batch['intrinsics'], model_cfg=cfg.model,
                           loss_cfg=cfg.loss)
        rot = batch['rot_to_camera']
        out['pred'].append((pred @ rot).numpy()[has3d])
        out['true'].append((batch['coords3d'] @ rot).numpy()[has3d])
        out['valid'].append(batch['joint_valid'].numpy()[has3d])
        out['truncated'].append(batch['truncated'].numpy()[has3d])
        out['occluded'].append(batch['occluded_fraction'].numpy()[has3d])
    if not out['pred']:
        raise ValueError(f'split {split!r} has no people with 3D labels to evaluate')
    return {k: np.concatenate(v) for k, v in out.items()}


def evaluate(checkpoint: str | Path, dataset_dir: str | Path | None = None, split: str = 'test',
             max_examples: int = 0, occluded_threshold: float = 0.25) -> dict[str, Any]:
    p = predict_split(checkpoint, dataset_dir, split, max_examples)
    result: dict[str, Any] = {'split': split, 'people': int(len(p['pred']))}
    result['all'] = pose_metrics(p['pred'], p['true'], p['valid'])
    subsets = {
        'truncated': p['truncated'].astype(bool),
        'not_truncated': ~p['truncated'].astype(bool),
        'occluded': p['occluded'] > occluded_threshold,
    }
    for name, mask in subsets.items():
        if mask.any() and p['valid'][mask].any():
            result[name] = {'people': int(mask.sum()),
                            **pose_metrics(p['pred'][mask], p['true'][mask], p['valid'][mask])}
    return result
