"""Training examples: the reference MeTRAbs crop pipeline, and its PyTorch dataset/sampler/loader.

One example is one person of one image (dataset.Person). `build_training_example` builds the
virtual crop camera of the person's box (cameras.crop_camera), with training-time augmentation
as the reference (isarandi/metrabs, metrabs_tf/data_loading.py): partial-visibility sub-box,
random shift of the crop centre, scale, in-plane rotation and horizontal flip, then renders the
crop (gamma-correct resampling) and applies appearance augmentation (augment.py).

Labels in the crop (all float32 unless said):
- `coords3d` [J,3]: R·p, the joints in the crop camera's frame (mm; x right, y down, z forward);
  zeros for invalid joints and for 2D-only people;
- `coords2d` [J,2]: K_crop projection of coords3d (pixels of the crop, integer = pixel centre);
  for 2D-only people the image annotation mapped through the crop (undistort, rotate, project);
- after a flip (R has det −1) the joints are relabelled with the skeleton's mirror map:
  new[j] = old[mirror[j]], so the label "left wrist" marks what looks like a left wrist in the
  mirrored crop (the original right wrist). Mirror images of people are people again, with left
  and right swapped.

Determinism: every random choice of example `v` comes from `numpy.random.default_rng([seed, v])`
only, so results do not depend on the number of DataLoader workers. The ResumableSampler yields
virtual indices v = t·N + i (t = stream position, i = person index), so each epoch draws fresh
augmentations, and its state {seed, epoch, position} resumes the stream exactly.
"""
from __future__ import annotations

import os

import dataclasses
import logging
from typing import Any, Iterator, Sequence

import numpy as np
import torch
import torch.utils.data

from metrabs_train import augment, cameras
from metrabs_train.dataset import DataError, Dataset, Person, Skeleton, Split

log = logging.getLogger(__name__)


@dataclasses.dataclass
class DataConfig:
    """Crop and augmentation settings (defaults: the reference's training flags).

    proc_side: crop side S in pixels (the network input is S×S); in training it is always
        model.proc_side (TrainConfig sets it).
    scale_aug_down, scale_aug_up: the crop zoom is uniform(1 − down, 1 + up) (>1 zooms in).
    rot_aug_deg: in-plane rotation of the crop camera, uniform(±rot_aug_deg) degrees.
    shift_aug: the crop centre moves by a uniform random point of a disc of radius
        shift_aug · max(box w, box h).
    flip_prob: probability of a horizontal flip (with left/right relabelling of the joints).
    partial_visibility_prob: probability of replacing the box by a random sub-box of its square
        hull (trains on partially visible people).
    occlude_prob: probability of pasting synthetic occluders onto the crop.
    occlude_prob_2d: the same for the examples of a 2D dataset mixed in (TrainConfig.dataset2d;
        the reference's occlude_aug_prob_2d).
    color_aug: brightness/contrast/hue/saturation jitter.
    blur_prob: probability of a gaussian blur.
    noise_prob: probability of additive gaussian noise.
    antialias: render the crop at antialias·S and average down (1 = off).
    geom_aug: master switch of the geometric augmentation (shift, scale, rotation, flip) in
        training; evaluation never augments.
    """
    proc_side: int = 256
    scale_aug_down: float = 0.25
    scale_aug_up: float = 0.25
    rot_aug_deg: float = 20
    shift_aug: float = 0.10
    flip_prob: float = 0.5
    partial_visibility_prob: float = 0.1
    occlude_prob: float = 0.5
    occlude_prob_2d: float = 0.7
    color_aug: bool = True
    blur_prob: float = 0.1
    noise_prob: float = 0.1
    antialias: int = 1
    geom_aug: bool = True


@dataclasses.dataclass
class CropParams:
    """The geometric choices of one crop: the box the crop is fitted to (after sub-box and
    shift), in-plane angle (radians), zoom scale and flip."""
    box: np.ndarray
    angle: float = 0.0
    scale: float = 1.0
    flip: bool = False


# ---------------------------------------------------------------------------------------------
# Geometric augmentation


