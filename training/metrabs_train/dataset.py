"""Reader and writer of the metrabs dataset format, version 1 (docs/dataset-format.md).

A dataset is `manifest.json` plus uncompressed tar shards per split; each example is an image
member followed by a `<key>.json` label member. The reader indexes every shard of a split once
(member offsets + validated labels, kept in memory), so that one training example — one PERSON of
one image — is random access: reading its image is a positioned read of the member's bytes,
decoded with OpenCV into RGB uint8.

Bad records found while indexing (missing image member, undecodable image header, non-finite or
wrong-length joints, joint arrays of the wrong J, empty or zero-size box, bad camera, unparsable
JSON…) are skipped and counted in `SkipLog`s (`Dataset.skipped`, `Split.skipped`); the reader
never crashes mid-epoch on them. An image whose bytes fail to decode at load time raises
`DataError`, which the torch layer (data.py) turns into a deterministic replacement. Corrupt
containers (missing or truncated shard, unknown format version) raise `DataError` naming the file.

Conventions: camera frame x right, y down, z forward, mm; pixels with integer coordinates at pixel
centres; box [x, y, w, h] in pixels; joints in the manifest skeleton's order.
"""
from __future__ import annotations

import collections
import dataclasses
import datetime
import hashlib
import io
import json
import math
import os
import re
import tarfile
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import cv2
import numpy as np

from metrabs_train import cameras

FORMAT_NAME = 'metrabs-dataset'
FORMAT_VERSION = 1
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.webp')
REPO_ROOT = Path(__file__).resolve().parents[2]
SKELETON_REGISTRY = REPO_ROOT / 'fixtures' / 'skeletons.json'
CANONICAL_SKELETON = 'smpl+head_30'


class DataError(Exception):
    """A dataset problem that the caller must see: bad manifest, missing/truncated shard,
    unsupported version, or an image that cannot be decoded at load time."""


# ---------------------------------------------------------------------------------------------
# Skeleton


class Skeleton(dict):
    """A skeleton as the manifest stores it — a dict with `name`, `joint_names`, `edges` and
    `mirror` (JSON-serialisable as is) — with attribute access and validation."""

    @property
    def name(self) -> str:
        return self['name']

    @property
    def joint_names(self) -> list[str]:
        return self['joint_names']

    @property
    def edges(self) -> list[list[int]]:
        return self['edges']

    @property
    def mirror(self) -> list[int]:
        """Left/right permutation: joint j of a mirrored pose is joint mirror[j] of the original."""
        return self['mirror']

    @property
    def num_joints(self) -> int:
        return len(self['joint_names'])

    @classmethod
    def from_dict(cls, d: Any) -> 'Skeleton':
        """From a manifest's `skeleton` object (validated: names, edges and an involutive mirror)."""
        if not isinstance(d, dict):
            raise DataError('manifest: "skeleton" must be an object')
        try:
            names = [str(n) for n in d['joint_names']]
            edges = [[int(a), int(b)] for a, b in d.get('edges', [])]
            mirror = [int(m) for m in d['mirror']]
            name = str(d.get('name', ''))
        except (KeyError, TypeError, ValueError) as e:
            raise DataError(f'manifest: malformed skeleton ({e!r})') from None
        j = len(names)
        if j == 0 or len(mirror) != j or sorted(mirror) != list(range(j)):
            raise DataError(f'manifest: skeleton mirror must be a permutation of {j} joints')
        if any(mirror[mirror[i]] != i for i in range(j)):
            raise DataError('manifest: skeleton mirror must be its own inverse')
        if any(not (0 <= a < j and 0 <= b < j) for a, b in edges):
            raise DataError('manifest: skeleton edge refers to a joint that does not exist')
        return cls(name=name, joint_names=names, edges=edges, mirror=mirror)

    def to_dict(self) -> dict:
        """A plain-dict copy (for JSON and checkpoints that should not need this class)."""
        return dict(name=self.name, joint_names=list(self.joint_names),
                    edges=[list(e) for e in self.edges], mirror=list(self.mirror))

    @classmethod
    def from_registry(cls, name: str = CANONICAL_SKELETON,
                      path: str | os.PathLike | None = None) -> 'Skeleton':
        """A skeleton of fixtures/skeletons.json (the registry exported by @metrabs/core)."""
        registry = json.loads(Path(path or SKELETON_REGISTRY).read_text())
        entry = registry['skeletons'][name]
        return cls.from_dict(dict(entry, name=name))


