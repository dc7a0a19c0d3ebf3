"""LSP Extended → the metrabs dataset format (docs/dataset-format.md): 2D-only real people.

Input: a folder laid out like `../shared/data/real/lspet/` — `images/imNNNNN.jpg` and
`joints.json` (per image 14 rows `[x, y, visible]`, copied from the dataset's `joints.mat`).
Output: a dataset whose skeleton is `lsp_14` (fixtures/skeletons.json) with `joints3d: null`,
in two splits, `train` and `validation`, fixed by `split_lspet` (seeded, by image).

Conventions decided here (docs/training.md, "Real 2D data"):
- Pixel origin: the labels are MATLAB coordinates, 1-based (the first pixel's centre is 1), so
  1 is subtracted to reach our convention (integer = pixel centre, first pixel at 0). Checked on
  drawn crops (tests/test_lspet.py).
- `visible` 0 means "not annotated": the joint is invalid (its coordinates are meaningless).
- Box: the annotated joints' bounding box, grown on each side by `BOX_MARGIN` of its longer side
  (joints are inside the body; the detector's boxes reach the body's outline).
- Camera: unknown. Like the reference (metrabs_tf, 2D data), an assumed narrow field of view
  (`ASSUMED_FOV_DEG` along the longer side, principal point at the centre), so that crops are
  nearly affine and the 2D loss does not depend on the missing camera. Marked in `meta`.
- Images are copied byte for byte (JPEG).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from metrabs_train import cameras
from metrabs_train.dataset import DataError, Skeleton, write_dataset

SKELETON = 'lsp_14'
#: The split: `VALIDATION_IMAGES` images chosen by a permutation seeded with `SPLIT_SEED`.
SPLIT_SEED = 20261204
VALIDATION_IMAGES = 1000
BOX_MARGIN = 0.10
ASSUMED_FOV_DEG = 8.0
#: LSPET's joint order is lsp_14's (checked against joints.json's names when converting).
LSPET_JOINT_NAMES = ['right_ankle', 'right_knee', 'right_hip', 'left_hip', 'left_knee', 'left_ankle',
                     'right_wrist', 'right_elbow', 'right_shoulder', 'left_shoulder', 'left_elbow',
                     'left_wrist', 'neck', 'head_top']
LICENSE = ('research use only (LSP Extended: Flickr photographs, rights with their authors; '
           'cite Johnson & Everingham, CVPR 2011)')


def split_lspet(image_names: list[str], seed: int = SPLIT_SEED,
                validation_images: int = VALIDATION_IMAGES) -> dict[str, str]:
    """Image name → 'train' or 'validation'. Depends only on the set of names and the seed."""
    names = sorted(image_names)
    if not 0 < validation_images < len(names):
        raise ValueError(f'validation_images must be in 1…{len(names) - 1}, got {validation_images}')
    order = np.random.default_rng(seed).permutation(len(names))
    validation = {names[i] for i in order[:validation_images]}
    return {n: ('validation' if n in validation else 'train') for n in names}


def person_labels(rows: list, width: int, height: int) -> dict:
    """One LSPET annotation (14 × [x, y, visible], 1-based) → a 2D-only `people[]` entry."""
    arr = np.asarray(rows, np.float64)
    if arr.shape != (14, 3) or not np.all(np.isfinite(arr)):
        raise DataError(f'expected 14 finite [x, y, visible] rows, got shape {arr.shape}')
    valid = arr[:, 2] != 0
    if valid.sum() < 2:
        raise DataError('fewer than 2 annotated joints')
    joints2d = np.where(valid[:, None], arr[:, :2] - 1.0, 0.0)
    lo, hi = joints2d[valid].min(0), joints2d[valid].max(0)
    margin = BOX_MARGIN * max(hi - lo)
    box = [lo[0] - margin, lo[1] - margin, hi[0] - lo[0] + 2 * margin, hi[1] - lo[1] + 2 * margin]
    in_image = valid & np.all((joints2d >= -0.5) & (joints2d <= [width - 0.5, height - 0.5]), axis=1)
    return dict(box=box, joints3d=None, joints2d=joints2d, joint_valid=valid.astype(int),
                in_image=in_image.astype(int), truncated=bool((valid & ~in_image).any() or not valid.all()))


def assumed_camera(width: int, height: int) -> dict:
    K = cameras.intrinsics_from_fov(ASSUMED_FOV_DEG, width, height)
    return dict(intrinsic_matrix=K, distortion_coeffs=[], extrinsic_matrix=None, world_up=[0, -1, 0])


def _image_size(data: bytes) -> tuple[int, int]:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise DataError('cannot decode the image')
    return image.shape[1], image.shape[0]


def read_annotations(src: Path) -> dict[str, list]:
    path = src / 'joints.json'
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise DataError(f'{path}: cannot read the LSPET annotations ({e})') from None
    if doc.get('joint_names') != LSPET_JOINT_NAMES:
        raise DataError(f'{path}: unexpected joint order {doc.get("joint_names")}')
    return doc['images']


def _examples(src: Path, names: list[str], annotations: dict[str, list],
              skipped: list[str]) -> Iterator[dict]:
    for name in names:
        data = (src / 'images' / name).read_bytes()
        try:
            width, height = _image_size(data)
            person = person_labels(annotations[name], width, height)
        except DataError as e:
            skipped.append(f'{name}: {e}')
            continue
        yield dict(key=Path(name).stem, image=data, image_ext='jpg', width=width, height=height,
                   camera=assumed_camera(width, height), people=[person],
                   meta=dict(source=f'lspet/images/{name}', camera_assumed=True))


def convert_lspet(src: str | Path, out: str | Path, *, limit: int = 0, shard_size: int = 1000,
                  seed: int = SPLIT_SEED, validation_images: int = VALIDATION_IMAGES,
                  progress: bool = True) -> dict:
    """Writes both splits; returns {split: manifest entry, 'skipped': [...]}. `limit` keeps only
    the first `limit` images of each split (for tests and quick looks)."""
    src, out = Path(src), Path(out)
    if not (src / 'images').is_dir():
        raise DataError(f'{src}: no images/ folder (expected the LSPET layout, e.g. ../shared/data/real/lspet)')
    annotations = read_annotations(src)
    missing = [n for n in annotations if not (src / 'images' / n).is_file()]
    if missing:
        raise DataError(f'{src}/images: {len(missing)} annotated images are missing, e.g. {missing[0]}')
    assignment = split_lspet(list(annotations), seed, validation_images)
    skeleton = Skeleton.from_registry(SKELETON)
    extra = dict(license=LICENSE, sources=['LSP Extended (Johnson & Everingham, CVPR 2011): '
                                           f'{len(annotations)} images with 14-joint 2D labels'],
                 generator=dict(tool='metrabs_train.lspet', split_seed=seed,
                                validation_images=validation_images, box_margin=BOX_MARGIN,
                                assumed_fov_deg=ASSUMED_FOV_DEG))
    result: dict = {'skipped': []}
    for split in ('train', 'validation'):
        names = sorted(n for n, s in assignment.items() if s == split)
        if limit:
            names = names[:limit]
        result[split] = write_dataset(out, 'lspet', skeleton,
                                      _examples(src, names, annotations, result['skipped']),
                                      split, shard_size, manifest_extra=extra, overwrite=True)
        if progress:
            print(f'lspet {split}: {result[split]["examples"]} images', file=sys.stderr)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m metrabs_train.lspet', description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help='the LSPET folder (e.g. ../shared/data/real/lspet)')
    parser.add_argument('--out', required=True, help='dataset directory to write')
    parser.add_argument('--limit', type=int, default=0, help='only the first N images of each split')
    args = parser.parse_args(argv)
    try:
        result = convert_lspet(args.src, args.out, limit=args.limit)
    except (DataError, OSError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    for line in result['skipped']:
        print(f'skipped {line}', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
