"""BlazePose GHUM (MediaPipe's pose landmark network, npm `@mediapipe/pose`) as a backbone: the
PyTorch rebuild reproduces the TFLite interpreter on a real photo, and its trunk is a stride-32
feature extractor whose cells sit where MetrabsNet expects them and that trains.

The .tflite comes from `node_modules/@mediapipe/pose/` (or the folder in MEDIAPIPE_POSE_DIR), the
interpreter from PyPI `tflite-runtime` (or `ai-edge-litert`), the parser from PyPI `tflite`. When
one is missing the tests skip with the reason; in CI they fail instead once the repository
declares that dependency (package.json / training/requirements.txt)."""
from __future__ import annotations

import importlib
import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from metrabs_train import pose_backbones
from metrabs_train.backbones import build_backbone
from metrabs_train.pose_backbones import (
    HEATMAP, LANDMARKS, POSE_FLAG, SEGMENTATION, WORLD_LANDMARKS, NPM_PACKAGE, TFLiteNet,
    build_pose_backbone, read_tflite, trunk_tensor)

REPO = Path(__file__).resolve().parents[2]
VARIANT = 'full'


def _missing(reason: str, declared: bool):
    if declared and os.environ.get('CI') == 'true':
        pytest.fail(reason)
    pytest.skip(reason)


def _declared_in_requirements(package: str) -> bool:
    lines = (REPO / 'training' / 'requirements.txt').read_text().splitlines()
    return any(line.split('==')[0].strip() == package for line in lines)


@pytest.fixture(scope='module')
def model_file() -> Path:
    if importlib.util.find_spec('tflite') is None:
        _missing('the .tflite parser is missing: pip install tflite (PyPI)',
                 _declared_in_requirements('tflite'))
    folder = os.environ.get('MEDIAPIPE_POSE_DIR')
    folder = Path(folder) if folder else REPO / 'node_modules' / NPM_PACKAGE
    path = folder / f'pose_landmark_{VARIANT}.tflite'
    if not path.exists():
        dev = json.loads((REPO / 'package.json').read_text()).get('devDependencies', {})
        _missing(f'BlazePose model missing: {path} (npm install {NPM_PACKAGE})', NPM_PACKAGE in dev)
    return path


def _interpreter(path: Path, **kwargs):
    """TFLite's interpreter with its reference float kernels: the default XNNPACK delegate itself
    differs from them by up to 6e-4 on the landmarks (2e-3 for the lite model)."""
    for module in ('tflite_runtime.interpreter', 'ai_edge_litert.interpreter'):
        try:
            m = importlib.import_module(module)
        except ImportError:
            continue
        reference = m.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
        return m.Interpreter(str(path), experimental_op_resolver_type=reference, **kwargs)
    _missing('no TFLite interpreter: pip install tflite-runtime (PyPI)',
             _declared_in_requirements('tflite-runtime'))


def test_rebuilt_blazepose_matches_the_tflite_interpreter_on_a_real_photo(model_file, shared_file):
    import cv2
    image = cv2.imread(str(shared_file('real/skimage/astronaut.png')))[:, :, ::-1]
    # MediaPipe feeds this model the person's region of interest scaled to 256×256, RGB in [0, 1].
    # The astronaut stands upright and fills the square photo: the ROI is the whole image.
    x = cv2.resize(image, (256, 256), interpolation=cv2.INTER_AREA).astype(np.float32)[None] / 255
    it = _interpreter(model_file, experimental_preserve_all_tensors=True)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]['index'], x)
    it.invoke()
    expected = {d['name']: it.get_tensor(d['index']) for d in it.get_output_details()}
    graph = read_tflite(model_file)
    trunk = trunk_tensor(graph)
    names = [LANDMARKS, WORLD_LANDMARKS, POSE_FLAG, HEATMAP, SEGMENTATION, graph.names[trunk]]
    assert {d['index']: d['name'] for d in it.get_tensor_details()}[trunk] == graph.names[trunk]
    expected[graph.names[trunk]] = it.get_tensor(trunk)

    net = TFLiteNet(graph, names).eval()
    with torch.no_grad():
        outputs = net(torch.from_numpy(x).permute(0, 3, 1, 2))
    diff = {}
    for name, out in zip(names, outputs):
        out = (out.permute(0, 2, 3, 1) if out.dim() == 4 else out).numpy()
        assert out.shape == expected[name].shape, name
        diff[name] = float(np.abs(out - expected[name]).max())

    assert float(expected[POSE_FLAG]) > 0.5  # the network sees a person: it is a fair input
    # Landmarks are in input pixels (x, y, z; up to |340| here) and logits: 5e-4 measured.
    assert diff[LANDMARKS] < 1e-3, diff
    assert diff[WORLD_LANDMARKS] < 1e-3 and diff[POSE_FLAG] < 1e-3 and diff[HEATMAP] < 1e-3, diff
    assert diff[graph.names[trunk]] < 1e-3, diff  # the backbone's own output (ReLU6: 0…6)
    # Segmentation logits reach |1650|: relative to the largest (1.5e-4 measured).
    assert diff[SEGMENTATION] / float(np.abs(expected[SEGMENTATION]).max()) < 1e-3, diff


