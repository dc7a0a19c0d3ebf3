"""Training examples: labels land on the drawn people in the crop, flips relabel left/right,
eval crops are centred, results do not depend on the number of workers, the sampler resumes
exactly, and images that fail to decode are replaced deterministically."""
from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest
import torch

from metrabs_train import augment, cameras, toydata
from metrabs_train import dataset as D
from metrabs_train.data import (CropParams, DataConfig, PoseDataset, ResumableSampler,
                                build_training_example, make_example, make_loader)

SKELETON = D.Skeleton.from_registry()
NAMES = SKELETON.joint_names
S = 128
NO_APPEARANCE = dict(occlude_prob=0.0, color_aug=False, blur_prob=0.0, noise_prob=0.0)


@pytest.fixture(scope='module')
def toy_split(tmp_path_factory):
    root = tmp_path_factory.mktemp('toy')
    D.write_dataset(root, 'toy', SKELETON, toydata.generate_examples(6, seed=5), 'train',
                    shard_size=4, image_format='png')
    return D.open_dataset(root).split('train')


# ---------------------------------------------------------------------------------------------
# A hand-made scene: the reference pose facing the camera


def drawn_person(joints3d, K, dist, up_cam, width, height, two_d_only=False):
    """(Person, uint8 image, mask) of one stick figure drawn by toydata on a grey background."""
    cam = dict(K=K, dist=cameras.distortion_coeffs(dist), width=width, height=height)
    items = toydata.person_items(joints3d, cam, SKELETON, toydata.edge_colors(SKELETON))
    image = np.full((height, width, 3), 90, np.uint8)
    toydata.draw_items(image, items)
    mask = np.zeros((height, width), np.uint8)
    toydata.draw_items(mask, items, color=1, antialias=False)
    joints2d = cameras.project(joints3d, K, dist)
    person = D.Person(
        index=0, key='000000', person_index=0,
        image=D.ImageRecord(0, 0, 0, '000000.png', width, height), intrinsics=np.asarray(K, float),
        distortion=cameras.distortion_coeffs(dist), up_cam=np.asarray(up_cam, float),
        box=toydata._box_of(mask), joints3d=None if two_d_only else joints3d, joints2d=joints2d,
        joint_valid=np.ones(len(joints3d), bool), in_image=np.ones(len(joints3d), bool),
        occluded=np.zeros(len(joints3d), bool), truncated=False)
    return person, image, mask.astype(bool)


def frontal_person(offset=(0.0, 0.0), dist=None, roll=0.0, two_d_only=False):
    width, height = 400, 300
    K = cameras.intrinsics_from_fov(60, width, height)
    R = cameras.rotation_z(roll)  # world → camera: a rolled camera
    pose = D.reference_pose_mm() + [offset[0], offset[1], 4000.0]
    return drawn_person(pose @ R.T, K, dist, R @ [0, -1, 0], width, height, two_d_only)


def crop_color(example, joint: str) -> np.ndarray:
    u, v = np.round(example['coords2d'][NAMES.index(joint)]).astype(int)
    return example['image'][v, u] * 255


def nearest_part(color: np.ndarray) -> tuple[str, str]:
    return min(toydata.COLORS, key=lambda k: np.linalg.norm(np.subtract(toydata.COLORS[k], color)))


def eval_config(**kw) -> DataConfig:
    return DataConfig(proc_side=S, **kw)


# ---------------------------------------------------------------------------------------------
# Labels and pixels agree


@pytest.mark.parametrize('train', [False, True], ids=['eval', 'train'])
def test_labels_land_on_the_drawn_limbs(toy_split, train):
    cfg = DataConfig(proc_side=S, **NO_APPEARANCE)
    checked = on_person = 0
    for person in toy_split:
        image = toy_split.load_image(person)
        mask = D.rle_to_mask(toy_split.read_labels(person)['people'][person.person_index]['mask'])
        for seed in range(3 if train else 1):
            ex = build_training_example(person, image, cfg, np.random.default_rng(seed), train,
                                        SKELETON)
            crop_mask = cameras.warp_to_crop(
                mask.astype(np.float32), person.intrinsics, person.distortion, ex['intrinsics'],
                ex['rot_to_camera'], S, interpolation=cv2.INTER_NEAREST, gamma_correct=False)
            visible = (ex['joint_valid'] & ex['joint_in_crop']
                       & ~_permuted(person.occluded | ~person.in_image, ex))
            for u, v in np.round(ex['coords2d'][visible]).astype(int):
                u, v = np.clip([u, v], 1, S - 2)
                assert crop_mask[v - 1:v + 2, u - 1:u + 2].max() > 0.5  # not background
                on_person += crop_mask[v, u] > 0.5
                checked += 1
    assert checked > 100
    assert on_person >= 0.97 * checked


