"""Procedural toy dataset: stick-figure people in the canonical `smpl+head_30` skeleton.

For tests and the tiny fixture model (the real synthetic renderer is the TypeScript one). Each
image has 1–3 people, posed from the registry's reference pose (fixtures/skeletons.json) by
rotating every bone's direction by a random angle (bone lengths kept, hierarchical), turned by a
random yaw, scaled to 0.85–1.15 of the reference height, standing on a floor 2.5–9 m in front of
a random camera (fov 40–90°, image 256–512 px, small roll and pitch, sometimes OpenCV radial and
tangential distortion). People are drawn with cv2 as thick anti-aliased lines, far to near (so
nearer people occlude farther ones), on a random background (colour gradient, random shapes,
noise). The colour encodes body part and side: left limbs in warm hues (red arm, orange leg, pink
girdle/face), right limbs in cool hues (blue arm, cyan leg, violet girdle/face), the trunk green
and the head a light skin-coloured disc.

Labels follow docs/dataset-format.md: joints3d (camera frame mm; null for the 2D-only people
drawn with probability `p_2d_only`, some of whose joints are then unlabelled), joints2d (with
distortion), joint_valid, in_image, occluded (another person drawn over the joint), box of the
visible drawn pixels (edges on pixel edges), truncated (cut by the image border), mask (RLE).
Everything is a pure function of the seed.

    python -m metrabs_train.toydata --out DIR --train N --validation M --test K --seed S
"""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from metrabs_train import cameras
from metrabs_train.dataset import (Skeleton, mask_to_rle, reference_pose_mm, write_dataset)

SPLITS = ('train', 'validation', 'test')
DRAW_SHIFT = 4  # sub-pixel precision of cv2 drawing: coordinates × 16
HEAD_RADIUS_MM = 105.0

# RGB colours by (side, part)
COLORS = {
    ('left', 'arm'): (230, 30, 30), ('left', 'leg'): (255, 140, 0),
    ('left', 'girdle'): (255, 80, 170), ('left', 'face'): (255, 80, 170),
    ('right', 'arm'): (40, 70, 255), ('right', 'leg'): (0, 200, 240),
    ('right', 'girdle'): (150, 80, 255), ('right', 'face'): (150, 80, 255),
    ('centre', 'trunk'): (40, 190, 60), ('centre', 'face'): (60, 60, 60),
}
HEAD_COLOR = (245, 215, 180)
WIDTH_MM = {'arm': 75.0, 'leg': 105.0, 'girdle': 90.0, 'trunk': 150.0, 'face': 25.0}
# Maximum random rotation of the bone ending at a joint (by joint-name suffix), degrees.
BONE_ROTATION_DEG = {'hip': 8, 'spi': 12, 'kne': 45, 'ank': 50, 'toe': 20, 'neck': 12,
                     'cla': 8, 'head': 20, 'sho': 10, 'elb': 80, 'wri': 75, 'han': 25}


@dataclasses.dataclass
class ToyConfig:
    """Ranges of the procedural scenes."""
    image_size: tuple[int, int] = (256, 512)
    fov_degrees: tuple[float, float] = (40.0, 90.0)
    depth_mm: tuple[float, float] = (2500.0, 9000.0)
    height_scale: tuple[float, float] = (0.85, 1.15)
    max_people: int = 3
    roll_degrees: float = 5.0
    pitch_degrees: float = 10.0
    distortion_prob: float = 0.3
    p_2d_only: float = 0.15
    unlabelled_joint_prob: float = 0.1  # for 2D-only people
    max_overlap: float = 0.25  # box intersection / smaller box area between people


def joint_side_and_part(name: str) -> tuple[str, str]:
    """('left'|'right'|'centre', 'arm'|'leg'|'girdle'|'face'|'trunk') of a canonical joint."""
    side = {'l': 'left', 'r': 'right'}.get(name[0], 'centre') if len(name) == 4 else 'centre'
    if name in ('pelv', 'neck', 'head', 'htop', 'nose') or name.startswith('spi'):
        return 'centre', 'face' if name == 'nose' else 'trunk'
    suffix = name[1:]
    part = {'kne': 'leg', 'ank': 'leg', 'toe': 'leg', 'sho': 'arm', 'elb': 'arm', 'wri': 'arm',
            'han': 'arm', 'hip': 'girdle', 'cla': 'girdle', 'eye': 'face', 'ear': 'face'}[suffix]
    return side, part


