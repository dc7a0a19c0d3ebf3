"""A release directory in the `metrabs_pytorch` layout with random weights — for tests and
benchmarks of the importer without the official weights (which we neither ship nor fetch).

    python -m metrabs_train.official_synthetic --backbone efficientnetv2-s --side 256 --out DIR

Joint set, like the releases' (one network predicting several datasets' joints, suffixed by
dataset): the joints of smpl_24, h36m_17 and coco_19 from fixtures/skeletons.json, suffixed
`_smpl`, `_h36m`, `_coco` (60 joints). The output joint set appends one derived joint (the
midpoint of the two H3.6M hips), so joint_transform_matrix.npy is a real linear map and the
release's `h36m_17` takes its pelvis from that column.
"""
from __future__ import annotations

import argparse
import json
import pickle
from pathlib import Path

import numpy as np
import torch
import yaml

from .official_release import KNOWN_BACKBONES, ReleaseInfo

SKELETONS_JSON = Path(__file__).resolve().parents[2] / 'fixtures' / 'skeletons.json'
PARTS = (('smpl_24', 'smpl'), ('h36m_17', 'h36m'), ('coco_19', 'coco'))
FEATURE_CHANNELS = 1280  # EfficientNetV2-S and -L both end in a 1280-channel 1×1 conv


def synthetic_joints() -> dict:
    registry = json.loads(SKELETONS_JSON.read_text())['skeletons']
    names: list[str] = []
    edges: list[list[int]] = []
    skeletons = {}
    for skeleton, suffix in PARTS:
        offset = len(names)
        s = registry[skeleton]
        names += [f'{n}_{suffix}' for n in s['joint_names']]
        edges += [[a + offset, b + offset] for a, b in s['edges']]
        skeletons[skeleton] = dict(names=list(s['joint_names']), edges=[list(e) for e in s['edges']],
                                   indices=list(range(offset, len(names))))
    n = len(names)
    transform = np.eye(n, n + 1, dtype=np.float32)
    h36m = skeletons['h36m_17']
    lhip, rhip = (names.index(f'{j}_h36m') for j in ('lhip', 'rhip'))
    transform[[lhip, rhip], n] = 0.5
    h36m['indices'][h36m['names'].index('pelv')] = n
    return dict(names=names, edges=edges, skeletons=skeletons, transform=transform)


def write_random_release(out: str | Path, *, backbone: str = 'efficientnetv2-s', side: int = 256,
                         seed: int = 0, centered_stride: bool = False,
                         legacy_centered_stride_bug: bool = True) -> Path:
    from .official_model import release_state_dict

    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    joints = synthetic_joints()
    config = dict(proc_side=side, stride_train=32, stride_test=32, centered_stride=centered_stride,
                  legacy_centered_stride_bug=legacy_centered_stride_bug,
                  efficientnet_size=backbone[-1], backbone=backbone, depth=8, box_size_mm=2200,
                  weak_perspective=False, mix_3d_inside_fov=0.5, affine_weights=None,
                  transform_coords=False, predict_all_and_latents=False)
    info = ReleaseInfo(
        backbone=KNOWN_BACKBONES[backbone], proc_side=side, depth=8, num_joints=len(joints['names']),
        feature_channels=FEATURE_CHANNELS, stride_test=32, box_size_mm=2200.0,
        centered_stride=centered_stride, legacy_stride_offset=legacy_centered_stride_bug,
        joint_names=joints['names'], joint_edges=np.array(joints['edges']), config=config,
        joint_transform=joints['transform'])
    torch.save(release_state_dict(info, seed), root / 'ckpt.pt')
    (root / 'config.yaml').write_text(yaml.safe_dump(config, sort_keys=False))
    np.savez(root / 'joint_info.npz', joint_names=np.array(joints['names']),
             joint_edges=np.array(joints['edges'], dtype=np.int64))
    (root / 'skeleton_infos.pkl').write_bytes(pickle.dumps(
        {k: dict(names=v['names'], indices=np.array(v['indices']), edges=np.array(v['edges']))
         for k, v in joints['skeletons'].items()}))
    np.save(root / 'joint_transform_matrix.npy', joints['transform'])
    return root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m metrabs_train.official_synthetic',
                                     description=__doc__.split('\n\n')[0])
    parser.add_argument('--backbone', default='efficientnetv2-s', choices=sorted(KNOWN_BACKBONES))
    parser.add_argument('--side', type=int, default=256)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--centered-stride', action='store_true',
                        help='centred strides instead of the releases\' legacy offset')
    parser.add_argument('--out', required=True)
    args = parser.parse_args(argv)
    write_random_release(args.out, backbone=args.backbone, side=args.side, seed=args.seed,
                         centered_stride=args.centered_stride,
                         legacy_centered_stride_bug=not args.centered_stride)
    print(args.out)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
