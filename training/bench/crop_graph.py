"""The perspective crop as an ONNX graph, for bench/crop-gridsample.ts: the alternative to the
TypeScript renderer (packages/runtime/src/warp.ts) that issue 5 asks to measure.

    training/.venv/bin/python training/bench/crop_graph.py OUT_DIR

Writes OUT_DIR/crop-level0.onnx and OUT_DIR/crop-level1.onnx. Inputs:
  window    uint8 [1, h, w, 3]   the image pixels the crop reads (sRGB bytes, level-0 resolution)
  grid      float32 [1, S, S, 2] where each crop pixel samples the window, in GridSample's
                                 normalised coordinates (align_corners=0) of the sampled level
  exponent  float32 []           gamma / 2.2 of the output encoding
Output `crop` float32 [1, S, S, 3] in [0, 1]: bytes → linear light through the same 256-entry
table as warp.ts, (level 1: 2×2 average), bilinear GridSample with zeros outside, clamp, power.
"""
from __future__ import annotations

import sys
from pathlib import Path

import torch
import torch.nn.functional as F

DECODING_GAMMA = 2.2


class CropGraph(torch.nn.Module):
    def __init__(self, level: int):
        super().__init__()
        self.level = level
        table = (torch.arange(256, dtype=torch.float64) / 255) ** DECODING_GAMMA
        self.register_buffer('table', table.float())

    def forward(self, window: torch.Tensor, grid: torch.Tensor, exponent: torch.Tensor) -> torch.Tensor:
        linear = self.table[window.long()].permute(0, 3, 1, 2)  # [1, 3, h, w]
        if self.level == 1:
            linear = F.avg_pool2d(linear, 2, 2)
        sampled = F.grid_sample(linear, grid, mode='bilinear', padding_mode='zeros', align_corners=False)
        return sampled.clamp(0, 1).pow(exponent).permute(0, 2, 3, 1)


def main(out_dir: str) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    window = torch.zeros(1, 64, 48, 3, dtype=torch.uint8)
    grid = torch.zeros(1, 32, 32, 2)
    exponent = torch.tensor(1 / DECODING_GAMMA)
    for level in (0, 1):
        torch.onnx.export(
            CropGraph(level).eval(), (window, grid, exponent), str(out / f'crop-level{level}.onnx'),
            input_names=['window', 'grid', 'exponent'], output_names=['crop'], opset_version=16,
            dynamic_axes={'window': {1: 'h', 2: 'w'}, 'grid': {1: 's', 2: 's'}})
    print(f'wrote {out}/crop-level0.onnx, crop-level1.onnx')


if __name__ == '__main__':
    main(sys.argv[1])