def edge_colors(skeleton: Skeleton) -> list[tuple[tuple[int, int, int], float]]:
    """(RGB colour, width mm) of each skeleton edge, by the side and part of its child joint."""
    styles = []
    for _, child in skeleton.edges:
        side, part = joint_side_and_part(skeleton.joint_names[child])
        styles.append((COLORS[(side, part)], WIDTH_MM[part]))
    return styles


# ---------------------------------------------------------------------------------------------
# Poses


def parents_of(skeleton: Skeleton) -> np.ndarray:
    """Parent joint of each joint in the edge tree rooted at joint 0 (−1 for the root)."""
    parents = np.full(skeleton.num_joints, -1)
    neighbours: dict[int, list[int]] = {}
    for a, b in skeleton.edges:
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)
    order, seen = [0], {0}
    for j in order:
        for k in neighbours.get(j, []):
            if k not in seen:
                parents[k] = j
                seen.add(k)
                order.append(k)
    return parents


def _topological_order(parents: np.ndarray) -> list[int]:
    order = [int(np.flatnonzero(parents == -1)[0])]
    for j in order:
        order.extend(int(k) for k in np.flatnonzero(parents == j))
    return order


def _random_rotation(rng: np.random.Generator, max_degrees: float) -> np.ndarray:
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis)
    angle = np.deg2rad(rng.uniform(0, max_degrees))
    return cv2.Rodrigues(axis * angle)[0]


def random_pose(reference: np.ndarray, skeleton: Skeleton, rng: np.random.Generator) -> np.ndarray:
    """Reference pose with every bone direction randomly rotated (hierarchically, keeping bone
    lengths); the root stays at the origin. Frame: y down, the person faces −z."""
    parents = parents_of(skeleton)
    pose = np.zeros_like(reference)
    rot = [np.eye(3) for _ in range(len(reference))]
    for j in _topological_order(parents):
        p = parents[j]
        if p < 0:
            pose[j] = reference[j]
            continue
        name = skeleton.joint_names[j]
        key = next((k for k in BONE_ROTATION_DEG if name.endswith(k) or name.startswith(k)), None)
        local = _random_rotation(rng, BONE_ROTATION_DEG[key]) if key else np.eye(3)
        rot[j] = rot[p] @ local
        pose[j] = pose[p] + rot[j] @ (reference[j] - reference[p])
    return pose


# ---------------------------------------------------------------------------------------------
# Cameras


def random_camera(rng: np.random.Generator, cfg: ToyConfig) -> dict:
    """Image size, K, distortion (12 coefficients, often zero) and world→camera rotation."""
    width, height = (int(v) for v in rng.integers(cfg.image_size[0], cfg.image_size[1] + 1, 2))
    K = cameras.intrinsics_from_fov(rng.uniform(*cfg.fov_degrees), width, height)
    R = (cameras.rotation_z(np.deg2rad(rng.uniform(-cfg.roll_degrees, cfg.roll_degrees)))
         @ cameras.rotation_x(np.deg2rad(rng.uniform(-cfg.pitch_degrees, cfg.pitch_degrees))))
    dist = np.zeros(12)
    if rng.random() < cfg.distortion_prob:
        corners = cameras.image_to_normalized(
            np.array([[0, 0], [width, height], [0, height], [width, 0]]), K)
        r2_max = float(np.max(np.sum(corners ** 2, axis=1)))
        dist[0] = rng.uniform(-0.12, 0.05) / max(1.0, r2_max)
        dist[2:4] = rng.uniform(-0.002, 0.002, 2)
    return dict(width=width, height=height, K=K, dist=dist, R=R)


# ---------------------------------------------------------------------------------------------
# Drawing