def test_trunk_is_a_stride_32_backbone_that_trains(model_file):
    features, channels = build_backbone('blazepose_full', weights_path=str(model_file))
    assert channels == 864
    x = torch.randn(2, 3, 256, 256, requires_grad=True)
    out = features.train()(x)
    assert out.shape == (2, 864, 8, 8)
    out.square().mean().backward()
    params = dict(features.named_parameters())
    assert len(params) == 2 * 47  # weight and bias of the trunk's 47 convolutions
    for name, p in params.items():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert float(p.grad.abs().sum()) > 0, name
    assert float(x.grad.abs().sum()) > 0
    # ImageNet-normalised input is mapped back to RGB in [0, 1] first.
    rgb = torch.rand(1, 3, 64, 64)
    normalised = (rgb - features.mean) / features.std
    with torch.no_grad():
        diff = (features.eval()(normalised) - features.trunk(rgb)).abs().max()
    # Outputs reach 6 (ReLU6) after 47 convolutions: the float32 round trip of the
    # normalisation leaves ~1e-5 there, depending on the BLAS kernels of the machine.
    assert float(diff) < 1e-4, diff


def _one_channel_linear(trunk: nn.Module) -> nn.Module:
    """Every convolution averages its window, activations go: a position-preserving linear
    filter whose channels all carry the same map, so one channel per layer computes it."""
    for m in trunk.modules():
        if isinstance(m, nn.Conv2d):
            kh, kw = m.kernel_size
            m.weight = nn.Parameter(torch.full((1, 1, kh, kw), 1.0 / (kh * kw)))
            m.bias = None
            m.groups = m.in_channels = m.out_channels = 1
    for key in list(trunk.acts.keys()):
        trunk.acts[key] = nn.Identity()
    return trunk.double().eval()


@pytest.mark.parametrize('centered, offset', [(True, 16), (False, 0)])
def test_feature_cell_i_sits_at_32i_plus_16_with_centred_stride(model_file, centered, offset):
    features, _ = build_backbone('blazepose_full', weights_path=str(model_file),
                                 centered_stride=centered)
    trunk = _one_channel_linear(features.trunk)
    size = 1024  # the middle cells' receptive fields stay clear of the zero padding
    ramp = torch.arange(size, dtype=torch.float64).view(1, 1, 1, size).expand(1, 1, size, size)
    with torch.no_grad():
        x = (trunk(ramp.contiguous()) / trunk(torch.ones(1, 1, size, size, dtype=torch.float64)))
    row = x[0, 0, size // 64]
    assert len(row) == size // 32
    for i in range(len(row) // 2 - 2, len(row) // 2 + 2):
        assert abs(float(row[i]) - (32 * i + offset)) < 1e-6, (i, float(row[i]))


def test_options_and_a_missing_package_fail_clearly(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match='unknown pose backbone'):
        build_pose_backbone('blazepose_huge')
    with pytest.raises(ValueError, match='width_mult'):
        build_pose_backbone('blazepose_full', width_mult=0.5)
    monkeypatch.setattr(pose_backbones, 'REPO', tmp_path)
    with pytest.raises(ValueError, match='npm install'):
        build_pose_backbone('blazepose_full')
