"""Dataset format (docs/dataset-format.md): writer → reader round trip, manifest and partial-shard
behaviour, skipping of bad records, truncated shards and unknown versions."""
from __future__ import annotations

import json
import os
import shutil
import tarfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from metrabs_train import dataset as D
from metrabs_train import toydata

SKELETON = D.Skeleton.from_registry()
J = SKELETON.num_joints


@pytest.fixture(scope='module')
def toy_examples():
    return list(toydata.generate_examples(7, seed=11))


@pytest.fixture(scope='module')
def toy_root(tmp_path_factory, toy_examples):
    root = tmp_path_factory.mktemp('toy')
    D.write_dataset(root, 'toy', SKELETON, toy_examples, 'train', shard_size=3, image_format='png')
    D.write_dataset(root, 'toy', SKELETON, toy_examples[:2], 'validation', shard_size=3,
                    image_format='png')
    return root


# ---------------------------------------------------------------------------------------------
# Round trip and manifest


def test_round_trip_of_toy_data(toy_root, toy_examples):
    ds = D.open_dataset(toy_root, verify_sha256=True)
    split = ds.split('train')
    assert split.num_examples == 7 and ds.skipped.total == 0
    expected_people = [(ex, i, p) for ex in toy_examples for i, p in enumerate(ex['people'])]
    assert len(split) == len(expected_people)
    for person, (ex, i, source) in zip(split, expected_people):
        assert person.key == ex['key'] and person.person_index == i
        assert np.array_equal(person.box, source['box'])
        assert np.array_equal(person.joints2d, source['joints2d'])
        if source['joints3d'] is None:
            assert person.joints3d is None
        else:
            assert np.array_equal(person.joints3d, source['joints3d'])
        assert np.array_equal(person.joint_valid, np.asarray(source['joint_valid'], bool))
        assert np.array_equal(person.occluded, np.asarray(source['occluded'], bool))
        assert person.truncated == source['truncated']
        assert np.array_equal(person.intrinsics, ex['camera']['intrinsic_matrix'])
        R = ex['camera']['extrinsic_matrix'][:3, :3]
        assert np.allclose(person.up_cam, R @ [0, -1, 0])
        image = split.load_image(person)
        assert image.dtype == np.uint8 and np.array_equal(image, ex['image'])  # png: lossless
        labels = split.read_labels(person)
        mask = D.rle_to_mask(labels['people'][i]['mask'])
        ys, xs = np.nonzero(mask)
        assert np.allclose(person.box, [xs.min() - 0.5, ys.min() - 0.5, np.ptp(xs) + 1, np.ptp(ys) + 1])
    assert any(p.joints3d is None for p in split)  # seed 11 has 2D-only people


def test_manifest_and_shards(toy_root):
    manifest = json.loads((toy_root / 'manifest.json').read_text())
    assert manifest['format'] == 'metrabs-dataset' and manifest['version'] == 1
    assert manifest['skeleton']['joint_names'] == list(SKELETON.joint_names)
    train = manifest['splits']['train']
    assert [s['path'] for s in train['shards']] == [f'train/shard-{i:06d}.tar' for i in range(3)]
    assert [s['examples'] for s in train['shards']] == [3, 3, 1]
    assert train['examples'] == 7 and train['people'] == sum(s['people'] for s in train['shards'])
    for s in train['shards']:
        assert s['sha256'] == D.file_sha256(toy_root / s['path'])
    assert 'validation' in manifest['splits']  # writing a second split keeps the first
    assert not list(toy_root.rglob('*.partial')) and not list(toy_root.rglob('*.tmp'))
    with tarfile.open(toy_root / 'train' / 'shard-000000.tar') as tf:
        names = tf.getnames()
    assert names[:4] == ['000000.png', '000000.json', '000001.png', '000001.json']
    with pytest.raises(D.DataError, match='exists'):
        D.write_dataset(toy_root, 'toy', SKELETON, [], 'train', 3)


def test_crashed_writer_lists_only_complete_shards(tmp_path, toy_examples):
    def crashing():
        yield from toy_examples[:5]
        raise RuntimeError('renderer crashed')

    with pytest.raises(RuntimeError):
        D.write_dataset(tmp_path, 'toy', SKELETON, crashing(), 'train', shard_size=2)
    # A crashed writer may also leave a partial shard behind; readers never see it.
    (tmp_path / 'train' / 'shard-000002.tar.partial').write_bytes(b'half a shard')
    manifest = json.loads((tmp_path / 'manifest.json').read_text())
    assert [s['path'] for s in manifest['splits']['train']['shards']] == [
        'train/shard-000000.tar', 'train/shard-000001.tar']
    split = D.open_dataset(tmp_path).split('train')
    assert split.num_examples == 4 and {p.key for p in split} == {'000000', '000001', '000002', '000003'}


