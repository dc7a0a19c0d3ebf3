"""The committed toy model package (fixtures/model-tiny) works: its descriptor is complete
and ONNX Runtime, with absolute reconstruction, estimates toy people's poses."""
from __future__ import annotations

import json

import numpy as np
import onnxruntime as ort
import pytest
import torch
from conftest import REPO

from metrabs_train import ptgeometry
from metrabs_train.data import DataConfig, PoseDataset, make_loader
from metrabs_train.dataset import open_dataset
from metrabs_train.metrics import pose_metrics
from metrabs_train.toydata import make_toy_dataset

PACKAGE = REPO / 'fixtures' / 'model-tiny'


@pytest.fixture(scope='module')
def descriptor() -> dict:
    return json.loads((PACKAGE / 'metrabs.json').read_text())


def test_descriptor_describes_the_onnx_model(descriptor):
    assert descriptor['format'] == 'metrabs-model' and descriptor['version'] == 1
    session = ort.InferenceSession(str(PACKAGE / descriptor['onnx']), providers=['CPUExecutionProvider'])
    (inp,) = session.get_inputs()
    side = descriptor['geometry']['proc_side']
    assert inp.name == 'image' and inp.shape[1:] == [side, side, 3]
    assert [o.name for o in session.get_outputs()] == ['coords2d', 'coords3d']
    assert len(descriptor['joint_names']) == 30 and len(descriptor['mirror']) == 30
    assert (PACKAGE / 'model.onnx').stat().st_size < 5_000_000


def test_onnx_model_estimates_unseen_toy_people(descriptor, tmp_path):
    make_toy_dataset(tmp_path / 'toy', {'test': 12}, seed=987, shard_size=12)
    data = open_dataset(tmp_path / 'toy')
    g = descriptor['geometry']
    dataset = PoseDataset(data, 'test', DataConfig(proc_side=g['proc_side']), skeleton=data.skeleton,
                          train=False, seed=0)
    session = ort.InferenceSession(str(PACKAGE / 'model.onnx'), providers=['CPUExecutionProvider'])
    preds, trues, valids = [], [], []
    for batch in make_loader(dataset, 16, indices=list(range(len(dataset)))):
        has3d = batch['has_3d']
        coords2d, coords3d = session.run(None, {'image': batch['image'].numpy()})
        absolute = ptgeometry.reconstruct_absolute(
            torch.from_numpy(coords2d).double(), torch.from_numpy(coords3d).double(),
            batch['intrinsics'].double(), side=g['proc_side'], stride_train=g['stride_train'],
            centered=g['centered_stride'], mix_3d_inside_fov=g['mix_3d_inside_fov'])
        preds.append(absolute.numpy()[has3d])
        trues.append(batch['coords3d'].double().numpy()[has3d])
        valids.append(batch['joint_valid'].numpy()[has3d])
    m = pose_metrics(np.concatenate(preds), np.concatenate(trues), np.concatenate(valids))
    # Its model card reports the numbers on its own toy test split; unseen toy people stay close.
    card = descriptor['metrics']['all']
    assert m['mpjpe'] < max(1.5 * card['mpjpe'], 120), (m, card)
    assert m['mrpe'] < max(1.5 * card['mrpe'], 400), (m, card)
