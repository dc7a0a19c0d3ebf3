"""The Python reference of the whole per-crop pipeline for an imported official release, as the
reference's `Pose3dEstimator` computes it: crop network → absolute reconstruction
(ptgeometry, = the reference's `reconstruct_absolute`) → left/right relabelling of mirrored
crops → rotation back to the image camera → joint_transform_matrix → each skeleton's indices →
projection. Used by the TypeScript cross-check (packages/runtime/test/official-import.test.ts):

    python -m metrabs_train.official_reference SPEC.json OUT.json

SPEC: {"release": dir, "side": S, "n": n, "crops": file of n·S·S·3 float32 (NHWC),
       "onnx_coords2d"/"onnx_coords3d": files of the ONNX outputs the TypeScript run got,
       "K_crop": [n, 3, 3], "R": [n, 3, 3] (p_crop = R p_cam), "flip": [n], "K": [3, 3]}
OUT:  {"from_onnx": {skeleton: {"poses3d": [n, J, 3], "poses2d": [n, J, 2]}},
       "from_torch": {...the same from PyTorch's own outputs on the crops...},
       "max_abs_diff": {"coords2d": px, "coords3d": mm}}
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

from . import ptgeometry
from .import_official import OWN_SKELETON, mirror_map
from .official_model import build_release_model
from .official_release import ReleaseInfo, read_release


def poses_per_skeleton(info: ReleaseInfo, coords2d: np.ndarray, coords3d: np.ndarray,
                       spec: dict) -> dict[str, dict[str, list]]:
    k_crop = torch.tensor(spec['K_crop'], dtype=torch.float64)
    absolute = ptgeometry.reconstruct_absolute(
        torch.from_numpy(coords2d).double(), torch.from_numpy(coords3d).double(), k_crop,
        side=info.proc_side, stride_train=info.stride_train, centered=info.centered_stride,
        mix_3d_inside_fov=info.mix_3d_inside_fov, tikhonov=1e-2).numpy()
    mirror = mirror_map(info.joint_names)
    flip = np.asarray(spec['flip'], bool)
    absolute = np.where(flip[:, None, None], absolute[:, mirror], absolute)
    rotation = np.asarray(spec['R'], np.float64)
    camera = np.einsum('nij,nki->nkj', rotation, absolute)  # p_cam = Rᵀ p_crop
    outputs = np.einsum('nik,iN->nNk', camera, info.joint_transform.astype(np.float64))
    intrinsics = np.asarray(spec['K'], np.float64)

    def entry(poses3d: np.ndarray) -> dict[str, list]:
        projected = poses3d / poses3d[..., 2:]
        return dict(poses3d=poses3d.tolist(), poses2d=(projected @ intrinsics.T)[..., :2].tolist())

    result = {OWN_SKELETON: entry(camera)}
    for name, s in info.skeletons.items():
        result[name] = entry(outputs[:, s['indices']])
    return result


def main(argv: list[str] | None = None) -> int:
    spec_path, out_path = (argv or sys.argv[1:])[:2]
    spec = json.loads(Path(spec_path).read_text())
    info = read_release(spec['release'])
    n, side = spec['n'], spec['side']
    j = info.num_joints

    def floats(key: str, shape: tuple[int, ...]) -> np.ndarray:
        return np.fromfile(spec[key], np.float32).reshape(shape)

    crops = floats('crops', (n, side, side, 3))
    onnx2d, onnx3d = floats('onnx_coords2d', (n, j, 2)), floats('onnx_coords3d', (n, j, 3))
    model = build_release_model(info, info.state_dict)
    with torch.no_grad():
        torch2d, torch3d = (t.numpy() for t in model(torch.from_numpy(crops)))
    result = dict(
        from_onnx=poses_per_skeleton(info, onnx2d, onnx3d, spec),
        from_torch=poses_per_skeleton(info, torch2d, torch3d, spec),
        max_abs_diff=dict(coords2d=float(np.abs(torch2d - onnx2d).max()),
                          coords3d=float(np.abs(torch3d - onnx3d).max())),
        max_abs=dict(coords2d=float(np.abs(torch2d).max()), coords3d=float(np.abs(torch3d).max())))
    Path(out_path).write_text(json.dumps(result))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
