"""Export a trained checkpoint to the model package of DESIGN §7:

    <out>/model.onnx       crop network, input `image` float32 [N, S, S, 3] in [0, 1],
                           outputs `coords2d` [N, J, 2] crop px and `coords3d` [N, J, 3] mm
    <out>/metrabs.json     descriptor: format version, geometry, joints, skeletons, data, licence

and check that ONNX Runtime reproduces PyTorch's outputs.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .checkpoint import load_checkpoint, load_weights, runs_behind, save_weights
from .config import TrainConfig, _from_dict, to_dict
from .model import MetrabsNet

DESCRIPTOR_FORMAT = 'metrabs-model'
DESCRIPTOR_VERSION = 1
SKELETONS_JSON = Path(__file__).resolve().parents[2] / 'fixtures' / 'skeletons.json'


def load_trained_model(checkpoint_path: str | Path, *, dilate_last_stage: bool = False
                       ) -> tuple[MetrabsNet, TrainConfig, dict[str, Any]]:
    """A run's checkpoint.pt, or a package's weights.pt (float16, no run config: its history
    already lists every run behind it, and the last run's dataset stands for the data)."""
    path = Path(checkpoint_path)
    ckpt = load_checkpoint(path)
    if isinstance(ckpt, dict) and ckpt.get('kind') == 'metrabs-weights':
        weights = load_weights(path)
        history = weights['history']
        cfg = _from_dict(TrainConfig, {'model': weights['model_config'],
                                       'dataset': history[-1].get('dataset', '') if history else ''})
        state, skeleton = weights['model'], weights['skeleton']
        step = history[-1].get('steps', 0) if history else 0
    else:
        if not isinstance(ckpt, dict) or 'config' not in ckpt or 'model' not in ckpt:
            raise RuntimeError(f'{path} is neither a training checkpoint nor a weights.pt')
        cfg = _from_dict(TrainConfig, ckpt['config'])
        state, skeleton, step, history = ckpt['model'], ckpt['skeleton'], ckpt['step'], runs_behind(ckpt)
    model = MetrabsNet(cfg.model, len(skeleton['joint_names']), dilate_last_stage=dilate_last_stage)
    model.load_state_dict(state)
    model.eval()
    return model, cfg, dict(skeleton=skeleton, step=step, history=history)


def export_onnx(model: torch.nn.Module, path: Path, opset: int = 17, side: int | None = None) -> None:
    """Writes the crop-model contract: `image` [N, S, S, 3] → `coords2d`, `coords3d`."""
    side = side or model.cfg.proc_side
    dummy = torch.rand(2, side, side, 3)
    with torch.no_grad():
        torch.onnx.export(
            model, (dummy,), str(path), input_names=['image'], output_names=['coords2d', 'coords3d'],
            dynamic_axes={'image': {0: 'batch'}, 'coords2d': {0: 'batch'}, 'coords3d': {0: 'batch'}},
            opset_version=opset, do_constant_folding=True)


def check_onnx(model: torch.nn.Module, path: Path, batch: int = 3, seed: int = 0,
               side: int | None = None) -> dict[str, float]:
    """Max |PyTorch − ONNX Runtime| on random crops, in crop pixels and mm."""
    import onnxruntime as ort

    side = side or model.cfg.proc_side
    image = torch.from_numpy(np.random.default_rng(seed).random((batch, side, side, 3), np.float32))
    with torch.no_grad():
        ref2d, ref3d = model(image)
    session = ort.InferenceSession(str(path), providers=['CPUExecutionProvider'])
    out2d, out3d = session.run(['coords2d', 'coords3d'], {'image': image.numpy()})
    return dict(max_abs_diff_px=float(np.abs(out2d - ref2d.numpy()).max()),
                max_abs_diff_mm=float(np.abs(out3d - ref3d.numpy()).max()))


def descriptor(cfg: TrainConfig, skeleton: dict[str, Any], *, stride: int, step: int,
               data_info: dict[str, Any], metrics: dict[str, Any] | None,
               history: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    m = cfg.model
    skeletons = json.loads(SKELETONS_JSON.read_text())['skeletons'] if SKELETONS_JSON.exists() else {}
    return {
        'format': DESCRIPTOR_FORMAT,
        'version': DESCRIPTOR_VERSION,
        'created': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
        'onnx': 'model.onnx',
        'input': {'name': 'image', 'layout': 'NHWC', 'dtype': 'float32', 'range': [0, 1],
                  'color': 'RGB', 'side': m.proc_side},
        'outputs': {'coords2d': 'crop pixels [N, J, 2]', 'coords3d': 'mm, root-relative [N, J, 3]'},
        'geometry': {
            'proc_side': m.proc_side, 'stride': stride, 'stride_train': m.stride_train,
            'depth': m.depth, 'box_size_mm': m.box_size_mm, 'centered_stride': m.centered_stride,
            'mix_3d_inside_fov': 0.5, 'tikhonov': cfg.loss.tikhonov,
        },
        'backbone': m.backbone,
        'width_mult': m.width_mult,
        'skeleton': skeleton.get('name', 'smpl+head_30'),
        'joint_names': skeleton['joint_names'],
        'edges': skeleton['edges'],
        'mirror': skeleton['mirror'],
        'skeletons': skeletons,
        # steps: this run's; history: every run behind the weights (warm starts), oldest first.
        'training': {'steps': step, **data_info, 'history': history or [dict(steps=step, **data_info)]},
        'metrics': metrics or {},
    }


def export_package(checkpoint_path: str | Path, out_dir: str | Path, *, dilate_last_stage: bool = False,
                   metrics: dict[str, Any] | None = None, data_info: dict[str, Any] | None = None,
                   opset: int = 17, with_weights: bool = False) -> dict[str, Any]:
    """Writes model.onnx and metrabs.json (and, with `with_weights`, weights.pt for warm
    starts: `--set init_weights=<out>/weights.pt`)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model, cfg, info = load_trained_model(checkpoint_path, dilate_last_stage=dilate_last_stage)
    onnx_path = out / 'model.onnx'
    export_onnx(model, onnx_path, opset)
    check = check_onnx(model, onnx_path)
    desc = descriptor(cfg, info['skeleton'], stride=model.stride, step=info['step'],
                      data_info=data_info or {'dataset': cfg.dataset}, metrics=metrics,
                      history=info['history'])
    desc['export_check'] = check
    if with_weights:
        save_weights(out / 'weights.pt', model_state=model.state_dict(), model_config=to_dict(cfg)['model'],
                     skeleton=info['skeleton'], history=info['history'])
    (out / 'metrabs.json').write_text(json.dumps(desc, indent=1) + '\n')
    return desc
