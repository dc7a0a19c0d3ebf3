"""Reading and checking an official `metrabs_pytorch` release directory (issue 19, step 1 of the
importer: validation only; rebuilding the network and exporting are not done yet).

A release directory holds:
    ckpt.pt                     state dict: `backbone.*` and `heatmap_heads.conv_final.{weight,bias}`
                                (1x1 conv with J + depth*J output channels, 3D part depth-major);
                                the backbone is Sequential(preprocessing, features): `backbone.1.*`
    config.yaml                 flags: backbone, proc_side, stride_test, depth, box_size_mm,
                                centered_stride, legacy_centered_stride_bug, ...
    joint_info.npz              the release's full joint set (joint_names, joint_edges)
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
    stride_test: int
    box_size_mm: float
    #: Backbone strides shifted so receptive-field centres are symmetric [centered_stride].
    centered_stride: bool
    #: The releases' mapping adds stride/2 to heatmap coordinates without shifting the backbone
    #: [legacy_centered_stride_bug]; our `centered_stride` does both, so an importer must keep them apart.
    legacy_stride_offset: bool
    joint_names: list[str]
    joint_edges: np.ndarray  # [E, 2]
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

    with np.load(root / 'joint_info.npz') as info:
        if 'joint_names' not in info or 'joint_edges' not in info:
            raise ReleaseError(f'joint_info.npz: expected arrays joint_names and joint_edges, '
                               f'found {", ".join(info.files) or "none"}')
        joint_names = [str(n) for n in info['joint_names']]
        joint_edges = np.asarray(info['joint_edges'])
    if len(joint_names) != num_joints:
        raise ReleaseError(f'joint_info.npz: {len(joint_names)} joint names, but the checkpoint\'s head '
                           f'predicts {num_joints} joints')
    if joint_edges.size and (joint_edges.ndim != 2 or joint_edges.shape[1] != 2
                             or joint_edges.min() < 0 or joint_edges.max() >= num_joints):
        raise ReleaseError(f'joint_info.npz: joint_edges must be [E, 2] indices below {num_joints}')

    transform = np.load(root / 'joint_transform_matrix.npy')
    if transform.ndim != 2 or transform.shape[0] != num_joints:
        raise ReleaseError(f'joint_transform_matrix.npy: expected shape [{num_joints}, K] (rows = '
                           f'the checkpoint\'s joints), got {list(transform.shape)}')

    return ReleaseInfo(backbone=backbone, proc_side=proc_side, depth=depth, num_joints=num_joints,
                       feature_channels=int(weight.shape[1]),
                       stride_test=_int_flag(config, 'stride_test', 1, 64),
                       box_size_mm=float(config.get('box_size_mm', 2200)),
                       centered_stride=bool(config.get('centered_stride', False)),
                       legacy_stride_offset=bool(config.get('legacy_centered_stride_bug', False)),
                       joint_names=joint_names, joint_edges=joint_edges,
                       config=config, joint_transform=transform)