def reference_pose_mm(path: str | os.PathLike | None = None) -> np.ndarray:
    """The canonical skeleton's reference pose (J×3, camera-like frame: y down, facing −z, mm)."""
    registry = json.loads(Path(path or SKELETON_REGISTRY).read_text())
    return np.asarray(registry['reference_pose_mm'], np.float64)


# ---------------------------------------------------------------------------------------------
# Records


@dataclasses.dataclass
class SkipLog:
    """Counts of skipped records by reason, with a few example locations per reason."""
    reasons: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    examples: dict = dataclasses.field(default_factory=dict)
    max_examples_per_reason: int = 5

    @property
    def total(self) -> int:
        return sum(self.reasons.values())

    def add(self, reason: str, where: str) -> None:
        self.reasons[reason] += 1
        samples = self.examples.setdefault(reason, [])
        if len(samples) < self.max_examples_per_reason:
            samples.append(where)

    def update(self, other: 'SkipLog') -> None:
        for reason, count in other.reasons.items():
            self.reasons[reason] += count
            samples = self.examples.setdefault(reason, [])
            room = self.max_examples_per_reason - len(samples)
            samples.extend(other.examples.get(reason, [])[:max(room, 0)])

    def summary(self) -> str:
        if not self.reasons:
            return 'no records skipped'
        parts = [f'{n} × {r} (e.g. {", ".join(self.examples.get(r, [])[:2])})'
                 for r, n in self.reasons.most_common()]
        return f'{self.total} records skipped: ' + '; '.join(parts)

    def __str__(self) -> str:
        return self.summary()


@dataclasses.dataclass
class ImageRecord:
    """Where an example lives: shard index, byte offset and size of its image member (and of
    its label member) within the shard, and the image size the labels state."""
    shard: int
    offset: int
    size: int
    name: str
    width: int | None
    height: int | None
    labels_offset: int = 0
    labels_size: int = 0


@dataclasses.dataclass
class Person:
    """One training example: one person of one image, with validated labels (float64).

    joints3d is None for 2D-only data. `up_cam` is the world-up direction in the image camera's
    frame (from `world_up` and the extrinsics)."""
    index: int
    key: str
    person_index: int
    image: ImageRecord
    intrinsics: np.ndarray
    distortion: np.ndarray
    up_cam: np.ndarray
    box: np.ndarray
    joints3d: np.ndarray | None
    joints2d: np.ndarray
    joint_valid: np.ndarray
    in_image: np.ndarray
    occluded: np.ndarray
    truncated: bool

    @property
    def has_3d(self) -> bool:
        return self.joints3d is not None


class LabelError(ValueError):
    """A label problem found while indexing; the record is skipped with `reason`."""

    def __init__(self, reason: str, detail: str = ''):
        super().__init__(f'{reason}: {detail}' if detail else reason)
        self.reason = reason


# ---------------------------------------------------------------------------------------------
# Label validation


def _finite_array(value: Any, shape_tail: tuple[int, ...], num: int, what: str) -> np.ndarray:
    """Parses a J×D list of numbers; raises LabelError for wrong J, wrong D or non-finite values."""
    if not isinstance(value, list):
        raise LabelError(f'malformed {what}', f'expected a list, got {type(value).__name__}')
    if len(value) != num:
        raise LabelError(f'wrong joint count in {what}', f'expected {num}, got {len(value)}')
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise LabelError(f'wrong-length or non-numeric rows in {what}') from None
    if arr.shape != (num, *shape_tail):
        raise LabelError(f'wrong-length or non-numeric rows in {what}',
                         f'expected shape {(num, *shape_tail)}, got {arr.shape}')
    if not np.all(np.isfinite(arr)):
        raise LabelError(f'non-finite values in {what}')
    return arr


def _flags(value: Any, num: int, what: str, default: int | None = None) -> np.ndarray:
    if value is None and default is not None:
        return np.full(num, bool(default))
    arr = _finite_array(value, (), num, what)
    return arr != 0


