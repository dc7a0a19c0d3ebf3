"""Inference latency of backbones in ONNX Runtime (CPU, 2 threads): each backbone plus a 1×1
head (30 joints × 9 channels, like MeTRAbs' heatmap head) at 256², random weights, batch 1 and 8,
3 s per setting. The numbers in docs/training.md ("Backbones for the first real model").

    training/.venv/bin/python training/bench/ort_inference.py [backbone …]
"""
from __future__ import annotations

import io
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from metrabs_train.backbones import build_backbone  # noqa: E402


def main(names: list[str]) -> None:
    for name in names:
        features, channels = build_backbone(name)
        net = torch.nn.Sequential(features, torch.nn.Conv2d(channels, 30 * 9, 1)).eval()
        buf = io.BytesIO()
        torch.onnx.export(net, torch.zeros(1, 3, 256, 256), buf, opset_version=17,
                          input_names=['x'], dynamic_axes={'x': {0: 'n'}})
        options = ort.SessionOptions()
        options.intra_op_num_threads = 2
        session = ort.InferenceSession(buf.getvalue(), options, providers=['CPUExecutionProvider'])
        for batch in (1, 8):
            x = np.random.rand(batch, 3, 256, 256).astype(np.float32)
            for _ in range(3):
                session.run(None, {'x': x})
            start, crops = time.perf_counter(), 0
            while time.perf_counter() - start < 3:
                session.run(None, {'x': x})
                crops += batch
            print(f'{name} batch {batch}: {(time.perf_counter() - start) / crops * 1000:.2f} ms/crop')


if __name__ == '__main__':
    main(sys.argv[1:] or ['mobilenet_v3_large', 'efficientnet_lite0'])
