"""The rebuilt release network: the release's parameter names and shapes, strict loading with
clear errors, and the reference's heatmap decoding (incl. the legacy stride offset)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from metrabs_train.official_model import ReleaseNet, build_release_model, release_state_dict
from metrabs_train.official_release import ReleaseError, ReleaseInfo


def _info(backbone='efficientnet_v2_s', side=256, joints=4, centered=False, legacy=True):
    return ReleaseInfo(backbone=backbone, proc_side=side, depth=8, num_joints=joints,
                       feature_channels=1280, stride_test=32, box_size_mm=2200.0,
                       centered_stride=centered, legacy_stride_offset=legacy,
                       joint_names=[f'j{i}' for i in range(joints)], joint_edges=np.zeros((0, 2)),
                       config={'backbone': backbone}, joint_transform=np.eye(joints))


# Names and shapes as the reference builds them (metrabs_pytorch: backbone =
# Sequential(PreprocLayer, efficientnet_v2_x().features), heads.conv_final a 1×1 conv).
@pytest.mark.parametrize('backbone, count, shapes', [
    ('efficientnet_v2_s', 782, {
        'backbone.1.0.0.weight': [24, 3, 3, 3],               # stem
        'backbone.1.6.0.block.1.0.weight': [960, 1, 3, 3],   # last strided depthwise conv
        'backbone.1.7.0.weight': [1280, 256, 1, 1],          # final 1×1 conv
        'backbone.1.7.1.running_var': [1280]}),
    ('efficientnet_v2_l', 1548, {
        'backbone.1.0.0.weight': [32, 3, 3, 3],
        'backbone.1.6.0.block.1.0.weight': [1344, 1, 3, 3],
        'backbone.1.8.0.weight': [1280, 640, 1, 1]}),
])
def test_release_layout(backbone, count, shapes):
    state = ReleaseNet(_info(backbone)).state_dict()
    assert len(state) == count  # incl. the head's weight and bias
    for name, shape in {**shapes, 'heatmap_heads.conv_final.weight': [36, 1280, 1, 1],
                        'heatmap_heads.conv_final.bias': [36]}.items():
        assert list(state[name].shape) == shape, name
    assert all(k.startswith(('backbone.1.', 'heatmap_heads.conv_final.')) for k in state)


def test_centered_stride_pads_bottom_right_of_the_last_strided_conv():
    # The reference pads (k-1)//2 - 1 before and (k-1)//2 + 1 after in that block only.
    model = ReleaseNet(_info(centered=True, legacy=False))
    shifted = [(n, m.shift_pads) for n, m in model.named_modules() if hasattr(m, 'shift_pads')]
    assert shifted == [('backbone.1.6.0.block.1.0', (0, 2, 0, 2))]
    assert not any(hasattr(m, 'shift_pads') for m in ReleaseNet(_info()).modules())


def test_strict_load_names_what_is_wrong():
    state = release_state_dict(_info(side=64))
    model = ReleaseNet(_info(side=64))
    broken = dict(state)
    del broken['backbone.1.0.0.weight']
    broken['backbone.1.99.weight'] = torch.zeros(1)
    with pytest.raises(ReleaseError, match=r'missing backbone\.1\.0\.0\.weight; unexpected backbone\.1\.99'):
        build_release_model(_info(side=64), broken)
    broken = dict(state)
    broken['backbone.1.0.0.weight'] = torch.zeros(24, 3, 5, 5)
    with pytest.raises(ReleaseError, match=r'wrong shapes: backbone\.1\.0\.0\.weight \[24, 3, 5, 5\]'):
        build_release_model(_info(side=64), broken)
    no_counters = {k: v for k, v in state.items() if not k.endswith('num_batches_tracked')}
    build_release_model(_info(side=64), no_counters)  # counters are optional
    assert model is not None


def test_small_checkpoint_in_large_config_is_refused():
    state = release_state_dict(_info(side=64))
    with pytest.raises(ReleaseError, match='efficientnet_v2_l network: missing .*backbone'):
        build_release_model(_info('efficientnet_v2_l', side=64), state)


@pytest.mark.parametrize('centered, legacy, offset', [(False, True, 16), (True, False, 16),
                                                      (False, False, 0)])
def test_decoding(centered, legacy, offset):
    """A peak at heatmap cell (x=2, y=5), depth bin 6 of an 8×8 map at S = 256: pixel =
    t · last_centre (224) + offset; 3D x, y = pixels · box/S, z = 6/7 · box."""
    model = ReleaseNet(_info(centered=centered, legacy=legacy, joints=1))
    logits2d = torch.full((1, 1, 8, 8), -1e4)
    logits2d[0, 0, 5, 2] = 0
    logits3d = torch.full((1, 8, 1, 8, 8), -1e4)
    logits3d[0, 6, 0, 5, 2] = 0
    model.logits = lambda image: (logits2d, logits3d)
    coords2d, coords3d = model(torch.zeros(1, 256, 256, 3))
    expected = np.array([2 / 7 * 224 + offset, 5 / 7 * 224 + offset])
    np.testing.assert_allclose(coords2d[0, 0].numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(coords3d[0, 0].numpy(), [*expected * 2200 / 256, 6 / 7 * 2200], rtol=1e-6)
