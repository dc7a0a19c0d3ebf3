"""LSPET converter and 2D-only training examples: the split, the label conventions, and labels
that land on the drawn joints after cropping, rotating, scaling and flipping."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from metrabs_train import lspet
from metrabs_train.data import CropParams, DataConfig, PoseDataset, make_example
from metrabs_train.dataset import Skeleton, open_dataset
from metrabs_train.jointmap import supervised_mask, two_d_like_matrix

LSP = Skeleton.from_registry('lsp_14')
RWRI, LWRI = LSP.joint_names.index('rwri'), LSP.joint_names.index('lwri')


def test_split_is_seeded_by_image_and_independent_of_order():
    names = [f'im{i:05d}.jpg' for i in range(1, 8001)]
    a = lspet.split_lspet(names)
    b = lspet.split_lspet(list(reversed(names)))
    assert a == b
    assert sum(s == 'validation' for s in a.values()) == 1000
    assert sum(s == 'train' for s in a.values()) == 7000
    assert lspet.split_lspet(names, seed=1) != a
    with pytest.raises(ValueError):
        lspet.split_lspet(names[:10], validation_images=10)


def test_person_labels_are_zero_based_with_unannotated_joints_invalid():
    rows = [[10.0 + i, 20.0 + 2 * i, 1] for i in range(14)]
    rows[3] = [0.0, -26.1, 0]  # not annotated: coordinates meaningless
    p = lspet.person_labels(rows, width=200, height=100)
    assert p['joints3d'] is None
    assert p['joint_valid'][3] == 0 and p['joints2d'][3].tolist() == [0.0, 0.0]
    assert p['joints2d'][0].tolist() == [9.0, 19.0]  # MATLAB's 1-based pixel centres → 0-based
    assert p['truncated']  # a joint is missing
    x, y, w, h = p['box']
    valid = p['joint_valid'] == 1
    lo, hi = p['joints2d'][valid].min(0), p['joints2d'][valid].max(0)
    margin = lspet.BOX_MARGIN * max(hi - lo)
    assert (x, y) == pytest.approx(lo - margin)
    assert (w, h) == pytest.approx(hi - lo + 2 * margin)
    with pytest.raises(lspet.DataError):
        lspet.person_labels([[1, 1, 0]] * 14, 10, 10)


def _fake_lspet(root, n=4):
    """A folder in the LSPET layout: grey images with a red dot on the right wrist and a green
    dot on the left wrist; labels in MATLAB's 1-based coordinates."""
    (root / 'images').mkdir(parents=True)
    rng = np.random.default_rng(0)
    images = {}
    for i in range(1, n + 1):
        h, w = 180, 160
        image = np.full((h, w, 3), 90, np.uint8)
        joints = rng.uniform([30, 30], [w - 30, h - 30], (14, 2)).round()
        joints[RWRI], joints[LWRI] = [40, 60], [115, 120]
        for j, colour in ((RWRI, (0, 0, 255)), (LWRI, (0, 255, 0))):  # BGR
            cv2.circle(image, tuple(int(v) for v in joints[j]), 3, colour, -1)
        name = f'im{i:05d}.jpg'
        cv2.imwrite(str(root / 'images' / name), image, [cv2.IMWRITE_JPEG_QUALITY, 98])
        images[name] = [[x + 1, y + 1, 1] for x, y in joints.tolist()]
    (root / 'joints.json').write_text(json.dumps(dict(joint_names=lspet.LSPET_JOINT_NAMES, images=images)))


def _dot_centre(crop: np.ndarray, channel: int) -> np.ndarray:
    """Centroid (x, y) of the pixels where `channel` clearly dominates (crop: RGB in [0, 1])."""
    others = [c for c in range(3) if c != channel]
    score = crop[..., channel] - crop[..., others].max(-1)
    ys, xs = np.nonzero(score > 0.5 * score.max())
    return np.array([xs.mean(), ys.mean()])


