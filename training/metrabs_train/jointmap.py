"""How the network's joints are compared with the labels of a 2D dataset in another skeleton.

The network predicts the canonical joints (`smpl+head_30`). A 2D dataset such as LSPET labels
`lsp_14`. As in the reference trainer (metrabs_tf, `get_2dlike_joints`), a 2D label is compared
with a fixed combination of predicted joints — here the skeleton registry's `from_canonical`
matrix (fixtures/skeletons.json, exported by @metrabs/core), so training and evaluation use one
definition: LSP's neck is the midpoint of SMPL neck and head, every other LSP joint is the
canonical joint of the same name.

Where a dataset marks a different anatomical point under the same name, its label would pull our
joint towards it. `UNSUPERVISED_2D_JOINTS` lists those, per skeleton, and their labels are not
used: LSP's hips are clicked on the body's outline at the greater trochanter, several cm wider
and lower than the hip joint centres the synthetic labels (SMPL) define.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from metrabs_train.dataset import CANONICAL_SKELETON, SKELETON_REGISTRY, Skeleton

UNSUPERVISED_2D_JOINTS: dict[str, tuple[str, ...]] = {'lsp_14': ('rhip', 'lhip')}


def two_d_like_matrix(network_skeleton: Skeleton, data_skeleton: Skeleton,
                      registry: str | os.PathLike | None = None) -> np.ndarray:
    """[J_data, J_net] weights: data joint k ≈ Σ_j W[k, j] · network joint j."""
    net_names, data_names = list(network_skeleton.joint_names), list(data_skeleton.joint_names)
    if net_names == data_names:
        return np.eye(len(net_names))
    if network_skeleton.name != CANONICAL_SKELETON:
        raise ValueError(f'2D labels in {data_skeleton.name!r} can only be mapped onto the canonical '
                         f'skeleton {CANONICAL_SKELETON!r}, not {network_skeleton.name!r}')
    entry = json.loads(Path(registry or SKELETON_REGISTRY).read_text())['skeletons'].get(data_skeleton.name)
    if entry is None or entry['joint_names'] != data_names:
        raise ValueError(f'the 2D dataset\'s skeleton {data_skeleton.name!r} is not in the skeleton '
                         'registry (fixtures/skeletons.json) with the same joints')
    return np.asarray(entry['from_canonical'], np.float64).T


def supervised_mask(data_skeleton: Skeleton) -> np.ndarray:
    """[J_data] bool: the joints whose 2D labels train the network."""
    skip = UNSUPERVISED_2D_JOINTS.get(data_skeleton.name, ())
    return np.array([name not in skip for name in data_skeleton.joint_names])
