"""Import an official `metrabs_pytorch` release directory into our model package format:

    python -m metrabs_train.import_official RELEASE_DIR --out PACKAGE_DIR

writes PACKAGE_DIR/model.onnx (the crop-model contract of docs/model-package.md),
metrabs.json (descriptor with the release's full joint set and, under `skeleton_transforms`,
every skeleton of skeleton_infos.pkl as a linear map from the network's joints) and README.md.
Progress goes to stdout one line per stage; a bad release ends with one line
`error: …` on stderr and exit code 2.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .export import DESCRIPTOR_FORMAT, DESCRIPTOR_VERSION, check_onnx, export_onnx
from .official_model import build_release_model
from .official_release import ReleaseError, ReleaseInfo, read_release

#: Name of the network's own joint set in the descriptor (`skeleton: ''` selects it).
OWN_SKELETON = 'release'
LICENCE = ('MeTRAbs official model weights (isarandi/metrabs): non-commercial use only, because '
           'of the licences of the training datasets; see the reference README.')


def mirror_map(names: list[str]) -> list[int]:
    """Left/right counterparts by name, as the releases name joints: a leading `l` or `r`
    swapped (`lhip_smpl` ↔ `rhip_smpl`); joints without a counterpart map to themselves."""
    index = {n: i for i, n in enumerate(names)}
    swap = {'l': 'r', 'r': 'l'}
    return [index.get(swap[n[0]] + n[1:], i) if n[:1] in swap else i for i, n in enumerate(names)]


def skeleton_transforms(info: ReleaseInfo) -> dict[str, Any]:
    """Each release skeleton as sparse weights over the network's joints: joint k of skeleton s
    = Σ w · predicted joint i over the pairs [i, w] of `weights[k]` — column `indices[k]` of
    joint_transform_matrix.npy, which the reference applies to the poses before selecting."""
    matrix = info.joint_transform
    out = {}
    for name, s in info.skeletons.items():
        weights = []
        for column in s['indices']:
            rows = np.flatnonzero(matrix[:, column])
            weights.append([[int(i), float(matrix[i, column])] for i in rows])
        out[name] = dict(joint_names=s['names'], edges=s['edges'], weights=weights)
    return out


def descriptor(info: ReleaseInfo, source: Path, check: dict[str, float]) -> dict[str, Any]:
    names = info.joint_names
    return {
        'format': DESCRIPTOR_FORMAT,
        'version': DESCRIPTOR_VERSION,
        'created': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
        'onnx': 'model.onnx',
        'input': {'name': 'image', 'layout': 'NHWC', 'dtype': 'float32', 'range': [0, 1],
                  'color': 'RGB', 'side': info.proc_side},
        'outputs': {'coords2d': 'crop pixels [N, J, 2]', 'coords3d': 'mm, root-relative [N, J, 3]'},
        'geometry': {
            'proc_side': info.proc_side, 'stride': info.stride_test, 'stride_train': info.stride_train,
            'depth': info.depth, 'box_size_mm': info.box_size_mm,
            'centered_stride': info.centered_stride,
            # Already inside the graph (+stride/2 on the 2D output); recorded for the record only.
            'legacy_centered_stride_bug': info.legacy_stride_offset,
            'mix_3d_inside_fov': info.mix_3d_inside_fov, 'tikhonov': 1e-2,
        },
        'backbone': info.backbone,
        'skeleton': OWN_SKELETON,
        'joint_names': names,
        'edges': info.joint_edges.tolist(),
        'mirror': mirror_map(names),
        'skeletons': {},
        'skeleton_transforms': skeleton_transforms(info),
        'training': {'source': 'official metrabs_pytorch release', 'release_dir': source.name,
                     'config': info.config, 'license': LICENCE},
        'metrics': {},
        'export_check': check,
    }


MODEL_CARD = """# {name}

Imported from the official MeTRAbs release `{source}` with
`python -m metrabs_train.import_official` (see docs/official-models.md).

- Backbone: {backbone}, crop {side} px, {joints} predicted joints.
- Skeletons (`skeleton` option): {skeletons}.
- Licence: {licence}
- This package was made on the user's machine from files the user obtained; the metrabs project
  ships none of the official weights.
"""


def import_release(release_dir: str | Path, out_dir: str | Path, *, opset: int = 17,
                   log=print) -> dict[str, Any]:
    source = Path(release_dir)
    log(f'reading {source}')
    info = read_release(source)
    log(f'building {info.backbone} at {info.proc_side} px, {info.num_joints} joints, '
        f'{len(info.skeletons)} skeletons')
    model = build_release_model(info, info.state_dict)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    onnx_path = out / 'model.onnx'
    log(f'exporting {onnx_path}')
    export_onnx(model, onnx_path, opset, side=info.proc_side)
    log('checking ONNX Runtime against PyTorch')
    check = check_onnx(model, onnx_path, batch=2, side=info.proc_side)
    desc = descriptor(info, source.resolve(), check)
    (out / 'metrabs.json').write_text(json.dumps(desc, indent=1) + '\n')
    (out / 'README.md').write_text(MODEL_CARD.format(
        name=out.name, source=source.resolve().name, backbone=info.backbone, side=info.proc_side,
        joints=info.num_joints, skeletons=', '.join(info.skeletons) or 'none', licence=LICENCE))
    log(f'wrote {out} (max |ONNX - PyTorch|: {check["max_abs_diff_px"]:.2g} px, '
        f'{check["max_abs_diff_mm"]:.2g} mm)')
    return desc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m metrabs_train.import_official',
                                     description=__doc__.split('\n\n')[0])
    parser.add_argument('release', help='metrabs_pytorch release directory (ckpt.pt, config.yaml, …)')
    parser.add_argument('--out', required=True, help='model package directory to write')
    parser.add_argument('--opset', type=int, default=17)
    args = parser.parse_args(argv)
    import os
    torch.set_num_threads(os.cpu_count() or 1)
    try:
        import_release(args.release, args.out, opset=args.opset,
                       log=lambda line: print(line, flush=True))
    except ReleaseError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
