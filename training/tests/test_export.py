"""Export: ONNX Runtime reproduces PyTorch; the descriptor carries what inference needs."""
from __future__ import annotations

import json

import numpy as np
import onnxruntime as ort
import pytest
import torch

from metrabs_train.checkpoint import save_checkpoint
from metrabs_train.config import TrainConfig, to_dict
from metrabs_train.export import export_package
from metrabs_train.model import MetrabsNet, ModelConfig

SKELETON = json.loads((__import__('conftest').REPO / 'fixtures' / 'skeletons.json').read_text())


def _checkpoint(tmp_path, **model_kwargs):
    cfg = TrainConfig(dataset='toy', model=ModelConfig(**model_kwargs))
    canonical = SKELETON['skeletons']['smpl+head_30']
    skeleton = dict(name='smpl+head_30', joint_names=canonical['joint_names'],
                    edges=canonical['edges'], mirror=canonical['mirror'])
    torch.manual_seed(0)
    model = MetrabsNet(cfg.model, len(skeleton['joint_names']))
    path = tmp_path / 'checkpoint.pt'
    save_checkpoint(path, dict(model=model.state_dict(), config=to_dict(cfg), skeleton=skeleton, step=7))
    return path, model


@pytest.mark.parametrize('dilate', [False, True])
def test_onnx_matches_pytorch_and_descriptor_is_complete(tmp_path, dilate):
    path, model = _checkpoint(tmp_path, backbone='mobilenet_v3_small', width_mult=0.5, proc_side=128)
    desc = export_package(path, tmp_path / 'pkg', dilate_last_stage=dilate)
    assert desc['export_check']['max_abs_diff_mm'] < 0.05
    assert desc['export_check']['max_abs_diff_px'] < 0.01
    on_disk = json.loads((tmp_path / 'pkg' / 'metrabs.json').read_text())
    assert on_disk['format'] == 'metrabs-model' and on_disk['version'] == 1
    g = on_disk['geometry']
    assert (g['proc_side'], g['stride'], g['stride_train'], g['depth'], g['box_size_mm']) == (
        128, 16 if dilate else 32, 32, 8, 2200.0)
    assert len(on_disk['joint_names']) == 30 and 'h36m_17' in on_disk['skeletons']
    # Dynamic batch: 1 and 5 crops both run.
    session = ort.InferenceSession(str(tmp_path / 'pkg' / 'model.onnx'), providers=['CPUExecutionProvider'])
    assert [i.name for i in session.get_inputs()] == ['image']
    for n in (1, 5):
        c2, c3 = session.run(None, {'image': np.random.rand(n, 128, 128, 3).astype(np.float32)})
        assert c2.shape == (n, 30, 2) and c3.shape == (n, 30, 3)
        assert np.isfinite(c3).all()
    # Outputs stay inside the crop / metric volume by construction of the soft-argmax.
    assert (c2 >= 0).all() and (c2 <= 128).all()


def test_missing_or_corrupt_checkpoint_gives_a_clear_error(tmp_path):
    with pytest.raises(RuntimeError, match='cannot read checkpoint'):
        export_package(tmp_path / 'nope.pt', tmp_path / 'pkg')
    bad = tmp_path / 'bad.pt'
    bad.write_bytes(b'not a checkpoint')
    with pytest.raises(RuntimeError, match='cannot read checkpoint'):
        export_package(bad, tmp_path / 'pkg')
    foreign = tmp_path / 'foreign.pt'
    torch.save({'step': 3}, foreign)
    with pytest.raises(RuntimeError, match='neither a training checkpoint nor a weights.pt'):
        export_package(foreign, tmp_path / 'pkg')