def random_partial_subbox(box: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random sub-box of the box's square hull: each side 30–100 % of the square, the larger
    at least 60 %, placed uniformly inside the square."""
    x, y, w, h = np.asarray(box, np.float64)
    side = max(w, h)
    x0, y0 = x + w / 2 - side / 2, y + h / 2 - side / 2
    fw, fh = rng.uniform(0.3, 1.0, 2)
    if max(fw, fh) < 0.6:
        big = rng.uniform(0.6, 1.0)
        fw, fh = (big, fh) if fw >= fh else (fw, big)
    ox, oy = rng.uniform(0, 1, 2) * [1 - fw, 1 - fh]
    return np.array([x0 + ox * side, y0 + oy * side, fw * side, fh * side])


def random_point_in_disc(rng: np.random.Generator) -> np.ndarray:
    """Uniform random point of the unit disc."""
    r = np.sqrt(rng.uniform())
    theta = rng.uniform(0, 2 * np.pi)
    return np.array([r * np.cos(theta), r * np.sin(theta)])


def sample_crop_params(box: np.ndarray, cfg: DataConfig, rng: np.random.Generator,
                       train: bool) -> CropParams:
    """Draws the geometric augmentation of one crop (none in eval mode)."""
    box = np.asarray(box, np.float64)
    partial_rng, geom_rng = _child_rngs(rng, 2)
    if not train:
        return CropParams(box=box.copy())
    if partial_rng.random() < cfg.partial_visibility_prob:
        box = random_partial_subbox(box, partial_rng)
    if not cfg.geom_aug:
        return CropParams(box=box)
    shift = random_point_in_disc(geom_rng) * cfg.shift_aug * max(box[2], box[3])
    box = np.array([box[0] + shift[0], box[1] + shift[1], box[2], box[3]])
    scale = geom_rng.uniform(1 - cfg.scale_aug_down, 1 + cfg.scale_aug_up)
    max_angle = np.deg2rad(cfg.rot_aug_deg)
    angle = geom_rng.uniform(-max_angle, max_angle)
    flip = bool(geom_rng.random() < cfg.flip_prob)
    return CropParams(box=box, angle=float(angle), scale=float(scale), flip=flip)


def _child_rngs(rng: np.random.Generator, n: int) -> list[np.random.Generator]:
    """Independent generators, so that one augmentation's draws do not shift another's."""
    return [np.random.default_rng(s) for s in rng.integers(0, 2**63 - 1, size=n)]


# ---------------------------------------------------------------------------------------------
# Labels in the crop


def crop_labels(person: Person, K_crop: np.ndarray, R: np.ndarray, side: int,
                mirror: np.ndarray | None) -> dict[str, np.ndarray]:
    """coords3d/coords2d/joint_valid/joint_in_crop of a person in the crop (mirror: joint
    permutation to apply, i.e. the skeleton's mirror map for a flipped crop, else None)."""
    valid = person.joint_valid.copy()
    if person.joints3d is not None:
        coords3d = person.joints3d @ R.T
        if mirror is not None:
            coords3d, valid = coords3d[mirror], valid[mirror]
        valid &= coords3d[:, 2] > 1.0  # a joint behind the crop camera has no projection
        coords2d = cameras.project(np.where(valid[:, None], coords3d, 1.0), K_crop)
    else:
        coords2d, in_front = cameras.image_points_to_crop(
            person.joints2d, person.intrinsics, person.distortion, K_crop, R)
        coords3d = np.zeros((len(valid), 3))
        if mirror is not None:
            coords2d, valid, in_front = coords2d[mirror], valid[mirror], in_front[mirror]
        valid &= in_front
    valid &= np.all(np.isfinite(coords2d), axis=1)
    coords3d = np.where(valid[:, None], coords3d, 0.0)
    coords2d = np.where(valid[:, None], coords2d, 0.0)
    in_crop = valid & np.all((coords2d >= -0.5) & (coords2d <= side - 0.5), axis=1)
    return dict(coords3d=coords3d.astype(np.float32), coords2d=coords2d.astype(np.float32),
                joint_valid=valid, joint_in_crop=in_crop)


def occluded_fraction(person: Person) -> float:
    """Fraction of the person's valid joints labelled occluded."""
    n = int(person.joint_valid.sum())
    return float((person.occluded & person.joint_valid).sum() / n) if n else 0.0


# ---------------------------------------------------------------------------------------------
# Examples


def make_example(person: Person, image: np.ndarray, params: CropParams, cfg: DataConfig,
                 skeleton: Skeleton, appearance_rng: np.random.Generator | None = None) -> dict:
    """The crop and labels for explicit crop parameters; appearance augmentation only when an
    `appearance_rng` is given."""
    side = cfg.proc_side
    K_crop, R, _ = cameras.crop_camera(person.intrinsics, person.distortion, person.up_cam,
                                       params.box, side, params.angle, params.scale, params.flip)
    crop = cameras.warp_to_crop(image, person.intrinsics, person.distortion, K_crop, R, side,
                                antialias=cfg.antialias)
    if appearance_rng is not None:
        crop = augment.augment_appearance(
            crop, appearance_rng, occlude_prob=cfg.occlude_prob, color_aug=cfg.color_aug,
            blur_prob=cfg.blur_prob, noise_prob=cfg.noise_prob)
    mirror = np.asarray(skeleton['mirror']) if params.flip else None
    labels = crop_labels(person, K_crop, R, side, mirror)
    return dict(
        image=np.ascontiguousarray(crop, dtype=np.float32),
        intrinsics=K_crop.astype(np.float32),
        **labels,
        has_3d=np.bool_(person.has_3d),
        index=np.int64(person.index),
        rot_to_camera=R.astype(np.float32),
        truncated=np.bool_(person.truncated),
        occluded_fraction=np.float32(occluded_fraction(person)),
    )


def build_training_example(person: Person, image: np.ndarray, cfg: DataConfig,
                           rng: np.random.Generator, train: bool, skeleton: Skeleton) -> dict:
    """One network input with its labels (see the module docstring and `make_example`).
    In eval mode (train=False) there is no augmentation at all."""
    geom_rng, appearance_rng = _child_rngs(rng, 2)
    params = sample_crop_params(person.box, cfg, geom_rng, train)
    return make_example(person, image, params, cfg, skeleton,
                        appearance_rng if train else None)


# ---------------------------------------------------------------------------------------------
# PyTorch


class PoseDataset(torch.utils.data.Dataset):
    """Examples of a split: `PoseDataset(split)` or `PoseDataset(dataset, 'train', cfg)`.

    `dataset[v]` accepts any v ≥ 0: the person is v mod N and the stream position v div N (the
    ResumableSampler's encoding; plain indices < N are stream position 0); the RNG is seeded
    from (seed, v) only. A person whose image fails to decode is replaced by a deterministic
    other person (counted in `load_failures` of this process and in the example's
    `load_retries`); so is one whose crop geometry fails (cameras.GeometryError).
    `skeleton` (default: the split's) supplies the mirror map for flips."""

    def __init__(self, source: Split | Dataset, split: str | None = None,
                 cfg: DataConfig | None = None, *, skeleton: Skeleton | dict | None = None,
                 train: bool = True, seed: int = 0, max_retries: int = 20):
        if isinstance(source, Dataset):
            if split is None:
                raise ValueError('PoseDataset(dataset, split): name the split')
            source = source.split(split)
        elif split is not None:
            raise ValueError('PoseDataset(split_object) takes no split name')
        if len(source) == 0:
            raise DataError(f'split {source.name!r} has no usable people ({source.skipped})')
        self.split = source
        self.cfg = cfg or DataConfig()
        self.skeleton = skeleton if skeleton is not None else source.skeleton
        if len(self.skeleton['mirror']) != source.skeleton.num_joints:
            raise ValueError('the skeleton does not match the dataset\'s joint count')
        self.train = train
        self.seed = int(seed)
        self.max_retries = max_retries
        self.load_failures = 0

    def __len__(self) -> int:
        return len(self.split)

    def __getitem__(self, v: int) -> dict[str, Any]:
        v = int(v)
        n = len(self.split)
        index = v % n
        for attempt in range(self.max_retries + 1):
            person = self.split[index]
            rng = np.random.default_rng([self.seed, v])
            try:
                image = self.split.load_image(person)
                example = build_training_example(person, image, self.cfg, rng, self.train,
                                                 self.skeleton)
            except (DataError, cameras.GeometryError) as e:
                self.load_failures += 1
                log.warning('skipping example %d: %s', index, e)
                index = self.replacement_index(v, attempt)
                continue
            example['stream_position'] = np.int64(v // n)
            example['load_retries'] = np.int64(attempt)
            return example
        raise DataError(f'{self.max_retries + 1} images in a row failed to load '
                        f'(starting at example {v % n}); is the dataset corrupt?')

    def replacement_index(self, v: int, attempt: int) -> int:
        return int(np.random.default_rng([self.seed, v, 1, attempt]).integers(len(self.split)))


class ResumableSampler(torch.utils.data.Sampler):
    """Infinite stream of virtual indices v = t·N + i over a dataset of N people, for stream
    positions t = start, start + step, start + 2·step, … (step > 1: one rank of distributed
    training takes every step-th position). Person i = permutation_e[t mod N] with epoch
    e = t div N and a fresh permutation per epoch seeded by (seed, e).

    `state_dict()` = {seed, epoch, position}: the next stream position is epoch·N + position.
    A DataLoader prefetches, so the sampler runs ahead of training; to resume after the last
    consumed batch use `state_after(int(batch['stream_position'].max()))`, or rebuild the
    sampler with `start` = number of consumed examples (the stream depends on nothing else)."""

    def __init__(self, length: int, seed: int = 0, shuffle: bool = True, start: int = 0,
                 step: int = 1):
        if length < 1:
            raise ValueError('the sampler needs at least one example')
        if start < 0 or step < 1:
            raise ValueError(f'need start >= 0 and step >= 1, got {start}, {step}')
        self.length = int(length)
        self.seed = int(seed)
        self.shuffle = shuffle
        self.step = int(step)
        self.next_position = int(start)
        self._order_epoch, self._order = -1, np.arange(0)

    @property
    def epoch(self) -> int:
        return self.next_position // self.length

    @property
    def position(self) -> int:
        return self.next_position % self.length

    def order(self, epoch: int) -> np.ndarray:
        """The permutation of people for an epoch."""
        if self._order_epoch != epoch:
            self._order = (np.random.default_rng([self.seed, epoch]).permutation(self.length)
                           if self.shuffle else np.arange(self.length))
            self._order_epoch = epoch
        return self._order

    def __iter__(self) -> Iterator[int]:
        while True:
            t = self.next_position
            i = int(self.order(t // self.length)[t % self.length])
            self.next_position = t + self.step
            yield t * self.length + i

    def state_dict(self) -> dict[str, int]:
        return dict(seed=self.seed, epoch=self.epoch, position=self.position)

    def load_state_dict(self, state: dict[str, int]) -> None:
        if not 0 <= int(state['position']) < self.length or int(state['epoch']) < 0:
            raise ValueError(f'sampler state {state} does not fit a dataset of {self.length}')
        self.seed = int(state['seed'])
        self.next_position = int(state['epoch']) * self.length + int(state['position'])

    def state_after(self, stream_position: int) -> dict[str, int]:
        """The state that resumes right after the example at `stream_position`."""
        t = int(stream_position) + self.step
        return dict(seed=self.seed, epoch=t // self.length, position=t % self.length)


def collate_examples(examples: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
    """Stacks the examples' numpy arrays/scalars into tensors (bool stays bool)."""
    return {key: torch.from_numpy(np.stack([np.asarray(e[key]) for e in examples]))
            for key in examples[0]}


def _worker_init(_worker_id: int) -> None:
    import cv2
    cv2.setNumThreads(1)
    torch.set_num_threads(1)
    # Lower priority than the training process: its OpenMP threads stall whenever a loader
    # worker preempts one of them, while the workers have slack (they run ahead of training).
    os.nice(5)


def make_loader(dataset: PoseDataset, batch_size: int, workers: int = 0,
                sampler: torch.utils.data.Sampler | None = None,
                indices: Sequence[int] | None = None,
                drop_last: bool = False) -> torch.utils.data.DataLoader:
    """A DataLoader over `dataset`: indices from `sampler`, or the given `indices` in order, or
    all examples in order; persistent workers when workers > 0, no pinned memory, batches as
    dicts of tensors (see collate_examples)."""
    if sampler is not None and indices is not None:
        raise ValueError('give a sampler or indices, not both')
    if indices is not None:
        sampler = list(indices)
    # Its own generator: creating the iterator must not draw from torch's global RNG, or a
    # resumed run would see a different random stream than an uninterrupted one.
    return torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, sampler=sampler, shuffle=False, num_workers=workers,
        persistent_workers=workers > 0, pin_memory=False, collate_fn=collate_examples,
        worker_init_fn=_worker_init if workers > 0 else None, drop_last=drop_last,
        generator=torch.Generator().manual_seed(0))
