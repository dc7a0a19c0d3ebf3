#!/usr/bin/env python3
"""Peer baseline: MediaPipe BlazePose (full) on every person of a metrabs dataset split.

For each image of the split (manifest shard order) and each entry of its labels' `people`
list, a square crop around the person's ground-truth `box` is fed to the legacy
`mediapipe.solutions.pose` graph (model_complexity=1, static_image_mode=True: the pose
detector runs on every crop, nothing is tracked from one crop to the next). The 2D landmarks
are mapped back to full-image pixels, the world landmarks are converted to mm, and one JSON
line per person is written (format: training/baselines/README.md), scored by
`metrabs eval --baseline FILE`.

Run it with the baseline's own environment (training/baselines/blazepose/setup.sh):

    training/baselines/blazepose/.venv/bin/python training/baselines/blazepose/run_blazepose.py \\
        --dataset /work/data/synth-v1 --split test --out blazepose-test.jsonl
"""
from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import sys
import tarfile
import time
from pathlib import Path

# MediaPipe's C++ logging (glog/absl) goes to stderr; keep it to errors so progress stays readable.
os.environ.setdefault('GLOG_minloglevel', '2')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

MEDIAPIPE_VERSION = '0.10.14'
MODEL = f'mediapipe BlazePose full (mediapipe {MEDIAPIPE_VERSION}, pose_landmark_full.tflite)'
SETUP_HINT = 'run training/baselines/blazepose/setup.sh and use training/baselines/blazepose/.venv/bin/python'

# Our joint name ← BlazePose landmark index (MediaPipe's "left" is the person's left, as ours).
JOINTS = [
    ('nose', 0), ('leye', 2), ('reye', 5), ('lear', 7), ('rear', 8),
    ('lsho', 11), ('rsho', 12), ('lelb', 13), ('relb', 14), ('lwri', 15), ('rwri', 16),
    ('lhip', 23), ('rhip', 24), ('lkne', 25), ('rkne', 26), ('lank', 27), ('rank', 28),
]
JOINT_NAMES = [name for name, _ in JOINTS]
LANDMARKS = [index for _, index in JOINTS]
LHIP, RHIP = JOINT_NAMES.index('lhip'), JOINT_NAMES.index('rhip')

INPUT_SIZE = 256   # crops are resized to this square before BlazePose
MIN_SIDE = 8       # smallest crop side, pixels
IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.webp')


class UserError(Exception):
    """An error reported as one line, without a traceback."""


# ---------------------------------------------------------------------------------------------
# Dataset (plain tarfile + json, docs/dataset-format.md; independent of the trainer's reader)

def load_split(dataset: Path, split: str) -> list[Path]:
    manifest_path = dataset / 'manifest.json'
    if not manifest_path.is_file():
        raise UserError(f'no dataset at {dataset} ({manifest_path.name} missing)')
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError) as e:
        raise UserError(f'cannot read {manifest_path}: {e}') from None
    if manifest.get('format') != 'metrabs-dataset' or manifest.get('version') != 1:
        raise UserError(f'{manifest_path}: not a metrabs-dataset version 1 manifest')
    splits = manifest.get('splits') or {}
    if split not in splits:
        raise UserError(f"split '{split}' not in {manifest_path} (has: {', '.join(splits) or 'none'})")
    shards = [dataset / s['path'] for s in splits[split].get('shards', [])]
    for shard in shards:
        if not shard.is_file():
            raise UserError(f'shard listed in the manifest is missing: {shard}')
    return shards


def count_examples(dataset: Path, split: str) -> int:
    manifest = json.loads((dataset / 'manifest.json').read_text())
    return sum(int(s.get('examples', 0)) for s in manifest['splits'][split]['shards'])


def iter_examples(shards: list[Path]):
    """Yields (key, image bytes, labels dict) in shard order; image and labels are consecutive
    members with the same key. Unpaired members are skipped."""
    for shard in shards:
        try:
            with tarfile.open(shard, 'r:') as tar:
                pending = None  # (key, image bytes)
                for member in tar:
                    if not member.isfile():
                        continue
                    key, ext = os.path.splitext(member.name.rsplit('/', 1)[-1])
                    ext = ext.lower()
                    if ext in IMAGE_EXTS:
                        pending = (key, tar.extractfile(member).read())
                    elif ext == '.json':
                        if pending is not None and pending[0] == key:
                            try:
                                labels = json.loads(tar.extractfile(member).read())
                            except ValueError:
                                print(f'warning: {shard}: unparsable labels {member.name}, skipped',
                                      file=sys.stderr)
                            else:
                                yield key, pending[1], labels
                        pending = None
        except tarfile.TarError as e:
            raise UserError(f'{shard}: not a readable tar file ({e})') from None