def _permuted(flags: np.ndarray, example) -> np.ndarray:
    """Per-joint image flags in the example's (possibly mirrored) joint order."""
    flipped = np.linalg.det(example['rot_to_camera']) < 0
    return flags[list(SKELETON.mirror)] if flipped else flags


def test_flip_relabels_left_and_right():
    person, image, _ = frontal_person()
    cfg = eval_config()
    plain = make_example(person, image, CropParams(person.box), cfg, SKELETON)
    flipped = make_example(person, image, CropParams(person.box, flip=True), cfg, SKELETON)
    mirror = list(SKELETON.mirror)
    lwri, rwri = NAMES.index('lwri'), NAMES.index('rwri')
    # Facing the camera, the left wrist is on the image's right, drawn in the left-arm colour.
    assert plain['coords2d'][lwri, 0] > S / 2 > plain['coords2d'][rwri, 0]
    assert nearest_part(crop_color(plain, 'lwri')) == ('left', 'arm')
    # The flipped crop is the mirror image (pixel u ↔ S − u) ...
    assert np.allclose(flipped['image'][:, 1:], plain['image'][:, :0:-1], atol=1e-4)
    assert np.linalg.det(flipped['rot_to_camera']) == pytest.approx(-1, abs=1e-5)
    # ... and its joints are relabelled with the mirror map: new[j] = old[mirror[j]].
    expected2d = np.stack([S - plain['coords2d'][:, 0], plain['coords2d'][:, 1]], 1)[mirror]
    assert np.allclose(flipped['coords2d'], expected2d, atol=1e-3)
    assert np.allclose(flipped['coords3d'], (plain['coords3d'] * [-1, 1, 1])[mirror], atol=1e-2)
    # The mirror image of a person is a person facing the camera whose LEFT wrist is again on the
    # image's right. It is the limb that was drawn as the right arm, so it wears the right-arm
    # colour: the colour follows the pixels, the label follows the anatomy of the mirrored person.
    assert flipped['coords2d'][lwri, 0] > S / 2 > flipped['coords2d'][rwri, 0]
    assert nearest_part(crop_color(flipped, 'lwri')) == ('right', 'arm')
    assert nearest_part(crop_color(flipped, 'rwri')) == ('left', 'arm')
    for j in range(len(NAMES)):  # every joint's side stays consistent with the anatomy
        if NAMES[j][0] == 'l' and mirror[j] != j:
            assert flipped['coords2d'][j, 0] > flipped['coords2d'][mirror[j], 0], NAMES[j]


