"""Release-directory validation: a well-formed metrabs_pytorch layout is read, broken ones are
rejected with an error that names the file and the problem."""
from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
import yaml

from metrabs_train.official_release import ReleaseError, read_release


def _release(tmp_path, *, joints=5, depth=8, backbone='efficientnetv2-s', side=256, feat=16,
             transform_rows=None, names=None, skip=()):
    state = {'backbone.stem.weight': torch.zeros(feat, 3, 3, 3),
             'heatmap_heads.conv_final.weight': torch.zeros(joints * (depth + 1), feat, 1, 1),
             'heatmap_heads.conv_final.bias': torch.zeros(joints * (depth + 1))}
    files = {
        'ckpt.pt': lambda p: torch.save(state, p),
        'config.yaml': lambda p: p.write_text(yaml.safe_dump(
            dict(backbone=backbone, proc_side=side, stride_test=32, depth=depth, box_size_mm=2200,
                 centered_stride=False, legacy_centered_stride_bug=True))),
        'joint_info.npz': lambda p: np.savez(p, joint_names=np.array([f'j{i}' for i in range(names or joints)]),
                                             joint_edges=np.array([[0, 1]])),
        'skeleton_infos.pkl': lambda p: p.write_bytes(pickle.dumps(
            {'tri': dict(names=['a', 'b', 'c'], indices=np.arange(3), edges=np.array([[0, 1], [1, 2]]))})),
        'joint_transform_matrix.npy': lambda p: np.save(
            p, np.eye(transform_rows or joints, 3, dtype=np.float32)),
    }
    for name, write in files.items():
        if name not in skip:
            write(tmp_path / name)
    return tmp_path


def test_reads_a_well_formed_release(tmp_path):
    info = read_release(_release(tmp_path, joints=7, depth=8, side=384, feat=32))
    assert (info.backbone, info.proc_side, info.depth) == ('efficientnet_v2_s', 384, 8)
    assert (info.num_joints, info.feature_channels) == (7, 32)
    assert info.joint_transform.shape == (7, 3)
    assert info.joint_names == [f'j{i}' for i in range(7)] and info.joint_edges.tolist() == [[0, 1]]
    assert (info.stride_test, info.box_size_mm, info.centered_stride, info.legacy_stride_offset) == (
        32, 2200.0, False, True)


def test_large_backbone_is_known(tmp_path):
    assert read_release(_release(tmp_path, backbone='efficientnetv2_l')).backbone == 'efficientnet_v2_l'


@pytest.mark.parametrize('missing', ['ckpt.pt', 'config.yaml', 'joint_transform_matrix.npy'])
def test_missing_file_is_named(tmp_path, missing):
    with pytest.raises(ReleaseError, match=missing.replace('.', r'\.')):
        read_release(_release(tmp_path, skip=(missing,)))


def test_unknown_backbone(tmp_path):
    with pytest.raises(ReleaseError, match='unknown backbone'):
        read_release(_release(tmp_path, backbone='resnet50'))


def test_head_channels_must_fit_depth(tmp_path):
    root = _release(tmp_path, joints=5, depth=8)
    cfg = yaml.safe_load((root / 'config.yaml').read_text())
    cfg['depth'] = 7  # 45 channels are not a multiple of 8
    (root / 'config.yaml').write_text(yaml.safe_dump(cfg))
    with pytest.raises(ReleaseError, match='not a multiple'):
        read_release(root)


def test_transform_rows_must_match_joints(tmp_path):
    with pytest.raises(ReleaseError, match='joint_transform_matrix'):
        read_release(_release(tmp_path, joints=5, transform_rows=6))


def test_joint_names_must_match_head(tmp_path):
    with pytest.raises(ReleaseError, match='joint_info.npz: 4 joint names'):
        read_release(_release(tmp_path, joints=5, names=4))


def test_skeletons_are_read(tmp_path):
    info = read_release(_release(tmp_path))
    assert info.skeletons == {'tri': dict(names=['a', 'b', 'c'], indices=[0, 1, 2], edges=[[0, 1], [1, 2]])}


def test_skeleton_indices_must_be_output_joints(tmp_path):
    root = _release(tmp_path)
    (root / 'skeleton_infos.pkl').write_bytes(pickle.dumps(
        {'tri': dict(names=['a', 'b', 'c'], indices=[0, 1, 3], edges=[])}))
    with pytest.raises(ReleaseError, match=r"skeleton 'tri': indices must lie in \[0, 3\)"):
        read_release(root)


class _Evil:
    def __reduce__(self):
        return (print, ('pwned',))


def test_pickle_runs_no_code(tmp_path, capsys):
    root = _release(tmp_path)
    (root / 'skeleton_infos.pkl').write_bytes(pickle.dumps({'x': _Evil()}))
    with pytest.raises(ReleaseError, match='refuses to load builtins.print'):
        read_release(root)
    assert 'pwned' not in capsys.readouterr().out


def test_names_saved_as_python_objects_are_read(tmp_path):
    root = _release(tmp_path, joints=3)
    np.savez(root / 'joint_info.npz', joint_names=np.array(['a', 'b', 'c'], dtype=object),
             joint_edges=np.array([[0, 1]]))
    assert read_release(root).joint_names == ['a', 'b', 'c']


def test_dilated_stride_is_refused(tmp_path):
    root = _release(tmp_path)
    cfg = yaml.safe_load((root / 'config.yaml').read_text())
    cfg['stride_test'] = 16
    (root / 'config.yaml').write_text(yaml.safe_dump(cfg))
    with pytest.raises(ReleaseError, match='only 32'):
        read_release(root)
