"""Reading and checking an official `metrabs_pytorch` release directory (issue 19, step 1 of the
importer: validation only; rebuilding the network and exporting are not done yet).

A release directory holds:
    ckpt.pt                     state dict: `backbone.*` and `heatmap_heads.conv_final.{weight,bias}`
                                (1x1 conv with J + depth*J output channels, 3D part depth-major)
    config.yaml                 flags: backbone, proc_side, depth, box_size_m, centered_stride, ...
    joint_info.npz              the release's full joint set
    skeleton_infos.pkl          per-skeleton joint names/edges
    joint_transform_matrix.npy  linear map from the full joint set to the skeletons' joints

Every problem is reported as a `ReleaseError` that names the file and what was expected.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REQUIRED_FILES = ('ckpt.pt', 'config.yaml', 'joint_info.npz', 'skeleton_infos.pkl',
                  'joint_transform_matrix.npy')
# Backbones we can rebuild from torchvision (the official releases use EfficientNetV2 S and L).
KNOWN_BACKBONES = {'efficientnetv2-s': 'efficientnet_v2_s', 'efficientnetv2-l': 'efficientnet_v2_l'}
HEAD_WEIGHT = 'heatmap_heads.conv_final.weight'
HEAD_BIAS = 'heatmap_heads.conv_final.bias'


class ReleaseError(ValueError):
    """A release directory that cannot be imported, with the reason."""


@dataclass(frozen=True)
class ReleaseInfo:
    backbone: str            # torchvision constructor name
    proc_side: int
    depth: int
    num_joints: int
    feature_channels: int
    centered_stride: bool
    config: dict[str, Any]
    joint_transform: np.ndarray  # [J, K]


def _backbone_name(config: dict[str, Any]) -> str:
    raw = str(config.get('backbone', '')).lower().replace('_', '-')
    if raw not in KNOWN_BACKBONES:
        raise ReleaseError(f'config.yaml: unknown backbone {config.get("backbone")!r}; '
                           f'supported: {", ".join(sorted(KNOWN_BACKBONES))}')
    return KNOWN_BACKBONES[raw]


def _int_flag(config: dict[str, Any], key: str, lo: int, hi: int) -> int:
    if key not in config:
        raise ReleaseError(f'config.yaml: missing `{key}`')
    value = config[key]
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise ReleaseError(f'config.yaml: `{key}` must be an integer in [{lo}, {hi}], got {value!r}')
    return value


def read_release(directory: str | Path) -> ReleaseInfo:
    import torch
    import yaml

    root = Path(directory)
    if not root.is_dir():
        raise ReleaseError(f'{root}: not a directory')
    missing = [name for name in REQUIRED_FILES if not (root / name).is_file()]
    if missing:
        raise ReleaseError(f'{root}: missing {", ".join(missing)} (a metrabs_pytorch release has '
                           f'{", ".join(REQUIRED_FILES)})')

    config = yaml.safe_load((root / 'config.yaml').read_text()) or {}
    if not isinstance(config, dict):
        raise ReleaseError('config.yaml: expected a mapping of flags')
    backbone = _backbone_name(config)
    proc_side = _int_flag(config, 'proc_side', 64, 1024)
    depth = _int_flag(config, 'depth', 1, 256)

    state = torch.load(root / 'ckpt.pt', map_location='cpu')
    if not isinstance(state, dict) or HEAD_WEIGHT not in state or HEAD_BIAS not in state:
        raise ReleaseError(f'ckpt.pt: expected a state dict with {HEAD_WEIGHT} and {HEAD_BIAS}')
    weight = state[HEAD_WEIGHT]
    if weight.ndim != 4 or tuple(weight.shape[2:]) != (1, 1):
        raise ReleaseError(f'ckpt.pt: {HEAD_WEIGHT} must be a 1x1 conv, got shape {tuple(weight.shape)}')
    channels = int(weight.shape[0])
    if channels % (depth + 1):
        raise ReleaseError(f'ckpt.pt: {HEAD_WEIGHT} has {channels} output channels, not a multiple '
                           f'of depth + 1 = {depth + 1} (J + depth*J)')
    num_joints = channels // (depth + 1)
    if tuple(state[HEAD_BIAS].shape) != (channels,):
        raise ReleaseError(f'ckpt.pt: {HEAD_BIAS} has shape {tuple(state[HEAD_BIAS].shape)}, '
                           f'expected ({channels},)')
    if not any(k.startswith('backbone.') for k in state):
        raise ReleaseError('ckpt.pt: no backbone.* weights')

    transform = np.load(root / 'joint_transform_matrix.npy')
    if transform.ndim != 2 or transform.shape[0] != num_joints:
        raise ReleaseError(f'joint_transform_matrix.npy: expected shape [{num_joints}, K] (rows = '
                           f'the checkpoint\'s joints), got {list(transform.shape)}')

    return ReleaseInfo(backbone=backbone, proc_side=proc_side, depth=depth, num_joints=num_joints,
                       feature_channels=int(weight.shape[1]),
                       centered_stride=bool(config.get('centered_stride', True)),
                       config=config, joint_transform=transform)