def test_rle_round_trip():
    rng = np.random.default_rng(0)
    for mask in (rng.random((7, 9)) < 0.4, np.ones((3, 4), bool), np.zeros((2, 2), bool)):
        rle = D.mask_to_rle(mask)
        assert rle['size'] == list(mask.shape) and sum(rle['runs']) == mask.size
        assert np.array_equal(D.rle_to_mask(rle), mask)
    assert D.mask_to_rle(np.array([[True, False]]))['runs'] == [0, 1, 1]


# ---------------------------------------------------------------------------------------------
# Bad records


def _image_bytes(value=128, ext='.jpg') -> bytes:
    image = np.full((40, 60, 3), value, np.uint8)
    return cv2.imencode(ext, image)[1].tobytes()


def _labels(key, people, camera=None) -> dict:
    camera = camera or dict(intrinsic_matrix=[[50, 0, 30], [0, 50, 20], [0, 0, 1]],
                            distortion_coeffs=[0, 0, 0, 0, 0])
    return dict(key=key, image=dict(file=f'{key}.jpg', width=60, height=40), camera=camera,
                people=people)


def _person(**overrides) -> dict:
    rng = np.random.default_rng(0)
    person = dict(box=[10, 5, 20, 30], joints3d=(rng.normal(0, 300, (J, 3)) + [0, 0, 4000]).tolist(),
                  joints2d=rng.uniform(0, 40, (J, 2)).tolist(), joint_valid=[1] * J,
                  in_image=[1] * J, occluded=[0] * J, truncated=False)
    person.update(overrides)
    return person


def _write_manifest(root: Path, shards: dict[str, int], version=1):
    manifest = dict(format='metrabs-dataset', version=version, name='bad', skeleton=SKELETON.to_dict(),
                    splits=dict(train=dict(shards=[dict(path=p, examples=n) for p, n in shards.items()])))
    (root / 'manifest.json').write_text(json.dumps(manifest))


def _write_shard(path: Path, members: list[tuple[str, bytes]]):
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, 'w', format=tarfile.USTAR_FORMAT) as tar:
        for name, data in members:
            D.add_tar_member(tar, name, data)


def _json(obj) -> bytes:
    return json.dumps(obj).encode()  # allows NaN/Infinity literals, as a sloppy writer might


def test_every_kind_of_bad_record_is_skipped_with_a_count(tmp_path):
    good = _person()
    nan_joints = _person(joints3d=[[float('nan'), 0, 1]] + good['joints3d'][1:])
    inf_joints = _person(joints2d=[[float('inf'), 0]] + good['joints2d'][1:])
    short_rows = _person(joints3d=[[1.0, 2.0]] + good['joints3d'][1:])
    wrong_j = _person(joints3d=good['joints3d'][:-1], joints2d=good['joints2d'][:-1])
    def example(key, people, image=None, labels=None, **kw):
        image = _image_bytes() if image is None else image
        labels = _json(_labels(key, people, **kw)) if labels is None else labels
        return [(f'{key}.jpg', image), (f'{key}.json', labels)]

    singular = dict(intrinsic_matrix=[[0, 0, 0], [0, 0, 0], [0, 0, 1]])
    members = [
        *example('000000', [good, _person(box=[1, 1, 0, 5])]),
        ('000001.json', _json(_labels('000001', [good]))),  # missing image member
        *example('000002', [good], image=b'this is not an image'),
        *example('000003', [nan_joints, inf_joints]),
        *example('000004', [short_rows, wrong_j]),
        *example('000005', [_person(box=[1, 2, 3])]),
        *example('000006', [], labels=b'{"key": "000006", "people": ['),
        *example('000007', [good], camera=singular),
        ('000008.jpg', _image_bytes()),  # image without labels
        *example('000009', [_person(joint_valid=[0] * J), good], image=_image_bytes(200)),
        *example('000010', [_person(joint_valid=[1] * (J + 1))]),
    ]
    _write_shard(tmp_path / 'train' / 'shard-000000.tar', members)
    _write_manifest(tmp_path, {'train/shard-000000.tar': 10})
    ds = D.open_dataset(tmp_path)
    split = ds.split('train')
    assert [(p.key, p.person_index) for p in split] == [('000000', 0), ('000009', 1)]
    assert [p.index for p in split] == [0, 1]
    expected = {
        'empty or zero-size box': 1, 'missing image member': 1, 'undecodable image': 1,
        'non-finite values in joints3d': 1, 'non-finite values in joints2d': 1,
        'wrong-length or non-numeric rows in joints3d': 1, 'wrong joint count in joints3d': 1,
        'bad box': 1, 'unparsable labels': 1, 'bad camera': 1, 'image without labels': 1,
        'no valid joints': 1, 'wrong joint count in joint_valid': 1,
    }
    assert dict(split.skipped.reasons) == expected
    assert ds.skipped.total == sum(expected.values()) == split.skipped.total
    assert 'missing image member' in ds.skipped.summary() and 'shard-000000.tar' in ds.skipped.summary()
    assert split.load_image(split[1])[0, 0, 0] == pytest.approx(200, abs=2)