@dataclasses.dataclass
class DrawnPerson:
    joints3d: np.ndarray  # camera frame, mm
    joints2d: np.ndarray  # pixels, distorted
    items: list  # (depth, kind, payload) drawing primitives
    full_mask: np.ndarray  # all pixels of the person, ignoring other people


def _project(points: np.ndarray, cam: dict) -> np.ndarray:
    return cameras.project(points, cam['K'], cam['dist'])


def _fixed(points: np.ndarray) -> np.ndarray:
    return np.round(points * (1 << DRAW_SHIFT)).astype(np.int32)


def person_items(joints3d: np.ndarray, cam: dict, skeleton: Skeleton,
                 styles: list) -> list[tuple[float, str, tuple]]:
    """Drawing primitives of one person: one polyline per bone (sampled so that lens distortion
    bends it) and the head disc, each with its depth for far-to-near ordering."""
    f = float(cam['K'][0, 0])
    items = []
    for (a, b), (color, width_mm) in zip(skeleton.edges, styles):
        t = np.linspace(0, 1, 6)[:, None]
        pts3d = joints3d[a] * (1 - t) + joints3d[b] * t
        z = float(pts3d[:, 2].mean())
        thickness = max(2, int(round(f * width_mm / z)))
        items.append((z, 'line', (_project(pts3d, cam), color, thickness)))
    names = skeleton.joint_names
    head = 0.5 * (joints3d[names.index('head')] + joints3d[names.index('htop')])
    centre = _project(head[None], cam)[0]
    radius = f * HEAD_RADIUS_MM / head[2]
    items.append((float(head[2]), 'disc', (centre, HEAD_COLOR, max(2.0, radius))))
    items.sort(key=lambda item: -item[0])
    return items


def draw_items(canvas: np.ndarray, items: list, color=None, antialias: bool = True) -> None:
    """Draws primitives in order; `color` overrides theirs (for id buffers and masks)."""
    line_type = cv2.LINE_AA if antialias else cv2.LINE_8
    for _, kind, payload in items:
        if kind == 'line':
            pts, c, thickness = payload
            cv2.polylines(canvas, [_fixed(pts)], False, color if color is not None else c,
                          thickness=thickness, lineType=line_type, shift=DRAW_SHIFT)
        else:
            centre, c, radius = payload
            cv2.circle(canvas, tuple(_fixed(centre).tolist()), int(round(radius * (1 << DRAW_SHIFT))),
                       color if color is not None else c, thickness=-1, lineType=line_type,
                       shift=DRAW_SHIFT)