def parse_camera(camera: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(K, 12 distortion coefficients, world-up in the camera frame) of a label's `camera`."""
    if not isinstance(camera, dict):
        raise LabelError('bad camera', 'missing "camera" object')
    try:
        K = np.array(camera['intrinsic_matrix'], np.float64)
    except (KeyError, TypeError, ValueError):
        raise LabelError('bad camera', 'missing or malformed intrinsic_matrix') from None
    if K.shape != (3, 3) or not np.all(np.isfinite(K)) or abs(np.linalg.det(K)) < 1e-9:
        raise LabelError('bad camera', 'intrinsic_matrix must be a finite invertible 3×3 matrix')
    try:
        dist = cameras.distortion_coeffs(camera.get('distortion_coeffs'))
    except (cameras.GeometryError, TypeError, ValueError) as e:
        raise LabelError('bad camera', str(e)) from None
    up = camera.get('world_up')
    up = np.array([0.0, -1.0, 0.0]) if up is None else np.array(up, np.float64)
    if up.shape != (3,) or not np.all(np.isfinite(up)) or not np.linalg.norm(up) > 0:
        raise LabelError('bad camera', 'world_up must be a finite non-zero 3-vector')
    extrinsics = camera.get('extrinsic_matrix')
    if extrinsics is not None:
        E = np.array(extrinsics, np.float64)
        if E.shape != (4, 4) or not np.all(np.isfinite(E)):
            raise LabelError('bad camera', 'extrinsic_matrix must be a finite 4×4 matrix')
        up = E[:3, :3] @ up
    return K, dist, up


def parse_person(p: Any, num_joints: int, image_size: tuple[int, int] | None = None) -> dict:
    """Validates one `people[]` entry; returns its arrays or raises LabelError. Missing optional
    flags default to: in_image from joints2d and the image size (else all 1), occluded 0,
    truncated false."""
    if not isinstance(p, dict):
        raise LabelError('malformed person', 'not an object')
    box = p.get('box')
    if not isinstance(box, list) or len(box) != 4:
        raise LabelError('bad box', f'expected [x, y, w, h], got {box!r}')
    try:
        box = np.array(box, np.float64)
    except (TypeError, ValueError):
        raise LabelError('bad box', 'non-numeric') from None
    if not np.all(np.isfinite(box)):
        raise LabelError('bad box', 'non-finite')
    if not (box[2] > 0 and box[3] > 0):
        raise LabelError('empty or zero-size box', f'{box.tolist()}')
    joints3d = p.get('joints3d')
    if joints3d is not None:
        joints3d = _finite_array(joints3d, (3,), num_joints, 'joints3d')
    joints2d = _finite_array(p.get('joints2d'), (2,), num_joints, 'joints2d')
    joint_valid = _flags(p.get('joint_valid'), num_joints, 'joint_valid')
    if not joint_valid.any():
        raise LabelError('no valid joints')
    if p.get('in_image') is None and image_size is not None:
        in_image = np.all((joints2d >= -0.5) & (joints2d <= np.array(image_size) - 0.5), axis=1)
    else:
        in_image = _flags(p.get('in_image'), num_joints, 'in_image', default=1)
    return dict(box=box, joints3d=joints3d, joints2d=joints2d, joint_valid=joint_valid,
                in_image=in_image,
                occluded=_flags(p.get('occluded'), num_joints, 'occluded', default=0),
                truncated=bool(p.get('truncated', False)))


def _sniff_image(head: bytes) -> bool:
    """True if the bytes start like a JPEG, PNG or WebP file."""
    return (head[:3] == b'\xff\xd8\xff' or head[:8] == b'\x89PNG\r\n\x1a\n'
            or (head[:4] == b'RIFF' and head[8:12] == b'WEBP'))


# ---------------------------------------------------------------------------------------------
# Shard indexing


def _split_name(member: str) -> tuple[str, str]:
    base = member.rsplit('/', 1)[-1]
    stem, dot, ext = base.rpartition('.')
    return (stem, '.' + ext.lower()) if dot else (base, '')


def _iter_members(path: Path) -> Iterator[tuple[tarfile.TarInfo, tarfile.TarFile]]:
    """Regular-file members of a tar shard, with a clear DataError (naming the file) when the
    shard is missing, not a tar file or truncated."""
    if not path.is_file():
        raise DataError(f'{path}: shard listed in the manifest does not exist')
    file_size = path.stat().st_size
    try:
        with tarfile.open(path, mode='r:') as tf:
            while True:
                try:
                    info = tf.next()
                except tarfile.TarError as e:
                    raise DataError(f'{path}: corrupt or truncated tar shard ({e})') from None
                if info is None:
                    break
                if info.offset_data + info.size > file_size:
                    raise DataError(
                        f'{path}: truncated tar shard: member {info.name!r} needs bytes up to '
                        f'{info.offset_data + info.size} but the file has {file_size}')
                if info.isreg():
                    yield info, tf
    except tarfile.TarError as e:
        raise DataError(f'{path}: not a readable tar shard ({e})') from None


def index_shard(path: Path, shard_id: int, num_joints: int, first_index: int,
                skipped: SkipLog) -> tuple[list[Person], int]:
    """Reads all labels of one shard. Returns (people, number of examples seen)."""
    people: list[Person] = []
    pending: tuple[str, tarfile.TarInfo, bool] | None = None  # (key, image member, sniff ok)
    examples = 0

    def flush_pending_image():
        if pending is not None:
            skipped.add('image without labels', f'{path.name}:{pending[1].name}')

    for info, tf in _iter_members(path):
        key, ext = _split_name(info.name)
        if ext in IMAGE_EXTENSIONS:
            flush_pending_image()
            head = tf.extractfile(info).read(16) if info.size else b''
            pending = (key, info, info.size > 0 and _sniff_image(head))
            continue
        if ext != '.json':
            continue
        examples += 1
        where = f'{path.name}:{info.name}'
        image = pending if pending is not None and pending[0] == key else None
        if image is None:
            flush_pending_image()
        pending = None
        if image is None:
            skipped.add('missing image member', where)
            continue
        if not image[2]:
            skipped.add('undecodable image', f'{path.name}:{image[1].name}')
            continue
        try:
            labels = json.loads(tf.extractfile(info).read())
            if not isinstance(labels, dict):
                raise ValueError('labels are not a JSON object')
        except ValueError as e:
            skipped.add('unparsable labels', f'{where} ({e})')
            continue
        new = _people_of_example(labels, key, image[1], info, shard_id, num_joints,
                                 first_index + len(people), where, skipped)
        people.extend(new)
    flush_pending_image()
    return people, examples


def _people_of_example(labels: dict, key: str, image_info: tarfile.TarInfo,
                       labels_info: tarfile.TarInfo, shard_id: int, num_joints: int,
                       first_index: int, where: str, skipped: SkipLog) -> list[Person]:
    try:
        K, dist, up_cam = parse_camera(labels.get('camera'))
    except LabelError as e:
        skipped.add(e.reason, f'{where} ({e})')
        return []
    meta = labels.get('image') if isinstance(labels.get('image'), dict) else {}
    record = ImageRecord(shard_id, image_info.offset_data, image_info.size, image_info.name,
                         _optional_int(meta.get('width')), _optional_int(meta.get('height')),
                         labels_info.offset_data, labels_info.size)
    people = []
    raw_people = labels.get('people')
    if not isinstance(raw_people, list):
        skipped.add('malformed people list', where)
        return []
    for i, raw in enumerate(raw_people):
        try:
            size = (record.width, record.height) if record.width and record.height else None
            fields = parse_person(raw, num_joints, size)
        except LabelError as e:
            skipped.add(e.reason, f'{where} person {i}')
            continue
        people.append(Person(index=first_index + len(people), key=str(labels.get('key', key)),
                             person_index=i, image=record, intrinsics=K, distortion=dist,
                             up_cam=up_cam, **fields))
    return people


def _optional_int(v: Any) -> int | None:
    return int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def mask_to_rle(mask: np.ndarray) -> dict:
    """A boolean H×W mask → the format's run lengths: row-major, alternating background and
    foreground runs, starting with background (a first run may be 0)."""
    flat = np.asarray(mask, bool).reshape(-1)
    if flat.size == 0:
        return dict(size=list(np.shape(mask)), runs=[])
    changes = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    runs = np.diff(np.concatenate([[0], changes, [flat.size]]))
    if flat[0]:
        runs = np.concatenate([[0], runs])
    return dict(size=[int(mask.shape[0]), int(mask.shape[1])], runs=runs.astype(int).tolist())


def rle_to_mask(rle: dict) -> np.ndarray:
    """Inverse of mask_to_rle; raises ValueError if the runs do not cover the grid exactly."""
    h, w = (int(v) for v in rle['size'])
    runs = np.asarray(rle['runs'], np.int64)
    if np.any(runs < 0) or runs.sum() != h * w:
        raise ValueError(f'mask runs sum to {runs.sum()}, expected {h}×{w} = {h * w}')
    values = np.arange(len(runs)) % 2 == 1
    return np.repeat(values, runs).reshape(h, w)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# Reader


class Split(Sequence[Person]):
    """The people of one split, random access. `split[i]` is a `Person`; `load_image(person)`
    returns its image as RGB uint8 (H×W×3). Safe to use from forked DataLoader workers: file
    handles are opened per process and images are read with positioned reads."""

    def __init__(self, root: Path, name: str, shard_paths: list[Path], skeleton: Skeleton,
                 people: list[Person], examples: int, skipped: SkipLog):
        self.root = root
        self.name = name
        self.shard_paths = shard_paths
        self.skeleton = skeleton
        self.people = people
        self.num_examples = examples
        self.skipped = skipped
        self._fds: dict[int, int] = {}
        self._pid = os.getpid()

    def __len__(self) -> int:
        return len(self.people)

    def __getitem__(self, i):  # type: ignore[override]
        return self.people[i]

    def __getstate__(self):
        state = dict(self.__dict__)
        state['_fds'] = {}
        return state

    def _fd(self, shard: int) -> int:
        if self._pid != os.getpid():  # forked: never share descriptors with the parent
            self._fds, self._pid = {}, os.getpid()
        fd = self._fds.get(shard)
        if fd is None:
            fd = os.open(self.shard_paths[shard], os.O_RDONLY)
            self._fds[shard] = fd
        return fd

    def read_image_bytes(self, person: Person) -> bytes:
        rec = person.image
        data = os.pread(self._fd(rec.shard), rec.size, rec.offset)
        if len(data) != rec.size:
            raise DataError(f'{self.shard_paths[rec.shard]}:{rec.name}: short read '
                            f'({len(data)} of {rec.size} bytes); shard truncated?')
        return data

    def read_labels(self, person: Person) -> dict:
        """The full label JSON of the person's example (incl. masks and meta), re-read from disk."""
        rec = person.image
        data = os.pread(self._fd(rec.shard), rec.labels_size, rec.labels_offset)
        return json.loads(data)

    def load_image(self, person: Person) -> np.ndarray:
        """Decodes the person's image (RGB uint8). Raises DataError if it cannot be decoded or
        its size differs from the labels'."""
        rec = person.image
        where = f'{self.shard_paths[rec.shard]}:{rec.name}'
        data = np.frombuffer(self.read_image_bytes(person), np.uint8)
        image = cv2.imdecode(data, cv2.IMREAD_COLOR)
        if image is None:
            raise DataError(f'{where}: image could not be decoded')
        h, w = image.shape[:2]
        if (rec.width is not None and rec.width != w) or (rec.height is not None and rec.height != h):
            raise DataError(f'{where}: image is {w}×{h} but its labels say {rec.width}×{rec.height}')
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)

    def close(self) -> None:
        if self._pid == os.getpid():
            for fd in self._fds.values():
                os.close(fd)
        self._fds = {}

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class Dataset:
    """An opened dataset: validated manifest, skeleton, and lazily indexed splits."""

    def __init__(self, root: Path, manifest: dict, verify_sha256: bool = False):
        self.root = root
        self.manifest = manifest
        self.skeleton = Skeleton.from_dict(manifest['skeleton'])
        self.verify_sha256 = verify_sha256
        self.skipped = SkipLog()
        self._splits: dict[str, Split] = {}

    @property
    def name(self) -> str:
        return str(self.manifest.get('name', ''))

    @property
    def splits(self) -> list[str]:
        """Names of the splits the manifest lists."""
        return list(self.manifest.get('splits', {}))

    def split(self, name: str) -> Split:
        """The people of split `name` (indexed on first use, then cached)."""
        if name not in self._splits:
            self._splits[name] = self._index_split(name)
        return self._splits[name]

    def _index_split(self, name: str) -> Split:
        splits = self.manifest.get('splits', {})
        if name not in splits:
            raise DataError(f'{self.root}: no split {name!r} in the manifest '
                            f'(has {sorted(splits)})')
        shards = splits[name].get('shards', [])
        skipped = SkipLog()
        people: list[Person] = []
        paths: list[Path] = []
        examples = 0
        for shard_id, entry in enumerate(shards):
            path = self.root / entry['path']
            paths.append(path)
            if self.verify_sha256 and entry.get('sha256'):
                if file_sha256(path) != entry['sha256']:
                    raise DataError(f'{path}: sha256 does not match the manifest')
            new, n = index_shard(path, shard_id, self.skeleton.num_joints, len(people), skipped)
            expected = entry.get('examples')
            if isinstance(expected, int) and n < expected:
                raise DataError(f'{path}: truncated tar shard: the manifest lists {expected} '
                                f'examples but the file holds {n}')
            people.extend(new)
            examples += n
        self.skipped.update(skipped)
        return Split(self.root, name, paths, self.skeleton, people, examples, skipped)


