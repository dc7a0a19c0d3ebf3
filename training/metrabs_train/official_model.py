"""The crop network of an official `metrabs_pytorch` release, rebuilt in our code.

Module layout = the release's state-dict layout, so its `ckpt.pt` loads with strict name and
shape checks:

    backbone.0                 2x − 1 on RGB in [0, 1] (no parameters)
    backbone.1.*               torchvision `efficientnet_v2_s/l().features`
    heatmap_heads.conv_final   1×1 conv: J 2D channels, then depth·J 3D channels ordered (d, j)

The reference's EfficientNetV2 is a copy of torchvision's with explicit zero-padding layers
(no parameters) in front of unpadded convolutions. For 3×3 kernels that padding is symmetric,
i.e. torchvision's `padding=1`, so torchvision's module computes the same thing — except with
`centered_stride`, where the first block of the last strided stage pads one pixel more at the
bottom/right: our `ShiftedStrideConv` (backbones.py) does exactly that.

Decoding follows the reference: softmax over (h, w) for 2D and over (d, h, w) jointly for 3D,
soft-argmax with weights linspace(0, 1), then heatmap → crop pixels with `stride_test`,
`+ stride/2` for `centered_stride` and once more for `legacy_centered_stride_bug` (ptgeometry).
"""
from __future__ import annotations

import torch
import torchvision
from torch import nn

from . import ptgeometry
from .backbones import center_last_stride
from .official_release import ReleaseError, ReleaseInfo


class SymmetricRange(nn.Module):
    """[0, 1] → [−1, 1], the releases' input mapping."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * 2 - 1


class ReleaseHeads(nn.Module):
    def __init__(self, in_channels: int, num_joints: int, depth: int):
        super().__init__()
        self.conv_final = nn.Conv2d(in_channels, num_joints * (1 + depth), kernel_size=1)


class ReleaseNet(nn.Module):
    """Input `image` NHWC [N, S, S, 3] RGB in [0, 1]; outputs `coords2d` [N, J, 2] crop pixels
    and `coords3d` [N, J, 3] mm (relative) — the crop-model contract of our model packages."""

    def __init__(self, info: ReleaseInfo):
        super().__init__()
        self.info = info
        features = getattr(torchvision.models, info.backbone)().features
        if info.centered_stride:
            center_last_stride(features)
        self.backbone = nn.Sequential(SymmetricRange(), features)
        self.heatmap_heads = ReleaseHeads(info.feature_channels, info.num_joints, info.depth)

    def logits(self, image_nhwc: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """2D logits [N, J, h, w] and 3D logits [N, D, J, h, w]."""
        x = self.heatmap_heads.conv_final(self.backbone(image_nhwc.permute(0, 3, 1, 2)))
        n, _, h, w = x.shape
        j = self.info.num_joints
        return x[:, :j], x[:, j:].reshape(n, self.info.depth, j, h, w)

    def forward(self, image_nhwc: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        i = self.info
        logits2d, logits3d = self.logits(image_nhwc)
        coords2d = ptgeometry.heatmap_to_pixels(
            ptgeometry.soft_argmax_2d(logits2d.float()), i.proc_side, i.stride_test,
            i.centered_stride, i.legacy_stride_offset)
        coords3d = ptgeometry.heatmap_to_metric(
            ptgeometry.soft_argmax_3d(logits3d.float()), i.proc_side, i.stride_test,
            i.centered_stride, i.box_size_mm, i.legacy_stride_offset)
        return coords2d, coords3d


def _listed(names: list[str], limit: int = 5) -> str:
    shown = ', '.join(names[:limit])
    return shown + (f' … ({len(names)} in all)' if len(names) > limit else '')


def load_release_weights(model: ReleaseNet, state: dict[str, torch.Tensor]) -> None:
    """Strict load: every parameter and buffer by name and shape (BatchNorm's
    `num_batches_tracked` counters may be absent: inference never reads them)."""
    expected = model.state_dict()
    optional = {k for k in expected if k.endswith('num_batches_tracked')}
    missing = [k for k in expected if k not in state and k not in optional]
    unexpected = [k for k in state if k not in expected]
    hint = (f' — is config.yaml\'s backbone ({model.info.config.get("backbone")}) the one this '
            f'checkpoint was trained with?')
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f'missing {_listed(missing)}')
        if unexpected:
            parts.append(f'unexpected {_listed(unexpected)}')
        raise ReleaseError(f'ckpt.pt does not fit the rebuilt {model.info.backbone} network: '
                           f'{"; ".join(parts)}{hint}')
    wrong = [f'{k} {list(state[k].shape)} (expected {list(v.shape)})'
             for k, v in expected.items() if k in state and state[k].shape != v.shape]
    if wrong:
        raise ReleaseError(f'ckpt.pt: wrong shapes: {_listed(wrong, 3)}{hint}')
    model.load_state_dict({k: v for k, v in state.items()}, strict=False)


def build_release_model(info: ReleaseInfo, state: dict[str, torch.Tensor] | None = None) -> ReleaseNet:
    """The release network in eval mode, with the checkpoint's weights when given."""
    model = ReleaseNet(info)
    if state is not None:
        load_release_weights(model, state)
    return model.eval()


def release_state_dict(info: ReleaseInfo, seed: int = 0) -> dict[str, torch.Tensor]:
    """A state dict in the release layout with random weights (tests, benchmarks). BatchNorm
    statistics are measured on random images, so activations keep their spatial
    structure through the depth of the network (with default statistics the features end up
    nearly constant and every joint lands in the crop centre)."""
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = ReleaseNet(info)
    side = info.proc_side
    # Structure at every scale from blobs to pixel noise, as in photos.
    images = sum(nn.functional.interpolate(torch.rand(4, 3, side // f, side // f, generator=generator),
                                           size=(side, side), mode='bilinear', align_corners=False)
                 for f in (32, 8, 2, 1)) / 4
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.reset_running_stats()
                module.momentum = None  # cumulative: one batch sets the statistics
                module.weight.uniform_(0.5, 1.5, generator=generator)
                module.bias.uniform_(-0.2, 0.2, generator=generator)
        # Damped residual branches (as with zero-initialised residuals): a random deep network
        # with full-strength branches is chaotic — a photo instead of noise blows it up.
        for module in model.modules():
            if getattr(module, 'use_res_connect', False):
                last_norm = [m for m in module.block.modules() if isinstance(m, nn.BatchNorm2d)][-1]
                last_norm.weight.uniform_(0.05, 0.2, generator=generator)
        model.train()
        model.backbone(images)
        model.eval()
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.momentum = 0.1
        # Head scaled so the logits vary by ~3 across the heatmap of a photo: peaked, yet smooth.
        head = model.heatmap_heads.conv_final
        head.weight.normal_(0, 1, generator=generator)
        head.bias.zero_()
        spread = head(model.backbone(images)).std(dim=(2, 3)).mean()
        head.weight.mul_(0.4 / spread)  # photos spread ~7x more than this noise
        head.bias.normal_(0, 0.5, generator=generator)
    return {k: v.clone() for k, v in model.state_dict().items()}