@pytest.mark.parametrize('distorted', [False, True], ids=['pinhole', 'distorted'])
def test_eval_crop_puts_the_box_centre_at_the_crop_centre(distorted):
    dist = [-0.1, 0.01, 0.001, 0.0, 0.0] if distorted else None
    person, image, _ = frontal_person(offset=(700, -300), dist=dist, roll=0.15)
    x, y, w, h = person.box
    dot = np.zeros_like(image)
    cv2.circle(dot, (int(round((x + w / 2) * 16)), int(round((y + h / 2) * 16))), 16, (255, 255, 255),
               -1, cv2.LINE_AA, shift=4)
    exs = [build_training_example(person, im, eval_config(), np.random.default_rng(s), False, SKELETON)
           for s, im in [(0, image), (1, image), (2, dot)]]
    for key in exs[0]:
        if key != 'image':
            assert np.array_equal(exs[0][key], exs[1][key])  # eval ignores the RNG
    assert np.array_equal(exs[0]['image'], exs[1]['image'])
    ex = exs[0]
    R = ex['rot_to_camera'].astype(np.float64)
    K_crop = ex['intrinsics'].astype(np.float64)
    assert np.linalg.det(R) > 0 and np.allclose(K_crop[:2, 2], S / 2)
    points = np.array([[x + w / 2, y + h / 2], [x + w / 2, y], [x + w / 2, y + h]])
    mapped, _ = cameras.image_points_to_crop(points, person.intrinsics, person.distortion, K_crop, R)
    assert np.allclose(mapped[0], S / 2, atol=1e-3)
    assert np.linalg.norm(mapped[1] - mapped[2]) == pytest.approx(S, abs=1e-2)  # tall box fills S
    # No augmentation roll: the crop is upright in the world (its x axis ⟂ world up), even
    # though the image camera is rolled.
    assert abs(R[0] @ person.up_cam) < 1e-6 and R[1] @ person.up_cam < 0
    brightest = np.unravel_index(np.argmax(exs[2]['image'][..., 0]), (S, S))
    assert brightest == (S // 2, S // 2)


def test_2d_only_labels_go_through_the_crop_like_3d_ones():
    dist = [-0.12, 0.02, 0.001, -0.001, 0.0]
    person3d, image, _ = frontal_person(offset=(-500, 200), dist=dist, roll=-0.1)
    person2d, _, _ = frontal_person(offset=(-500, 200), dist=dist, roll=-0.1, two_d_only=True)
    cfg = DataConfig(proc_side=S, partial_visibility_prob=0.5, **NO_APPEARANCE)
    flips = set()
    for seed in range(6):
        a = build_training_example(person3d, image, cfg, np.random.default_rng(seed), True, SKELETON)
        b = build_training_example(person2d, image, cfg, np.random.default_rng(seed), True, SKELETON)
        assert a['has_3d'] and not b['has_3d'] and not b['coords3d'].any()
        assert np.allclose(a['coords2d'], b['coords2d'], atol=1e-3)
        assert np.array_equal(a['joint_valid'], b['joint_valid'])
        flips.add(bool(np.linalg.det(a['rot_to_camera']) < 0))
    assert flips == {False, True}


# ---------------------------------------------------------------------------------------------
# Torch layer


def test_batch_contract(toy_split):
    ds = PoseDataset(toy_split, cfg=DataConfig(proc_side=S), train=True, seed=1)
    batch = next(iter(make_loader(ds, batch_size=3, workers=0)))
    J = SKELETON.num_joints
    expected = dict(image=(torch.float32, (3, S, S, 3)), intrinsics=(torch.float32, (3, 3, 3)),
                    coords3d=(torch.float32, (3, J, 3)), coords2d=(torch.float32, (3, J, 2)),
                    joint_valid=(torch.bool, (3, J)), joint_in_crop=(torch.bool, (3, J)),
                    has_3d=(torch.bool, (3,)), index=(torch.int64, (3,)),
                    rot_to_camera=(torch.float32, (3, 3, 3)), truncated=(torch.bool, (3,)),
                    occluded_fraction=(torch.float32, (3,)), stream_position=(torch.int64, (3,)),
                    load_retries=(torch.int64, (3,)))
    assert {k: (v.dtype, tuple(v.shape)) for k, v in batch.items()} == expected
    assert batch['image'].min() >= 0 and batch['image'].max() <= 1
    assert batch['index'].tolist() == [0, 1, 2]
    # The same through the dataset-level constructor and an explicit index list.
    data = D.open_dataset(toy_split.root)
    ds2 = PoseDataset(data, 'train', DataConfig(proc_side=S), skeleton=data.skeleton, seed=1)
    again = next(iter(make_loader(ds2, batch_size=3, indices=[0, 1, 2])))
    assert all(torch.equal(batch[k], again[k]) for k in batch)


def test_results_do_not_depend_on_the_number_of_workers(toy_split):
    ds = PoseDataset(toy_split, cfg=DataConfig(proc_side=S), train=True, seed=3)
    batches = {}
    for workers in (0, 2):
        loader = make_loader(ds, batch_size=4, workers=workers, sampler=ResumableSampler(len(ds), seed=4))
        batches[workers] = list(itertools.islice(iter(loader), 2))
    for a, b in zip(batches[0], batches[2]):
        for key in a:
            assert torch.equal(a[key], b[key]), key
    # the same person in another epoch gets another augmentation
    n = len(ds)
    assert not np.array_equal(ds[1]['image'], ds[n + 1]['image'])
    assert ds[n + 1]['index'] == 1 and ds[n + 1]['stream_position'] == 1


def test_sampler_resumes_exactly():
    n = 7
    stream = list(itertools.islice(iter(ResumableSampler(n, seed=9)), 3 * n + 5))
    for epoch in range(3):
        assert sorted(v % n for v in stream[epoch * n:(epoch + 1) * n]) == list(range(n))
    assert [v // n for v in stream] == list(range(3 * n + 5))
    assert stream[:n] != stream[n:2 * n]  # a fresh permutation each epoch
    first = ResumableSampler(n, seed=9)
    head = list(itertools.islice(iter(first), 11))
    state = first.state_dict()
    assert state == dict(seed=9, epoch=1, position=4)
    resumed = ResumableSampler(n, seed=0)
    resumed.load_state_dict(state)
    assert head + list(itertools.islice(iter(resumed), 3 * n + 5 - 11)) == stream
    assert first.state_after(10) == state
    # Starting at a stream position equals skipping that many items; strided ranks partition it.
    assert list(itertools.islice(iter(ResumableSampler(n, seed=9, start=11)), 5)) == stream[11:16]
    ranks = [list(itertools.islice(iter(ResumableSampler(n, seed=9, start=r, step=3)), 8))
             for r in range(3)]
    assert sorted(sum(ranks, [])) == sorted(stream[:24])
    assert ranks[1][:3] == [stream[1], stream[4], stream[7]]


def test_loader_resumes_after_the_last_consumed_batch(toy_split):
    cfg = DataConfig(proc_side=S, occlude_prob=0)
    ds = PoseDataset(toy_split, cfg=cfg, train=True, seed=2)
    reference = list(itertools.islice(iter(make_loader(ds, 2, 0, ResumableSampler(len(ds), 6))), 4))
    sampler = ResumableSampler(len(ds), seed=6)
    consumed = list(itertools.islice(iter(make_loader(ds, 2, 0, sampler)), 2))
    state = sampler.state_after(int(consumed[-1]['stream_position'].max()))
    resumed_sampler = ResumableSampler(len(ds))
    resumed_sampler.load_state_dict(state)
    resumed = list(itertools.islice(iter(make_loader(ds, 2, 0, resumed_sampler)), 2))
    for a, b in zip(reference[2:], resumed):
        for key in a:
            assert torch.equal(a[key], b[key]), key


def test_undecodable_image_is_replaced_deterministically(tmp_path):
    examples = list(toydata.generate_examples(3, seed=8))
    D.write_dataset(tmp_path, 'toy', SKELETON, examples, 'train', shard_size=10)
    shard = tmp_path / 'train' / 'shard-000000.tar'
    split = D.open_dataset(tmp_path).split('train')
    bad = split[0].image  # corrupt the first image's bytes after its JPEG header
    with open(shard, 'r+b') as f:
        f.seek(bad.offset + 64)
        f.write(bytes(bad.size - 64))
    split = D.open_dataset(tmp_path).split('train')
    ds = PoseDataset(split, cfg=DataConfig(proc_side=S), train=True, seed=0)
    bad_indices = [p.index for p in split if p.image.offset == bad.offset]
    v = bad_indices[0]
    first, again = ds[v], ds[v]
    assert first['load_retries'] >= 1 and first['index'] not in bad_indices
    for key in first:
        assert np.array_equal(first[key], again[key]), key
    assert ds.load_failures >= 2


# ---------------------------------------------------------------------------------------------
# Appearance augmentation


def test_appearance_augmentation_is_deterministic_and_bounded():
    rng = np.random.default_rng(0)
    crop = rng.uniform(0, 1, (64, 64, 3)).astype(np.float32)
    a = augment.augment_appearance(crop, np.random.default_rng(5), occlude_prob=1.0, blur_prob=1.0,
                                   noise_prob=1.0)
    b = augment.augment_appearance(crop, np.random.default_rng(5), occlude_prob=1.0, blur_prob=1.0,
                                   noise_prob=1.0)
    assert a.dtype == np.float32 and a.shape == crop.shape and np.array_equal(a, b)
    assert a.min() >= 0 and a.max() <= 1 and not np.allclose(a, crop)
    occluded = augment.occlude(np.zeros((64, 64, 3), np.float32), np.random.default_rng(1))
    assert 0 < np.mean(occluded.max(axis=2) > 0) < 1  # some, not all, pixels covered