def read_manifest(root: str | os.PathLike) -> dict:
    """Loads and validates manifest.json (format, version, skeleton, splits)."""
    path = Path(root) / 'manifest.json'
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise DataError(f'{path}: no manifest (is {root} a metrabs dataset?)') from None
    except ValueError as e:
        raise DataError(f'{path}: not valid JSON ({e})') from None
    if not isinstance(manifest, dict) or manifest.get('format') != FORMAT_NAME:
        raise DataError(f'{path}: "format" must be {FORMAT_NAME!r}')
    version = manifest.get('version')
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise DataError(f'{path}: unsupported dataset format version {version!r} '
                        f'(this reader knows version {FORMAT_VERSION})')
    Skeleton.from_dict(manifest.get('skeleton'))
    splits = manifest.get('splits', {})
    if not isinstance(splits, dict) or any(
            not isinstance(s, dict) or not isinstance(s.get('shards', []), list)
            for s in splits.values()):
        raise DataError(f'{path}: "splits" must map split names to objects with a shard list')
    return manifest


def open_dataset(root: str | os.PathLike, verify_sha256: bool = False) -> Dataset:
    """Opens a dataset directory (reads and validates its manifest; splits index lazily)."""
    return Dataset(Path(root), read_manifest(root), verify_sha256)


