"""The MeTRAbs crop network: backbone → one 1×1 convolution → 2D and 3D heatmap logits →
soft-argmax → crop pixels (2D) and metric, root-relative millimetres (3D).

Input: `image` float32 NHWC [N, S, S, 3], RGB in [0, 1] (preprocessing is inside the model,
so the exported ONNX graph takes plain pixels). Outputs: `coords2d` [N, J, 2] crop pixels,
`coords3d` [N, J, 3] mm (relative: the absolute offset is meaningless). This is the contract
of the exported model package (DESIGN §7); reconstruction runs outside.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from . import ptgeometry
from .backbones import build_backbone

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass
class ModelConfig:
    """Architecture and output mapping (the reference's flag names in brackets)."""
    backbone: str = 'mobilenet_v3_large'
    #: MobileNetV3 width multiplier.
    width_mult: float = 1.0
    #: Crop side S in pixels [proc_side].
    proc_side: int = 256
    #: Heatmap stride at training [stride_train]; the field-of-view border is based on it.
    stride_train: int = 32
    #: Depth bins D of the 3D heatmap [depth].
    depth: int = 8
    #: Metric extent of the 3D volume in mm [box_size_mm].
    box_size_mm: float = 2200.0
    #: Shift the last strided layer so the heatmap grid is centred in the crop [centered_stride].
    centered_stride: bool = True
    #: Optional local file with torchvision weights for the backbone.
    backbone_weights: str | None = None


class MetrabsNet(nn.Module):
    def __init__(self, cfg: ModelConfig, num_joints: int, *, dilate_last_stage: bool = False):
        super().__init__()
        self.cfg = cfg
        self.num_joints = num_joints
        self.stride = cfg.stride_train // 2 if dilate_last_stage else cfg.stride_train
        self.backbone, channels = build_backbone(
            cfg.backbone, centered_stride=cfg.centered_stride,
            dilate_last_stage=dilate_last_stage, width_mult=cfg.width_mult,
            weights_path=cfg.backbone_weights)
        self.head = nn.Conv2d(channels, num_joints * (1 + cfg.depth), kernel_size=1)
        self.register_buffer('mean', torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def heads(self, image_nhwc: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Raw logits: 2D [N, J, h, w] and 3D [N, D, J, h, w]."""
        x = (image_nhwc.permute(0, 3, 1, 2) - self.mean) / self.std
        logits = self.head(self.backbone(x))
        n, _, h, w = logits.shape
        j = self.num_joints
        logits2d = logits[:, :j]
        logits3d = logits[:, j:].reshape(n, self.cfg.depth, j, h, w)
        return logits2d, logits3d

    def forward(self, image_nhwc: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits2d, logits3d = self.heads(image_nhwc)
        c = self.cfg
        coords2d = ptgeometry.heatmap_to_pixels(
            ptgeometry.soft_argmax_2d(logits2d.float()), c.proc_side, self.stride, c.centered_stride)
        coords3d = ptgeometry.heatmap_to_metric(
            ptgeometry.soft_argmax_3d(logits3d.float()), c.proc_side, self.stride,
            c.centered_stride, c.box_size_mm)
        return coords2d, coords3d