@pytest.mark.parametrize('flip', [False, True])
def test_labels_land_on_the_drawn_joints_after_crop_rotation_scale_and_flip(tmp_path, flip):
    _fake_lspet(tmp_path / 'src')
    lspet.convert_lspet(tmp_path / 'src', tmp_path / 'out', validation_images=1, progress=False)
    split = open_dataset(tmp_path / 'out').split('train')
    cfg = DataConfig(proc_side=128, color_aug=False, occlude_prob=0, blur_prob=0, noise_prob=0)
    for person in split:
        image = split.load_image(person)
        params = CropParams(box=person.box + [5, -4, 0, 0], angle=np.deg2rad(17), scale=1.2, flip=flip)
        ex = make_example(person, image, params, cfg, split.skeleton)
        red, green = _dot_centre(ex['image'], 0), _dot_centre(ex['image'], 1)
        # After a flip the label "left wrist" marks what looks like a left wrist: the red dot,
        # drawn on the original right wrist.
        on_red, on_green = (LWRI, RWRI) if flip else (RWRI, LWRI)
        assert np.linalg.norm(ex['coords2d'][on_red] - red) < 1.0
        assert np.linalg.norm(ex['coords2d'][on_green] - green) < 1.0
        assert ex['has_3d'] == np.False_ and ex['joint_valid'].all()


def test_lsp_labels_map_onto_canonical_joints_without_the_hips():
    canonical = Skeleton.from_registry()
    W = two_d_like_matrix(canonical, LSP)
    assert W.shape == (14, 30)
    assert np.allclose(W.sum(1), 1)  # combinations of points, not of vectors
    names = canonical.joint_names
    neck = W[LSP.joint_names.index('neck')]
    assert neck[names.index('neck')] == 0.5 and neck[names.index('head')] == 0.5
    assert W[RWRI, names.index('rwri')] == 1
    mask = supervised_mask(LSP)
    assert [n for n, m in zip(LSP.joint_names, mask) if not m] == ['rhip', 'lhip']
    assert np.array_equal(two_d_like_matrix(canonical, canonical), np.eye(30))


def test_the_real_lspet_converts_and_loads(tmp_path, shared_file):
    src = shared_file('real/lspet/joints.json').parent
    result = lspet.convert_lspet(src, tmp_path, limit=20, progress=False)
    assert result['train']['examples'] == 20 and result['validation']['examples'] == 20
    data = open_dataset(tmp_path)
    assert data.skeleton.name == 'lsp_14'
    examples = PoseDataset(data, 'validation', DataConfig(proc_side=128), train=False)
    ex = examples[0]
    assert ex['image'].shape == (128, 128, 3)
    inside = ex['joint_valid'] & ex['joint_in_crop']
    assert inside.sum() >= 10  # the box holds the annotated person


def test_bad_sources_fail_with_clear_messages(tmp_path, capsys):
    with pytest.raises(lspet.DataError, match='no images/ folder'):
        lspet.convert_lspet(tmp_path, tmp_path / 'out', progress=False)
    _fake_lspet(tmp_path / 'src')
    doc = json.loads((tmp_path / 'src' / 'joints.json').read_text())
    (tmp_path / 'src' / 'images' / 'im00002.jpg').unlink()
    with pytest.raises(lspet.DataError, match='1 annotated images are missing, e.g. im00002.jpg'):
        lspet.convert_lspet(tmp_path / 'src', tmp_path / 'out', progress=False)
    (tmp_path / 'src' / 'joints.json').write_text(json.dumps(dict(doc, joint_names=doc['joint_names'][::-1])))
    with pytest.raises(lspet.DataError, match='unexpected joint order'):
        lspet.convert_lspet(tmp_path / 'src', tmp_path / 'out', progress=False)
    (tmp_path / 'src' / 'joints.json').write_text('{"truncated')
    assert lspet.main([str(tmp_path / 'src'), '--out', str(tmp_path / 'out')]) == 2
    assert 'cannot read the LSPET annotations' in capsys.readouterr().err
    with pytest.raises(lspet.DataError, match='14 finite'):
        lspet.person_labels([[1.0, float('nan'), 1]] * 14, 10, 10)


def test_an_undecodable_image_is_skipped_and_reported(tmp_path):
    _fake_lspet(tmp_path / 'src')
    (tmp_path / 'src' / 'images' / 'im00003.jpg').write_bytes(b'not a jpeg')
    result = lspet.convert_lspet(tmp_path / 'src', tmp_path / 'out', validation_images=1, progress=False)
    assert result['skipped'] == ['im00003.jpg: cannot decode the image']
    assert result['train']['examples'] + result['validation']['examples'] == 3