# ---------------------------------------------------------------------------------------------
# Writer


def _jsonable(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    if isinstance(x, (np.bool_,)):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, (float, np.floating)):
        v = float(x)
        if not math.isfinite(v):
            raise ValueError('labels must not contain NaN or infinity (JSON has none)')
        return v
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    return x


def encode_image(image: np.ndarray, fmt: str = 'jpg', jpeg_quality: int = 95) -> bytes:
    """RGB uint8 H×W×3 → encoded bytes (jpg, png or webp)."""
    params = [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality] if fmt in ('jpg', 'jpeg') else []
    ok, buf = cv2.imencode('.' + fmt, cv2.cvtColor(image, cv2.COLOR_RGB2BGR), params)
    if not ok:
        raise ValueError(f'could not encode image as {fmt}')
    return buf.tobytes()


def add_tar_member(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    """Adds a regular file with fixed metadata (deterministic shards)."""
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def _write_json_atomic(path: Path, obj: Any) -> None:
    tmp = path.with_name(path.name + '.tmp')
    tmp.write_text(json.dumps(obj, indent=1) + '\n')
    os.replace(tmp, path)


def _new_manifest(name: str, skeleton: Skeleton, extra: dict | None) -> dict:
    manifest = dict(format=FORMAT_NAME, version=FORMAT_VERSION, name=name,
                    created=datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
                    skeleton=skeleton.to_dict(), splits={})
    manifest.update(extra or {})
    return manifest


def _example_labels(example: dict, key: str, image_file: str, image_shape) -> dict:
    labels = {k: v for k, v in example.items()
              if k not in ('image', 'key', 'image_ext', 'width', 'height')}
    labels = dict(key=key, image=dict(file=image_file, width=int(image_shape[1]),
                                      height=int(image_shape[0])), **labels)
    labels.setdefault('people', [])
    return _jsonable(labels)


def _write_shard(split_dir: Path, index: int, examples: list[tuple[str, bytes, str, bytes]]) -> Path:
    final = split_dir / f'shard-{index:06d}.tar'
    partial = final.with_name(final.name + '.partial')
    with tarfile.open(partial, mode='w', format=tarfile.USTAR_FORMAT) as tar:
        for key, image_bytes, ext, label_bytes in examples:
            add_tar_member(tar, f'{key}.{ext}', image_bytes)
            add_tar_member(tar, f'{key}.json', label_bytes)
    with open(partial, 'rb+') as f:
        os.fsync(f.fileno())
    os.replace(partial, final)
    return final


def write_dataset(root: str | os.PathLike, name: str, skeleton: Skeleton,
                  examples_iter: Iterable[dict], split: str, shard_size: int = 500, *,
                  image_format: str = 'jpg', jpeg_quality: int = 95,
                  manifest_extra: dict | None = None, overwrite: bool = False) -> dict:
    """Writes one split of a dataset and returns its manifest entry.

    Each example is a dict with `image` (RGB uint8 H×W×3, or already-encoded bytes with
    `image_ext`), `camera`, `people` (numpy arrays allowed; NaN is refused) and optional `key`
    and `meta`; keys default to the example's running number (`000123`). Shards of `shard_size`
    examples are written as `*.tar.partial`, renamed when complete, and the manifest is
    rewritten atomically after every shard, so a crash never lists a half-written shard.
    An existing manifest must have the same skeleton; its other splits are kept. An existing
    split is refused unless `overwrite` (then its old shard files are removed first)."""
    if shard_size < 1:
        raise ValueError('shard_size must be positive')
    skeleton = Skeleton.from_dict(skeleton)
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    manifest_path = root / 'manifest.json'
    if manifest_path.exists():
        manifest = read_manifest(root)
        if Skeleton.from_dict(manifest['skeleton']).to_dict() != skeleton.to_dict():
            raise DataError(f'{manifest_path}: existing dataset has a different skeleton')
        if split in manifest.get('splits', {}) and not overwrite:
            raise DataError(f'{manifest_path}: split {split!r} exists (pass overwrite=True)')
    else:
        manifest = _new_manifest(name, skeleton, manifest_extra)
    split_dir = root / split
    split_dir.mkdir(parents=True, exist_ok=True)
    entry = dict(examples=0, people=0, shards=[])
    manifest.setdefault('splits', {})[split] = entry
    _write_json_atomic(manifest_path, manifest)
    for old in list(split_dir.glob('shard-*.tar')) + list(split_dir.glob('shard-*.tar.partial')):
        old.unlink()

    buffer: list[tuple[str, bytes, str, bytes]] = []
    people_in_buffer = 0

    def flush():
        nonlocal buffer, people_in_buffer
        path = _write_shard(split_dir, len(entry['shards']), buffer)
        entry['shards'].append(dict(path=f'{split}/{path.name}', examples=len(buffer),
                                    people=people_in_buffer, sha256=file_sha256(path)))
        entry['examples'] += len(buffer)
        entry['people'] += people_in_buffer
        _write_json_atomic(manifest_path, manifest)
        buffer, people_in_buffer = [], 0

    for i, example in enumerate(examples_iter):
        key = str(example.get('key', f'{i:06d}'))
        if not re.fullmatch(r'[A-Za-z0-9_\-]+', key):
            raise ValueError(f'example key {key!r}: use letters, digits, "_" and "-" only')
        image = example['image']
        if isinstance(image, (bytes, bytearray)):
            ext = example.get('image_ext', 'jpg')
            image_bytes = bytes(image)
            shape = (example['height'], example['width'])
        else:
            ext = image_format
            image_bytes = encode_image(image, image_format, jpeg_quality)
            shape = image.shape
        labels = _example_labels(example, key, f'{key}.{ext}', shape)
        buffer.append((key, image_bytes, ext, json.dumps(labels, allow_nan=False).encode()))
        people_in_buffer += len(labels['people'])
        if len(buffer) >= shard_size:
            flush()
    if buffer:
        flush()
    return entry
