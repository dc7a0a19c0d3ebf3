"""Real 2D poses → 3D pose galleries for `metrabs synth` (synth v2's new poses).

`python -m metrabs_train.lift_lspet LSPET_DATASET --out DIR` reads the LSPET training split in
our dataset format (made by `metrabs_train.lspet`; its validation split is never read), runs
BlazePose GHUM full (`pose_backbones`, the npm package's weights) on an upright crop of every
person as a 3D teacher, fits the synth rig to the 2D labels and the teacher's bone directions
(`poselift`), keeps the fits that pass the checks, and writes:

- `DIR/lspet/lspet_NNN.bvh`: pose galleries of `GALLERY_SIZE` poses (one frame per pose; the
  gallery number is what synth's splits hash), centimetres, Y up, lowest point on the floor;
- `DIR/poses.jsonl`: per person the source image, gallery and frame, the fit's reprojection
  error (torso units), teacher agreement and limit excess, and whether it was kept;
- `DIR/summary.json`: counts, medians and the thresholds used;
- `DIR/sheet.png`: a contact sheet — the photo crop with labels (green) and the fitted
  projection (red), the fit seen from the side, and from above.

The teacher's image-plane directions are trusted only where its 2D landmarks agree with the
human labels (`TEACHER_AGREE_TORSO`), so a teacher that mistook left for right or another
person does not decide the depth of that limb.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from metrabs_train import poselift as pl
from metrabs_train.dataset import DataError, open_dataset
from metrabs_train.pose_backbones import LANDMARKS, WORLD_LANDMARKS, TFLiteNet, npm_model_path, read_tflite

#: LSP joints (lsp_14 order) → model points.
LSP_TO_MODEL = ['r_ankle', 'r_knee', 'r_hip', 'l_hip', 'l_knee', 'l_ankle', 'r_wrist', 'r_elbow',
                'r_shoulder', 'l_shoulder', 'l_elbow', 'l_wrist', 'neck', 'head_end']
#: BlazePose GHUM landmark indices (person's left/right).
BP = dict(nose=0, l_ear=7, r_ear=8, l_shoulder=11, r_shoulder=12, l_elbow=13, r_elbow=14,
          l_wrist=15, r_wrist=16, l_pinky=17, r_pinky=18, l_index=19, r_index=20, l_hip=23,
          r_hip=24, l_knee=25, r_knee=26, l_ankle=27, r_ankle=28, l_foot_index=31, r_foot_index=32)
#: LSP joints compared with the teacher's 2D landmarks to decide which bones to trust.
LSP_TO_BP = {0: 'r_ankle', 1: 'r_knee', 2: 'r_hip', 3: 'l_hip', 4: 'l_knee', 5: 'l_ankle',
             6: 'r_wrist', 7: 'r_elbow', 8: 'r_shoulder', 9: 'l_shoulder', 10: 'l_elbow', 11: 'l_wrist'}
TEACHER_AGREE_TORSO = 0.35
CROP_SIDE = 256
GALLERY_SIZE = 50
#: A fit is kept when the median labelled joint lies within this many torso lengths of its
#: label, no limit is exceeded by more than `MAX_LIMIT_EXCESS_DEG`, and ≥ `MIN_LABELS` joints
#: are labelled.
MAX_MEDIAN_REPROJECTION = 0.15
MAX_LIMIT_EXCESS_DEG = 10.0
MIN_LABELS = 10


def _mid(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a + b) / 2


def teacher_crop(joints2d: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, float, float]:
    """The affine (2×3) image → upright 256² crop that MediaPipe's pose ROI would give: centred
    on the hip centre, turned so that hips → neck points up, side 2.5 × the farthest labelled
    joint's distance. Returns the matrix, the turn angle (rad) and the scale (crop px / px)."""
    hips = _mid(joints2d[2], joints2d[3]) if valid[2] and valid[3] else joints2d[valid].mean(0)
    up = joints2d[12] - hips if valid[12] else np.array([0.0, -1.0])
    if np.linalg.norm(up) < 1e-6:
        up = np.array([0.0, -1.0])
    theta = -math.pi / 2 - math.atan2(up[1], up[0])
    radius = max(float(np.linalg.norm(joints2d[valid] - hips, axis=1).max()), 8.0)
    scale = CROP_SIDE / (2.5 * radius)
    c, s = math.cos(theta) * scale, math.sin(theta) * scale
    m = np.array([[c, -s, 0.0], [s, c, 0.0]])
    m[:, 2] = CROP_SIDE / 2 - m[:, :2] @ hips
    return m, theta, scale