def random_background(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Smooth four-corner colour gradient, random shapes and noise (uint8 RGB)."""
    corners = rng.uniform(0, 255, (2, 2, 3)).astype(np.float32)
    image = cv2.resize(corners, (width, height), interpolation=cv2.INTER_LINEAR)
    for _ in range(int(rng.integers(2, 10))):
        color = tuple(float(c) for c in rng.uniform(0, 255, 3))
        x, y = rng.uniform([0, 0], [width, height])
        size = rng.uniform(0.05, 0.3) * max(width, height)
        kind = rng.integers(3)
        if kind == 0:
            cv2.rectangle(image, (int(x), int(y)), (int(x + size), int(y + size * rng.uniform(0.3, 2))),
                          color, -1)
        elif kind == 1:
            cv2.circle(image, (int(x), int(y)), int(size / 2), color, -1, cv2.LINE_AA)
        else:
            x2, y2 = rng.uniform([0, 0], [width, height])
            cv2.line(image, (int(x), int(y)), (int(x2), int(y2)), color,
                     int(rng.integers(1, 6)), cv2.LINE_AA)
    image += rng.normal(0, rng.uniform(2, 12), image.shape).astype(np.float32)
    return np.clip(image, 0, 255).astype(np.uint8)


# ---------------------------------------------------------------------------------------------
# Scenes


def _box_of(mask: np.ndarray) -> np.ndarray | None:
    """[x, y, w, h] of a mask's pixels, edges on pixel edges (centre ± 0.5)."""
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    return np.array([xs.min() - 0.5, ys.min() - 0.5, xs.max() - xs.min() + 1.0,
                     ys.max() - ys.min() + 1.0])


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection area over the smaller box's area."""
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    return w * h / min(a[2] * a[3], b[2] * b[3])


def place_person(rng: np.random.Generator, cam: dict, reference: np.ndarray, skeleton: Skeleton,
                 styles: list, cfg: ToyConfig, floor_y: float) -> DrawnPerson | None:
    """A random person standing on the floor somewhere in view (None if it would be mostly
    outside the image, or outside the distortion model's valid range)."""
    pose = random_pose(reference, skeleton, rng)
    pose = pose @ cameras.rotation_y(rng.uniform(-np.pi, np.pi)).T
    pose *= rng.uniform(*cfg.height_scale)
    depth = rng.uniform(*cfg.depth_mm)
    half_fov_x = np.arctan(cam['width'] / 2 / cam['K'][0, 0])
    x = depth * np.tan(rng.uniform(-0.9, 0.9) * half_fov_x)
    pose = pose + np.array([x, floor_y - pose[:, 1].max(), depth])
    joints3d = pose @ cam['R'].T
    if np.any(joints3d[:, 2] < 500):
        return None
    if cameras.has_distortion(cam['dist']):
        # Keep distorted people inside the view, where the lens model is monotonic.
        normalized = joints3d[:, :2] / joints3d[:, 2:]
        limit = cameras.image_to_normalized(
            np.array([[0, 0], [cam['width'], cam['height']]]), cam['K'])
        if np.any(normalized < limit[0]) or np.any(normalized > limit[1]):
            return None
    joints2d = _project(joints3d, cam)
    items = person_items(joints3d, cam, skeleton, styles)
    full = np.zeros((cam['height'], cam['width']), np.uint8)
    draw_items(full, items, color=1, antialias=False)
    box = _box_of(full)
    drawn_area = np.count_nonzero(full)
    if box is None or drawn_area < 30:
        return None
    return DrawnPerson(joints3d, joints2d, items, full.astype(bool))


def _in_image(joints2d: np.ndarray, width: int, height: int) -> np.ndarray:
    return np.all((joints2d >= -0.5) & (joints2d <= np.array([width, height]) - 0.5), axis=1)


def make_scene(rng: np.random.Generator, skeleton: Skeleton, reference: np.ndarray,
               cfg: ToyConfig) -> dict:
    """One example (dict for dataset.write_dataset): image, camera, people, meta."""
    styles = edge_colors(skeleton)
    while True:
        cam = random_camera(rng, cfg)
        floor_y = rng.uniform(900, 1800)
        wanted = int(rng.integers(1, cfg.max_people + 1))
        people: list[DrawnPerson] = []
        boxes: list[np.ndarray] = []
        for _ in range(wanted * 8):
            if len(people) == wanted:
                break
            person = place_person(rng, cam, reference, skeleton, styles, cfg, floor_y)
            if person is None:
                continue
            box = _box_of(person.full_mask)
            if all(_overlap(box, other) <= cfg.max_overlap for other in boxes):
                people.append(person)
                boxes.append(box)
        if people:
            break
    return _render_scene(rng, cam, people, skeleton, cfg)


def _render_scene(rng: np.random.Generator, cam: dict, people: list[DrawnPerson],
                  skeleton: Skeleton, cfg: ToyConfig) -> dict:
    width, height = cam['width'], cam['height']
    image = random_background(rng, width, height)
    ids = np.zeros((height, width), np.uint8)
    order = sorted(range(len(people)), key=lambda i: -float(np.median(people[i].joints3d[:, 2])))
    for i in order:
        draw_items(image, people[i].items)
        draw_items(ids, people[i].items, color=i + 1, antialias=False)
    labels = []
    for i, person in enumerate(people):
        visible = person.full_mask & (ids == i + 1)
        box = _box_of(visible)
        if box is None:
            continue
        labels.append(_person_labels(rng, person, i + 1, visible, box, ids, cam, cfg))
    R = cam['R']
    extrinsics = np.eye(4)
    extrinsics[:3, :3] = R
    return dict(
        image=image,
        camera=dict(intrinsic_matrix=cam['K'], distortion_coeffs=cam['dist'],
                    extrinsic_matrix=extrinsics, world_up=[0.0, -1.0, 0.0]),
        people=labels,
        meta=dict(generator='metrabs_train.toydata'),
    )


def _person_labels(rng: np.random.Generator, person: DrawnPerson, person_id: int,
                   visible: np.ndarray, box: np.ndarray, ids: np.ndarray, cam: dict,
                   cfg: ToyConfig) -> dict:
    width, height = cam['width'], cam['height']
    in_image = _in_image(person.joints2d, width, height)
    px = np.clip(np.round(person.joints2d).astype(int), 0, [width - 1, height - 1])
    under = ids[px[:, 1], px[:, 0]]
    occluded = in_image & (under != 0) & (under != person_id)
    full = person.full_mask
    truncated = bool(not in_image.all() or full[0].any() or full[-1].any() or full[:, 0].any()
                     or full[:, -1].any())
    j = len(person.joints2d)
    valid = np.ones(j, bool)
    joints3d = person.joints3d
    joints2d = person.joints2d.copy()
    if rng.random() < cfg.p_2d_only:
        joints3d = None
        valid = rng.random(j) >= cfg.unlabelled_joint_prob
        valid[0] = True
        joints2d[~valid] = 0.0
    return dict(
        box=box, joints3d=joints3d, joints2d=joints2d, joint_valid=valid.astype(int),
        in_image=in_image.astype(int), occluded=occluded.astype(int), truncated=truncated,
        mask=mask_to_rle(visible))


def generate_examples(num: int, seed: int, split_id: int = 0, skeleton: Skeleton | None = None,
                      cfg: ToyConfig | None = None) -> Iterator[dict]:
    """`num` toy examples; example i is a pure function of (seed, split_id, i)."""
    skeleton = skeleton or Skeleton.from_registry()
    reference = reference_pose_mm()
    cfg = cfg or ToyConfig()
    for i in range(num):
        rng = np.random.default_rng([seed, split_id, i])
        example = make_scene(rng, skeleton, reference, cfg)
        example['key'] = f'{i:06d}'
        yield example


def make_toy_dataset(out: str | Path, counts: dict[str, int], seed: int = 0,
                     shard_size: int = 100, cfg: ToyConfig | None = None,
                     image_format: str = 'jpg') -> Path:
    """Writes a toy dataset with the given number of examples per split."""
    skeleton = Skeleton.from_registry()
    extra = dict(license='CC0 (procedurally generated)',
                 sources=['metrabs_train.toydata: procedural stick figures'],
                 generator=dict(tool='metrabs_train.toydata', seed=seed))
    for split, n in counts.items():
        if n <= 0:
            continue
        split_id = SPLITS.index(split) if split in SPLITS else len(SPLITS) + sum(map(ord, split))
        write_dataset(out, f'toy-{seed}', skeleton,
                      generate_examples(n, seed, split_id, skeleton, cfg), split, shard_size,
                      image_format=image_format, manifest_extra=extra, overwrite=True)
    return Path(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', required=True, help='dataset directory to write')
    parser.add_argument('--train', type=int, default=100)
    parser.add_argument('--validation', type=int, default=20)
    parser.add_argument('--test', type=int, default=20)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--shard-size', type=int, default=100)
    parser.add_argument('--format', default='jpg', choices=['jpg', 'png'])
    parser.add_argument('--p-2d-only', type=float, default=ToyConfig.p_2d_only)
    args = parser.parse_args(argv)
    cfg = ToyConfig(p_2d_only=args.p_2d_only)
    counts = dict(train=args.train, validation=args.validation, test=args.test)
    make_toy_dataset(args.out, counts, args.seed, args.shard_size, cfg, args.format)
    print(f'wrote {args.out}: ' + ', '.join(f'{k} {v}' for k, v in counts.items()))


if __name__ == '__main__':
    main()