def test_image_that_fails_to_decode_at_load_time_raises_data_error(tmp_path):
    corrupt = _image_bytes()[:40] + bytes(200)  # a JPEG header, then garbage
    _write_shard(tmp_path / 'train' / 'shard-000000.tar',
                 [('000000.jpg', corrupt), ('000000.json', _json(_labels('000000', [_person()])))])
    _write_manifest(tmp_path, {'train/shard-000000.tar': 1})
    split = D.open_dataset(tmp_path).split('train')
    assert len(split) == 1  # the header looks fine: indexed
    with pytest.raises(D.DataError, match=r'shard-000000\.tar:000000\.jpg.*decoded'):
        split.load_image(split[0])


# ---------------------------------------------------------------------------------------------
# Broken containers


def test_truncated_shard_gives_a_clear_error_naming_the_file(tmp_path, toy_root):
    root = tmp_path / 'copy'
    shutil.copytree(toy_root, root)
    shard = root / 'train' / 'shard-000001.tar'
    os.truncate(shard, shard.stat().st_size // 2)
    with pytest.raises(D.DataError, match=r'shard-000001\.tar.*truncated'):
        D.open_dataset(root).split('train')
    # Cut exactly after a complete example: the manifest's count gives it away.
    with tarfile.open(toy_root / 'train' / 'shard-000001.tar') as tf:
        second_image = tf.getmembers()[2]
    shutil.copy(toy_root / 'train' / 'shard-000001.tar', shard)
    os.truncate(shard, second_image.offset)
    with pytest.raises(D.DataError, match=r'shard-000001\.tar.*lists 3 examples but the file holds 1'):
        D.open_dataset(root).split('train')
    shard.unlink()
    with pytest.raises(D.DataError, match=r'shard-000001\.tar.*does not exist'):
        D.open_dataset(root).split('train')


def test_unknown_version_and_bad_manifests_are_refused(tmp_path):
    _write_manifest(tmp_path, {}, version=2)
    with pytest.raises(D.DataError, match='unsupported dataset format version 2'):
        D.open_dataset(tmp_path)
    manifest = json.loads((tmp_path / 'manifest.json').read_text())
    manifest.update(version=1, format='something-else')
    (tmp_path / 'manifest.json').write_text(json.dumps(manifest))
    with pytest.raises(D.DataError, match='format'):
        D.open_dataset(tmp_path)
    manifest.update(format='metrabs-dataset', skeleton=dict(SKELETON.to_dict(), mirror=[0] * J))
    (tmp_path / 'manifest.json').write_text(json.dumps(manifest))
    with pytest.raises(D.DataError, match='mirror'):
        D.open_dataset(tmp_path)
    with pytest.raises(D.DataError, match='no manifest'):
        D.open_dataset(tmp_path / 'nowhere')
    _write_manifest(tmp_path, {})
    with pytest.raises(D.DataError, match="no split 'test'"):
        D.open_dataset(tmp_path).split('test')


def test_writer_refuses_nan_labels(tmp_path, toy_examples):
    example = dict(toy_examples[0])
    person = dict(example['people'][0], joints2d=np.full((J, 2), np.nan))
    example['people'] = [person]
    with pytest.raises(ValueError, match='NaN'):
        D.write_dataset(tmp_path, 'toy', SKELETON, [example], 'train', 2)


# ---------------------------------------------------------------------------------------------
# Toy data


def test_toydata_cli_is_deterministic(tmp_path):
    for run in ('a', 'b'):
        toydata.main(['--out', str(tmp_path / run), '--train', '3', '--validation', '1',
                      '--test', '1', '--seed', '4', '--shard-size', '2'])
    manifests = [json.loads((tmp_path / run / 'manifest.json').read_text()) for run in 'ab']
    for split in ('train', 'validation', 'test'):
        shards = [[s['sha256'] for s in m['splits'][split]['shards']] for m in manifests]
        assert shards[0] == shards[1] and len(shards[0]) == (2 if split == 'train' else 1)
    assert manifests[0]['generator'] == dict(tool='metrabs_train.toydata', seed=4)


def test_toy_people_keep_the_reference_bone_lengths(toy_examples):
    reference = D.reference_pose_mm()
    edges = np.array(SKELETON.edges)
    ref_lengths = np.linalg.norm(reference[edges[:, 0]] - reference[edges[:, 1]], axis=1)
    people = [p for ex in toy_examples for p in ex['people'] if p['joints3d'] is not None]
    assert len(people) >= 10
    for p in people:
        j3 = np.asarray(p['joints3d'])
        ratio = np.linalg.norm(j3[edges[:, 0]] - j3[edges[:, 1]], axis=1) / ref_lengths
        assert np.allclose(ratio, ratio[0], rtol=1e-9) and 0.85 <= ratio[0] <= 1.15
        assert np.all(j3[:, 2] > 2000)  # in front of the camera, metres away