# ---------------------------------------------------------------------------------------------
# Crops

def crop_geometry(box, margin: float, width: int, height: int):
    """Square crop around `box` [x, y, w, h] (edges on pixel edges; integer coordinates are pixel
    centres). Returns (left, side): the crop covers image coordinates [left, left + side] in x and
    [top, top + side] in y, edge to edge; side is a whole number of pixels."""
    x, y, w, h = (float(v) for v in box)
    if not all(math.isfinite(v) for v in (x, y, w, h)) or w <= 0 or h <= 0:
        raise ValueError('bad box')
    side = max(MIN_SIDE, int(round(margin * max(w, h))))
    cx, cy = x + w / 2, y + h / 2
    return (cx - side / 2, cy - side / 2), side


def make_crop(cv2, np, image, left_top, side: int):
    """The INPUT_SIZE² crop: a sub-pixel translation (bilinear, black outside the image) to a
    side² patch at native resolution, then a resize (area averaging when shrinking, bilinear when
    enlarging). Returns the crop and a function mapping crop pixels back to image pixels."""
    left, top = left_top
    # Crop pixel k has its centre at image coordinate left + 0.5 + k.
    m = np.array([[1, 0, left + 0.5], [0, 1, top + 0.5]], np.float64)
    patch = cv2.warpAffine(image, m, (side, side), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
    if side != INPUT_SIZE:
        interp = cv2.INTER_AREA if side > INPUT_SIZE else cv2.INTER_LINEAR
        patch = cv2.resize(patch, (INPUT_SIZE, INPUT_SIZE), interpolation=interp)
    scale = side / INPUT_SIZE

    def to_image(u, v):
        # u, v: crop pixels (integer = pixel centre) → image pixels (same convention).
        return left + (u + 0.5) * scale, top + (v + 0.5) * scale

    return np.ascontiguousarray(patch), to_image


# ---------------------------------------------------------------------------------------------

def import_mediapipe():
    import warnings
    warnings.filterwarnings('ignore', message='SymbolDatabase.GetPrototype')  # protobuf, harmless
    try:
        import cv2
        import numpy as np
        import mediapipe as mp
        from mediapipe.python.solutions import download_utils, pose as mp_pose
    except ImportError as e:
        raise UserError(f'mediapipe is not importable by {sys.executable} ({e}); {SETUP_HINT}') from None
    if mp.__version__ != MEDIAPIPE_VERSION:
        raise UserError(f'mediapipe {mp.__version__} found, {MEDIAPIPE_VERSION} expected; {SETUP_HINT}')
    model = Path(mp.__file__).parent / 'modules' / 'pose_landmark' / 'pose_landmark_full.tflite'
    if not model.is_file():
        raise UserError(f'bundled model missing: {model}; {SETUP_HINT}')

    def no_download(*args, **kwargs):  # complexity 1 is bundled; never fetch anything at runtime
        raise RuntimeError(f'mediapipe tried to download a model: {args}')
    download_utils.download_oss_model = no_download
    return cv2, np, mp_pose


def run(args) -> None:
    dataset = Path(args.dataset).resolve()
    shards = load_split(dataset, args.split)
    cv2, np, mp_pose = import_mediapipe()
    cv2.setNumThreads(1)

    total = count_examples(dataset, args.split)
    if args.limit is not None:
        total = min(total, args.limit)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + '.partial')

    header = {
        'format': 'metrabs-baseline-predictions',
        'version': 1,
        'model': MODEL,
        'dataset': str(dataset),
        'split': args.split,
        'joint_names': JOINT_NAMES,
        'landmark_indices': LANDMARKS,
        'joints3d_frame': ('root-relative, origin at the midpoint of lhip and rhip, mm, '
                           'camera-aligned axes (x right, y down, z forward)'),
        'joints2d_frame': 'full-image pixels',
        'crop': {
            'margin': args.margin,
            'side': f'round(margin * max(box w, box h)) pixels, at least {MIN_SIDE}',
            'centre': 'box centre',
            'outside_image': 'black',
            'input_size': INPUT_SIZE,
            'resize': 'area averaging when shrinking, bilinear when enlarging',
        },
        'settings': {'static_image_mode': True, 'model_complexity': 1, 'smooth_landmarks': False,
                     'enable_segmentation': False, 'min_detection_confidence': 0.5},
        'notes': ('world landmarks as BlazePose outputs them (metres → mm), re-centred exactly on '
                  'the lhip/rhip midpoint; 2D: MediaPipe normalized x·width − 0.5 (pixel-centre '
                  'convention) mapped from the crop to the image; visibility = BlazePose landmark '
                  'visibility; ms = wall time of Pose.process for the crop'),
        'created': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
    }

    pose = mp_pose.Pose(static_image_mode=True, model_complexity=1, smooth_landmarks=False,
                        enable_segmentation=False, min_detection_confidence=0.5)
    pose.process(np.zeros((INPUT_SIZE, INPUT_SIZE, 3), np.uint8))  # warm-up: graph start-up not in ms
    images = people = detected = 0
    ms_sum = 0.0
    start = last_report = time.monotonic()
    with pose, open(partial, 'w') as f:
        f.write(json.dumps(header) + '\n')
        f.flush()
        for key, image_bytes, labels in iter_examples(shards):
            if images >= total:
                break
            image = cv2.imdecode(np.frombuffer(image_bytes, np.uint8), cv2.IMREAD_COLOR)
            if image is None:
                raise UserError(f'{key}: image does not decode')
            image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
            height, width = image.shape[:2]
            for index, person in enumerate(labels.get('people') or []):
                record = {'key': key, 'person': index, 'detected': False, 'joints3d': None,
                          'joints2d': None, 'visibility': None, 'ms': None}
                try:
                    left_top, side = crop_geometry(person.get('box'), args.margin, width, height)
                except (TypeError, ValueError):
                    record['skipped'] = 'bad box'
                    f.write(json.dumps(record) + '\n')
                    people += 1
                    continue
                crop, to_image = make_crop(cv2, np, image, left_top, side)
                t0 = time.perf_counter()
                result = pose.process(crop)
                ms = (time.perf_counter() - t0) * 1000
                record['ms'] = round(ms, 2)
                ms_sum += ms
                people += 1
                if result.pose_landmarks is not None and result.pose_world_landmarks is not None:
                    lm = result.pose_landmarks.landmark
                    wl = result.pose_world_landmarks.landmark
                    j2d = []
                    for i in LANDMARKS:
                        u, v = to_image(lm[i].x * INPUT_SIZE - 0.5, lm[i].y * INPUT_SIZE - 0.5)
                        j2d.append([round(u, 2), round(v, 2)])
                    j3d = np.array([[wl[i].x, wl[i].y, wl[i].z] for i in LANDMARKS]) * 1000.0
                    j3d -= (j3d[LHIP] + j3d[RHIP]) / 2
                    values = [*np.ravel(j2d), *j3d.ravel()]
                    if all(math.isfinite(v) for v in values):
                        detected += 1
                        record.update(
                            detected=True,
                            joints3d=[[round(float(c), 1) for c in row] for row in j3d],
                            joints2d=j2d,
                            visibility=[round(float(lm[i].visibility), 4) for i in LANDMARKS])
                f.write(json.dumps(record) + '\n')
            f.flush()
            images += 1
            now = time.monotonic()
            if now - last_report >= 5 or images == total:
                last_report = now
                elapsed = now - start
                eta = elapsed / images * (total - images)
                print(f'{images}/{total} images, {people} people, {detected} detected, '
                      f'{ms_sum / max(people, 1):.1f} ms/person, elapsed {elapsed:.0f}s, '
                      f'ETA {eta:.0f}s', file=sys.stderr, flush=True)
    os.replace(partial, out)
    rate = detected / people if people else 0.0
    print(f'wrote {out}: {images} images, {people} people, {detected} detected ({rate:.1%}), '
          f'{ms_sum / max(people, 1):.1f} ms/person', file=sys.stderr)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description='MediaPipe BlazePose (full) baseline: predictions for every person of a '
                    'metrabs dataset split, as JSONL for `metrabs eval --baseline`.')
    parser.add_argument('--dataset', required=True, help='dataset directory (with manifest.json)')
    parser.add_argument('--split', default='test', help='split name (default: test)')
    parser.add_argument('--out', required=True, help='output JSONL file (written as FILE.partial, '
                        'renamed when complete)')
    parser.add_argument('--limit', type=int, default=None, metavar='N',
                        help='only the first N images of the split')
    parser.add_argument('--margin', type=float, default=1.25,
                        help='crop side = margin × max(box w, box h), centred on the box (default 1.25)')
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 0:
        parser.error('--limit must be >= 0')
    if not (args.margin > 0 and math.isfinite(args.margin)):
        parser.error('--margin must be a positive number')
    try:
        run(args)
    except UserError as e:
        print(f'run_blazepose: error: {e}', file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print('run_blazepose: interrupted (the lines done so far are in the .partial file)',
              file=sys.stderr)
        return 130
    return 0


if __name__ == '__main__':
    sys.exit(main())