class Teacher:
    """BlazePose GHUM full on upright crops: 2D landmarks back in image pixels, and world
    landmarks (metres) turned back to the image's axes (x right, y down, z away)."""

    def __init__(self, variant: str = 'full'):
        graph = read_tflite(npm_model_path(variant))
        self.net = TFLiteNet(graph, outputs=[LANDMARKS, WORLD_LANDMARKS]).eval()

    @torch.no_grad()
    def __call__(self, crops: np.ndarray, mats: np.ndarray, thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = torch.from_numpy(crops).permute(0, 3, 1, 2).float() / 255
        lm, world = self.net(x)
        lm = lm.reshape(len(x), -1, 5)[:, :33, :2].double().numpy()
        world = world.reshape(len(x), -1, 3)[:, :33].double().numpy()
        img2d = np.empty_like(lm)
        for i, m in enumerate(mats):
            inv = cv2.invertAffineTransform(m)
            img2d[i] = lm[i] @ inv[:, :2].T + inv[:, 2]
        c, s = np.cos(-thetas)[:, None], np.sin(-thetas)[:, None]
        turned = world.copy()
        turned[..., 0] = c * world[..., 0] - s * world[..., 1]
        turned[..., 1] = s * world[..., 0] + c * world[..., 1]
        return img2d, turned


def teacher_directions(world: np.ndarray) -> np.ndarray:
    """The teacher's unit directions of `poselift.BONES` (B, len(BONES), 3)."""
    g = lambda n: world[:, BP[n]]  # noqa: E731
    pts = {
        'pelvis': _mid(g('l_hip'), g('r_hip')), 'neck': _mid(g('l_shoulder'), g('r_shoulder')),
        'nose': g('nose'), 'ears': _mid(g('l_ear'), g('r_ear')),
    }
    for s in 'lr':
        for n in ('shoulder', 'elbow', 'wrist', 'hip', 'knee', 'ankle'):
            pts[f'{s}_{n}'] = g(f'{s}_{n}')
        pts[f'{s}_hand_end'] = _mid(g(f'{s}_index'), g(f'{s}_pinky'))
        pts[f'{s}_toe_end'] = g(f'{s}_foot_index')
    d = np.stack([pts[b] - pts[a] for a, b in pl.BONES.values()], 1)
    return d / np.maximum(np.linalg.norm(d, axis=-1, keepdims=True), 1e-9)


def teacher_trust(teacher2d: np.ndarray, joints2d: np.ndarray, valid: np.ndarray, torso: np.ndarray) -> np.ndarray:
    """Which teacher bones to use (B, len(BONES)): a bone is trusted when the teacher's 2D
    landmarks at its labelled ends agree with the labels within `TEACHER_AGREE_TORSO`; hands,
    feet and face inherit the wrist's, ankle's and both shoulders' trust."""
    ok = {}
    for k, name in LSP_TO_BP.items():
        err = np.linalg.norm(teacher2d[:, BP[name]] - joints2d[:, k], axis=-1) / torso
        ok[name] = valid[:, k] & (err < TEACHER_AGREE_TORSO)
    both = lambda a, b: ok[a] & ok[b]  # noqa: E731
    trunk = ok['l_hip'] & ok['r_hip'] & ok['l_shoulder'] & ok['r_shoulder']
    rule = {
        'trunk': trunk, 'shoulders': both('l_shoulder', 'r_shoulder'), 'hips': both('l_hip', 'r_hip'),
        'face': both('l_shoulder', 'r_shoulder'),
    }
    for s in 'lr':
        rule[f'{s}_upperarm'] = both(f'{s}_shoulder', f'{s}_elbow')
        rule[f'{s}_forearm'] = both(f'{s}_elbow', f'{s}_wrist')
        rule[f'{s}_hand'] = ok[f'{s}_wrist']
        rule[f'{s}_thigh'] = both(f'{s}_hip', f'{s}_knee')
        rule[f'{s}_shin'] = both(f'{s}_knee', f'{s}_ankle')
        rule[f'{s}_foot'] = ok[f'{s}_ankle']
    return np.stack([rule[n] for n in pl.BONE_NAMES], 1)


def label_torso(joints2d: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Torso size in px for the teacher check (the fit computes the same from the labels)."""
    names = LSP_TO_MODEL
    return pl.label_torso(torch.from_numpy(joints2d), torch.from_numpy(valid.astype(float)), names).numpy()


def _draw_skeleton(img: np.ndarray, pts: np.ndarray, ok: np.ndarray, color, edges) -> None:
    for a, b in edges:
        if ok[a] and ok[b]:
            cv2.line(img, tuple(int(v) for v in pts[a]), tuple(int(v) for v in pts[b]), color, 2, cv2.LINE_AA)


LSP_EDGES = [(0, 1), (1, 2), (3, 4), (4, 5), (6, 7), (7, 8), (9, 10), (10, 11), (12, 13), (8, 12),
             (9, 12), (2, 8), (3, 9), (2, 3)]
MODEL_EDGES = [(pl.P[a], pl.P[b]) for a, b in [
    *[(pl.JOINTS[p], pl.JOINTS[j]) for j, p in enumerate(pl.PARENTS) if p >= 0],
    *[(on, name) for name, on, _ in pl.ENDS]]]


def contact_tile(image: np.ndarray, joints2d: np.ndarray, valid: np.ndarray, fitted2d: np.ndarray,
                 points_cam: np.ndarray, size: int = 200) -> np.ndarray:
    """Photo crop with labels (green) and fit (red) | the fit from the side | from above."""
    lo, hi = joints2d[valid].min(0), joints2d[valid].max(0)
    c, half = (lo + hi) / 2, max(float((hi - lo).max()) * 0.65, 20.0)
    m = np.array([[size / (2 * half), 0, size / 2 - c[0] * size / (2 * half)],
                  [0, size / (2 * half), size / 2 - c[1] * size / (2 * half)]])
    crop = cv2.warpAffine(image, m, (size, size))
    to = lambda p: p @ m[:, :2].T + m[:, 2]  # noqa: E731
    idx = [pl.P[n] for n in LSP_TO_MODEL]
    _draw_skeleton(crop, to(joints2d), valid, (0, 200, 0), LSP_EDGES)
    _draw_skeleton(crop, to(fitted2d[idx]), np.ones(14, bool), (230, 40, 40), LSP_EDGES)
    views = []
    rel = points_cam - points_cam[pl.P['pelvis']]
    for axes in ((2, 1), (0, 2)):  # side: z right, y down; above: x right, z down (away)
        v = np.full((size, size, 3), 245, np.uint8)
        xy = rel[:, axes] * (size / 2.2) + size / 2
        _draw_skeleton(v, xy, np.ones(len(xy), bool), (40, 40, 200), MODEL_EDGES)
        views.append(v)
    return np.concatenate([crop, *views], 1)


def lift(dataset_dir: Path, out: Path, limit: int | None = None, steps: int = 300,
         batch: int = 256, sheet_count: int = 24, log=print) -> dict:
    ds = open_dataset(dataset_dir)
    if ds.skeleton.get('name') != 'lsp_14':
        raise DataError(f'{dataset_dir}: expected an lsp_14 dataset (made by metrabs_train.lspet)')
    split = ds.split('train')
    people = list(split)[:limit] if limit else list(split)
    n = len(people)
    log(f'lifting {n} people from {dataset_dir} (train split)')
    joints2d = np.stack([p.joints2d for p in people]).astype(np.float64)
    valid = np.stack([p.joint_valid for p in people]).astype(bool)
    torso = label_torso(joints2d, valid)
    teacher = Teacher('full')
    t2d = np.zeros((n, 33, 2))
    world = np.zeros((n, 33, 3))
    t0 = time.time()
    for s in range(0, n, batch):
        crops, mats, thetas = [], [], []
        for p, j, v in zip(people[s:s + batch], joints2d[s:s + batch], valid[s:s + batch]):
            m, th, _ = teacher_crop(j, v)
            crops.append(cv2.warpAffine(split.load_image(p), m, (CROP_SIDE, CROP_SIDE),
                                        flags=cv2.INTER_AREA, borderMode=cv2.BORDER_CONSTANT))
            mats.append(m)
            thetas.append(th)
        t2d[s:s + batch], world[s:s + batch] = teacher(np.stack(crops), np.stack(mats), np.array(thetas))
        log(f'teacher {min(s + batch, n)}/{n} ({time.time() - t0:.0f} s)')
    tdirs = teacher_directions(world)
    trust = teacher_trust(t2d, joints2d, valid, torso)
    inits = [pl.init_from_directions(tdirs[i], trust[i]) for i in range(n)]
    root0 = torch.tensor(np.stack([r for r, _ in inits]))
    local0 = torch.tensor(np.stack([l for _, l in inits]))
    fits = []
    for s in range(0, n, 1000):
        sl = slice(s, s + 1000)
        fits.append(pl.fit(root0[sl], local0[sl], torch.from_numpy(joints2d[sl]),
                           torch.from_numpy(valid[sl].astype(float)), LSP_TO_MODEL,
                           torch.from_numpy(tdirs[sl]), torch.from_numpy(trust[sl].astype(float)), steps=steps))
        log(f'fit {min(s + 1000, n)}/{n} ({time.time() - t0:.0f} s)')
    res = {k: torch.cat([f[k] for f in fits]).numpy() for k in fits[0]}
    med = np.nanmedian(res['reprojection_torso'], axis=1)
    labelled = valid.sum(1)
    keep = (med <= MAX_MEDIAN_REPROJECTION) & (res['limit_excess_deg'] <= MAX_LIMIT_EXCESS_DEG) & (labelled >= MIN_LABELS)
    kept = np.flatnonzero(keep)
    gallery_dir = out / 'lspet'
    gallery_dir.mkdir(parents=True, exist_ok=True)
    for old in gallery_dir.glob('*.bvh'):
        old.unlink()
    where = {}
    for g, s in enumerate(range(0, len(kept), GALLERY_SIZE)):
        ids = kept[s:s + GALLERY_SIZE]
        path = gallery_dir / f'lspet_{g:03d}.bvh'
        path.write_text(pl.write_bvh(res['root'][ids], res['local'][ids]))
        for f, i in enumerate(ids):
            where[int(i)] = (path.name, f)
    trunk_up = _trunk_angles(res['points'])
    with open(out / 'poses.jsonl', 'w') as fh:
        for i, p in enumerate(people):
            g = where.get(i)
            fh.write(json.dumps({
                'image': p.key, 'person': p.person_index, 'kept': bool(keep[i]),
                'gallery': g[0] if g else None, 'frame': g[1] if g else None,
                'labelled_joints': int(labelled[i]),
                'median_reprojection_torso': round(float(med[i]), 4),
                'teacher_bones_used': int(trust[i].sum()),
                'teacher_cos_mean': round(float(res['teacher_cos'][i][trust[i]].mean()) if trust[i].any() else float('nan'), 4),
                'limit_excess_deg': round(float(res['limit_excess_deg'][i]), 2),
                'trunk_angle_from_up_deg': round(float(trunk_up[i]), 1),
            }) + '\n')
    summary = {
        'people': n, 'kept': int(keep.sum()), 'galleries': len(range(0, len(kept), GALLERY_SIZE)),
        'dropped': {
            'reprojection': int((med > MAX_MEDIAN_REPROJECTION).sum()),
            'limits': int((res['limit_excess_deg'] > MAX_LIMIT_EXCESS_DEG).sum()),
            'too_few_labels': int((labelled < MIN_LABELS).sum()),
        },
        'median_reprojection_torso': round(float(np.median(med[keep])), 4) if keep.any() else None,
        'p90_reprojection_torso': round(float(np.percentile(med[keep], 90)), 4) if keep.any() else None,
        'teacher_bones_trusted_fraction': round(float(trust.mean()), 3),
        'trunk_angle_from_up_deg_share': _angle_shares(trunk_up[keep]),
        'thresholds': {'median_reprojection_torso': MAX_MEDIAN_REPROJECTION,
                       'limit_excess_deg': MAX_LIMIT_EXCESS_DEG, 'min_labels': MIN_LABELS,
                       'teacher_agree_torso': TEACHER_AGREE_TORSO},
        'seconds': round(time.time() - t0, 1),
    }
    (out / 'summary.json').write_text(json.dumps(summary, indent=1) + '\n')
    if sheet_count:
        _write_sheet(out / 'sheet.png', split, people, joints2d, valid, res, kept, sheet_count)
    log(json.dumps(summary))
    return summary


def _trunk_angles(points: np.ndarray) -> np.ndarray:
    """Angle between the trunk (pelvis → neck) and up (−y of a level camera), degrees."""
    t = points[:, pl.P['neck']] - points[:, pl.P['pelvis']]
    cos = -t[:, 1] / np.maximum(np.linalg.norm(t, axis=-1), 1e-9)
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


def _angle_shares(angles: np.ndarray) -> dict:
    edges = [0, 30, 60, 120, 180.1]
    names = ['upright_<30', 'leaning_30-60', 'horizontal_60-120', 'inverted_>120']
    counts = np.histogram(angles, edges)[0]
    return {k: round(float(c) / max(len(angles), 1), 3) for k, c in zip(names, counts)}


def _write_sheet(path: Path, split, people, joints2d, valid, res, kept, count: int) -> None:
    rng = np.random.default_rng(0)
    pick = np.sort(rng.choice(kept, size=min(count, len(kept)), replace=False))
    tiles = []
    for i in pick:
        fitted2d = res['scale'][i] * res['points'][i][:, :2] + res['translation'][i]
        tiles.append(contact_tile(split.load_image(people[i]), joints2d[i], valid[i], fitted2d, res['points'][i]))
    cols = 2
    while len(tiles) % cols:
        tiles.append(np.full_like(tiles[0], 255))
    rows = [np.concatenate(tiles[r:r + cols], 1) for r in range(0, len(tiles), cols)]
    cv2.imwrite(str(path), cv2.cvtColor(np.concatenate(rows, 0), cv2.COLOR_RGB2BGR))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog='python -m metrabs_train.lift_lspet', description=__doc__.split('\n')[0])
    ap.add_argument('dataset', type=Path, help='LSPET in the dataset format (metrabs_train.lspet)')
    ap.add_argument('--out', type=Path, required=True, help='folder for the galleries and reports')
    ap.add_argument('--limit', type=int, help='only the first N people (a quick look)')
    ap.add_argument('--steps', type=int, default=300, help='optimisation steps per pose')
    ap.add_argument('--sheet', type=int, default=24, help='people on the contact sheet (0: none)')
    args = ap.parse_args(argv)
    try:
        lift(args.dataset, args.out, args.limit, args.steps, sheet_count=args.sheet,
             log=lambda m: print(m, file=sys.stderr, flush=True))
    except (DataError, ValueError, OSError) as e:
        print(f'lift_lspet: {e}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
